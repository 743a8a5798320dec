"""The composition root: every service built once, from a `Config`, and wired into one app.

`build` opens the store, reads the server secrets (once, here) and constructs each service from
explicit arguments, each taking only what it uses, in the order their arguments require; nothing
else constructs a service. The operator's commands (cli.py) that need a service or a secret
without a server (`agents add`, `shops secret`, `erase`, `export`) get it from the factories
here (`make_agents`, `shop_secret`, `open_media_pipeline`, `make_privacy`), so they build it
the same way, from the same `Config`. `web_application` hands the services to the adapters
(HTTP routes and Socket.IO handlers), which validate, authorise, call a service and answer.
Adding a service means adding it here, where its dependencies are visible, not ordering
startup hooks.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from covisor.config import Config
from covisor.conversations.conversation import Limits
from covisor.conversations.journal import Journal, Published
from covisor.conversations.quotas import AttemptLimit, Quotas
from covisor.conversations.service import ConversationService
from covisor.conversations.shopper import SHOP_SECRET, ShopIdentity
from covisor.conversations.viewer import ViewerLimits
from covisor.history.offline_mail import OfflineMail
from covisor.history.privacy import Privacy
from covisor.history.reports import Reports
from covisor.history.transcripts import Transcripts
from covisor.kernel.addresses import ClientAddresses, parse_networks
from covisor.kernel.background import Background
from covisor.kernel.clock import Clock, TokenSource, system_clock, system_tokens
from covisor.kernel.identity import Authenticator, GrantSigner
from covisor.kernel.loop_lag import LoopLag
from covisor.kernel.metrics import Metrics
from covisor.kernel.ratelimit import EventLimiter
from covisor.media import (
    BlobStore,
    BoundedExecutor,
    ImageOptions,
    MediaOptions,
    MediaPipeline,
    UploadLimits,
)
from covisor.media.catalogue import CatalogueService
from covisor.media.links import MediaLinks
from covisor.media.offload import WorkerPool, alive
from covisor.media.service import MediaService
from covisor.outbox.mailer import Mailer, SmtpOptions
from covisor.outbox.notifier import Notifier
from covisor.outbox.push import Push, PushOptions, open_push
from covisor.outbox.webhooks import WebhookOptions, Webhooks
from covisor.phone.pins import DigitSource, PinRules, system_digits
from covisor.phone.service import PinService
from covisor.realtime.broadcast import LocalFanout, make_manager
from covisor.realtime.handlers import Fanout, Realtime, room_of, room_scope
from covisor.realtime.visitors import VisitorEvents
from covisor.realtime.wire import Packet, Server
from covisor.store import Store
from covisor.team.agents import Agents, LoginLimits
from covisor.team.availability import Availability
from covisor.team.hours import Schedule, zone
from covisor.team.replies import SavedReplies
from covisor.team.roster import Roster
from covisor.team.routing import Router
from covisor.visitors.conversions import Conversions
from covisor.visitors.invitations import Invitations
from covisor.visitors.tracking import Tracking
from covisor.web.cors import cors_middleware
from covisor.web.headers import security_headers
from covisor.web.kit import ConversationApi, RequestAuth, error_middleware, http_metrics
from covisor.web.media import MediaApi
from covisor.web.phone import PinApi
from covisor.web.privacy import PrivacyApi
from covisor.web.push import PushApi
from covisor.web.replies import RepliesApi
from covisor.web.reports import ReportsApi
from covisor.web.roster import RosterApi
from covisor.web.team import TeamApi
from covisor.web.transcripts import TranscriptApi
from covisor.web.visitors import VisitorsApi
from covisor.web.webhooks import WebhooksApi

log = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CLIENT_DIR = PROJECT_ROOT / "client"
CATALOGUE_DIR = PROJECT_ROOT / "media"
DEMO_AGENT_FILE = "demo-agent.txt"
READY_TIMEOUT = 3.0
"""Seconds a part has to answer a readiness check."""
ROUTING_INTERVAL = 5.0
"""Seconds between auto routing rounds when nothing wakes the router sooner."""


def _nothing() -> None:
    """A hook with nothing to do."""


def make_store(config: Config) -> Store:
    if config.mongo_url:
        from covisor.store.mongo import MongoStore

        return MongoStore(config.mongo_url, config.mongo_db)
    from covisor.store.sqlite import SQLiteStore

    return SQLiteStore(config.database_path)


def smtp_options(config: Config) -> SmtpOptions:
    return SmtpOptions(
        host=config.smtp_host,
        port=config.smtp_port,
        tls=config.smtp_tls,
        timeout=config.smtp_timeout,
        user=config.smtp_user,
        password=config.smtp_password,
        sender=config.mail_from or "covisor@localhost",
    )


def push_options(config: Config) -> PushOptions:
    return PushOptions(
        enabled=config.push_enabled,
        contact=config.push_contact,
        ttl=config.push_ttl,
        timeout=config.push_timeout,
        per_agent=config.push_subscriptions_per_agent,
        allow_insecure_endpoints=config.push_allow_insecure_endpoints,
    )


def webhook_options(config: Config) -> WebhookOptions:
    return WebhookOptions(
        enabled=config.webhooks_enabled,
        allow_insecure=config.webhooks_allow_insecure,
        timeout=config.webhook_timeout,
        retry_for=config.webhook_retry_for,
        first_retry=config.webhook_first_retry,
        max_retry=config.webhook_max_retry,
        retention_days=config.webhook_retention_days,
    )


def media_options(config: Config) -> MediaOptions:
    return MediaOptions(
        upload=UploadLimits(config.max_image_bytes, config.max_video_bytes),
        image=ImageOptions(max_pixels=config.max_image_pixels),
    )


async def shop_secret(store: Store) -> bytes:
    """The secret shops sign their shoppers' identities with, made on first use."""
    return await store.secret(SHOP_SECRET, os.urandom(32))


