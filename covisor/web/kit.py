"""The REST adapter: conversations, the agent's queue, transcripts, health; shared HTTP helpers.

Handlers parse and authorise, then call a service. Errors of any kind leave as the
JSON error shape of docs/PROTOCOL.md through `error_middleware`; no stack trace reaches a client.
"""

from __future__ import annotations

import hmac
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import msgspec
from aiohttp import web
from aiohttp.abc import AbstractStreamWriter
from aiohttp.typedefs import Middleware

from covisor.conversations.service import ConversationService
from covisor.conversations.shopper import Claim, device_class, language_of
from covisor.kernel import codec, logs
from covisor.kernel import commands as c
from covisor.kernel.addresses import ClientAddresses
from covisor.kernel.errors import INTERNAL, CovisorError
from covisor.kernel.events import to_wire
from covisor.kernel.identity import Identity
from covisor.kernel.metrics import CONTENT_TYPE, Metrics
from covisor.store.records import SummaryRecord
from covisor.team.authentication import Authenticator

log = logging.getLogger(__name__)

_Body = TypeVar("_Body", bound=msgspec.Struct)

OPENAPI = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"

_STATUS = ("waiting", "active", "closed")


def http_metrics(metrics: Metrics) -> Middleware:
    """Time every request by method, route template (never the raw path: ids would make a
    series each) and status; give it a request id (log lines, `X-Request-Id`)."""

    @web.middleware
    async def middleware(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        request_id = secrets.token_hex(8)
        logs.request_id.set(request_id)
        logs.conversation_id.set(request.match_info.get("conversation_id"))
        started = time.perf_counter()
        status = 500
        try:
            response = await handler(request)
            status = response.status
            if not response.prepared:
                response.headers["X-Request-Id"] = request_id
            return response
        except web.HTTPException as http:
            status = http.status
            raise
        finally:
            resource = request.match_info.route.resource
            route = resource.canonical if resource is not None else "unmatched"
            metrics.http.labels(request.method, route, str(status)).observe(
                time.perf_counter() - started
            )

    return middleware


def json_response(body: Any, status: int = 200) -> web.Response:
    return web.Response(
        body=msgspec.json.encode(body), status=status, content_type="application/json"
    )


_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "bad_request",
    413: "too_large",
    415: "unsupported",
    416: "bad_request",
    429: "rate_limited",
    503: "unavailable",
}
"""The error code of an HTTP status that a route or aiohttp answered without our error shape;
any other 4xx is `bad_request`, any other 5xx `internal`. The status itself is kept."""

_STATUS_MESSAGES = {
    400: "the request was refused: malformed or outside its documented format",
    401: "send Authorization: Bearer <token>",
    403: "this may not be fetched",
    404: "no such route or file",
    405: "method not allowed",
    413: "the request is too large",
    415: "this type is not accepted",
    416: "the range asked for is outside the file",
    429: "too many requests; try again later",
    503: "the server cannot serve right now; try again",
}

_NOT_CARRIED = frozenset(
    h.lower()
    for h in (
        "Content-Type",
        "Content-Length",
        "Content-Encoding",
        "Content-Disposition",
        "Content-Language",
        "Transfer-Encoding",
        "ETag",
        "Last-Modified",
        "Accept-Ranges",
        "Cache-Control",
        "Vary",
    )
)
"""Headers of the refused answer that described its body, which the error body replaces;
the others (`Allow`, `Content-Range`, `Retry-After`, CORS) are kept."""


def status_error(status: int, message: str | None = None) -> dict[str, Any]:
    """The error shape for an HTTP status: its code, and a fixed message (never the client's
    input, which a framework's own message may quote) unless `message` is given."""
    code = _STATUS_CODES.get(status) or ("bad_request" if status < 500 else "internal")
    if code == "internal":
        return INTERNAL.to_dict()
    text = message or _STATUS_MESSAGES.get(status) or _STATUS_MESSAGES[400]
    return CovisorError(code, text).to_dict()


def _shaped(status: int, headers: Any, message: str | None = None) -> web.Response:
    response = json_response(status_error(status, message), status)
    for name, value in headers.items():
        if name.lower() not in _NOT_CARRIED:
            response.headers.add(name, value)
    response.headers["Cache-Control"] = "no-store"
    return response


def _is_json(response: web.StreamResponse) -> bool:
    return response.content_type == "application/json"


class _ErrorShapedPrepare(web.StreamResponse):
    """Placed under `web.FileResponse` in the MRO: a file answer whose status turns out to be
    an error only while it is prepared (a missing file: 404; an unsatisfiable `Range`: 416; a
    special file: 403; a failed `If-Match`: 412) answers the error shape instead of an empty
    body with the file's type."""

    async def prepare(self, request: web.BaseRequest) -> AbstractStreamWriter | None:
        if self.status < 400 or self.prepared:
            return await super().prepare(request)
        body = codec.encode(status_error(self.status))
        for name in list(self.headers):
            if name.lower() in _NOT_CARRIED:
                del self.headers[name]
        self.content_type = "application/json"
        self.headers["Cache-Control"] = "no-store"
        self.content_length = len(body)
        writer = await super().prepare(request)
        if request.method != "HEAD":
            await self.write(body)
        return writer


