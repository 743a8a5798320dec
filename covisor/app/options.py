"""The `Config`, translated once into the option objects each service takes.

A service's options are its own (`SmtpOptions`, `Limits`, …), with every field required, so a
default lives in exactly one place: the `Config` field.
"""

from __future__ import annotations

from covisor.catalogue.fetching import FetchOptions
from covisor.catalogue.importer import ImportOptions
from covisor.config import Config
from covisor.conversations.conversation import Limits
from covisor.conversations.quotas import AttemptLimit
from covisor.conversations.viewer import ViewerLimits
from covisor.media import ImageOptions, MediaOptions, UploadLimits
from covisor.outbox.mailer import SmtpOptions
from covisor.outbox.push import PushOptions
from covisor.outbox.webhooks import WebhookOptions
from covisor.team.agents import LoginLimits


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
        allow_insecure_endpoints=(
            config.push_allow_insecure_endpoints or config.outbound_allow_insecure
        ),
    )


def webhook_options(config: Config) -> WebhookOptions:
    return WebhookOptions(
        enabled=config.webhooks_enabled,
        allow_insecure=config.webhooks_allow_insecure or config.outbound_allow_insecure,
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


def feed_fetch_options(config: Config) -> FetchOptions:
    return FetchOptions(
        allow_insecure=config.outbound_allow_insecure,
        timeout=config.catalogue_feed_timeout,
        limit=config.catalogue_feed_max_mb * 1_000_000,
    )


def picture_fetch_options(config: Config) -> FetchOptions:
    return FetchOptions(
        allow_insecure=config.outbound_allow_insecure,
        timeout=config.catalogue_picture_timeout,
        limit=config.max_image_bytes,
    )


def import_options(config: Config) -> ImportOptions:
    return ImportOptions(
        feed_limit=config.catalogue_feed_max_mb * 1_000_000,
        lease=config.catalogue_import_lease * 1000.0,
    )
