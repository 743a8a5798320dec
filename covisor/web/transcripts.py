"""REST adapter of transcripts, every form of them (members of the conversation only):

- `GET /api/conversations/{id}/transcript`: messages and the timeline as JSON;
- `GET /api/conversations/{id}/transcript.html`: the printable page, notes only for agents,
  served with its own strict CSP (history/transcripts.py);
- `POST /api/conversations/{id}/transcript/email` `{"email"}` (the conversation's shopper or
  caller): its copy by e-mail; `503 unavailable` when e-mail is off, `429` over the limit.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from aiohttp import web

from covisor.conversations.service import ConversationService
from covisor.conversations.shopper import Email
from covisor.history.transcripts import POLICY, Transcripts
from covisor.kernel.events import to_wire
from covisor.web.conversations import member_of
from covisor.web.kit import RequestAuth, json_response, read_body


class _EmailBody(msgspec.Struct, forbid_unknown_fields=True):
    email: Email
    tz: Annotated[str, msgspec.Meta(max_length=64)] | None = None
    """The reader's IANA time zone (the widget sends the browser's)."""


class TranscriptApi:
    def __init__(
        self, auth: RequestAuth, conversations: ConversationService, transcripts: Transcripts
    ) -> None:
        self._auth = auth
        self._conversations = conversations
        self._transcripts = transcripts

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/api/conversations/{conversation_id}/transcript", self.json),
            web.get("/api/conversations/{conversation_id}/transcript.html", self.html),
            web.post("/api/conversations/{conversation_id}/transcript/email", self.email),
        ]

    async def json(self, request: web.Request) -> web.Response:
        reader = await self._auth.identify(request)
        cid = request.match_info["conversation_id"]
        record, messages = await self._conversations.transcript(reader, cid)
        return json_response(
            {
                "conversation": record.to_wire(),
                "messages": [to_wire(m) for m in messages],
                "timeline": await self._transcripts.entries(reader, cid),
            }
        )

    async def html(self, request: web.Request) -> web.Response:
        reader = await self._auth.identify(request)
        page = await self._transcripts.html(
            reader, request.match_info["conversation_id"], request.query.get("tz")
        )
        return web.Response(
            text=page,
            content_type="text/html",
            headers={"Content-Security-Policy": POLICY, "Cache-Control": "no-store"},
        )

    async def email(self, request: web.Request) -> web.Response:
        """Who asks (401, 403), then what (400), then whether it can be done (503, 429)."""
        shopper = await self._auth.require_shopper(request)
        cid = await member_of(request, self._conversations, shopper)
        body = await read_body(request, _EmailBody)
        await self._transcripts.email(shopper, cid, body.email, body.tz)
        return json_response({"sent": True}, 202)
