"""The REST adapter for Web Push: the server's VAPID key, and agents' browser subscriptions.

Agents only. Subscribing stores the subscription and sends nothing: the server POSTs to an
endpoint only when `Push.notify` has something for its agent.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from aiohttp import web

from covisor.outbox.push import MAX_ENDPOINT, Push
from covisor.web.kit import RequestAuth, json_response, read_body

_Endpoint = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_ENDPOINT)]


class _Keys(msgspec.Struct, forbid_unknown_fields=True):
    p256dh: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    auth: Annotated[str, msgspec.Meta(min_length=1, max_length=40)]


class _SubscribeBody(msgspec.Struct, forbid_unknown_fields=True):
    """A browser's `PushSubscription.toJSON()`."""

    endpoint: _Endpoint
    keys: _Keys
    expiration_time: float | None = msgspec.field(default=None, name="expirationTime")
    """Sent by browsers, mostly null; not kept."""


class _UnsubscribeBody(msgspec.Struct, forbid_unknown_fields=True):
    endpoint: _Endpoint


class PushApi:
    def __init__(self, auth: RequestAuth, push: Push) -> None:
        self._auth = auth
        self._push = push

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/api/push/key", self.key),
            web.post("/api/push/subscriptions", self.subscribe),
            web.delete("/api/push/subscriptions", self.unsubscribe),
        ]

    async def key(self, request: web.Request) -> web.Response:
        """The VAPID public key, a browser's `applicationServerKey`."""
        await self._auth.require_agent(request)
        return json_response({"public_key": self._push.public_key})

    async def subscribe(self, request: web.Request) -> web.Response:
        agent = await self._auth.require_agent(request)
        body = await read_body(request, _SubscribeBody)
        await self._push.subscribe(agent.id, body.endpoint, body.keys.p256dh, body.keys.auth)
        return json_response({"status": "subscribed"}, 201)

    async def unsubscribe(self, request: web.Request) -> web.Response:
        """Idempotent: 204 whether or not the agent had this subscription."""
        agent = await self._auth.require_agent(request)
        body = await read_body(request, _UnsubscribeBody)
        await self._push.unsubscribe(agent.id, body.endpoint)
        return web.Response(status=204)
