"""The HTTP application: the adapters over a built `Covisor`, its middlewares, the Socket.IO
endpoint and the static pages. Closing the application closes the services."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from covisor.app.build import Covisor, build
from covisor.config import Config
from covisor.kernel.addresses import ClientAddresses, parse_networks
from covisor.web.availability import AvailabilityApi
from covisor.web.catalogue import CatalogueApi
from covisor.web.conversations import ConversationApi
from covisor.web.cors import cors_middleware
from covisor.web.headers import security_headers
from covisor.web.health import HealthApi
from covisor.web.kit import RequestAuth, error_middleware, http_metrics
from covisor.web.media import MediaApi
from covisor.web.pages import add_static_routes
from covisor.web.phone import PinApi
from covisor.web.privacy import PrivacyApi
from covisor.web.push import PushApi
from covisor.web.replies import RepliesApi
from covisor.web.reports import ReportsApi
from covisor.web.roster import RosterApi
from covisor.web.settings import SettingsApi
from covisor.web.team import TeamApi
from covisor.web.transcripts import TranscriptApi
from covisor.web.translation import TranslationApi
from covisor.web.visitors import VisitorsApi
from covisor.web.webhooks import WebhooksApi

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
    if covisor.feed_catalogue is not None:
        feed = covisor.feed_catalogue
        app.add_routes(CatalogueApi(auth, feed.products, feed.imports).routes())
    for adapter in (
        HealthApi(
            ping=covisor.store.ping,
            readiness=covisor.readiness,
            metrics=covisor.metrics,
            metrics_token=config.metrics_token,
            client_limits=config.client_limits(),
            client_settings=lambda: {
                **config.client_settings(),
                "prechat": covisor.settings.now.prechat,
                "routing": covisor.settings.now.routing,
            },
        ),
        ConversationApi(auth, addresses, covisor.conversations, covisor.history),
        TranscriptApi(auth, covisor.conversations, covisor.transcripts),
        AvailabilityApi(covisor.availability),
        PinApi(auth, addresses, covisor.pins),
        TeamApi(auth, addresses, covisor.agents),
        MediaApi(
            auth,
            covisor.conversations,
            covisor.media,
            covisor.catalogue,
            max_upload_bytes=max(config.max_image_bytes, config.max_video_bytes),
        ),
        RepliesApi(auth, covisor.replies),
        PushApi(auth, covisor.push),
        PrivacyApi(auth, covisor.privacy),
        WebhooksApi(auth, covisor.webhooks),
        ReportsApi(auth, covisor.reports),
        SettingsApi(auth, covisor.settings),
        VisitorsApi(
            auth,
            addresses,
            covisor.tracking,
            covisor.invitations,
            covisor.visitor_events.send,
            covisor.visitor_events.answered,
            covisor.conversations,
            covisor.conversions,
        ),
        RosterApi(
            auth,
            covisor.roster,
            covisor.route_soon,
        ),
        TranslationApi(auth, covisor.agents, covisor.translator),
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
