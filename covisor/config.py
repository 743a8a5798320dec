"""All of Covisor's settings, read once from CLI flags and `COVISOR_*` environment variables.

Every field of `Config` is settable as `COVISOR_<FIELD>` (upper case): numbers as numbers, flags
as `1`/`0` (`true`/`false`, `yes`/`no`), lists comma-separated, rate limits as `RATE/BURST`
(`5/10`: five events a second, ten at once), "none" for an optional value. A CLI flag beats the
environment, which beats the default. Defaults are written here and nowhere else: the domain,
the journal and the adapters receive their limits from this object.

A config is validated when it is built: a value out of range stops the server at start with an
error that names the setting and its variable (`ConfigError`), never later at the first request.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.utils import parseaddr
from pathlib import Path
from typing import Any

from covisor.kernel.addresses import parse_networks
from covisor.kernel.ratelimit import RateLimit
from covisor.phone import pins
from covisor.team.hours import Schedule, zone

ENV_PREFIX = "COVISOR_"


class ConfigError(ValueError):
    """A setting that cannot be used; the message says which and why."""


def _bounded(default: Any, low: float | None = None, high: float | None = None) -> Any:
    """A field with an inclusive range, checked by `Config.__post_init__`."""
    return field(default=default, metadata={"low": low, "high": high})


def _cpu_count() -> int:
    return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class Config:
    host: str = "127.0.0.1"
    port: int = _bounded(8080, 0, 65535)
    """`0` picks a free port; the server prints the one it got."""
    data_dir: Path = Path(".data")
    """The SQLite database, media files and the demo agent's token live here."""
    redis_url: str | None = None
    """Share Socket.IO rooms with other processes through this Redis; None: one process."""
    redis_channel: str = "covisor"
    database_url: str | None = None
    """Keep state in this PostgreSQL database (`postgresql://user:password@host/db`) instead
    of SQLite in `data_dir`: what several machines share."""
    database_pool: int = _bounded(10, 1, 500)
    """Connections each process keeps open to `database_url` at most."""
    media_url: str | None = None
    """Keep uploaded and processed media in this S3-compatible bucket (`s3://bucket/prefix`),
    `data_dir` then holding this process's cache of it: what several machines share. Endpoint,
    region and credentials come from the usual `AWS_*` variables (`AWS_ENDPOINT_URL`…)."""
    mongo_url: str | None = None
    """Keep state in this MongoDB instead of SQLite in `data_dir`."""
    mongo_db: str = "covisor"
    seed_demo: bool = True
    demo_shop: bool = True
    """With `seed_demo`, import the demo shop's product feed (media/shop/) on a first start:
    about 40 products with variants and 265 pictures, processed in the background."""
    """On a first start, create a demo agent and load the demo catalogue."""
    workers: int = _bounded(1, 1, 64)
    """Server processes on `host:port` (`SO_REUSEPORT`) under one supervisor
    (covisor/app/supervisor.py); above 1 needs `redis_url`, which their rooms share."""
    cors_origins: tuple[str, ...] = ("*",)
    """Shop origins that may embed the widget; `*` for any."""
    log_format: str = "text"
    """`text` for people, `json` (one object a line) for log shippers."""
    metrics_token: str | None = None
    """When set, `GET /metrics` requires `Authorization: Bearer <metrics_token>`."""
    routing: str = "manual"
    """`manual`: every agent sees the queue and picks; `auto`: a new conversation goes to the
    online agent under capacity with the fewest open ones (ties: longest without one). This and
    the other shop settings (`agent_capacity`, `prechat`, `timezone`, `business_hours`,
    `leave_message_without_agents`, `invitation_cooldown`) are first values: once an admin
    saves the settings in the console (`PUT /api/settings`), the stored ones rule."""
    agent_capacity: int = _bounded(3, 1, 100)
    """Open conversations an agent takes before auto routing passes them by, for an agent
    invited without one (each agent's own is changed in Team)."""
    prechat: str = "off"
    """What the widget asks before a conversation: `off`, `name`, or `name_email`."""
    away_after: float = _bounded(600.0, 30, 24 * 3600)
    """Seconds without activity after which a console sets its agent `away`."""
    presence_heartbeat: float = _bounded(10.0, 1, 600)
    """Seconds between a process's reports of its agents' open consoles (three missed ones
    and the process's consoles no longer count)."""
    visitor_idle: float = _bounded(120.0, 20, 3600)
    """Seconds after a visitor's last page view or heartbeat (every 30 s while a page is open)
    that it leaves the agents' live list."""
    visit_gap: float = _bounded(1800.0, 60, 24 * 3600)
    """Seconds without a page view after which a visitor's next page starts a new visit."""
    visitor_retention_days: float = _bounded(30.0, 1, 3650)
    """Days a visitor's record, page views and invitations are kept after it was last seen."""
    invitation_cooldown: float = _bounded(24 * 3600.0, 0, 365 * 24 * 3600)
    """Seconds during which a visitor gets no second invitation from a rule or the shop's JS."""
    visitor_flush: float = _bounded(1.0, 0.05, 60)
    """Seconds between writes of the page views received (one transaction each)."""

    shopper_token_ttl: float = _bounded(30 * 24 * 3600.0, 60, 366 * 24 * 3600)
    """Seconds a shopper's or caller's token lasts (30 days: a shopper who comes back next week
    finds the conversation); the widget renews it with `POST /api/me/token`."""
    max_message_chars: int = _bounded(2000, 1, 20_000)
    max_socket_payload: int = _bounded(64 * 1024, 4 * 1024, 16 * 1024 * 1024)
    """Bytes of one Socket.IO packet; a larger one closes the connection."""
    max_stroke_points: int = _bounded(256, 1, 4096)
    """Points in one `stroke.begin` or `stroke.points` event."""
    max_strokes: int = _bounded(500, 1, 100_000)
    """Strokes on one shown media before a clear is needed."""
    max_points_per_stroke: int = _bounded(20_000, 1, 1_000_000)
    recent_messages: int = _bounded(50, 1, 10_000)
    """Chat messages a join snapshot carries; older ones come from `chat.history`."""
    remembered_client_ids: int = _bounded(200, 1, 100_000)
    """Per conversation, the latest chat `client_id`s kept to drop a resent message."""
    replay_limit: int = _bounded(5000, 0, 100_000)
    """A rejoin at most this many events behind gets the missed events, read from the store's
    event log, else a snapshot. The log keeps every event; the bound is on the answer's size
    (a stroke batch is up to a few KiB): beyond it a snapshot is smaller and as exact."""
    snapshot_every: int = _bounded(200, 1, 1_000_000)
    """Events between two stored state snapshots of a conversation."""
    commit_max_batch: int = _bounded(512, 1, 100_000)
    """Commands the journal decides at once; a commit takes every batch decided while the last
    one ran, and does not wait `commit_interval` once it holds this many."""
    commit_interval: float = _bounded(0.05, 0.0, 10.0)
    """Least seconds between the starts of two commits of a process alone on its store. Under
    load a commit takes everything decided since the last one began, so this caps the
    transactions and fsyncs a second (bench/relay.py: most of the store's CPU is per commit, not
    per event); a command arriving after a quiet spell is committed at once. Strokes and view
    moves are relayed when decided, so only acknowledgements and chat wait for it."""
    max_pending_commands: int = _bounded(20_000, 1, 10_000_000)
    """Commands queued for the journal before new ones are refused with `rate_limited`."""
    shed_after: float = _bounded(0.25, 0.01, 10)
    """Seconds behind (the oldest queued command's wait, or the event loop's lag) past which
    stroke points and view moves are refused with `rate_limited` at once instead of queued:
    under overload every command is answered quickly and chat keeps flowing."""

    chat_rate: RateLimit = RateLimit(5, 10)
    stroke_rate: RateLimit = RateLimit(120, 240)
    other_rate: RateLimit = RateLimit(30, 60)

    max_image_bytes: int = _bounded(25 * 1024 * 1024, 1024, 1024**3)
    max_video_bytes: int = _bounded(200 * 1024 * 1024, 1024, 16 * 1024**3)
    max_image_pixels: int = _bounded(60_000_000, 1, 1_000_000_000)
    media_workers: int = field(default_factory=_cpu_count, metadata={"low": 1, "high": 256})
    """Worker processes decoding uploads, and how many uploads are processed at once."""
    media_url_ttl: float = _bounded(24 * 3600.0, 60, 366 * 24 * 3600)
    """Seconds a signed media file URL works. A day, like a shopper's token: the URLs end up in
    `<img src>` of a console or chat tab that stays open all day and must keep loading (a
    reconnect's snapshot brings fresh ones, an open page does not refetch); a leaked URL still
    dies within a day and opens only that one file. Shorter means more broken pictures in open
    tabs, not much more safety: members can download the file anyway."""

    max_media_items: int = _bounded(200, 1, 100_000)
    """Uploads a conversation holds at most (ready and being processed)."""
    uploads_per_conversation: int = _bounded(60, 1, 1_000_000)
    upload_bytes_per_conversation: int = _bounded(1024**3, 1024, 1024**4)
    upload_window: float = _bounded(3600.0, 1, 7 * 24 * 3600)
    """Seconds of the window in which a conversation takes at most `uploads_per_conversation`
    uploads and `upload_bytes_per_conversation` bytes."""
    conversations_per_address: int = _bounded(30, 1, 1_000_000)
    """Conversations one client address opens at most in `open_window` seconds."""
    open_window: float = _bounded(600.0, 1, 7 * 24 * 3600)
    drain_timeout: float = _bounded(10.0, 0, 600)
    """Seconds a stopping process (SIGTERM) gives uploads and commands under way to end."""
    retention_days: float = _bounded(180.0, 1, 3650)
    """Days a closed conversation (its messages, events and media files) is kept."""
    retention_sweep: float = _bounded(3600.0, 10, 7 * 24 * 3600)
    """Seconds between two retention sweeps of a running server."""
    trusted_proxies: tuple[str, ...] = ()
    """Reverse proxies (addresses or networks) whose `Forwarded`/`X-Forwarded-For` header names
    the client; empty: the client is the TCP peer."""

    pin_length: int = _bounded(6, pins.MIN_LENGTH, pins.MAX_LENGTH)
    """Digits of a phone PIN; four to nine, what the clients' PIN field takes."""
    pin_ttl: float = _bounded(600.0, 30, 24 * 3600)
    pin_attempts_per_address: int = _bounded(10, 1, 10_000)
    pin_attempts_per_conversation: int = _bounded(5, 1, 10_000)
    pin_attempt_window: float = _bounded(600.0, 1, 7 * 24 * 3600)
    pin_issues_per_client: int = _bounded(20, 1, 1_000_000)
    """PINs one agent, or one shopper's address, issues at most in `pin_attempt_window`."""
    login_attempts_per_address: int = _bounded(20, 1, 1_000_000)
    """Failed agent logins (`POST /api/auth/login`) one client address makes at most in
    `login_window` seconds; a successful one is not held against it."""
    login_attempts_per_account: int = _bounded(10, 1, 1_000_000)
    """Failed logins to one e-mail at most in `login_window` seconds, from any address."""
    login_window: float = _bounded(600.0, 1, 7 * 24 * 3600)

    push_enabled: bool = True
    """Send Web Push notifications; off, subscriptions are still kept but nothing is sent (an
    API fuzzer's made-up endpoints are never contacted)."""
    push_contact: str = "mailto:covisor@localhost"
    """The `sub` of Web Push's VAPID claims: a `mailto:` or `https:` URL where push services
    can reach the operator (set your own; some services refuse a made-up address)."""
    push_ttl: int = _bounded(3600, 0, 28 * 24 * 3600)
    """Seconds a push service keeps a notification for an agent's browser that is offline."""
    push_timeout: float = _bounded(10.0, 1, 120)
    """Seconds one delivery to a push service may take."""
    push_subscriptions_per_agent: int = _bounded(10, 1, 1000)
    """Browsers subscribed to an agent's pushes; a new one beyond drops the oldest."""
    push_allow_insecure_endpoints: bool = False
    """Accept `http:` push endpoints on loopback hosts (tests and local push services only);
    off, an endpoint must be `https:` on a host that is not a loopback or private address."""

    webhooks_enabled: bool = True
    """Send webhook deliveries; off, webhooks are kept and deliveries queued but nothing is
    sent (an API fuzzer's made-up URLs are never contacted)."""
    webhooks_allow_insecure: bool = False
    """Accept `http:` webhook URLs on loopback hosts (tests and local receivers only); off, a
    URL must be `https:` on a host that is not a loopback or private address."""
    webhook_timeout: float = _bounded(10.0, 1, 120)
    """Seconds one webhook delivery attempt may take, connecting included."""
    webhook_retry_for: float = _bounded(86400.0, 60, 7 * 24 * 3600)
    """Seconds after its event a delivery that keeps failing is retried, then marked failed."""
    webhook_first_retry: float = _bounded(30.0, 0.01, 3600)
    """Seconds before the first retry of a failed delivery; each next wait doubles."""
    webhook_max_retry: float = _bounded(3600.0, 0.01, 24 * 3600)
    """The longest wait between two attempts of a delivery, in seconds."""
    webhook_retention_days: float = _bounded(7.0, 0.01, 3650)
    """Days a delivered or failed delivery's record (its payload included) is kept."""

    outbound_allow_insecure: bool = False
    """Accept `http:` on loopback hosts for every request to an address a user gave (feeds,
    product pictures, webhooks, push endpoints): tests and local services only. The older
    `webhooks_allow_insecure` and `push_allow_insecure_endpoints` still apply to their own."""

    catalogue_feed_max_mb: int = _bounded(1024, 1, 16384)
    """Megabytes a product feed may have, uncompressed; a bigger one fails its import."""
    catalogue_feed_timeout: float = _bounded(600.0, 5, 7200)
    """Seconds the download of a feed may take."""
    catalogue_picture_timeout: float = _bounded(20.0, 1, 600)
    """Seconds the download of one product picture may take."""
    catalogue_picture_concurrency: int = _bounded(4, 1, 64)
    """Product pictures fetched at once by a process during an import."""
    catalogue_import_lease: float = _bounded(30.0, 1, 3600)
    """Seconds a running import stays its process's without news: when the process dies,
    another one (or its restart) takes the import over after this long."""
    catalogue_check_every: float = _bounded(10.0, 0.1, 3600)
    """Seconds between two looks for a scheduled feed that is due or an import to take over."""

    translate_url: str | None = None
    """The shop's translation engine (`http://apertium.internal:2737`); None: no translation.
    Chat messages go there when a shopper and their agent read different languages; only the
    messages' text is sent. The operator's own address, so a private one is fine."""
    translate_api: str = "apertium"
    """What `translate_url` speaks: `apertium` (Apertium APy) or `libretranslate` (the
    LibreTranslate API, which DeepL-style and LLM gateways imitate)."""
    translate_api_key: str | None = field(default=None, repr=False)
    """The `api_key` a LibreTranslate server asks for, if any; never logged nor served."""
    translate_timeout: float = _bounded(5.0, 0.1, 120)
    """Seconds one translation may take; a message is then marked untranslated (retry)."""
    translate_concurrency: int = _bounded(4, 1, 256)
    """Translations a process asks the engine for at once."""
    translate_cache: int = _bounded(1000, 0, 1_000_000)
    """Translations a process keeps to answer the same text again without the engine."""

    timezone: str = "Europe/Madrid"
    """The shop's IANA time zone (`Europe/Madrid`): business hours are its wall-clock times."""
    business_hours: str = ""
    """When the shop answers, in `timezone`: rules `DAYS HH:MM-HH:MM[,HH:MM-HH:MM]` joined by
    `;`, DAYS a day (`mon` … `sun`), a range (`mon-fri`) or a list (`sat,sun`); `24:00` ends a
    day. `mon-fri 09:00-18:00; sat 10:00-14:00`. Empty: always open (see hours.py)."""
    leave_message_without_agents: bool = True
    """With no agent `online` (inside business hours), the widget takes messages as outside
    them; off, shoppers chat into the queue as usual (agents may be alerted by Web Push)."""
    smtp_host: str | None = None
    """The SMTP server that sends e-mail (offline answers, transcripts); None: no e-mail."""
    smtp_port: int = _bounded(587, 1, 65535)
    smtp_tls: str = "starttls"
    """`starttls` (upgrade a plain connection, port 587), `tls` (TLS from the start, port 465)
    or `none` (a relay on the same host or network only)."""
    smtp_user: str | None = None
    smtp_password: str | None = field(default=None, repr=False)
    """Never logged nor served; set it through the environment, not a flag."""
    mail_from: str | None = None
    """The From of every e-mail, such as `Shop <help@shop.example>`; required with `smtp_host`."""
    shop_name: str = "Covisor"
    """The shop's name in e-mail greetings and subjects."""
    smtp_timeout: float = _bounded(20.0, 1, 300)
    """Seconds one SMTP delivery may take."""
    offline_email_delay: float = _bounded(60.0, 0, 24 * 3600)
    """Seconds after an agent's last line in an offline conversation before the answer is
    e-mailed, so that a burst of lines makes one e-mail."""
    transcript_emails_per_conversation: int = _bounded(3, 1, 1000)
    """Transcript e-mails (`POST …/transcript/email`) one conversation sends at most in
    `transcript_email_window` seconds."""
    transcript_email_window: float = _bounded(3600.0, 1, 7 * 24 * 3600)

    def __post_init__(self) -> None:
        for spec in dataclasses.fields(self):
            value = getattr(self, spec.name)
            low, high = spec.metadata.get("low"), spec.metadata.get("high")
            if low is not None and value < low or high is not None and value > high:
                raise ConfigError(f"{spec.name} = {value}: must be between {low} and {high}")
        for name in ("chat_rate", "stroke_rate", "other_rate"):
            limit: RateLimit = getattr(self, name)
            if not (limit.rate > 0 and limit.burst >= 1):
                raise ConfigError(f"{name}: the rate must be above 0 and the burst at least 1")
        for name, choices in (
            ("log_format", ("text", "json")),
            ("routing", ("manual", "auto")),
            ("prechat", ("off", "name", "name_email")),
        ):
            if getattr(self, name) not in choices:
                raise ConfigError(
                    f"{name} = {getattr(self, name)}: must be one of {', '.join(choices)}"
                )
        if self.translate_api not in ("apertium", "libretranslate"):
            raise ConfigError(
                f"translate_api = {self.translate_api}: must be one of apertium, libretranslate"
            )
        if self.translate_url is not None and not self.translate_url.startswith(
            ("http://", "https://")
        ):
            raise ConfigError(f"translate_url = {self.translate_url}: must be an http(s) URL")
        try:
            parse_networks(self.trusted_proxies)
        except ValueError as exc:
            raise ConfigError(f"trusted_proxies: {exc}") from None
        if not self.push_contact.startswith(("mailto:", "https://")):
            raise ConfigError(
                f"push_contact = {self.push_contact}: must be a mailto: or https:// URL"
            )
        self._check_mail_and_hours()
        self._check_addresses()
        if self.database_url and self.mongo_url:
            raise ConfigError("database_url and mongo_url: set one store, not both")
        if self.workers > 1 and not self.redis_url:
            raise ConfigError(
                f"workers = {self.workers}: several worker processes need redis_url "
                "(--redis-url or COVISOR_REDIS_URL) to share their rooms"
            )
        if not self.cors_origins or not all(self.cors_origins):
            raise ConfigError("cors_origins: list at least one origin, or *")
        for origin in self.cors_origins:
            if origin != "*" and not origin.startswith(("http://", "https://")):
                raise ConfigError(f"cors_origins: {origin!r} is not an http(s) origin")

    def _check_addresses(self) -> None:
        if not self.host or any(ch.isspace() for ch in self.host):
            raise ConfigError(f"host = {self.host!r}: must be an address or name, without spaces")
        for name, schemes in (
            ("redis_url", ("redis://", "rediss://", "unix://")),
            ("database_url", ("postgresql://", "postgres://")),
            ("media_url", ("s3://",)),
            ("mongo_url", ("mongodb://", "mongodb+srv://")),
        ):
            url: str | None = getattr(self, name)
            if url is None:
                continue
            scheme, sep, rest = url.partition("://")
            if not sep or f"{scheme.lower()}://" not in schemes or not rest.strip("/"):
                # Only the scheme is repeated: the rest of a URL may hold a password.
                shown = f"{scheme}://…" if sep else repr(url)
                kinds = f"{', '.join(schemes[:-1])} or {schemes[-1]}"
                raise ConfigError(f"{name} = {shown}: must be a {kinds} URL with a host or path")

    def _check_mail_and_hours(self) -> None:
        try:
            Schedule.parse(self.business_hours, zone(self.timezone))
        except ValueError as exc:
            name = "timezone" if "time zone" in str(exc) else "business_hours"
            raise ConfigError(f"{name}: {exc}") from None
        if self.smtp_tls not in ("starttls", "tls", "none"):
            raise ConfigError(f"smtp_tls = {self.smtp_tls}: must be one of starttls, tls, none")
        if self.smtp_host and not self.mail_from:
            raise ConfigError("smtp_host: needs mail_from too, the From of every e-mail")
        if self.mail_from is not None:
            _, address = parseaddr(self.mail_from)
            if "@" not in address or any(ch in self.mail_from for ch in "\r\n"):
                raise ConfigError(f"mail_from = {self.mail_from!r}: not an e-mail address")

    @property
    def database_path(self) -> Path:
        return self.data_dir / "covisor.sqlite3"

    def replace(self, **changes: Any) -> Config:
        return dataclasses.replace(self, **changes)

    def client_limits(self) -> dict[str, Any]:
        """The limits a client needs to stay within them (served by `GET /api/config`)."""
        return {
            "max_message_chars": self.max_message_chars,
            "max_stroke_points": self.max_stroke_points,
            "max_socket_payload": self.max_socket_payload,
            "max_image_bytes": self.max_image_bytes,
            "max_video_bytes": self.max_video_bytes,
            "pin_length": self.pin_length,
            # Per-connection Socket.IO rate limits, so a client paces itself under them.
            **{
                name: {"rate": limit.rate, "burst": limit.burst}
                for name, limit in (
                    ("chat_rate", self.chat_rate),
                    ("stroke_rate", self.stroke_rate),
                    ("other_rate", self.other_rate),
                )
            },
        }

    def client_settings(self) -> dict[str, Any]:
        """How the shop set the widget and console up (served by `GET /api/config`, with the
        settings' `prechat` and `routing`)."""
        return {
            "away_after": self.away_after,
            "visitor_heartbeat": VISITOR_HEARTBEAT,
            "visitor_idle": self.visitor_idle,
            "email": self.smtp_host is not None,
        }


