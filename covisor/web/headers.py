"""Security headers: what browsers may load on Covisor's pages, and what they may keep.

- `/agent` and `/demo` get a Content-Security-Policy that allows scripts, styles, pictures,
  media and connections from Covisor's own origin only (no inline script or style, no plugin,
  no framing by another site), so an injected string can never run as code there. The one
  inline style allowed is the printable transcript's, by its hash: the console previews the
  page in a frame of its own (`srcdoc`, which keeps the console's policy).
  The console's service worker (`/agent-sw.js`) and web app manifest come from that origin too.
- Every answer gets `X-Content-Type-Options: nosniff` (a browser never guesses a type, an
  upload served as an image stays an image) and `Referrer-Policy: no-referrer` (a conversation's
  URL is never sent to a third party).
- JSON answers of the API get `Cache-Control: no-store` unless the route set its own (media
  files do): they carry tokens and conversations, which no shared or browser cache may keep.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.typedefs import Middleware

from covisor.history.transcripts import STYLE_HASH

PAGE_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        f"style-src 'self' 'sha256-{STYLE_HASH}'",
        "img-src 'self' data: blob:",
        "media-src 'self' blob:",
        "connect-src 'self'",
        "font-src 'self'",
        "worker-src 'self'",
        "manifest-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
PAGES = frozenset({"/agent", "/demo"})

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def security_headers() -> Middleware:
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        response = await handler(request)
        if response.prepared:
            return response
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "no-referrer")
        if request.path in PAGES or request.path.startswith("/demo/"):
            headers["Content-Security-Policy"] = PAGE_POLICY
        elif request.path.startswith("/api/") and response.content_type == "application/json":
            headers.setdefault("Cache-Control", "no-store")
        return response

    return middleware