def make_agents(
    config: Config,
    store: Store,
    *,
    quotas: Quotas | None = None,
    clock: Clock = system_clock,
    tokens: TokenSource = system_tokens,
) -> Agents:
    return Agents(
        store,
        tokens,
        clock,
        quotas=quotas or Quotas(store, clock),
        login_limits=login_limits(config),
    )


async def open_media_pipeline(
    config: Config,
    closers: list[Callable[[], Awaitable[None]]],
    executor: Executor | None = None,
) -> MediaPipeline:
    """The media files under `config.data_dir` and the pipeline over them; what must be closed
    is appended to `closers`. Uploads are decoded in a pool of `config.media_workers`
    processes unless `executor` is given."""
    blobs = BlobStore(config.data_dir / "media")
    await blobs.open()
    closers.append(blobs.close)
    if executor is None:
        pool = WorkerPool(config.media_workers)

        async def stop_workers() -> None:
            await asyncio.to_thread(pool.shutdown, True, cancel_futures=True)

        closers.append(stop_workers)
        executor = pool
    offload = BoundedExecutor(executor, config.media_workers)
    return MediaPipeline(blobs, offload, media_options(config))


def make_privacy(
    config: Config,
    store: Store,
    pipeline: MediaPipeline,
    *,
    clock: Clock = system_clock,
    forget: Callable[[str], None] = lambda conversation_id: None,
) -> Privacy:
    return Privacy(
        store, pipeline, retention_days=config.retention_days, clock=clock, forget=forget
    )


def login_limits(config: Config) -> LoginLimits:
    return LoginLimits(
        per_address=AttemptLimit(config.login_attempts_per_address, config.login_window),
        per_account=AttemptLimit(config.login_attempts_per_account, config.login_window),
    )


