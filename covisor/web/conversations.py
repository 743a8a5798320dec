"""REST adapter of conversations: opening one, the agent's lists and actions (accept, close,
transfer, notes), the shopper's identity, rating and place in the queue, and who is asking."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import msgspec
from aiohttp import web

from covisor.conversations.service import ConversationService
from covisor.conversations.shopper import Claim, device_class, language_of
from covisor.history.search import HistorySearch
from covisor.kernel import commands as c
from covisor.kernel.addresses import ClientAddresses
from covisor.kernel.errors import CovisorError
from covisor.kernel.events import to_wire
from covisor.kernel.identity import Identity
from covisor.store.records import SummaryRecord
from covisor.web.kit import RequestAuth, json_response, read_body

_STATUS = ("waiting", "active", "closed")


class _OpenBody(msgspec.Struct, forbid_unknown_fields=True):
    page: c.Page | None = None
    name: c.PersonName | None = None
    locale: Annotated[str, msgspec.Meta(max_length=35)] | None = None
    """The widget's language, kept as the visitor's (else `Accept-Language`'s first)."""
    by_phone: bool = False
    """Opened to show a phone PIN: kept out of the queue until the shopper writes."""
    visitor: Claim | None = None
    """`covisor.identify(...)`: who the shop says the shopper is, signed or not."""
    visitor_token: Annotated[str, msgspec.Meta(max_length=1000)] | None = None
    """The widget's visitor credential (live visitors): the visitor gets the conversation."""
    offline: bool = False
    """A message left while the shop was unavailable (`GET /api/availability`): answered by
    e-mail when `visitor.email` is given, else in the widget on the next visit."""


NoteText = Annotated[str, msgspec.Meta(min_length=1, max_length=20_000)]


class _AcceptBody(msgspec.Struct, forbid_unknown_fields=True):
    override: bool = False
    """Take it even at capacity (the agent was asked first)."""


class _TransferBody(msgspec.Struct, forbid_unknown_fields=True):
    to: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] | None
    note: NoteText | None = None


class _NoteBody(msgspec.Struct, forbid_unknown_fields=True):
    text: NoteText


class _RatingBody(msgspec.Struct, forbid_unknown_fields=True):
    score: Annotated[int, msgspec.Meta(ge=1, le=5)]
    comment: Annotated[str, msgspec.Meta(max_length=1000, pattern=c.NOT_BLANK)] | None = None
    """Left out, or something: a comment of blanks would be kept as nothing (`400`, as a
    transfer's note)."""


async def member_of(
    request: web.Request, conversations: ConversationService, identity: Identity
) -> str:
    """The conversation in the path, once `identity` is a member of it (`summary`'s refusals:
    403, 404). Called before a body or a query is read: who may ask is answered first, so a
    non-member learns nothing from the answer to a bad one."""
    conversation_id = request.match_info["conversation_id"]
    await conversations.summary(identity, conversation_id)
    return conversation_id