VISITOR_HEARTBEAT = 30.0
"""Seconds between a widget's heartbeats while its page stays open."""


def env_name(field_name: str) -> str:
    return ENV_PREFIX + field_name.upper()


def _parse(kind: Any, raw: str) -> Any:
    """`raw` as a value of the field type `kind`."""
    if typing.get_origin(kind) in (typing.Union, types.UnionType):
        if raw.strip().lower() in ("", "none"):
            return None
        (kind,) = (arg for arg in typing.get_args(kind) if arg is not type(None))
    if kind is bool:
        word = raw.strip().lower()
        if word in ("1", "true", "yes", "on"):
            return True
        if word in ("0", "false", "no", "off"):
            return False
        raise ValueError("expected 1 or 0")
    if typing.get_origin(kind) is tuple:
        return tuple(part.strip() for part in raw.split(",") if part.strip())
    if kind is RateLimit:
        return RateLimit.parse(raw)
    return kind(raw.strip())


_TYPES = typing.get_type_hints(Config)


def from_env(environ: Mapping[str, str] | None = None, **overrides: Any) -> Config:
    """A config from `COVISOR_<FIELD>` variables and explicit overrides (None means unset).

    Raises `ConfigError` naming the variable when a value cannot be read or is out of range.
    """
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for spec in dataclasses.fields(Config):
        raw = env.get(env_name(spec.name))
        if raw is None:
            continue
        try:
            values[spec.name] = _parse(_TYPES[spec.name], raw)
        except ValueError as exc:
            raise ConfigError(f"{env_name(spec.name)}={raw!r}: {exc}") from None
    values.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return Config(**values)
    except ConfigError as exc:
        name = str(exc).split(" ", 1)[0].rstrip(":")
        source = env_name(name) if name in values and name not in overrides else None
        raise ConfigError(f"{exc} (set by {source})" if source else str(exc)) from None