def conversation_limits(config: Config) -> Limits:
    return Limits(
        max_message_chars=config.max_message_chars,
        recent_messages=config.recent_messages,
        remembered_client_ids=config.remembered_client_ids,
        max_media_items=config.max_media_items,
        viewer=ViewerLimits(
            max_strokes=config.max_strokes,
            max_points_per_stroke=config.max_points_per_stroke,
            max_stroke_points=config.max_stroke_points,
        ),
    )


@dataclass
class Covisor:
    """Every running part of one server process; `close` stops them in reverse order."""

    config: Config
    clock: Clock
    metrics: Metrics
    manager: LocalFanout
    store: Store
    sio: Server
    journal: Journal
    auth: Authenticator
    agents: Agents
    conversations: ConversationService
    pins: PinService
    media: MediaService
    catalogue: CatalogueService
    privacy: Privacy
    realtime: Realtime
    replies: SavedReplies
    push: Push
    roster: Roster
    router: Router
    webhooks: Webhooks
    tracking: Tracking
    invitations: Invitations
    visitor_events: VisitorEvents
    conversions: Conversions
    seeding: asyncio.Task[int] | None = None
    draining: bool = False
    mailer: Mailer | None = None
    offline_mail: OfflineMail | None = None
    transcripts: Transcripts | None = None
    availability: Availability | None = None
    reports: Reports | None = None
    _closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    async def readiness(self) -> dict[str, bool]:
        """Whether each part a request needs answers now: the store, Redis (when several
        processes share rooms), a media worker; and whether the process still takes work."""
        checks: dict[str, Awaitable[Any]] = {
            "store": self.store.ping(),
            "broadcast": self.manager.ping(),
            "media_workers": self.media.pipeline.offload.run(alive),
        }
        found = {"accepting": not self.draining}
        for name, check in checks.items():
            try:
                await asyncio.wait_for(check, READY_TIMEOUT)
            except Exception:
                log.warning("readiness: %s does not answer", name)
                found[name] = False
            else:
                found[name] = True
        return found

    async def drain(self, timeout: float) -> None:
        """Stop taking work and let the work under way end, within `timeout` seconds: readyz
        answers 503, new uploads `unavailable`; uploads under way and queued commands finish
        and are published. Then every connection is dropped as a failing transport would be
        (not with Socket.IO's "server disconnect", after which clients stay away): its client
        reconnects, to another process or this one restarted, and catches up from its last
        seq."""
        self.draining = True
        try:
            await asyncio.wait_for(
                asyncio.gather(self.media.drain(), self.journal.drain()), timeout
            )
        except TimeoutError:
            log.warning("the drain deadline passed with work under way")
        for socket in list(self.sio.eio.sockets.values()):
            await socket.close(wait=False, abort=True)

    async def close(self) -> None:
        for closer in reversed(self._closers):
            await closer()
        self._closers.clear()