class ConversationApi:
    """Conversations: opening one, the agent's lists and actions, the shopper's own."""

    def __init__(
        self,
        auth: RequestAuth,
        addresses: ClientAddresses,
        conversations: ConversationService,
        history: HistorySearch,
    ) -> None:
        self._auth = auth
        self._addresses = addresses
        self._conversations = conversations
        self._history = history

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/api/wait", self.wait),
            web.post("/api/conversations", self.open_conversation),
            web.get("/api/conversations", self.list_conversations),
            web.get("/api/conversations/{conversation_id}", self.get_conversation),
            web.post("/api/conversations/{conversation_id}/accept", self.accept),
            web.post("/api/conversations/{conversation_id}/close", self.close),
            web.put("/api/conversations/{conversation_id}/visitor", self.identify),
            web.post("/api/conversations/{conversation_id}/transfer", self.transfer),
            web.post("/api/conversations/{conversation_id}/notes", self.add_note),
            web.post("/api/conversations/{conversation_id}/rating", self.rate),
            web.get("/api/conversations/{conversation_id}/earlier", self.earlier),
            web.get("/api/conversations/{conversation_id}/queue", self.queue_place),
            web.get("/api/me", self.me),
            web.post("/api/me/token", self.renew_token),
        ]

    async def wait(self, request: web.Request) -> web.Response:
        """Public: the queue's length and the typical time to an answer, for the widget's
        "we usually reply within …"."""
        return json_response(await self._conversations.wait_estimate())

    async def open_conversation(self, request: web.Request) -> web.Response:
        body = await read_body(request, _OpenBody)
        page = body.page.to_dict() if body.page is not None else None
        client = self._addresses.of(request.remote, request.headers)
        conversation_id, token, expires_at = await self._conversations.open(
            page,
            c.name_or(body.name, "") or None,
            client,
            body.by_phone,
            claim=body.visitor,
            device=device_class(request.headers.get("User-Agent")),
            language=language_of(body.locale, request.headers.get("Accept-Language")),
            offline=body.offline,
            visitor_id=await self._auth.visitor_of(body.visitor_token),
        )
        return json_response({"id": conversation_id, "token": token, "expires_at": expires_at}, 201)

    async def list_conversations(self, request: web.Request) -> web.Response:
        """The queue, the agent's active ones, or the shop's closed ones searched and paged
        (covisor/history/search.py: every agent's history)."""
        agent = await self._auth.require_agent(request)
        status = request.query.get("status", "waiting")
        if status not in _STATUS:
            raise CovisorError("bad_request", f"status must be one of {', '.join(_STATUS)}")
        if status == "closed":
            return json_response(await self._history.search(request.query))
        records = await self._conversations.listing(agent, status)
        return json_response({"conversations": [r.to_wire() for r in records]})

    async def get_conversation(self, request: web.Request) -> web.Response:
        reader = await self._auth.identify(request)
        record = await self._conversations.summary(reader, request.match_info["conversation_id"])
        return json_response(record.to_wire())

    async def accept(self, request: web.Request) -> web.Response:
        agent = await self._auth.require_agent(request)
        body = await read_body(request, _AcceptBody)
        record = await self._conversations.accept(
            agent, request.match_info["conversation_id"], override=body.override
        )
        return json_response(record.to_wire())

    async def close(self, request: web.Request) -> web.Response:
        return await self._agent_action(request, self._conversations.close)

    async def _agent_action(
        self,
        request: web.Request,
        action: Callable[[Identity, str], Awaitable[SummaryRecord]],
    ) -> web.Response:
        """An agent's change to the conversation in the path, answered with its summary."""
        agent = await self._auth.require_agent(request)
        record = await action(agent, request.match_info["conversation_id"])
        return json_response(record.to_wire())

    async def identify(self, request: web.Request) -> web.Response:
        """The shopper says who they are (`covisor.identify` after the conversation opened)."""
        shopper = await self._auth.identify(request)
        cid = await member_of(request, self._conversations, shopper)
        claim = await read_body(request, Claim)
        return json_response((await self._conversations.identify(shopper, cid, claim)).to_wire())

    async def transfer(self, request: web.Request) -> web.Response:
        agent = await self._auth.require_agent(request)
        cid = await member_of(request, self._conversations, agent)
        body = await read_body(request, _TransferBody)
        record = await self._conversations.transfer(agent, cid, body.to, body.note)
        return json_response(record.to_wire())

    async def add_note(self, request: web.Request) -> web.Response:
        agent = await self._auth.require_agent(request)
        cid = await member_of(request, self._conversations, agent)
        body = await read_body(request, _NoteBody)
        event = await self._conversations.add_note(agent, cid, body.text)
        return json_response({"event": to_wire(event)}, 201)

    async def rate(self, request: web.Request) -> web.Response:
        shopper = await self._auth.identify(request)
        cid = await member_of(request, self._conversations, shopper)
        body = await read_body(request, _RatingBody)
        event = await self._conversations.rate(shopper, cid, body.score, body.comment)
        return json_response({"event": to_wire(event)}, 201)

    async def earlier(self, request: web.Request) -> web.Response:
        agent = await self._auth.require_agent(request)
        records = await self._conversations.earlier(agent, request.match_info["conversation_id"])
        return json_response({"conversations": [r.to_wire() for r in records]})

    async def queue_place(self, request: web.Request) -> web.Response:
        shopper = await self._auth.identify(request)
        place = await self._conversations.queue_place(
            shopper, request.match_info["conversation_id"]
        )
        return json_response(place)

    async def renew_token(self, request: web.Request) -> web.Response:
        holder = await self._auth.identify(request)
        token, expires_at = await self._conversations.renew(holder)
        return json_response({"token": token, "expires_at": expires_at})

    async def me(self, request: web.Request) -> web.Response:
        identity = await self._auth.identify(request)
        body: dict[str, Any] = identity.public()
        if identity.conversation_id is not None:
            body["conversation_id"] = identity.conversation_id
        if identity.is_agent:
            body["admin"] = identity.admin
            body["email"] = identity.email
        return json_response(body)
