"""The pages the server itself serves: the browser client under `/client/`, the demo shop at
`/demo` (the older one-page demo) and `/demo/shop/` (the demo shop "Senda", whose feed the
server imports on a first start), the agent console at `/agent` with its service worker, and
the demo pictures under `/media/` and `/demo/shop/images/`."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web
from yarl import URL

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CLIENT_DIR = PROJECT_ROOT / "client"
CATALOGUE_DIR = PROJECT_ROOT / "media"
SHOP_DIR = CATALOGUE_DIR / "shop"
"""The demo shop's generated files (media/shop_feed.py): feed.xml, products.json, images/."""
SHOP_FEED = SHOP_DIR / "feed.xml"
SHOP_ORIGIN = "https://shop.covisor.invalid"
"""The origin the shipped feed's links and pictures are written with; whoever uses the feed
puts the origin the demo shop is really at in its place (`shop_feed_at`)."""

SHOP_PAGE = CLIENT_DIR / "demo" / "shop" / "shop.html"
"""One page for every route of the demo shop: its script draws the grid, a product, the cart or
the checkout from the path, out of `products.json`."""

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def add_static_routes(app: web.Application) -> None:
    """The browser client, the demo shops and the demo catalogues' public files."""

    async def home(request: web.Request) -> web.Response:
        """The demo shop that sells (Senda), where a new user sees the widget at work."""
        raise web.HTTPFound("/demo/shop/")

    async def shop_home(request: web.Request) -> web.Response:
        # `/demo/shop` would otherwise be the old demo's `/demo/{product}`; `?lang=` stays.
        raise web.HTTPFound(URL.build(path="/demo/shop/", query=request.rel_url.query))

    app.router.add_get("/", home)
    app.router.add_get("/demo", one_file(CLIENT_DIR / "demo.html"))
    app.router.add_get("/demo/shop", shop_home)
    for path in ("", "products/{product}", "cart", "checkout"):
        app.router.add_get(f"/demo/shop/{path}", one_file(SHOP_PAGE))
    app.router.add_get("/demo/shop/products.json", one_file(SHOP_DIR / "products.json"))
    app.router.add_get("/demo/shop/feed.xml", shop_feed)
    app.router.add_get("/demo/shop/images/{name}", public_files(SHOP_DIR / "images", _PICTURE))
    app.router.add_get("/demo/{product}", one_file(CLIENT_DIR / "demo.html"))
    app.router.add_get("/agent", one_file(CLIENT_DIR / "agent.html"))
    app.router.add_get("/agent-sw.js", service_worker)
    if CLIENT_DIR.is_dir():
        app.router.add_static("/client/", CLIENT_DIR, follow_symlinks=False)
    app.router.add_get("/media/{name}", public_files(CATALOGUE_DIR, _CATALOGUE_FILE))


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


async def shop_feed(request: web.Request) -> web.Response:
    """The demo shop's product feed (Google Merchant RSS), its links and pictures at the origin
    it was asked from: the feed a new user can point Covisor's import at
    (`http://localhost:8080/demo/shop/feed.xml`) to try what a shop's own feed does."""
    if not SHOP_FEED.is_file():
        raise web.HTTPNotFound(reason="feed.xml is not installed")
    origin = str(request.url.origin())
    return web.Response(
        body=await asyncio.to_thread(shop_feed_at, origin),
        content_type="application/rss+xml",
        charset="utf-8",
        headers={"Cache-Control": "no-store"},
    )


def shop_feed_at(origin: str, path: Path = SHOP_FEED) -> bytes:
    """The demo shop's feed with its links and pictures at `origin`; it reads the file, so
    callers on the event loop run it in a thread."""
    return path.read_bytes().replace(SHOP_ORIGIN.encode(), origin.encode())


def one_file(path: Path) -> Handler:
    """`GET`: the file at `path`, or 404 when it is not installed (a package without the
    client or the demo's media)."""

    async def handler(request: web.Request) -> web.FileResponse:
        if not path.is_file():
            raise web.HTTPNotFound(reason=f"{path.name} is not installed")
        return web.FileResponse(path)

    return handler


_CATALOGUE_FILE = re.compile(
    r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.(jpe?g|png|webp|webm|mp4|json)\Z"
)
"""The demo catalogue's media files and list, never the generator beside them."""
_PICTURE = re.compile(r"^[a-z0-9-]+\.jpg\Z")
"""The demo shop's product pictures, as media/shop_feed.py names them."""


def public_files(directory: Path, names: re.Pattern[str]) -> Handler:
    """`GET …/{name}`: the file `name` of `directory` when `names` matches it whole. The
    pattern admits no slash and no leading dot, so nothing outside `directory` (nor a hidden
    file in it) is ever served, whatever the request's encoding."""

    async def handler(request: web.Request) -> web.FileResponse:
        name = request.match_info["name"]
        path = directory / name
        if not names.match(name) or not path.is_file():
            raise web.HTTPNotFound(reason="no such file")
        return web.FileResponse(path)

    return handler