async def build(
    config: Config,
    *,
    clock: Clock = system_clock,
    tokens: TokenSource = system_tokens,
    digits: DigitSource = system_digits,
    store: Store | None = None,
    media_executor: Executor | None = None,
) -> Covisor:
    """Open the store and start every service. Uploads are decoded in a pool of
    `config.media_workers` processes unless `media_executor` is given (tests pass one to hold
    processing at a point they choose)."""
    closers: list[Callable[[], Awaitable[None]]] = []
    store = store or make_store(config)
    await store.open()
    closers.append(store.close)

    signer = GrantSigner(await store.secret("grants", os.urandom(32)), clock)
    auth = Authenticator(signer, store.agent_by_digest)
    links = MediaLinks(await store.secret("media", os.urandom(32)), clock, config.media_url_ttl)
    pin_key = await store.secret("pins", os.urandom(32))
    limits = conversation_limits(config)
    quotas = Quotas(store, clock)

    metrics = Metrics()
    manager = make_manager(config, metrics, room_scope)
    closers.append(manager.close)
    sio = Server(
        async_mode="aiohttp",
        client_manager=manager,
        serializer=Packet,
        cors_allowed_origins="*" if "*" in config.cors_origins else list(config.cors_origins),
        max_http_buffer_size=config.max_socket_payload,
        logger=False,
        engineio_logger=False,
    )
    roster = Roster(store, clock, process_id=tokens(12), heartbeat=config.presence_heartbeat)
    router = Router(store, roster, clock=clock, interval=ROUTING_INTERVAL)
    route_soon = router.wake if config.routing == "auto" else _nothing
    fanout = Fanout(sio, links, store, queue_changed=route_soon)
    closers.append(fanout.stop)
    push = await open_push(store, push_options(config), clock=clock, metrics=metrics)
    closers.append(push.close)
    notifier = Notifier(store, push, clock, heartbeat=config.presence_heartbeat)
    mailer = Mailer(smtp_options(config), clock, metrics)
    offline_mail = OfflineMail(
        store,
        mailer,
        shopper_here=lambda cid: bool(sio.manager.rooms.get("/", {}).get(room_of(cid))),
        delay=config.offline_email_delay,
        shop=config.shop_name,
        tz=zone(config.timezone),
    )
    closers.append(offline_mail.stop)
    webhooks = Webhooks(store, webhook_options(config), clock=clock, tokens=tokens, metrics=metrics)
    # Started before the journal, so stopped after it: its last events are still queued.
    webhooks.start()
    closers.append(webhooks.stop)
    closers.append(_every(config.retention_sweep, webhooks.sweep, "webhook sweep"))

    async def publish(published: list[Published]) -> None:
        await fanout.publish(published)
        notifier.published(published)
        offline_mail.published(published)
        webhooks.published(published)

    journal = Journal(
        store,
        clock,
        limits=limits,
        relay=fanout.relay,
        publish=publish,
        retract=fanout.retract,
        snapshot_every=config.snapshot_every,
        max_batch=config.commit_max_batch,
        commit_interval=config.commit_interval,
        max_pending=config.max_pending_commands,
        shed_after=config.shed_after,
        shared_store=config.redis_url is not None or config.mongo_url is not None,
        metrics=metrics,
    )
    lag = LoopLag()
    watching = Background()
    watching.spawn(lag.run(), "covisor-loop-lag")
    closers.append(watching.stop)
    tracking = Tracking(
        store,
        signer,
        clock,
        tokens,
        idle=config.visitor_idle,
        gap=config.visit_gap,
        flush_every=config.visitor_flush,
        token_ttl=config.visitor_retention_days * 86_400,
        publish=fanout.push_visitors,
    )
    tracking.start()
    closers.append(tracking.stop)
    closers.append(
        _every(
            config.retention_sweep,
            lambda: tracking.forget(config.visitor_retention_days),
            "visitor sweep",
        )
    )
    conversations = ConversationService(
        store,
        journal,
        signer,
        limits,
        quotas=quotas,
        shop=ShopIdentity(await shop_secret(store)),
        opens_per_client=AttemptLimit(config.conversations_per_address, config.open_window),
        shopper_token_ttl=config.shopper_token_ttl,
        link_visitor=tracking.link,
        clock=clock,
        tokens=tokens,
    )
    journal.start()
    closers.append(journal.stop)
    notifier.start()
    closers.append(notifier.stop)
    if config.routing == "auto":
        router.start(journal.submit)
        closers.append(router.stop)
    closers.append(roster.leave)
    closers.append(_every(config.presence_heartbeat, roster.report, "presence report"))

    pins = PinService(
        store,
        journal,
        conversations,
        signer,
        key=pin_key,
        rules=PinRules(config.pin_length, config.pin_ttl),
        per_client=AttemptLimit(config.pin_attempts_per_address, config.pin_attempt_window),
        per_conversation=AttemptLimit(
            config.pin_attempts_per_conversation, config.pin_attempt_window
        ),
        quotas=quotas,
        issues_per_client=AttemptLimit(config.pin_issues_per_client, config.pin_attempt_window),
        caller_token_ttl=config.shopper_token_ttl,
        digits=digits,
        clock=clock,
        tokens=tokens,
    )
    pipeline = await open_media_pipeline(config, closers, media_executor)
    catalogue = CatalogueService(store, pipeline, clock=clock, tokens=tokens)
    media = MediaService(
        journal,
        conversations,
        links,
        pipeline,
        catalogue,
        tokens,
        quotas=quotas,
        uploads_per_conversation=AttemptLimit(
            config.uploads_per_conversation, config.upload_window
        ),
        bytes_per_conversation=AttemptLimit(
            config.upload_bytes_per_conversation, config.upload_window
        ),
        metrics=metrics,
    )
    privacy = make_privacy(config, store, pipeline, clock=clock, forget=journal.forget)
    closers.append(_every(config.retention_sweep, privacy.sweep, "retention sweep"))
    ended = await media.recover()
    if ended:
        log.info("ended %d uploads a stopped process left under way", ended)
    swept = await pipeline.store.sweep()
    if swept:
        log.info("removed the upload files of %d stopped processes", swept)
    invitations = Invitations(
        store, roster, journal, tracking, clock, tokens, cooldown=config.invitation_cooldown
    )
    visitor_events = VisitorEvents(sio, tracking, invitations, clock, gap=config.visit_gap)
    conversions = Conversions(store, clock, webhooks.emit)
    realtime = Realtime(
        sio,
        journal=journal,
        conversations=conversations,
        catalogue=catalogue,
        auth=auth,
        links=links,
        fanout=fanout,
        new_limiter=lambda: EventLimiter(
            config.chat_rate, config.stroke_rate, config.other_rate, clock
        ),
        replay_limit=config.replay_limit,
        roster=roster,
        team_changed=route_soon,
        visitors=visitor_events,
        behind=lambda: max(journal.behind(), lag.seconds, manager.behind()),
        shed_after=config.shed_after,
        clock=clock,
        metrics=metrics,
    )
    realtime.attach()
    agents = make_agents(config, store, quotas=quotas, clock=clock, tokens=tokens)
    replies = SavedReplies(store, max_chars=config.max_message_chars, clock=clock, tokens=tokens)
    transcripts = Transcripts(
        conversations,
        links,
        mailer,
        quotas,
        emails_per_conversation=AttemptLimit(
            config.transcript_emails_per_conversation, config.transcript_email_window
        ),
        shop=config.shop_name,
        tz=zone(config.timezone),
    )
    availability = Availability(
        Schedule.parse(config.business_hours, zone(config.timezone)),
        roster.on_duty,
        clock,
        need_agent=config.leave_message_without_agents,
    )
    covisor = Covisor(
        config,
        clock,
        metrics,
        manager,
        store,
        sio,
        journal,
        auth,
        agents,
        conversations,
        pins,
        media,
        catalogue,
        privacy,
        realtime,
        push=push,
        replies=replies,
        roster=roster,
        router=router,
        webhooks=webhooks,
        tracking=tracking,
        invitations=invitations,
        visitor_events=visitor_events,
        conversions=conversions,
        mailer=mailer,
        offline_mail=offline_mail,
        transcripts=transcripts,
        availability=availability,
        reports=Reports(store, config.timezone),
        _closers=closers,
    )
    if config.seed_demo:
        await _seed_demo_agent(agents, config.data_dir)
        catalogue_file = CATALOGUE_DIR / "catalogue.json"
        if catalogue_file.is_file():
            covisor.seeding = _start_seeding(catalogue, catalogue_file, closers)
    return covisor


