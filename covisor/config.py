"""All of Covisor's settings, read once from CLI flags and `COVISOR_*` environment variables.

Precedence: a CLI flag beats the environment, which beats the default. Every limit the server
enforces is a field here with a safe default, so operators can see and change them in one place.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class RateLimit:
    """A token bucket: `rate` events per second sustained, `burst` at once."""

    rate: float
    burst: float


@dataclass(frozen=True)
class Config:
    host: str = "127.0.0.1"
    port: int = 8080
    data_dir: Path = Path(".data")
    redis_url: str | None = None
    redis_channel: str = "covisor"
    mongo_url: str | None = None
    mongo_db: str = "covisor"
    seed_demo: bool = True
    cors_origins: tuple[str, ...] = ("*",)

    shopper_token_ttl: float = 24 * 3600.0
    max_message_chars: int = 2000
    max_socket_payload: int = 64 * 1024
    max_stroke_points: int = 256
    max_strokes: int = 500
    max_points_per_stroke: int = 20_000
    recent_messages: int = 50
    replay_limit: int = 1000
    snapshot_every: int = 200
    commit_max_batch: int = 512
    max_pending_commands: int = 20_000

    chat_rate: RateLimit = RateLimit(5, 10)
    stroke_rate: RateLimit = RateLimit(120, 240)
    other_rate: RateLimit = RateLimit(30, 60)

    max_image_bytes: int = 25 * 1024 * 1024
    max_video_bytes: int = 200 * 1024 * 1024
    max_image_pixels: int = 60_000_000
    media_workers: int = field(default_factory=lambda: max(1, os.cpu_count() or 1))
    """Worker processes decoding uploads, and how many uploads are processed at once."""
    media_url_ttl: float = 24 * 3600.0
    """Seconds a signed media file URL works. A day, like a shopper's token: the URLs end up in
    `<img src>` of a console or chat tab that stays open all day and must keep loading (a
    reconnect's snapshot brings fresh ones, an open page does not refetch); a leaked URL still
    dies within a day and opens only that one file. Shorter means more broken pictures in open
    tabs, not much more safety: members can download the file anyway."""

    pin_length: int = 6
    pin_ttl: float = 600.0
    pin_attempts_per_address: int = 10
    pin_attempts_per_conversation: int = 5
    pin_attempt_window: float = 600.0

    @property
    def database_path(self) -> Path:
        return self.data_dir / "covisor.sqlite3"

    def replace(self, **changes: Any) -> Config:
        return dataclasses.replace(self, **changes)


_ENV_FIELDS: dict[str, type] = {
    "host": str,
    "port": int,
    "data_dir": Path,
    "redis_url": str,
    "redis_channel": str,
    "mongo_url": str,
    "mongo_db": str,
    "shopper_token_ttl": float,
    "max_message_chars": int,
    "max_image_bytes": int,
    "max_video_bytes": int,
    "max_image_pixels": int,
    "media_workers": int,
    "media_url_ttl": float,
    "pin_length": int,
    "pin_ttl": float,
    "pin_attempts_per_address": int,
    "pin_attempts_per_conversation": int,
    "pin_attempt_window": float,
}


def from_env(environ: Mapping[str, str] | None = None, **overrides: Any) -> Config:
    """Build a config from `COVISOR_<FIELD>` variables, then apply explicit overrides.

    `COVISOR_SEED_DEMO=0` turns off the demo agent and catalogue on first start.
    """
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for name, kind in _ENV_FIELDS.items():
        raw = env.get(f"COVISOR_{name.upper()}")
        if raw:
            values[name] = kind(raw)
    if "COVISOR_SEED_DEMO" in env:
        values["seed_demo"] = env["COVISOR_SEED_DEMO"].lower() not in ("0", "false", "no")
    if env.get("COVISOR_CORS_ORIGINS"):
        values["cors_origins"] = tuple(o.strip() for o in env["COVISOR_CORS_ORIGINS"].split(","))
    values.update({k: v for k, v in overrides.items() if v is not None})
    return Config(**values)


def add_server_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags of `covisor serve`; each overrides its `COVISOR_*` variable."""
    parser.add_argument("--host", help="address to listen on (COVISOR_HOST, 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port to listen on (COVISOR_PORT, 8080)")
    parser.add_argument("--data-dir", type=Path, help="where state lives (COVISOR_DATA_DIR, .data)")
    parser.add_argument(
        "--redis-url", help="share Socket.IO rooms through Redis (COVISOR_REDIS_URL)"
    )
    parser.add_argument("--mongo-url", help="use MongoDB instead of SQLite (COVISOR_MONGO_URL)")


def from_arguments(args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> Config:
    keys = ("host", "port", "data_dir", "redis_url", "mongo_url")
    return from_env(environ, **{k: getattr(args, k, None) for k in keys})
