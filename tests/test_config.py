"""Settings: every field from `COVISOR_*`, validated at start, limits served to clients."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import typing
from pathlib import Path
from typing import Any

import pytest

from covisor.app.cli import make_parser
from covisor.config import Config, ConfigError, env_name, from_env
from covisor.kernel.ratelimit import RateLimit
from tests.conftest import Harness, serve_process

TYPES = typing.get_type_hints(Config)


def changed(name: str, default: Any) -> tuple[str, Any]:
    """A valid value for field `name` other than its default: `(as typed, as parsed)`."""
    kind = TYPES[name]
    if kind is bool:
        return ("0", False) if default else ("1", True)
    if kind in (int, float):
        return str(default + 1), default + 1
    if kind is Path:
        return "/srv/covisor", Path("/srv/covisor")
    if kind is RateLimit:
        return "7/14", RateLimit(7, 14)
    choices = {
        "log_format": "json",
        "routing": "auto",
        "prechat": "name_email",
        "push_contact": "mailto:ops@example.com",
        "timezone": "America/New_York",
        "business_hours": "mon-fri 09:00-18:00",
        "smtp_tls": "tls",
        "mail_from": "Shop <help@shop.example>",
        "mongo_url": "mongodb://example:27017",
        "database_url": "postgresql://covisor@db.example/covisor",
        "media_url": "s3://covisor-media/shop",
        "translate_url": "http://apertium.internal:2737",
        "translate_api": "libretranslate",
        "host": "0.0.0.0",
    }
    if name in choices:
        return choices[name], choices[name]
    if name == "trusted_proxies":
        return "10.0.0.1, 2001:db8::/32", ("10.0.0.1", "2001:db8::/32")
    if kind == tuple[str, ...]:
        return "https://a.example, https://b.example", ("https://a.example", "https://b.example")
    return "redis://example:6379/1", "redis://example:6379/1"


def test_every_field_is_settable_from_its_variable() -> None:
    defaults = Config()
    for spec in dataclasses.fields(Config):
        raw, expected = changed(spec.name, getattr(defaults, spec.name))
        # An SMTP host needs a From address, workers Redis; every other field is settable alone.
        needs = {
            "smtp_host": {"COVISOR_MAIL_FROM": "help@shop.example"},
            "workers": {"COVISOR_REDIS_URL": "redis://127.0.0.1:6379/0"},
        }.get(spec.name, {})
        config = from_env({env_name(spec.name): raw, **needs})
        assert getattr(config, spec.name) == expected, spec.name


def test_optional_values_are_unset_by_none() -> None:
    config = from_env({"COVISOR_REDIS_URL": "none", "COVISOR_MONGO_URL": ""})
    assert config.redis_url is None and config.mongo_url is None


@pytest.mark.parametrize(
    ("variable", "value", "said"),
    [
        ("COVISOR_PIN_LENGTH", "20", "pin_length = 20: must be between 4 and 9"),
        ("COVISOR_PORT", "http", "COVISOR_PORT='http'"),
        ("COVISOR_SEED_DEMO", "maybe", "COVISOR_SEED_DEMO='maybe': expected 1 or 0"),
        ("COVISOR_CHAT_RATE", "5", "COVISOR_CHAT_RATE='5': expected RATE/BURST"),
        ("COVISOR_STROKE_RATE", "0/10", "stroke_rate: the rate must be above 0"),
        ("COVISOR_MEDIA_WORKERS", "0", "media_workers = 0: must be between 1 and 256"),
        ("COVISOR_CORS_ORIGINS", "shop.example", "'shop.example' is not an http(s) origin"),
        ("COVISOR_TRUSTED_PROXIES", "10.0.0.0/8, proxy.local", "trusted_proxies: 'proxy.local'"),
        ("COVISOR_TIMEZONE", "Mars/Olympus", "timezone: 'Mars/Olympus' is not a known IANA"),
        ("COVISOR_BUSINESS_HOURS", "mon-fri 9-18", "business_hours: 'mon-fri 9-18'"),
        ("COVISOR_SMTP_HOST", "smtp.example", "smtp_host: needs mail_from too"),
        ("COVISOR_WORKERS", "2", "workers = 2: several worker processes need redis_url"),
        ("COVISOR_WORKERS", "65", "workers = 65: must be between 1 and 64"),
        ("COVISOR_SMTP_TLS", "ssl", "smtp_tls = ssl: must be one of starttls, tls, none"),
        ("COVISOR_REDIS_URL", "notaurl", "redis_url = 'notaurl': must be a redis://, rediss://"),
        ("COVISOR_REDIS_URL", "http://cache:6379", "redis_url = http://…: must be a redis://"),
        ("COVISOR_REDIS_URL", "redis://", "redis_url = redis://…: must be a redis://"),
        ("COVISOR_MONGO_URL", "localhost:27017", "mongo_url = 'localhost:27017': must be a mongo"),
        (
            "COVISOR_TRANSLATE_URL",
            "apertium:2737",
            "translate_url = apertium:2737: must be an http",
        ),
        ("COVISOR_TRANSLATE_API", "deepl", "translate_api = deepl: must be one of apertium"),
        ("COVISOR_MONGO_URL", "redis://db", "or mongodb+srv:// URL with a host or path"),
        ("COVISOR_HOST", "", "host = '': must be an address or name, without spaces"),
        ("COVISOR_HOST", "my host", "host = 'my host': must be an address or name"),
    ],
)
def test_a_bad_value_is_refused_naming_the_setting(variable: str, value: str, said: str) -> None:
    with pytest.raises(ConfigError) as refused:
        from_env({variable: value})
    assert said in str(refused.value)
    assert variable in str(refused.value)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("COVISOR_REDIS_URL", "redis://127.0.0.1:6379/0"),
        ("COVISOR_REDIS_URL", "rediss://:secret@cache.example:6380"),
        ("COVISOR_REDIS_URL", "unix:///run/redis.sock"),
        ("COVISOR_MONGO_URL", "mongodb://db1,db2/?replicaSet=rs"),
        ("COVISOR_MONGO_URL", "mongodb+srv://cluster.example"),
        ("COVISOR_HOST", "::"),
    ],
)
def test_good_addresses_are_taken(variable: str, value: str) -> None:
    config = from_env({variable: value})
    assert value in (config.redis_url, config.mongo_url, config.host)


def test_a_refused_url_does_not_repeat_its_password() -> None:
    with pytest.raises(ConfigError) as refused:
        from_env({"COVISOR_REDIS_URL": "http://:hunter2@cache:6379"})
    assert "hunter2" not in str(refused.value)


def test_the_flags_help_gives_the_config_defaults() -> None:
    help_text = " ".join(_serve_help().split())
    defaults = Config()
    for name in ("host", "port", "data_dir", "log_format", "workers"):
        assert f"({env_name(name)}, default {getattr(defaults, name)})" in help_text, name
    assert "(COVISOR_SEED_DEMO, default on)" in help_text
    assert "(COVISOR_REDIS_URL)" in help_text


def _serve_help() -> str:
    parser = make_parser()
    (commands,) = (
        action for action in parser._actions if isinstance(action, argparse._SubParsersAction)
    )
    return str(commands.choices["serve"].format_help())


def test_a_flag_beats_the_environment() -> None:
    config = from_env({"COVISOR_PORT": "9000", "COVISOR_HOST": "0.0.0.0"}, port=9100)
    assert (config.port, config.host) == (9100, "0.0.0.0")


@pytest.mark.process
async def test_serve_refuses_to_start_on_a_bad_setting_and_says_why(tmp_path: Path) -> None:
    process = await serve_process(
        tmp_path,
        env={"COVISOR_PIN_LENGTH": "20", "PATH": "/usr/bin:/bin"},
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 2
    assert out == b""
    message = err.decode()
    assert "pin_length = 20: must be between 4 and 9 (set by COVISOR_PIN_LENGTH)" in message
    assert "Traceback" not in message


async def test_clients_are_served_the_limits_of_the_config(harness: Harness) -> None:
    status, body = await harness.request("GET", "/api/config")
    assert status == 200
    config = harness.services.config
    first = {"prechat": config.prechat, "routing": config.routing}
    assert body == {"limits": config.client_limits(), **config.client_settings(), **first}
    assert body["limits"]["max_stroke_points"] == config.max_stroke_points == 256
    assert body["limits"]["pin_length"] == 6
