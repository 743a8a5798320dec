"""Cross-origin access, so a shop on its own domain can embed the widget served by Covisor.

The widget is an ES module loaded from Covisor's origin and calls Covisor's API from the shop's
page. Requests carry bearer tokens, never cookies, so allowing any origin grants nothing a script
could not already do with a token it holds; `Config.cors_origins` narrows it when a deployment
wants to.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.typedefs import Middleware

_PREFIXES = ("/api/", "/client/", "/healthz")
_ALLOW_HEADERS = "Authorization, Content-Type"
_ALLOW_METHODS = "GET, POST, OPTIONS"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def cors_middleware(allowed: tuple[str, ...]) -> Middleware:
    """Answer preflights and add `Access-Control-Allow-Origin` for allowed origins."""

    def allow(origin: str) -> str | None:
        if "*" in allowed:
            return "*"
        return origin if origin in allowed else None

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        origin = request.headers.get("Origin")
        if origin is None or not request.path.startswith(_PREFIXES):
            return await handler(request)
        allowed_origin = allow(origin)
        if request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
            if allowed_origin is None:
                return web.Response(status=403)
            response: web.StreamResponse = web.Response(status=204)
            response.headers["Access-Control-Allow-Methods"] = _ALLOW_METHODS
            response.headers["Access-Control-Allow-Headers"] = _ALLOW_HEADERS
            response.headers["Access-Control-Max-Age"] = "600"
        else:
            response = await handler(request)
        if allowed_origin is not None:
            response.headers["Access-Control-Allow-Origin"] = allowed_origin
            if allowed_origin != "*":
                response.headers["Vary"] = "Origin"
        return response

    return middleware
