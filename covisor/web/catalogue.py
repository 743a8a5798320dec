"""The REST adapter for the product catalogue: imports and the feed's schedule (admins), search
and product cards (agents), product pictures (public, like the one-picture catalogue's files).

Routes under `/api/catalogue/` that are words (`imports`, `feed`, `products`, `brands`,
`pictures`) are registered before the one-picture items' `/api/catalogue/{item_id}/{variant}`.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from aiohttp import web

from covisor.catalogue.importer import CatalogueImports
from covisor.catalogue.service import ProductCatalogue
from covisor.kernel.errors import CovisorError
from covisor.media.links import PICTURE_FILE, route
from covisor.outbox.outbound import MAX_URL
from covisor.store.records import FeedScheduleRecord, ImportRecord
from covisor.web.kit import RequestAuth, json_response, read_body
from covisor.web.multipart import file_chunks, file_response, multipart_reader, next_file

_PICTURE_CACHE = "public, max-age=86400, immutable"


class _UrlBody(msgspec.Struct, forbid_unknown_fields=True):
    url: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_URL)]


class _FeedBody(msgspec.Struct, forbid_unknown_fields=True):
    url: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_URL)]
    every_minutes: Annotated[int, msgspec.Meta(ge=15, le=7 * 24 * 60)]


def import_view(record: ImportRecord) -> dict[str, Any]:
    """An import as `GET /api/catalogue/imports/{id}` shows it (times in ms since the epoch)."""
    finished = record.finished_at
    return {
        "id": record.id,
        "state": record.state,
        "source": record.source,
        "url": record.url,
        "started_at": record.started_at,
        "finished_at": finished,
        "duration_ms": None if finished is None else round(finished - record.started_at),
        "processed": record.processed,
        "added": record.added,
        "updated": record.updated,
        "unchanged": record.unchanged,
        "removed": record.removed,
        "failed": record.failed,
        "errors": list(record.errors),
        "reason": record.reason,
    }


def feed_view(feed: FeedScheduleRecord | None) -> dict[str, Any] | None:
    if feed is None:
        return None
    return {"url": feed.url, "every_minutes": feed.every_minutes, "next_at": feed.next_at}


def _flag(request: web.Request, name: str) -> bool:
    value = request.query.get(name, "")
    if value not in ("", "0", "1", "true", "false"):
        raise CovisorError("bad_request", f"{name}: 1 or 0")
    return value in ("1", "true")


def _limit(request: web.Request) -> int:
    raw = request.query.get("limit", "20")
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 3):
        raise CovisorError("bad_request", "limit: a whole number")
    return int(raw)


class CatalogueApi:
    def __init__(
        self, auth: RequestAuth, products: ProductCatalogue, imports: CatalogueImports
    ) -> None:
        self._auth = auth
        self._products = products
        self._imports = imports

    def routes(self) -> list[web.RouteDef]:
        return [
            web.post("/api/catalogue/imports", self.start_import),
            web.get("/api/catalogue/imports", self.list_imports),
            web.get("/api/catalogue/imports/{import_id}", self.import_status),
            web.get("/api/catalogue/feed", self.get_feed),
            web.put("/api/catalogue/feed", self.put_feed),
            web.delete("/api/catalogue/feed", self.delete_feed),
            web.get("/api/catalogue/products", self.search),
            web.get("/api/catalogue/products/{product_id}", self.product),
            web.get("/api/catalogue/brands", self.brands),
            web.get(route(PICTURE_FILE), self.picture),
        ]

    async def start_import(self, request: web.Request) -> web.Response:
        """`multipart/form-data` with a `file`, or JSON `{"url"}`: 202 with the import."""
        await self._auth.require_admin(request)
        if request.content_type == "multipart/form-data":
            reader = await multipart_reader(request)
            part = await next_file(reader, {})
            record = await self._imports.from_file(file_chunks(part))
        else:
            body = await read_body(request, _UrlBody)
            record = await self._imports.from_url(body.url)
        return json_response(import_view(record), 202)

    async def list_imports(self, request: web.Request) -> web.Response:
        await self._auth.require_admin(request)
        imports = [import_view(record) for record in await self._imports.recent()]
        return json_response({"imports": imports, "feed": feed_view(await self._imports.feed())})

    async def import_status(self, request: web.Request) -> web.Response:
        await self._auth.require_admin(request)
        record = await self._imports.status(request.match_info["import_id"])
        return json_response(import_view(record))

    async def get_feed(self, request: web.Request) -> web.Response:
        await self._auth.require_admin(request)
        return json_response({"feed": feed_view(await self._imports.feed())})

    async def put_feed(self, request: web.Request) -> web.Response:
        await self._auth.require_admin(request)
        body = await read_body(request, _FeedBody)
        feed = await self._imports.schedule(body.url, body.every_minutes)
        return json_response({"feed": feed_view(feed)})

    async def delete_feed(self, request: web.Request) -> web.Response:
        await self._auth.require_admin(request)
        await self._imports.unschedule()
        return web.Response(status=204)

    async def search(self, request: web.Request) -> web.Response:
        await self._auth.require_agent(request)
        query = request.query
        hits = await self._products.search(
            query.get("q", ""),
            in_stock=_flag(request, "in_stock"),
            brand=query.get("brand") or None,
            product_type=query.get("type") or None,
            limit=_limit(request),
        )
        return json_response({"products": hits})

    async def product(self, request: web.Request) -> web.Response:
        await self._auth.require_agent(request)
        return json_response(await self._products.card(request.match_info["product_id"]))

    async def brands(self, request: web.Request) -> web.Response:
        await self._auth.require_agent(request)
        return json_response({"brands": await self._products.brands()})

    async def picture(self, request: web.Request) -> web.FileResponse:
        info = request.match_info
        served = await self._products.picture(info["media_id"], info["variant"])
        return file_response(served, _PICTURE_CACHE)
