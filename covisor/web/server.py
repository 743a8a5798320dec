"""aiohttp's runner, with the errors it answers before any route runs in Covisor's error shape.

A request aiohttp cannot parse (a header or URL over 8190 bytes, a control character in a
header, a method it does not know) never reaches the application or its middlewares: aiohttp
answers a plain-text 400 that quotes the offending bytes, an `Authorization` header included,
and logs them with a traceback. `AppRunner` answers such requests with the JSON error shape and
logs one line that names the kind of error, never the bytes.

It reaches into aiohttp where no public hook exists: `RequestHandler.handle_error` (aiohttp
3.x) is what builds those answers. tests/web/test_server.py holds it to that.
"""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web
from aiohttp.web_protocol import RequestHandler

from covisor.kernel import codec
from covisor.kernel.errors import INTERNAL, CovisorError

log = logging.getLogger(__name__)

_CODES = {400: "bad_request", 413: "too_large", 431: "too_large"}
_MESSAGES = {
    "bad_request": "the request could not be read: malformed, or a header or the URL too long",
    "too_large": "the request is too large",
}


class _Protocol(RequestHandler):
    def handle_error(
        self,
        request: web.BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        if status >= 500:
            log.error("request from %s failed: %s", request.remote, _kind(exc))
        else:
            log.info("refused an unreadable request from %s: %s", request.remote, _kind(exc))
        if request.writer.output_size > 0:
            raise ConnectionError("a response is under way; the connection is dropped")
        code = _CODES.get(status)
        error = INTERNAL if code is None else CovisorError(code, _MESSAGES[code])
        response = web.Response(
            status=error.http_status,
            body=codec.encode(error.to_dict()),
            content_type="application/json",
        )
        response.force_close()
        return response


def _kind(exc: BaseException | None) -> str:
    return type(exc).__name__ if exc is not None else "no exception"


class _Server(web.Server):
    def __call__(self) -> RequestHandler:
        return _Protocol(self, loop=self._loop, **self._kwargs)


class AppRunner(web.AppRunner):
    """`web.AppRunner` whose connections answer unreadable requests in the error shape."""

    async def _make_server(self) -> web.Server:
        plain = await super()._make_server()
        server_options: dict[str, Any] = dict(plain._kwargs)
        return _Server(
            plain.request_handler,
            request_factory=plain.request_factory,
            handler_cancellation=plain.handler_cancellation,
            loop=plain._loop,
            **server_options,
        )
