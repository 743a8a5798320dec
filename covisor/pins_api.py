"""The REST adapter for phone PINs: issue one, or redeem one as a caller or as an agent.

`setup(app)` adds the routes and builds the `PinService` on startup, after the core services (it
needs the store open for the PIN secret), so it must be called after those are registered.
"""

from __future__ import annotations

import os
from typing import Annotated, Any, TypeVar

import msgspec
from aiohttp import web

from covisor.api import identify, json_response, read_json, require_agent
from covisor.errors import CovisorError
from covisor.pin_service import PinService
from covisor.pins import DigitSource, system_digits
from covisor.services import SERVICES

routes = web.RouteTableDef()

PINS = web.AppKey("pins", PinService)

_Body = TypeVar("_Body", bound=msgspec.Struct)

Name = Annotated[str, msgspec.Meta(max_length=200)]


class _CallBody(msgspec.Struct, forbid_unknown_fields=True):
    name: Name | None = None


class _RedeemBody(msgspec.Struct, forbid_unknown_fields=True):
    pin: Annotated[str, msgspec.Meta(max_length=64)]
    name: Name | None = None


def setup(app: web.Application, digits: DigitSource = system_digits) -> None:
    async def start_pins(app: web.Application) -> None:
        svc = app[SERVICES]
        app[PINS] = PinService(svc, await svc.store.secret("pins", os.urandom(32)), digits)

    app.on_startup.append(start_pins)
    app.add_routes(routes)


def pins(request: web.Request) -> PinService:
    return request.app[PINS]


async def _body(request: web.Request, kind: type[_Body]) -> _Body:
    try:
        return msgspec.convert(await read_json(request), type=kind)
    except msgspec.ValidationError as exc:
        raise CovisorError("bad_request", str(exc)) from None


def _name(given: str | None, default: str) -> str:
    return (given or "").strip()[:80] or default


@routes.post("/api/conversations/{conversation_id}/pins")
async def issue_pin(request: web.Request) -> web.Response:
    issuer = await identify(request)
    issued = await pins(request).issue(issuer, request.match_info["conversation_id"])
    return json_response(issued.to_wire(), 201)


@routes.post("/api/pins")
async def issue_call_pin(request: web.Request) -> web.Response:
    agent = await require_agent(request)
    body = await _body(request, _CallBody)
    conversation_id, issued = await pins(request).issue_for_call(
        agent, _name(body.name, "Phone caller")
    )
    return json_response({"conversation_id": conversation_id, **issued.to_wire()}, 201)


@routes.post("/api/pins/redeem")
async def redeem_pin(request: web.Request) -> web.Response:
    """Without a token: join as a caller. With an agent's token: take the shopper's conversation."""
    agent = await require_agent(request) if "Authorization" in request.headers else None
    body = await _body(request, _RedeemBody)
    answer: dict[str, Any]
    if agent is not None:
        summary = await pins(request).link_agent(body.pin, agent)
        answer = {"conversation_id": summary["id"], "conversation": summary}
    else:
        admitted = await pins(request).admit_caller(
            body.pin, _name(body.name, "Caller"), request.remote
        )
        answer = {
            "conversation_id": admitted.conversation_id,
            "token": admitted.token,
            "expires_at": admitted.expires_at,
            "member": admitted.member,
        }
    return json_response(answer)