def _every(
    seconds: float, job: Callable[[], Awaitable[int]], name: str
) -> Callable[[], Awaitable[None]]:
    """Run `job` every `seconds` in the background, logging what it did; returns the stopper."""

    async def loop() -> None:
        while True:
            await asyncio.sleep(seconds)
            try:
                done = await job()
            except Exception:
                log.exception("%s failed", name)
            else:
                if done:
                    log.info("%s: %d", name, done)

    background = Background()
    background.spawn(loop(), f"covisor-{name}")
    return background.stop


def _start_seeding(
    catalogue: CatalogueService, path: Path, closers: list[Callable[[], Awaitable[None]]]
) -> asyncio.Task[int]:
    """Load the demo catalogue in the background; the server answers meanwhile."""

    async def seed() -> int:
        try:
            added = await catalogue.seed(path)
        except Exception:
            log.exception("loading the demo catalogue failed")
            return 0
        if added:
            log.info("loaded %d demo catalogue items", added)
        return added

    background = Background()
    task: asyncio.Task[int] = background.spawn(seed(), "covisor-catalogue")
    closers.append(background.stop)
    return task


async def _seed_demo_agent(agents: Agents, data_dir: Path) -> None:
    """On a first start, make a demo admin and tell the operator how to log in."""
    demo = await agents.add_demo()
    if demo is None:
        return
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / DEMO_AGENT_FILE
    path.touch(0o600)
    path.chmod(0o600)
    login = f"e-mail: {demo.email}\npassword: {demo.password}\ntoken (the last line):\n{demo.token}"
    path.write_text(login + "\n")
    print(f"Created the demo admin. Log in at /agent with (also in {path}):\n{login}", flush=True)