def flag_help(name: str, text: str, computed: str = "computed at start") -> str:
    """`text`, then the variable of field `name` and its default, read from `Config`: a flag's
    help never restates a default. A default made at start (`media_workers`) is `computed`."""
    spec = next(spec for spec in dataclasses.fields(Config) if spec.name == name)
    if spec.default is dataclasses.MISSING:
        return f"{text} ({env_name(name)}, default {computed})"
    default = spec.default
    if default is None:
        return f"{text} ({env_name(name)})"
    if isinstance(default, bool):
        default = "on" if default else "off"
    # argparse formats help with %: a literal % must be doubled.
    return f"{text} ({env_name(name)}, default {default})".replace("%", "%%")


def add_server_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags of `covisor serve`; each overrides its `COVISOR_*` variable."""
    parser.add_argument("--host", help=flag_help("host", "address to listen on"))
    parser.add_argument("--port", type=int, help=flag_help("port", "port to listen on"))
    parser.add_argument("--data-dir", type=Path, help=flag_help("data_dir", "where state lives"))
    parser.add_argument(
        "--redis-url", help=flag_help("redis_url", "share Socket.IO rooms through Redis")
    )
    parser.add_argument(
        "--database-url", help=flag_help("database_url", "use PostgreSQL instead of SQLite")
    )
    parser.add_argument(
        "--media-url", help=flag_help("media_url", "keep media in S3-compatible storage")
    )
    parser.add_argument("--mongo-url", help=flag_help("mongo_url", "use MongoDB instead of SQLite"))
    parser.add_argument(
        "--media-workers",
        type=int,
        help=flag_help("media_workers", "processes decoding uploads", computed="one per core"),
    )
    parser.add_argument(
        "--log-format",
        choices=("text", "json"),
        help=flag_help("log_format", "log lines"),
    )
    parser.add_argument(
        "--seed-demo",
        action=argparse.BooleanOptionalAction,
        help=flag_help("seed_demo", "create a demo agent and catalogue on a first start"),
    )


_FLAGS = (
    "host",
    "port",
    "data_dir",
    "redis_url",
    "database_url",
    "media_url",
    "mongo_url",
    "media_workers",
    "seed_demo",
    "log_format",
    "workers",
)


def from_arguments(args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> Config:
    return from_env(environ, **{k: getattr(args, k, None) for k in _FLAGS})
