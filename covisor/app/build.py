"""The composition root: every service built once, from a `Config`.

`build` opens the store, reads the server secrets (once, here), constructs each service from
explicit arguments, each taking only what it uses, then starts the running parts in the one
order `START` below declares; stopping is that order reversed (lifecycle.py). Nothing else
constructs a service: the operator's commands get theirs from factories.py, and
`web_application` (http.py) hands these services to the adapters. Adding a setting is two
edits: its `Config` field, and the service (or options.py) that uses it.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

from covisor.app.demo import (
    CatalogueSeeding,
    ShopSeeding,
    seed_demo_agent,
    shop_origin,
    shop_shelf,
)
from covisor.app.factories import (
    FeedCatalogue,
    first_settings,
    make_agents,
    make_commerce,
    make_feed_catalogue,
    make_manager,
    make_privacy,
    make_store,
    make_translator,
    open_media_pipeline,
    shop_secret,
)
from covisor.app.lifecycle import Lifecycle, Part, beside, every
from covisor.app.options import (
    conversation_limits,
    push_options,
    smtp_options,
    webhook_options,
)
from covisor.config import Config
from covisor.conversations.journal import Journal, Published
from covisor.conversations.queue import Queue
from covisor.conversations.quotas import AttemptLimit, Quotas
from covisor.conversations.service import ConversationService
from covisor.conversations.shopper import ShopIdentity
from covisor.history.offline_mail import OfflineMail
from covisor.history.privacy import Privacy
from covisor.history.reports import Reports
from covisor.history.search import HistorySearch
from covisor.history.transcripts import Transcripts
from covisor.kernel.clock import Clock, TokenSource, system_clock, system_tokens
from covisor.kernel.identity import GrantSigner
from covisor.kernel.loop_lag import LoopLag
from covisor.kernel.metrics import Metrics
from covisor.kernel.ratelimit import EventLimiter
from covisor.media.catalogue import CatalogueService
from covisor.media.links import MediaLinks
from covisor.media.offload import alive
from covisor.media.service import MediaService
from covisor.outbox.mailer import Mailer
from covisor.outbox.notifier import Notifier
from covisor.outbox.push import Push, open_push
from covisor.outbox.webhooks import Webhooks
from covisor.phone.pins import DigitSource, PinRules, system_digits
from covisor.phone.service import PinService
from covisor.realtime.broadcast import LocalFanout
from covisor.realtime.fanout import Fanout
from covisor.realtime.handlers import Realtime
from covisor.realtime.rooms import room_of, room_scope
from covisor.realtime.visitors import VisitorEvents
from covisor.realtime.wire import Packet, Server
from covisor.store import Store
from covisor.team.agents import Agents
from covisor.team.authentication import Authenticator
from covisor.team.availability import Availability
from covisor.team.replies import SavedReplies
from covisor.team.roster import Roster
from covisor.team.routing import Router
from covisor.team.settings import REFRESH_SECONDS, Settings
from covisor.translation.translator import Translator
from covisor.visitors.conversions import Conversions
from covisor.visitors.invitations import Invitations
from covisor.visitors.tracking import Tracking

log = logging.getLogger(__name__)

READY_TIMEOUT = 3.0
"""Seconds a part has to answer a readiness check."""
ROUTING_INTERVAL = 5.0
"""Seconds between auto routing rounds when nothing wakes the router sooner."""


@dataclass
class Covisor:
    """Every running part of one server process; `close` stops them in reverse start order."""

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
    mailer: Mailer
    offline_mail: OfflineMail
    transcripts: Transcripts
    history: HistorySearch
    availability: Availability
    reports: Reports
    settings: Settings
    lifecycle: Lifecycle
    route_soon: Callable[[], None]
    """Wakes the router, which routes only while the settings' `routing` is `auto`."""
    feed_catalogue: FeedCatalogue | None
    """The product feed's search, cards and imports; None on a store without products."""
    translator: Translator | None
    """Chat messages translated through the shop's engine; None while translation is off."""
    demo_catalogue: CatalogueSeeding | None = None
    demo_shop: ShopSeeding | None = None
    draining: bool = field(default=False, init=False)

    @property
    def seeding(self) -> asyncio.Task[int] | None:
        """The demo catalogue's loading, when there is one."""
        return None if self.demo_catalogue is None else self.demo_catalogue.task

    async def readiness(self) -> dict[str, bool]:
        """Whether each part a request needs answers now: the store, Redis (when several
        processes share rooms), a media worker; and whether the process still takes work."""
        checks: dict[str, Any] = {
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
        await self.lifecycle.close()


async def build(
    config: Config,
    *,
    clock: Clock = system_clock,
    tokens: TokenSource = system_tokens,
    digits: DigitSource = system_digits,
    store: Store | None = None,
    media_executor: Executor | None = None,
) -> Covisor:
    """Open the store, build every service and start the running ones; if any fails, what
    was started is stopped again. Uploads are decoded in a pool of `config.media_workers`
    processes unless `media_executor` is given (tests pass one to hold processing at a point
    they choose)."""
    lifecycle = Lifecycle()
    store = store or make_store(config)
    await store.open()
    lifecycle.opened("store", store.close)
    try:
        return await _assemble(config, lifecycle, store, clock, tokens, digits, media_executor)
    except BaseException:
        await lifecycle.close()
        raise


async def _assemble(
    config: Config,
    lifecycle: Lifecycle,
    store: Store,
    clock: Clock,
    tokens: TokenSource,
    digits: DigitSource,
    media_executor: Executor | None,
) -> Covisor:
    signer = GrantSigner(await store.secret("grants", os.urandom(32)), clock)
    auth = Authenticator(signer, store.agent_by_digest)
    links = MediaLinks(await store.secret("media", os.urandom(32)), clock, config.media_url_ttl)
    pin_key = await store.secret("pins", os.urandom(32))
    shop = ShopIdentity(await shop_secret(store))
    metrics = Metrics()
    push = await open_push(store, push_options(config), clock=clock, metrics=metrics)
    pipeline = await open_media_pipeline(config, lifecycle, media_executor)

    limits = conversation_limits(config)
    quotas = Quotas(store, clock)
    manager = make_manager(config, metrics, room_scope)
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
    settings = Settings(store, first_settings(config))
    await settings.refresh()
    router = Router(
        store,
        roster,
        clock=clock,
        interval=ROUTING_INTERVAL,
        enabled=lambda: settings.now.routing == "auto",
    )
    route_soon = router.wake
    fanout = Fanout(sio, links, Queue(store), queue_changed=route_soon)
    notifier = Notifier(store, push, clock, heartbeat=config.presence_heartbeat)
    mailer = Mailer(smtp_options(config), clock, metrics)
    offline_mail = OfflineMail(
        store,
        mailer,
        clock,
        claimer=tokens(12),
        shopper_here=lambda cid: bool(sio.manager.rooms.get("/", {}).get(room_of(cid))),
        delay=config.offline_email_delay,
        shop=config.shop_name,
        tz=lambda: settings.now.tz,
    )
    webhooks = Webhooks(store, webhook_options(config), clock=clock, tokens=tokens, metrics=metrics)

    async def publish(published: list[Published]) -> None:
        await fanout.publish(published)
        notifier.published(published)
        offline_mail.published(published)
        webhooks.published(published)
        tracking.published(published)
        if translator is not None:
            translator.published(published)

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
        shared_store=config.redis_url is not None
        or config.mongo_url is not None
        or config.database_url is not None,
        metrics=metrics,
    )
    translator = make_translator(config, journal, store)
    demo_origin = shop_origin(config.host, config.port)
    seed_shop = config.seed_demo and config.demo_shop
    feed_catalogue = await make_feed_catalogue(
        config, store, pipeline, clock, tokens, shelf=shop_shelf(demo_origin) if seed_shop else None
    )
    lag = LoopLag()
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
        match_products=None if feed_catalogue is None else feed_catalogue.products.products_at,
    )
    conversations = ConversationService(
        store,
        journal,
        signer,
        limits,
        quotas=quotas,
        shop=shop,
        opens_per_client=AttemptLimit(config.conversations_per_address, config.open_window),
        shopper_token_ttl=config.shopper_token_ttl,
        link_visitor=tracking.link,
        clock=clock,
        tokens=tokens,
    )
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
    invitations = Invitations(
        store,
        roster,
        journal,
        conversations,
        tracking,
        clock,
        tokens,
        cooldown=lambda: settings.now.invitation_cooldown,
    )
    visitor_events = VisitorEvents(sio, tracking, invitations, clock, gap=config.visit_gap)
    realtime = Realtime(
        sio,
        journal=journal,
        conversations=conversations,
        catalogue=catalogue,
        products=None if feed_catalogue is None else feed_catalogue.products,
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
        translator=translator,
    )
    realtime.attach()
    agents = make_agents(
        config,
        store,
        quotas=quotas,
        clock=clock,
        tokens=tokens,
        default_capacity=lambda: settings.now.capacity,
    )
    demo_catalogue = CatalogueSeeding(catalogue) if config.seed_demo else None
    demo_shop = (
        ShopSeeding(feed_catalogue.imports, demo_origin)
        if seed_shop and feed_catalogue is not None
        else None
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
        replies=SavedReplies(store, max_chars=config.max_message_chars, clock=clock, tokens=tokens),
        push=push,
        roster=roster,
        router=router,
        webhooks=webhooks,
        tracking=tracking,
        invitations=invitations,
        visitor_events=visitor_events,
        conversions=Conversions(store, clock, webhooks.emit),
        mailer=mailer,
        offline_mail=offline_mail,
        transcripts=Transcripts(
            conversations,
            links,
            mailer,
            quotas,
            emails_per_conversation=AttemptLimit(
                config.transcript_emails_per_conversation, config.transcript_email_window
            ),
            shop=config.shop_name,
            tz=lambda: settings.now.tz,
        ),
        history=HistorySearch(conversations, lambda: settings.now.timezone),
        availability=Availability(lambda: settings.now, roster.on_duty, clock),
        reports=Reports(store, lambda: settings.now.timezone, make_commerce(store)),
        settings=settings,
        lifecycle=lifecycle,
        route_soon=route_soon,
        feed_catalogue=feed_catalogue,
        translator=translator,
        demo_catalogue=demo_catalogue,
        demo_shop=demo_shop,
    )

    await lifecycle.start(
        [
            Part("broadcast", manager.close),
            Part("fanout", fanout.stop),
            Part("push", push.close),
            Part("offline mail", offline_mail.stop, offline_mail.start),
            # Before the journal, so stopped after it: its last events are still queued.
            Part("webhooks", webhooks.stop, webhooks.start),
            every(config.retention_sweep, webhooks.sweep, "webhook sweep"),
            beside("loop lag", lag.run),
            Part("tracking", tracking.stop, tracking.start),
            every(
                config.retention_sweep,
                lambda: tracking.forget(config.visitor_retention_days),
                "visitor sweep",
            ),
            Part("journal", journal.stop, journal.start),
            Part("notifier", notifier.stop, notifier.start),
            *([Part("translator", translator.stop, translator.start)] if translator else []),
            Part("router", router.stop, lambda: router.start(journal.submit)),
            every(REFRESH_SECONDS, settings.refresh, "shop settings"),
            Part("roster", roster.leave),
            every(config.presence_heartbeat, roster.report, "presence report"),
            every(config.retention_sweep, privacy.sweep, "retention sweep"),
            every(config.retention_sweep, pipeline.store.forget_erased, "media cache sweep"),
            *(_feed_parts(feed_catalogue, config) if feed_catalogue is not None else []),
        ]
    )
    ended = await media.recover()
    if ended:
        log.info("ended %d uploads a stopped process left under way", ended)
    swept = await pipeline.store.sweep()
    if swept:
        log.info("removed the upload files of %d stopped processes", swept)
    if demo_catalogue is not None:
        await seed_demo_agent(agents, config.data_dir)
        await lifecycle.start([demo_catalogue.part()])
    if demo_shop is not None:
        await lifecycle.start([demo_shop.part()])
    return covisor


def _feed_parts(feed: FeedCatalogue, config: Config) -> list[Part]:
    """The feed catalogue's outbound client, its imports (stopped first, leaving their leases
    to lapse), and the look for a due feed or an import a dead process left."""

    async def tick() -> int:
        return await feed.imports.resume() + (await feed.imports.scheduled() is not None)

    return [
        Part("catalogue fetches", feed.http.close),
        Part("catalogue imports", feed.imports.close),
        every(config.catalogue_check_every, tick, "catalogue imports"),
    ]
