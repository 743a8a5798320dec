"""What every REST adapter shares: JSON answers, bodies read strictly, who is asking, request
metrics and the error middleware.

Handlers parse and authorise, then call a service. Errors of any kind leave as the
JSON error shape of docs/PROTOCOL.md through `error_middleware`; no stack trace reaches a client.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import msgspec
from aiohttp import web
from aiohttp.abc import AbstractStreamWriter
from aiohttp.typedefs import Middleware

from covisor.kernel import codec, logs
from covisor.kernel.errors import INTERNAL, CovisorError
from covisor.kernel.identity import Identity
from covisor.kernel.metrics import Metrics
from covisor.team.authentication import Authenticator

log = logging.getLogger(__name__)

_Body = TypeVar("_Body", bound=msgspec.Struct)


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
        # Only the blanks HTTP allows around a value: any other character is part of the token.
        return await self._authenticator.identify(token.strip(" \t"))

    async def visitor_of(self, token: str | None) -> str | None:
        """The visitor id of a widget's visitor credential sent in a body; None without a
        valid one (an expired credential must not keep a shopper from writing or a caller
        from joining: they go on, untied to a visitor)."""
        if token is None:
            return None
        try:
            visitor = await self._authenticator.identify(token)
        except CovisorError:
            return None
        return visitor.id if visitor.role == "visitor" else None

    async def require_agent(self, request: web.Request) -> Identity:
        identity = await self.identify(request)
        if not identity.is_agent:
            raise CovisorError("forbidden", "agents only")
        return identity

    async def require_shopper(self, request: web.Request) -> Identity:
        """The shopper (a conversation's customer or caller) sending `request`."""
        identity = await self.identify(request)
        if identity.role not in ("customer", "caller"):
            raise CovisorError("forbidden", "for the conversation's shopper")
        return identity

    async def require_admin(self, request: web.Request) -> Identity:
        """The admin sending `request`; called before its body is read."""
        identity = await self.identify(request)
        if not identity.admin:
            raise CovisorError("forbidden", "admins only")
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