class _ErrorShapedFileResponse(web.FileResponse, _ErrorShapedPrepare):
    """`web.FileResponse`, whose `super().prepare` is `_ErrorShapedPrepare.prepare`."""


@web.middleware
async def error_middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Every error a client can cause answers the error shape of docs/PROTOCOL.md: a
    `CovisorError`, an aiohttp `HTTPException` raised by a route or the router, an answer a
    route or a library returned with an error status and another body (Engine.IO's plain-text
    400s, aiohttp's static files), and a file answer that fails as it is sent. Anything else
    is logged and answered `internal`."""
    try:
        response = await handler(request)
    except CovisorError as refusal:
        response = json_response(refusal.to_dict(), refusal.http_status)
        if refusal.retry_after is not None:
            response.headers["Retry-After"] = str(max(1, round(refusal.retry_after)))
        return response
    except web.HTTPException as http:
        if http.status < 400:
            raise
        return _shaped(http.status, http.headers, http.reason)
    except Exception:
        log.exception("%s %s failed", request.method, request.path)
        return json_response(INTERNAL.to_dict(), 500)
    if response.prepared:
        return response
    if type(response) is web.FileResponse:
        response.__class__ = _ErrorShapedFileResponse
    elif response.status >= 400 and not _is_json(response):
        return _shaped(response.status, response.headers)
    return response


class RequestAuth:
    """Who sent a request: the bearer token of its `Authorization` header, as an `Identity`."""

    def __init__(self, authenticator: Authenticator) -> None:
        self._authenticator = authenticator

    @property
    def authenticator(self) -> Authenticator:
        """For a credential sent elsewhere than in the header (a visitor's in a body)."""
        return self._authenticator

    async def identify(self, request: web.Request) -> Identity:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise CovisorError("unauthorized", "send Authorization: Bearer <token>")
        return await self._authenticator.identify(token.strip())

    async def require_agent(self, request: web.Request) -> Identity:
        identity = await self.identify(request)
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
    body = codec.decode(raw)
    if isinstance(body, codec.Undecodable):
        raise CovisorError("bad_request", f"the body is {body.reason}")
    if not isinstance(body, dict):
        raise CovisorError("bad_request", "body must be a JSON object")
    return body


async def read_body(request: web.Request, kind: type[_Body]) -> _Body:
    """The request's JSON body as `kind`, or `bad_request` naming the field that is wrong."""
    try:
        return msgspec.convert(await read_json(request), type=kind)
    except msgspec.ValidationError as exc:
        raise CovisorError("bad_request", str(exc)) from None


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


class _TransferBody(msgspec.Struct, forbid_unknown_fields=True):
    to: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] | None
    note: NoteText | None = None


class _NoteBody(msgspec.Struct, forbid_unknown_fields=True):
    text: NoteText


class _RatingBody(msgspec.Struct, forbid_unknown_fields=True):
    score: Annotated[int, msgspec.Meta(ge=1, le=5)]
    comment: Annotated[str, msgspec.Meta(max_length=1000)] | None = None


class ConversationApi:
    """Health, the client's limits, conversations, the agent's lists and transcripts."""

    def __init__(
        self,
        auth: RequestAuth,
        addresses: ClientAddresses,
        conversations: ConversationService,
        *,
        ping: Callable[[], Awaitable[None]],
        readiness: Callable[[], Awaitable[dict[str, bool]]],
        metrics: Metrics,
        metrics_token: str | None,
        client_limits: dict[str, Any],
        client_settings: dict[str, Any],
        timeline: Callable[[Identity, str], Awaitable[list[dict[str, Any]]]] | None = None,
    ) -> None:
        self._timeline = timeline
        self._client_settings = client_settings
        self._readiness = readiness
        self._metrics = metrics
        self._metrics_token = metrics_token
        self._auth = auth
        self._addresses = addresses
        self._conversations = conversations
        self._ping = ping
        self._client_limits = client_limits

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/healthz", self.healthz),
            web.get("/readyz", self.readyz),
            web.get("/metrics", self.metrics),
            web.get("/api/config", self.client_config),
            web.get("/api/wait", self.wait),
            web.post("/api/conversations", self.open_conversation),
            web.get("/api/conversations", self.list_conversations),
            web.get("/api/conversations/{conversation_id}", self.get_conversation),
            web.post("/api/conversations/{conversation_id}/accept", self.accept),
            web.post("/api/conversations/{conversation_id}/close", self.close),
            web.get("/api/conversations/{conversation_id}/transcript", self.transcript),
            web.put("/api/conversations/{conversation_id}/visitor", self.identify),
            web.post("/api/conversations/{conversation_id}/transfer", self.transfer),
            web.post("/api/conversations/{conversation_id}/notes", self.add_note),
            web.post("/api/conversations/{conversation_id}/rating", self.rate),
            web.get("/api/conversations/{conversation_id}/earlier", self.earlier),
            web.get("/api/conversations/{conversation_id}/queue", self.queue_place),
            web.get("/api/me", self.me),
            web.post("/api/me/token", self.renew_token),
            web.get("/api/openapi.yaml", self.openapi),
        ]

    async def healthz(self, request: web.Request) -> web.Response:
        try:
            await self._ping()
        except Exception:
            log.exception("health check failed")
            raise CovisorError("unavailable", "store is not answering") from None
        return json_response({"status": "ok"})

    async def readyz(self, request: web.Request) -> web.Response:
        """200 when this process should get traffic, else 503 (the parts say which fails)."""
        parts = await self._readiness()
        if all(parts.values()):
            return json_response({"status": "ready", **parts})
        return json_response({"status": "not ready", **parts}, 503)

    async def metrics(self, request: web.Request) -> web.Response:
        """This process's figures in Prometheus's text format; with `metrics_token` set, only
        for a bearer of it."""
        if self._metrics_token is not None:
            _, _, given = request.headers.get("Authorization", "").partition(" ")
            if not hmac.compare_digest(given.strip().encode(), self._metrics_token.encode()):
                raise CovisorError("unauthorized", "send Authorization: Bearer <metrics token>")
        return web.Response(body=self._metrics.exposition(), headers={"Content-Type": CONTENT_TYPE})

    async def wait(self, request: web.Request) -> web.Response:
        """Public: the queue's length and the typical time to an answer, for the widget's
        "we usually reply within …"."""
        return json_response(await self._conversations.wait_estimate())

    async def client_config(self, request: web.Request) -> web.Response:
        """The limits clients must keep to; public, since a shopper needs them before a token."""
        return json_response({"limits": self._client_limits, **self._client_settings})

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
            visitor_id=await self._visitor_of(body.visitor_token),
        )
        return json_response({"id": conversation_id, "token": token, "expires_at": expires_at}, 201)

    async def _visitor_of(self, token: str | None) -> str | None:
        """The visitor id of a widget's visitor credential; None without a valid one (an
        expired credential must not keep a shopper from writing: the conversation opens,
        untied to a visitor)."""
        if token is None:
            return None
        try:
            visitor = await self._auth.authenticator.identify(token)
        except CovisorError:
            return None
        return visitor.id if visitor.role == "visitor" else None

    async def list_conversations(self, request: web.Request) -> web.Response:
        agent = await self._auth.require_agent(request)
        status = request.query.get("status", "waiting")
        if status not in _STATUS:
            raise CovisorError("bad_request", f"status must be one of {', '.join(_STATUS)}")
        records = await self._conversations.listing(agent, status)
        return json_response({"conversations": [r.to_wire() for r in records]})

    async def get_conversation(self, request: web.Request) -> web.Response:
        reader = await self._auth.identify(request)
        record = await self._conversations.summary(reader, request.match_info["conversation_id"])
        return json_response(record.to_wire())

    async def accept(self, request: web.Request) -> web.Response:
        return await self._agent_action(request, self._conversations.accept)

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

    async def transcript(self, request: web.Request) -> web.Response:
        reader = await self._auth.identify(request)
        cid = request.match_info["conversation_id"]
        record, messages = await self._conversations.transcript(reader, cid)
        body = {"conversation": record.to_wire(), "messages": [to_wire(m) for m in messages]}
        if self._timeline is not None:
            body["timeline"] = await self._timeline(reader, cid)
        return json_response(body)

    async def identify(self, request: web.Request) -> web.Response:
        """The shopper says who they are (`covisor.identify` after the conversation opened)."""
        shopper = await self._auth.identify(request)
        claim = await read_body(request, Claim)
        cid = request.match_info["conversation_id"]
        return json_response((await self._conversations.identify(shopper, cid, claim)).to_wire())

    async def transfer(self, request: web.Request) -> web.Response:
        agent = await self._auth.require_agent(request)
        body = await read_body(request, _TransferBody)
        cid = request.match_info["conversation_id"]
        record = await self._conversations.transfer(agent, cid, body.to, body.note)
        return json_response(record.to_wire())

    async def add_note(self, request: web.Request) -> web.Response:
        agent = await self._auth.require_agent(request)
        body = await read_body(request, _NoteBody)
        cid = request.match_info["conversation_id"]
        event = await self._conversations.add_note(agent, cid, body.text)
        return json_response({"event": to_wire(event)}, 201)

    async def rate(self, request: web.Request) -> web.Response:
        shopper = await self._auth.identify(request)
        body = await read_body(request, _RatingBody)
        cid = request.match_info["conversation_id"]
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

    async def openapi(self, request: web.Request) -> web.FileResponse:
        """docs/openapi.yaml, the description of every route, as it is in the source tree."""
        return web.FileResponse(OPENAPI, headers={"Content-Type": "application/yaml"})

    async def me(self, request: web.Request) -> web.Response:
        identity = await self._auth.identify(request)
        body: dict[str, Any] = identity.public()
        if identity.conversation_id is not None:
            body["conversation_id"] = identity.conversation_id
        if identity.is_agent:
            body["admin"] = identity.admin
            body["email"] = identity.email
        return json_response(body)
