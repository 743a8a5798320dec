"""Wiring: build the store, journal and adapters from a `Config` into one aiohttp application."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor
from pathlib import Path

import socketio
from aiohttp import web

from covisor import api, media_api, pins_api
from covisor.clock import Clock, TokenSource, system_clock, system_tokens
from covisor.config import Config
from covisor.conversation import Limits
from covisor.cors import cors_middleware
from covisor.identity import Authenticator, GrantSigner
from covisor.journal import Journal
from covisor.media_links import MediaLinks
from covisor.pins import DigitSource, system_digits
from covisor.realtime import Realtime
from covisor.services import SERVICES, Services, add_agent
from covisor.store import Store
from covisor.viewer import ViewerLimits
from covisor.wire import MsgspecJson

log = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CLIENT_DIR = PROJECT_ROOT / "client"
CATALOGUE_DIR = PROJECT_ROOT / "media"
DEMO_AGENT_FILE = "demo-agent.txt"


def make_store(config: Config) -> Store:
    if config.mongo_url:
        from covisor.store.mongo import MongoStore

        return MongoStore(config.mongo_url, config.mongo_db)
    from covisor.store.sqlite import SQLiteStore

    return SQLiteStore(config.database_path)


def make_socketio(config: Config) -> socketio.AsyncServer:
    manager = None
    if config.redis_url:
        manager = socketio.AsyncRedisManager(config.redis_url, channel=config.redis_channel)
    return socketio.AsyncServer(
        async_mode="aiohttp",
        client_manager=manager,
        cors_allowed_origins="*" if "*" in config.cors_origins else list(config.cors_origins),
        max_http_buffer_size=config.max_socket_payload,
        json=MsgspecJson,
        logger=False,
        engineio_logger=False,
    )


def create_app(
    config: Config,
    *,
    clock: Clock = system_clock,
    tokens: TokenSource = system_tokens,
    digits: DigitSource = system_digits,
    store: Store | None = None,
    media_executor: Executor | None = None,
) -> web.Application:
    """A ready-to-run application; the store opens and the journal starts on app startup.

    Uploads are decoded in a pool of `config.media_workers` processes unless `media_executor`
    is given (tests pass one to hold processing at a point they choose).
    """
    app = web.Application(
        middlewares=[cors_middleware(config.cors_origins), api.error_middleware],
        client_max_size=1024**2,
    )
    store = store or make_store(config)
    limits = Limits(
        max_message_chars=config.max_message_chars,
        recent_messages=config.recent_messages,
        viewer=ViewerLimits(config.max_strokes, config.max_points_per_stroke),
    )
    journal = Journal(
        store,
        clock,
        limits=limits,
        snapshot_every=config.snapshot_every,
        max_batch=config.commit_max_batch,
        max_pending=config.max_pending_commands,
        shared_store=config.redis_url is not None or config.mongo_url is not None,
    )
    sio = make_socketio(config)
    sio.attach(app)

    async def startup(app: web.Application) -> None:
        await store.open()
        signer = GrantSigner(await store.secret("grants", os.urandom(32)), clock)
        auth = Authenticator(signer, store.agent_by_digest)
        links = MediaLinks(await store.secret("media", os.urandom(32)), clock, config.media_url_ttl)
        svc = Services(config, store, journal, signer, auth, clock, tokens, links)
        app[SERVICES] = svc
        Realtime(sio, config, store, journal, auth, clock, links)
        journal.start()
        if config.seed_demo:
            await seed_demo_agent(svc)

    async def cleanup(app: web.Application) -> None:
        await journal.stop()
        await store.close()

    app.on_startup.append(startup)
    app.on_cleanup.append(cleanup)
    app.add_routes(api.routes)
    pins_api.setup(app, digits)
    media_api.setup(app, CATALOGUE_DIR / "catalogue.json", media_executor)
    add_static_routes(app)
    return app


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
    app.router.add_get("/agent", page("agent.html"))
    if CLIENT_DIR.is_dir():
        app.router.add_static("/client/", CLIENT_DIR, follow_symlinks=False)
    app.router.add_get("/media/{name}", demo_catalogue_file)


_CATALOGUE_FILE = re.compile(r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.(jpe?g|png|webp|webm|mp4|json)$")


async def demo_catalogue_file(request: web.Request) -> web.FileResponse:
    """The demo shop's own product pictures and list: media files only, never the generator."""
    name = request.match_info["name"]
    path = CATALOGUE_DIR / name
    if not _CATALOGUE_FILE.match(name) or not path.is_file():
        raise web.HTTPNotFound(reason="no such catalogue file")
    return web.FileResponse(path)


async def seed_demo_agent(svc: Services) -> None:
    """On a first start, make a demo agent and tell the operator how to log in."""
    if await svc.store.count_agents() > 0:
        return
    _, token = await add_agent(svc.store, "Demo Agent", svc.tokens, svc.clock)
    svc.config.data_dir.mkdir(parents=True, exist_ok=True)
    path = svc.config.data_dir / DEMO_AGENT_FILE
    path.write_text(token + "\n")
    path.chmod(0o600)
    print(
        f"Created the demo agent. Log in at /agent with this token (also in {path}):\n{token}",
        flush=True,
    )
