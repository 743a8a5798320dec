"""The REST adapter for saved replies: list, create, replace and delete them (agents only)."""

from __future__ import annotations

from typing import Annotated

import msgspec
from aiohttp import web

from covisor.team.replies import ReplyDraft, SavedReplies
from covisor.web.kit import RequestAuth, json_response, read_body


class _ReplyBody(msgspec.Struct, forbid_unknown_fields=True):
    # Loose bounds only, so nothing huge is held: the service checks the rules and says which.
    shortcut: Annotated[str, msgspec.Meta(max_length=64)]
    text: Annotated[str, msgspec.Meta(max_length=20_000)]
    shared: bool = False
    catalogue_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] | None = None

    def draft(self) -> ReplyDraft:
        return ReplyDraft(self.shortcut, self.text, self.shared, self.catalogue_id)


class RepliesApi:
    def __init__(self, auth: RequestAuth, replies: SavedReplies) -> None:
        self._auth = auth
        self._replies = replies

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/api/replies", self.list_replies),
            web.post("/api/replies", self.create_reply),
            web.put("/api/replies/{reply_id}", self.update_reply),
            web.delete("/api/replies/{reply_id}", self.delete_reply),
        ]

    async def list_replies(self, request: web.Request) -> web.Response:
        agent = await self._auth.require_agent(request)
        return json_response({"replies": await self._replies.listing(agent)})

    async def create_reply(self, request: web.Request) -> web.Response:
        agent = await self._auth.require_agent(request)
        body = await read_body(request, _ReplyBody)
        return json_response(await self._replies.create(agent, body.draft()), 201)

    async def update_reply(self, request: web.Request) -> web.Response:
        agent = await self._auth.require_agent(request)
        current = await self._replies.editable(agent, request.match_info["reply_id"])
        body = await read_body(request, _ReplyBody)
        return json_response(await self._replies.update(current, body.draft()))

    async def delete_reply(self, request: web.Request) -> web.Response:
        agent = await self._auth.require_agent(request)
        await self._replies.delete(agent, request.match_info["reply_id"])
        return web.Response(status=204)
