"""The REST adapter for phone PINs: issue one, or redeem one as a caller or as an agent."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from aiohttp import web

from covisor.kernel import commands as c
from covisor.kernel.addresses import ClientAddresses
from covisor.phone.service import PinService
from covisor.web.kit import RequestAuth, json_response, read_body


class _CallBody(msgspec.Struct, forbid_unknown_fields=True):
    name: c.PersonName | None = None
    override: bool = False
    """The agent takes the call even at capacity (asked first)."""


class _RedeemBody(msgspec.Struct, forbid_unknown_fields=True):
    pin: Annotated[str, msgspec.Meta(max_length=64)]
    name: c.PersonName | None = None
    override: bool = False
    """An agent takes the shopper's conversation even at capacity (asked first)."""
    visitor_token: Annotated[str, msgspec.Meta(max_length=1000)] | None = None
    """A caller's widget visitor credential: agents see that visitor in the call."""


class PinApi:
    def __init__(self, auth: RequestAuth, addresses: ClientAddresses, pins: PinService) -> None:
        self._auth = auth
        self._addresses = addresses
        self._pins = pins

    def routes(self) -> list[web.RouteDef]:
        return [
            web.post("/api/conversations/{conversation_id}/pins", self.issue_pin),
            web.post("/api/pins", self.issue_call_pin),
            web.post("/api/pins/redeem", self.redeem_pin),
        ]

    async def issue_pin(self, request: web.Request) -> web.Response:
        issuer = await self._auth.identify(request)
        client = self._addresses.of(request.remote, request.headers)
        issued = await self._pins.issue(issuer, request.match_info["conversation_id"], client)
        return json_response(issued.to_wire(), 201)

    async def issue_call_pin(self, request: web.Request) -> web.Response:
        agent = await self._auth.require_agent(request)
        body = await read_body(request, _CallBody)
        conversation_id, issued = await self._pins.issue_for_call(
            agent, c.name_or(body.name, "Phone caller"), override=body.override
        )
        return json_response({"conversation_id": conversation_id, **issued.to_wire()}, 201)

    async def redeem_pin(self, request: web.Request) -> web.Response:
        """Without a token: join as a caller. With an agent's token: take the shopper's
        conversation."""
        has_token = "Authorization" in request.headers
        agent = await self._auth.require_agent(request) if has_token else None
        body = await read_body(request, _RedeemBody)
        answer: dict[str, Any]
        if agent is not None:
            record = await self._pins.link_agent(body.pin, agent, override=body.override)
            answer = {"conversation_id": record.id, "conversation": record.to_wire()}
        else:
            admitted = await self._pins.admit_caller(
                body.pin,
                c.name_or(body.name, "Caller"),
                self._addresses.of(request.remote, request.headers),
                visitor_id=await self._auth.visitor_of(body.visitor_token),
            )
            answer = {
                "conversation_id": admitted.conversation_id,
                "token": admitted.token,
                "expires_at": admitted.expires_at,
                "member": admitted.member,
            }
        return json_response(answer)
