"""The REST adapter of live visitors, invitations and their rules, and conversions."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

import msgspec
from aiohttp import web

from covisor.conversations.service import ConversationService
from covisor.conversations.shopper import device_class, language_of
from covisor.kernel import commands as c
from covisor.kernel.addresses import ClientAddresses
from covisor.kernel.errors import CovisorError
from covisor.kernel.identity import Identity
from covisor.store.records import InvitationRecord
from covisor.visitors.conversions import ConversionBody, Conversions
from covisor.visitors.invitations import Invitations, Message, RuleBody, invitation_wire, rule_wire
from covisor.visitors.tracking import Tracking
from covisor.web.kit import RequestAuth, json_response, read_body


class _RegisterBody(msgspec.Struct, forbid_unknown_fields=True):
    token: Annotated[str, msgspec.Meta(max_length=1000)] | None = None


class _InviteBody(msgspec.Struct, forbid_unknown_fields=True):
    message: Message
    override: bool = False
    """Invite even at capacity (the agent was asked first)."""


class _AcceptBody(msgspec.Struct, forbid_unknown_fields=True):
    # Left out or an object: the page is not nullable here (docs/openapi.yaml).
    page: c.Page | msgspec.UnsetType = msgspec.UNSET
    name: c.PersonName | None = None
    locale: Annotated[str, msgspec.Meta(max_length=35)] | None = None


class VisitorsApi:
    def __init__(
        self,
        auth: RequestAuth,
        addresses: ClientAddresses,
        tracking: Tracking,
        invitations: Invitations,
        deliver: Callable[[InvitationRecord], Awaitable[None]],
        answered: Callable[[InvitationRecord], Awaitable[None]],
        conversations: ConversationService,
        conversions: Conversions,
    ) -> None:
        self._auth = auth
        self._addresses = addresses
        self._tracking = tracking
        self._invitations = invitations
        self._deliver = deliver
        self._answered = answered
        self._conversations = conversations
        self._conversions = conversions

    def routes(self) -> list[web.RouteDef]:
        return [
            web.post("/api/visitors", self.register),
            web.get("/api/visitors", self.live),
            web.get("/api/visitors/{visitor_id}", self.visitor),
            web.post("/api/visitors/{visitor_id}/invite", self.invite),
            web.post("/api/invitations/{invitation_id}/accept", self.accept),
            web.post("/api/invitations/{invitation_id}/decline", self.decline),
            web.get("/api/invitation-rules", self.rules),
            web.post("/api/invitation-rules", self.add_rule),
            web.put("/api/invitation-rules/{rule_id}", self.replace_rule),
            web.delete("/api/invitation-rules/{rule_id}", self.delete_rule),
            web.post("/api/conversions", self.conversion),
        ]

    async def _visitor(self, request: web.Request) -> Identity:
        visitor = await self._auth.identify(request)
        if visitor.role != "visitor":
            raise CovisorError("forbidden", "for the shop's visitors (the widget's credential)")
        return visitor

    async def register(self, request: web.Request) -> web.Response:
        """A visitor credential for the widget: the same visitor again for a valid token."""
        body = await read_body(request, _RegisterBody)
        visitor_id, token, expires_at = self._tracking.register(body.token)
        return json_response({"id": visitor_id, "token": token, "expires_at": expires_at}, 201)

    async def live(self, request: web.Request) -> web.Response:
        await self._auth.require_agent(request)
        visitors = await self._tracking.live()
        return json_response({"visitors": visitors, "now": self._now()})

    async def visitor(self, request: web.Request) -> web.Response:
        await self._auth.require_agent(request)
        return json_response(await self._tracking.detail(request.match_info["visitor_id"]))

    async def invite(self, request: web.Request) -> web.Response:
        agent = await self._auth.require_agent(request)
        body = await read_body(request, _InviteBody)
        invitation = await self._invitations.by_agent(
            agent, request.match_info["visitor_id"], body.message, override=body.override
        )
        await self._deliver(invitation)
        return json_response(invitation_wire(invitation), 201)

    async def accept(self, request: web.Request) -> web.Response:
        """The visitor takes the invitation: a conversation opens, already the inviting
        agent's, with the invitation as its first message."""
        visitor = await self._visitor(request)
        invitation = await self._invitations.pending_for(
            visitor, request.match_info["invitation_id"]
        )
        body = await read_body(request, _AcceptBody)
        conversation_id, token, expires_at = await self._conversations.open(
            None if isinstance(body.page, msgspec.UnsetType) else body.page.to_dict(),
            c.name_or(body.name, "") or None,
            self._addresses.of(request.remote, request.headers),
            device=device_class(request.headers.get("User-Agent")),
            language=language_of(body.locale, request.headers.get("Accept-Language")),
        )
        await self._answered(await self._invitations.accepted(invitation, conversation_id))
        answer = {"id": conversation_id, "token": token, "expires_at": expires_at}
        return json_response(answer, 201)

    async def decline(self, request: web.Request) -> web.Response:
        visitor = await self._visitor(request)
        declined = await self._invitations.declined(visitor, request.match_info["invitation_id"])
        await self._answered(declined)
        return json_response(invitation_wire(declined))

    async def rules(self, request: web.Request) -> web.Response:
        await self._auth.require_admin(request)
        return json_response({"rules": [rule_wire(r) for r in await self._invitations.rules()]})

    async def add_rule(self, request: web.Request) -> web.Response:
        await self._auth.require_admin(request)
        rule = await self._invitations.put_rule(None, await read_body(request, RuleBody))
        return json_response(rule_wire(rule), 201)

    async def replace_rule(self, request: web.Request) -> web.Response:
        await self._auth.require_admin(request)
        body = await read_body(request, RuleBody)
        rule = await self._invitations.put_rule(request.match_info["rule_id"], body)
        return json_response(rule_wire(rule))

    async def delete_rule(self, request: web.Request) -> web.Response:
        await self._auth.require_admin(request)
        await self._invitations.delete_rule(request.match_info["rule_id"])
        return web.Response(status=204)

    async def conversion(self, request: web.Request) -> web.Response:
        """`covisor.trackConversion`: 201 the first time an order is reported, 200 after."""
        visitor = await self._visitor(request)
        new, conversion = await self._conversions.track(
            visitor, await read_body(request, ConversionBody)
        )
        return json_response(conversion, 201 if new else 200)

    def _now(self) -> float:
        return self._tracking.now()
