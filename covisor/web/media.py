"""The REST adapter for media: uploads into conversations, their signed files, the catalogue.

Upload bodies are multipart, read part by part and streamed to disk chunk by chunk
(`request.multipart()` never buffers a part, so `client_max_size` does not apply; the byte
limits are enforced while the file streams in).
"""

from __future__ import annotations

import re

from aiohttp import web

from covisor.conversations.service import ConversationService
from covisor.kernel.errors import CovisorError
from covisor.media.catalogue import CatalogueService, check_title
from covisor.media.links import CATALOGUE_FILE, CONVERSATION_FILE, route
from covisor.media.service import MediaService
from covisor.web.conversations import member_of
from covisor.web.kit import RequestAuth, json_response
from covisor.web.multipart import (
    file_chunks,
    file_response,
    multipart_reader,
    next_file,
    rest_fields,
)

_FORM_OVERHEAD = 64 * 1024
_CATALOGUE_CACHE = "public, max-age=86400"
_TITLE = frozenset({"title"})
_UPLOAD_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}\Z")
_MEDIA_ITEM = "/api/conversations/{conversation_id}/media/{media_id}"


class MediaApi:
    def __init__(
        self,
        auth: RequestAuth,
        conversations: ConversationService,
        media: MediaService,
        catalogue: CatalogueService,
        *,
        max_upload_bytes: int,
    ) -> None:
        self._auth = auth
        self._conversations = conversations
        self._media = media
        self._catalogue = catalogue
        self._max_body = max_upload_bytes + _FORM_OVERHEAD

    def routes(self) -> list[web.RouteDef]:
        return [
            web.post("/api/conversations/{conversation_id}/media", self.upload),
            web.post("/api/conversations/{conversation_id}/annotated", self.annotate),
            web.get(route(_MEDIA_ITEM), self.media_item_status),
            web.get(route(CONVERSATION_FILE), self.conversation_file),
            web.get("/api/catalogue", self.list_catalogue),
            web.post("/api/catalogue", self.add_to_catalogue),
            web.get(route(CATALOGUE_FILE), self.catalogue_file),
        ]

    async def upload(self, request: web.Request) -> web.Response:
        """A member's upload: 201 with the ready item once processed, or the refusal.

        `?upload_id=` is the client's name for the upload (letters, digits, `_`, `-`; up to
        64), echoed in its `media.*` events and the answer; the server picks one if absent.
        """
        uploader = await self._auth.identify(request)
        cid = await member_of(request, self._conversations, uploader)
        upload_id = self._upload_id(request)
        await self._media.check_uploader(uploader, cid)
        self._check_length(request)
        reader = await multipart_reader(request)
        part = await next_file(reader, {}, _TITLE)
        item = await self._media.upload(uploader, cid, upload_id, file_chunks(part), part.filename)
        return json_response(item, 201)

    async def annotate(self, request: web.Request) -> web.Response:
        """A member saves the picture the viewer shows with its strokes (a PNG drawn by the
        server): 201 with the new item, as an upload of theirs; `?upload_id=` as for uploads."""
        member = await self._auth.identify(request)
        cid = await member_of(request, self._conversations, member)
        upload_id = self._upload_id(request)
        item = await self._media.annotate(member, cid, upload_id)
        return json_response(item, 201)

    async def media_item_status(self, request: web.Request) -> web.Response:
        reader = await self._auth.identify(request)
        info = request.match_info
        return json_response(
            await self._media.status(reader, info["conversation_id"], info["media_id"])
        )

    async def conversation_file(self, request: web.Request) -> web.FileResponse:
        """A file of a conversation's media item, by signed URL (no Authorization needed)."""
        info = request.match_info
        served, left = await self._media.conversation_file(
            info["conversation_id"],
            info["media_id"],
            info["variant"],
            request.query.get("exp"),
            request.query.get("sig"),
        )
        return file_response(served, f"private, max-age={int(left)}, immutable")

    async def list_catalogue(self, request: web.Request) -> web.Response:
        await self._auth.require_agent(request)
        return json_response({"items": await self._catalogue.entries()})

    async def add_to_catalogue(self, request: web.Request) -> web.Response:
        """An agent adds a product by uploading its picture or video (`file`, optional
        `title`)."""
        agent = await self._auth.require_agent(request)
        self._check_length(request)
        reader = await multipart_reader(request)
        fields: dict[str, str] = {}
        part = await next_file(reader, fields, _TITLE)
        check_title(fields.get("title"))
        record = await self._media.pipeline.ingest(file_chunks(part))
        await rest_fields(reader, fields, _TITLE)
        entry = await self._catalogue.add(agent, record, part.filename, fields.get("title"))
        return json_response(entry, 201)

    async def catalogue_file(self, request: web.Request) -> web.FileResponse:
        info = request.match_info
        served = await self._catalogue.file(info["item_id"], info["variant"])
        return file_response(served, _CATALOGUE_CACHE)

    def _upload_id(self, request: web.Request) -> str:
        """The client's `?upload_id=`, checked, or a new one."""
        upload_id = request.query.get("upload_id")
        if upload_id is None:
            return self._media.new_upload_id()
        if not _UPLOAD_ID.match(upload_id):
            raise CovisorError("bad_request", "upload_id: letters, digits, _ and -, up to 64")
        return upload_id

    def _check_length(self, request: web.Request) -> None:
        """Refuse a body that announces it is over every limit before reading any of it."""
        if request.content_length is not None and request.content_length > self._max_body:
            raise CovisorError(
                "too_large", f"the upload is over the {self._max_body // 1024**2} MB limit"
            )
