"""The REST adapter: conversations, the agent's queue, transcripts and health.

Handlers parse and authorise, then call the journal or the store. Errors of any kind leave as the
JSON error shape of docs/PROTOCOL.md through `error_middleware`; no stack trace reaches a client.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
from aiohttp import web

from covisor import commands as c
from covisor.errors import INTERNAL, CovisorError
from covisor.events import to_wire
from covisor.identity import Identity
from covisor.services import SERVICES, Services

log = logging.getLogger(__name__)

routes = web.RouteTableDef()

_STATUS = ("waiting", "active", "closed")


def json_response(body: Any, status: int = 200) -> web.Response:
    return web.Response(
        body=msgspec.json.encode(body), status=status, content_type="application/json"
    )


@web.middleware
async def error_middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    try:
        return await handler(request)
    except CovisorError as refusal:
        response = json_response(refusal.to_dict(), refusal.http_status)
        if refusal.retry_after is not None:
            response.headers["Retry-After"] = str(max(1, round(refusal.retry_after)))
        return response
    except web.HTTPException as http:
        if http.status < 400:
            raise
        code = {404: "not_found", 405: "bad_request", 413: "too_large"}.get(http.status)
        if code is None:
            raise
        return json_response(CovisorError(code, http.reason).to_dict(), http.status)
    except Exception:
        log.exception("%s %s failed", request.method, request.path)
        return json_response(INTERNAL.to_dict(), 500)


def services(request: web.Request) -> Services:
    return request.app[SERVICES]


async def identify(request: web.Request) -> Identity:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise CovisorError("unauthorized", "send Authorization: Bearer <token>")
    return await services(request).auth.identify(token.strip())


async def require_agent(request: web.Request) -> Identity:
    identity = await identify(request)
    if not identity.is_agent:
        raise CovisorError("forbidden", "agents only")
    return identity


async def read_json(request: web.Request, limit: int = 64 * 1024) -> dict[str, Any]:
    """The request's JSON object body; `{}` when there is none."""
    if request.content_length is not None and request.content_length > limit:
        raise CovisorError("too_large", f"body over {limit} bytes")
    raw = await request.content.read(limit + 1)
    if len(raw) > limit:
        raise CovisorError("too_large", f"body over {limit} bytes")
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise CovisorError("bad_request", "body is not valid JSON") from None
    if not isinstance(body, dict):
        raise CovisorError("bad_request", "body must be a JSON object")
    return body


@routes.get("/healthz")
async def healthz(request: web.Request) -> web.Response:
    try:
        await services(request).store.ping()
    except Exception:
        log.exception("health check failed")
        raise CovisorError("unavailable", "store is not answering") from None
    return json_response({"status": "ok"})


class _OpenBody(msgspec.Struct, forbid_unknown_fields=True):
    page: dict[str, str] | None = None
    name: str | None = None
    locale: str | None = None


@routes.post("/api/conversations")
async def open_conversation(request: web.Request) -> web.Response:
    try:
        body = msgspec.convert(await read_json(request), type=_OpenBody)
    except msgspec.ValidationError as exc:
        raise CovisorError("bad_request", str(exc)) from None
    page = {k: v[:500] for k, v in (body.page or {}).items() if k in ("url", "title")}
    name = (body.name or "").strip()[:80] or "Shopper"
    svc = services(request)
    conversation_id, token, expires_at = await svc.open_conversation(page or None, name)
    return json_response({"id": conversation_id, "token": token, "expires_at": expires_at}, 201)


@routes.get("/api/conversations")
async def list_conversations(request: web.Request) -> web.Response:
    agent = await require_agent(request)
    status = request.query.get("status", "waiting")
    if status not in _STATUS:
        raise CovisorError("bad_request", f"status must be one of {', '.join(_STATUS)}")
    mine = agent.id if status != "waiting" else None
    records = await services(request).store.conversations(status=status, agent_id=mine)
    return json_response(
        {"conversations": [{**r.summary, "created_at": r.created_at} for r in records]}
    )


async def _member_view(request: web.Request) -> tuple[Identity, str, dict[str, Any]]:
    identity = await identify(request)
    cid = request.match_info["conversation_id"]
    view = await services(request).journal.view(identity, cid)
    return identity, cid, view.summary


@routes.get("/api/conversations/{conversation_id}")
async def get_conversation(request: web.Request) -> web.Response:
    _, _, summary = await _member_view(request)
    return json_response(summary)


async def _agent_command(request: web.Request, command: type[c.Accept | c.Close]) -> web.Response:
    """Apply an agent's conversation command and answer with the summary it leads to."""
    agent = await require_agent(request)
    svc = services(request)
    cid = request.match_info["conversation_id"]
    await svc.journal.submit(agent, command(conversation_id=cid))
    return json_response((await svc.journal.view(agent, cid)).summary)


@routes.post("/api/conversations/{conversation_id}/accept")
async def accept(request: web.Request) -> web.Response:
    return await _agent_command(request, c.Accept)


@routes.post("/api/conversations/{conversation_id}/close")
async def close(request: web.Request) -> web.Response:
    return await _agent_command(request, c.Close)


@routes.get("/api/conversations/{conversation_id}/transcript")
async def transcript(request: web.Request) -> web.Response:
    _, cid, summary = await _member_view(request)
    messages = await services(request).store.events_of_type(cid, "chat.message", None, 10_000)
    return json_response({"conversation": summary, "messages": [to_wire(m) for m in messages]})


@routes.get("/api/me")
async def me(request: web.Request) -> web.Response:
    identity = await identify(request)
    body: dict[str, Any] = identity.public()
    if identity.conversation_id is not None:
        body["conversation_id"] = identity.conversation_id
    return json_response(body)