COVISOR = web.AppKey("covisor", Covisor)


def web_application(covisor: Covisor) -> web.Application:
    """The HTTP and Socket.IO adapters over `covisor`'s services; closing the app closes them."""
    config = covisor.config
    app = web.Application(
        middlewares=[
            http_metrics(covisor.metrics),
            security_headers(),
            cors_middleware(config.cors_origins),
            error_middleware,
        ],
        client_max_size=1024**2,
    )
    app[COVISOR] = covisor
    auth = RequestAuth(covisor.auth)
    addresses = ClientAddresses(parse_networks(config.trusted_proxies))
    conversation_api = ConversationApi(
        auth,
        addresses,
        covisor.conversations,
        ping=covisor.store.ping,
        readiness=covisor.readiness,
        metrics=covisor.metrics,
        metrics_token=config.metrics_token,
        client_limits=config.client_limits(),
        client_settings=config.client_settings(),
        timeline=covisor.transcripts.entries if covisor.transcripts else None,
    )
    media_api = MediaApi(
        auth,
        covisor.media,
        covisor.catalogue,
        max_upload_bytes=max(config.max_image_bytes, config.max_video_bytes),
    )
    assert covisor.transcripts is not None and covisor.availability is not None
    assert covisor.reports is not None
    for adapter in (
        conversation_api,
        TranscriptApi(auth, covisor.transcripts, covisor.availability),
        PinApi(auth, addresses, covisor.pins),
        TeamApi(auth, addresses, covisor.agents),
        media_api,
        RepliesApi(auth, covisor.replies),
        PushApi(auth, covisor.push),
        PrivacyApi(auth, covisor.privacy),
        WebhooksApi(auth, covisor.webhooks),
        ReportsApi(auth, covisor.reports),
        VisitorsApi(
            auth,
            addresses,
            covisor.tracking,
            covisor.invitations,
            covisor.visitor_events,
            covisor.conversations,
            covisor.conversions,
        ),
        RosterApi(
            auth,
            covisor.roster,
            covisor.router.wake if config.routing == "auto" else _nothing,
        ),
    ):
        app.add_routes(adapter.routes())
    covisor.sio.attach(app)
    add_static_routes(app)

    async def close(app: web.Application) -> None:
        await covisor.close()

    app.on_cleanup.append(close)
    return app


async def create_app(config: Config, **parts: Any) -> web.Application:
    """`web_application(await build(config, **parts))`: a ready-to-run server."""
    return web_application(await build(config, **parts))


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
