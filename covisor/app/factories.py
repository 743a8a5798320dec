"""Parts built from the `Config` alone, shared by the server (`build`) and the operator's
commands (`cli.py`: `agents add`, `shops secret`, `erase`, `export`), so both build them the
same way."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import TYPE_CHECKING

from covisor.app.lifecycle import Lifecycle
from covisor.app.options import (
    feed_fetch_options,
    import_options,
    login_limits,
    media_options,
    picture_fetch_options,
)
from covisor.catalogue.fetching import Fetcher
from covisor.catalogue.importer import CatalogueImports
from covisor.catalogue.pictures import Pictures, Shelf
from covisor.catalogue.service import ProductCatalogue
from covisor.config import Config
from covisor.conversations.journal import Journal
from covisor.conversations.quotas import Quotas
from covisor.conversations.shopper import SHOP_SECRET
from covisor.history.privacy import Privacy
from covisor.kernel.clock import Clock, TokenSource, system_clock, system_tokens
from covisor.kernel.metrics import Metrics
from covisor.media import BlobStore, BoundedExecutor, MediaPipeline
from covisor.media.mirror import ObjectMirror
from covisor.media.offload import WorkerPool
from covisor.outbox.outbound import OutboundHttp
from covisor.realtime.broadcast import LocalFanout, RedisBroadcast, Scope
from covisor.store import Store
from covisor.store.commerce import CommerceStore
from covisor.store.products import ProductStore
from covisor.team.agents import Agents
from covisor.team.settings import ShopSettings
from covisor.translation.apertium import Apertium
from covisor.translation.engine import Engine
from covisor.translation.libretranslate import LibreTranslate
from covisor.translation.translator import TranslationOptions, Translator

if TYPE_CHECKING:
    from covisor.store.sql import SQLStore


def make_store(config: Config) -> Store:
    """PostgreSQL when `database_url` is set, MongoDB when `mongo_url` is, else the embedded
    SQLite file in the data dir."""
    if config.database_url:
        from covisor.store.sql import PostgresStore

        return PostgresStore(config.database_url, pool_size=config.database_pool)
    if config.mongo_url:
        from covisor.store.mongo import MongoStore

        return MongoStore(config.mongo_url, config.mongo_db)
    from covisor.store.sql import SQLiteStore

    return SQLiteStore(config.database_path)


def make_products(store: Store) -> ProductStore | None:
    """The store's products slice: the SQL store has one; MongoDB has none (no feed
    catalogue there)."""
    return _sql(store)


def make_commerce(store: Store) -> CommerceStore | None:
    """The store's commerce slice (reports' figures of products), where the products are: on
    the SQL store; None on MongoDB."""
    return _sql(store)


def _sql(store: Store) -> SQLStore | None:
    from covisor.store.sql import SQLStore

    return store if isinstance(store, SQLStore) else None


@dataclass(frozen=True)
class FeedCatalogue:
    """The feed catalogue's services and what they hold open."""

    products: ProductCatalogue
    imports: CatalogueImports
    http: OutboundHttp


async def make_feed_catalogue(
    config: Config,
    store: Store,
    pipeline: MediaPipeline,
    clock: Clock,
    tokens: TokenSource,
    shelf: Shelf | None = None,
) -> FeedCatalogue | None:
    """Search, cards and imports over the store's products slice, None when it has none;
    pictures on `shelf` are read from its directory (the demo shop's)."""
    products = make_products(store)
    if products is None:
        return None
    http = OutboundHttp(allow_insecure=config.outbound_allow_insecure, connections=16)
    pictures = Pictures(
        products,
        pipeline,
        Fetcher(http, picture_fetch_options(config)),
        clock=clock,
        concurrency=config.catalogue_picture_concurrency,
        shelf=shelf,
    )
    imports = CatalogueImports(
        products,
        pictures,
        Fetcher(http, feed_fetch_options(config)),
        config.data_dir / "imports",
        import_options(config),
        clock=clock,
        tokens=tokens,
    )
    await imports.open()
    return FeedCatalogue(ProductCatalogue(products, pipeline), imports, http)


def make_manager(config: Config, metrics: Metrics, scope: Scope) -> LocalFanout:
    """The Socket.IO client manager: Redis when processes share rooms, else in memory."""
    if config.redis_url:
        return RedisBroadcast(config.redis_url, config.redis_channel, metrics, scope)
    return LocalFanout()


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
    default_capacity: Callable[[], int] | None = None,
) -> Agents:
    """The team's service; an agent invited without a capacity gets `default_capacity()` (the
    shop's settings' in a server), else the config's `agent_capacity`."""
    return Agents(
        store,
        tokens,
        clock,
        quotas=quotas or Quotas(store, clock),
        login_limits=login_limits(config),
        default_capacity=default_capacity or (lambda: config.agent_capacity),
    )


def first_settings(config: Config) -> ShopSettings:
    """The shop's settings before an admin saves any: the config's."""
    return ShopSettings(
        routing=config.routing,
        capacity=config.agent_capacity,
        prechat=config.prechat,
        timezone=config.timezone,
        business_hours=config.business_hours,
        leave_message_without_agents=config.leave_message_without_agents,
        invitation_cooldown=config.invitation_cooldown,
    )


async def open_media_pipeline(
    config: Config, lifecycle: Lifecycle, executor: Executor | None = None
) -> MediaPipeline:
    """The media files under `config.data_dir` (a cache of `config.media_url`'s bucket when
    set) and the pipeline over them, their stops given
    to `lifecycle`. Uploads are decoded in a pool of `config.media_workers` processes unless
    `executor` is given."""
    mirror = ObjectMirror(config.media_url) if config.media_url else None
    blobs = BlobStore(config.data_dir / "media", mirror)
    await blobs.open()
    lifecycle.opened("media files", blobs.close)
    if executor is None:
        pool = WorkerPool(config.media_workers)

        async def stop_workers() -> None:
            await asyncio.to_thread(pool.shutdown, True, cancel_futures=True)

        lifecycle.opened("media workers", stop_workers)
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


def make_translator(config: Config, journal: Journal, store: Store) -> Translator | None:
    """The shop's translation engine behind its translator; None while `translate_url` is
    not set (translation is off)."""
    if config.translate_url is None:
        return None
    connections = config.translate_concurrency
    engine: Engine = (
        LibreTranslate(config.translate_url, connections, config.translate_api_key)
        if config.translate_api == "libretranslate"
        else Apertium(config.translate_url, connections)
    )
    options = TranslationOptions(
        timeout=config.translate_timeout, concurrency=connections, cache=config.translate_cache
    )
    return Translator(engine, journal, store, options)
