"""The pages the server itself serves: the browser client under `/client/`, the demo shop at
`/demo`, the agent console at `/agent` with its service worker, and the demo catalogue's
pictures under `/media/`."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CLIENT_DIR = PROJECT_ROOT / "client"
CATALOGUE_DIR = PROJECT_ROOT / "media"


def add_static_routes(app: web.Application) -> None:
    """The browser client, the demo shop and the demo catalogue's public images."""

    def page(name: str) -> Callable[[web.Request], Awaitable[web.FileResponse]]:
        async def handler(request: web.Request) -> web.FileResponse:
            path = CLIENT_DIR / name
            if not path.is_file():
                raise web.HTTPNotFound(reason=f"{name} is not installed")
            return web.FileResponse(path)

        return handler

    async def home(request: web.Request) -> web.Response:
        raise web.HTTPFound("/demo")

    app.router.add_get("/", home)
    app.router.add_get("/demo", page("demo.html"))
    app.router.add_get("/demo/{product}", page("demo.html"))
    app.router.add_get("/agent", page("agent.html"))
    app.router.add_get("/agent-sw.js", service_worker)
    if CLIENT_DIR.is_dir():
        app.router.add_static("/client/", CLIENT_DIR, follow_symlinks=False)
    app.router.add_get("/media/{name}", demo_catalogue_file)


async def service_worker(request: web.Request) -> web.FileResponse:
    """The console's service worker (Web Push notifications), at the root so that its scope
    can be `/agent`; never cached long, so a fixed worker reaches browsers at once."""
    path = CLIENT_DIR / "sw.js"
    if not path.is_file():
        raise web.HTTPNotFound(reason="sw.js is not installed")
    return web.FileResponse(
        path,
        headers={
            "Content-Type": "text/javascript; charset=utf-8",
            "Cache-Control": "no-cache",
            "Service-Worker-Allowed": "/agent",
        },
    )


_CATALOGUE_FILE = re.compile(
    r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.(jpe?g|png|webp|webm|mp4|json)\Z"
)


async def demo_catalogue_file(request: web.Request) -> web.FileResponse:
    """The demo shop's own product pictures and list: media files only, never the generator."""
    name = request.match_info["name"]
    path = CATALOGUE_DIR / name
    if not _CATALOGUE_FILE.match(name) or not path.is_file():
        raise web.HTTPNotFound(reason="no such catalogue file")
    return web.FileResponse(path)
