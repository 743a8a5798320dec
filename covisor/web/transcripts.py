"""REST adapter for what a shopper needs when nobody answers: availability and transcripts.

- `GET /api/availability` (public): open now, or why not and when it opens (availability.py).
- `GET /api/conversations/{id}/transcript.html` (members): the printable transcript page,
  notes only for agents, served with its own strict CSP (transcripts.py).
- `POST /api/conversations/{id}/transcript/email` `{"email"}` (the conversation's shopper or
  caller): its copy by e-mail; `503 unavailable` when e-mail is off, `429` over the limit.
"""

from __future__ import annotations

import msgspec
from aiohttp import web

from covisor.conversations.shopper import Email
from covisor.history.transcripts import POLICY, Transcripts
from covisor.team.availability import Availability
from covisor.web.kit import RequestAuth, json_response, read_body


class _EmailBody(msgspec.Struct, forbid_unknown_fields=True):
    email: Email


class TranscriptApi:
    def __init__(
        self, auth: RequestAuth, transcripts: Transcripts, availability: Availability
    ) -> None:
        self._auth = auth
        self._transcripts = transcripts
        self._availability = availability

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/api/availability", self.availability),
            web.get("/api/conversations/{conversation_id}/transcript.html", self.html),
            web.post("/api/conversations/{conversation_id}/transcript/email", self.email),
        ]

    async def availability(self, request: web.Request) -> web.Response:
        return json_response(await self._availability.now())

    async def html(self, request: web.Request) -> web.Response:
        reader = await self._auth.identify(request)
        page = await self._transcripts.html(reader, request.match_info["conversation_id"])
        return web.Response(
            text=page,
            content_type="text/html",
            headers={"Content-Security-Policy": POLICY, "Cache-Control": "no-store"},
        )

    async def email(self, request: web.Request) -> web.Response:
        shopper = await self._auth.identify(request)
        body = await read_body(request, _EmailBody)
        cid = request.match_info["conversation_id"]
        await self._transcripts.email(shopper, cid, body.email)
        return json_response({"sent": True}, 202)
