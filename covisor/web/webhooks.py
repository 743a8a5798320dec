"""The REST adapter for the admins' webhooks: register, list, remove, deliveries, test."""

from __future__ import annotations

from typing import Annotated

import msgspec
from aiohttp import web

from covisor.outbox.outbound import MAX_URL
from covisor.outbox.webhooks import EVENTS, WebhookEvent, Webhooks, hook_view
from covisor.web.kit import RequestAuth, json_response, read_body


class _CreateBody(msgspec.Struct, forbid_unknown_fields=True):
    url: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_URL)]
    events: Annotated[list[WebhookEvent], msgspec.Meta(min_length=1, max_length=len(EVENTS))]


class WebhooksApi:
    def __init__(self, auth: RequestAuth, webhooks: Webhooks) -> None:
        self._auth = auth
        self._webhooks = webhooks

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/api/webhooks", self.list_hooks),
            web.post("/api/webhooks", self.create),
            web.delete("/api/webhooks/{hook_id}", self.delete),
            web.get("/api/webhooks/{hook_id}/deliveries", self.deliveries),
            web.post("/api/webhooks/{hook_id}/test", self.test),
        ]

    async def list_hooks(self, request: web.Request) -> web.Response:
        await self._auth.require_admin(request)
        return json_response({"webhooks": await self._webhooks.hooks()})

    async def create(self, request: web.Request) -> web.Response:
        admin = await self._auth.require_admin(request)
        body = await read_body(request, _CreateBody)
        hook = await self._webhooks.create(body.url, body.events, admin.id)
        # The secret is shown here, once: the list never carries it.
        return json_response({**hook_view(hook, []), "secret": hook.secret}, 201)

    async def delete(self, request: web.Request) -> web.Response:
        await self._auth.require_admin(request)
        await self._webhooks.delete(request.match_info["hook_id"])
        return web.Response(status=204)

    async def deliveries(self, request: web.Request) -> web.Response:
        await self._auth.require_admin(request)
        found = await self._webhooks.deliveries(request.match_info["hook_id"])
        return json_response({"deliveries": found})

    async def test(self, request: web.Request) -> web.Response:
        await self._auth.require_admin(request)
        delivery = await self._webhooks.test(request.match_info["hook_id"])
        return json_response(delivery, 202)
