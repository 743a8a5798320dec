"""The team over real HTTP: e-mail + password login and logout, throttling, admins managing
agents, disabled agents, the CLI's `agents add --email` and `shops secret`, the demo admin."""

from __future__ import annotations

import asyncio
import re
import stat
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import socketio

from covisor.app.cli import create_agent
from covisor.app.demo import DEMO_AGENT_FILE, seed_demo_agent
from covisor.app.factories import first_settings, make_store
from covisor.app.http import create_app
from covisor.config import Config
from covisor.kernel.errors import CovisorError
from covisor.team.passwords import acceptable
from covisor.team.settings import Settings
from tests.conftest import Harness, ManualClock, serving

WRONG = {
    "ok": False,
    "error": {"code": "unauthorized", "message": "wrong e-mail or password"},
}


async def admin_of(h: Harness, email: str = "boss@shop.test") -> str:
    _, token = await h.services.agents.add(
        "Boss", email=email, password="boss-password", role="admin"
    )
    return token


async def login(h: Harness, email: str, password: str, **kw: Any) -> tuple[int, Any]:
    return await h.request(
        "POST", "/api/auth/login", json={"email": email, "password": password}, **kw
    )


async def invite(h: Harness, admin: str, email: str, **body: Any) -> dict[str, Any]:
    status, answer = await h.request(
        "POST", "/api/team", admin, json={"name": "Ann", "email": email, **body}
    )
    assert status == 201, answer
    result: dict[str, Any] = answer
    return result


async def test_login_with_email_and_password_gives_a_working_token(harness: Harness) -> None:
    await admin_of(harness, "Boss@Shop.test")
    status, answer = await login(harness, " BOSS@shop.TEST ", "boss-password")
    assert status == 200, answer
    assert answer["agent"] == {
        "id": answer["agent"]["id"],
        "name": "Boss",
        "email": "boss@shop.test",
        "role": "admin",
    }
    assert answer["token"].startswith("a.")
    status, me = await harness.request("GET", "/api/me", answer["token"])
    assert status == 200
    assert me == {
        "id": answer["agent"]["id"],
        "role": "agent",
        "name": "Boss",
        "admin": True,
        "email": "boss@shop.test",
    }


async def test_wrong_password_and_unknown_email_get_the_same_answer(harness: Harness) -> None:
    await admin_of(harness)
    assert await login(harness, "boss@shop.test", "not-the-password") == (401, WRONG)
    assert await login(harness, "nobody@shop.test", "boss-password") == (401, WRONG)
    assert await login(harness, "not an email", "x") == (401, WRONG)


async def test_a_bad_login_body_is_a_bad_request(harness: Harness) -> None:
    status, answer = await harness.request("POST", "/api/auth/login", json={"email": "a@b"})
    assert status == 400 and answer["error"]["code"] == "bad_request"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def limited(config: Config, clock: ManualClock) -> AsyncIterator[Harness]:
    """A server with small login limits, behind a trusted proxy (the loopback), on `clock`."""
    small = config.replace(
        login_attempts_per_address=3,
        login_attempts_per_account=2,
        login_window=60.0,
        trusted_proxies=("127.0.0.1",),
    )
    async with serving(await create_app(small, clock=clock)) as h:
        yield h


def from_address(address: str) -> dict[str, Any]:
    return {"headers": {"X-Forwarded-For": address}}


async def raw_login(h: Harness, email: str, password: str, address: str) -> aiohttp.ClientResponse:
    async with h.http.post(
        h.url + "/api/auth/login",
        json={"email": email, "password": password},
        headers={"X-Forwarded-For": address},
    ) as response:
        await response.read()
        return response


async def test_logins_are_limited_per_address(limited: Harness, clock: ManualClock) -> None:
    h = limited
    await admin_of(h)
    for n in range(3):
        assert await login(h, f"guess{n}@shop.test", "x", **from_address("10.0.0.1")) == (
            401,
            WRONG,
        )
    refused = await raw_login(h, "boss@shop.test", "boss-password", "10.0.0.1")
    assert refused.status == 429
    body = await refused.json()
    assert body["error"]["code"] == "rate_limited" and body["error"]["retry_after"] > 0
    assert refused.headers["Retry-After"] == "60"
    # Another address is not held back; the window's end forgives the first.
    status, _ = await login(h, "boss@shop.test", "boss-password", **from_address("10.0.0.2"))
    assert status == 200
    clock.advance(61)
    status, _ = await login(h, "boss@shop.test", "boss-password", **from_address("10.0.0.1"))
    assert status == 200


async def test_logins_are_limited_per_account(limited: Harness, clock: ManualClock) -> None:
    h = limited
    await admin_of(h)
    for n in range(2):
        status, _ = await login(h, "boss@shop.test", "wrong", **from_address(f"10.0.1.{n}"))
        assert status == 401
    refused = await raw_login(h, "BOSS@shop.test", "boss-password", "10.0.2.1")
    assert refused.status == 429 and "Retry-After" in refused.headers
    status, _ = await login(h, "other@shop.test", "x", **from_address("10.0.2.1"))
    assert status == 401
    clock.advance(61)
    status, _ = await login(h, "boss@shop.test", "boss-password", **from_address("10.0.2.1"))
    assert status == 200


async def test_a_successful_login_is_not_held_against_the_address(limited: Harness) -> None:
    h = limited
    await admin_of(h)
    for _ in range(5):
        status, _ = await login(h, "boss@shop.test", "boss-password", **from_address("10.0.3.1"))
        assert status == 200


async def test_logout_ends_the_session_of_that_token_only(harness: Harness) -> None:
    api_token = await admin_of(harness)
    _, first = await login(harness, "boss@shop.test", "boss-password")
    _, second = await login(harness, "boss@shop.test", "boss-password")
    assert await harness.request("POST", "/api/auth/logout", first["token"]) == (204, None)
    status, answer = await harness.request("GET", "/api/me", first["token"])
    assert status == 401 and answer["error"]["code"] == "unauthorized"
    assert (await harness.request("GET", "/api/me", second["token"]))[0] == 200
    # Logging out of the console with the CLI's token forgets it there, not for scripts.
    assert await harness.request("POST", "/api/auth/logout", api_token) == (204, None)
    assert (await harness.request("GET", "/api/me", api_token))[0] == 200
    assert (await harness.request("POST", "/api/auth/logout"))[0] == 401


async def test_shoppers_cannot_log_out(harness: Harness) -> None:
    opened = await harness.open_conversation()
    status, answer = await harness.request("POST", "/api/auth/logout", opened["token"])
    assert status == 403 and answer["error"]["code"] == "forbidden"


async def test_a_disabled_agent_is_refused_everywhere(harness: Harness) -> None:
    admin = await admin_of(harness)
    invited = await invite(harness, admin, "ann@shop.test")
    ann_id, password = invited["agent"]["id"], invited["password"]
    _, session = await login(harness, "ann@shop.test", password)
    status, changed = await harness.request(
        "PATCH", f"/api/team/{ann_id}", admin, json={"disabled": True}
    )
    assert status == 200 and changed["disabled"] is True
    status, answer = await harness.request("GET", "/api/me", session["token"])
    assert status == 401 and answer["error"]["code"] == "unauthorized"
    # The right password of a disabled agent: exactly a wrong password's answer.
    assert await login(harness, "ann@shop.test", password) == (401, WRONG)
    client = socketio.AsyncClient(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect(
            harness.url, auth={"token": session["token"]}, transports=["websocket"]
        )
    await harness.request("PATCH", f"/api/team/{ann_id}", admin, json={"disabled": False})
    assert (await harness.request("GET", "/api/me", session["token"]))[0] == 200
    peer = await harness.peer(session["token"])
    assert peer.sio.connected


async def test_admins_invite_list_and_change_agents(harness: Harness) -> None:
    admin = await admin_of(harness)
    invited = await invite(harness, admin, " Ann@Shop.TEST", capacity=5)
    agent = invited["agent"]
    assert agent == {
        "id": agent["id"],
        "name": "Ann",
        "email": "ann@shop.test",
        "role": "agent",
        "disabled": False,
        "capacity": 5,
        "created_at": agent["created_at"],
    }
    assert len(invited["password"]) >= 24
    status, answer = await login(harness, "ann@shop.test", invited["password"])
    assert status == 200 and answer["agent"]["role"] == "agent"
    status, team = await harness.request("GET", "/api/team", admin)
    assert status == 200
    assert [(a["name"], a["role"]) for a in team["agents"]] == [("Boss", "admin"), ("Ann", "agent")]
    status, changed = await harness.request(
        "PATCH",
        f"/api/team/{agent['id']}",
        admin,
        json={"name": " Anna ", "role": "admin", "capacity": 2},
    )
    assert status == 200
    assert (changed["name"], changed["role"], changed["capacity"]) == ("Anna", "admin", 2)
    status, me = await harness.request("GET", "/api/me", answer["token"])
    assert me["admin"] is True and me["name"] == "Anna"


@pytest.mark.parametrize(
    "body",
    [
        {"name": "X", "email": "no-at-sign"},
        {"name": "X", "email": "two@@shop.test"},
        {"name": "X", "email": "a b@shop.test"},
        {"name": "X", "email": "a\u0000b@shop.test"},
        {"name": "X", "email": "ab@shop\u007f.test"},
        {"name": "X", "email": "a\u009bb@shop.test"},
        {"name": "X", "email": "x" * 250 + "@s.test"},
        {"name": "", "email": "x@shop.test"},
        {"name": "X", "email": "x@shop.test", "role": "owner"},
        {"name": "X", "email": "x@shop.test", "capacity": 0},
        {"name": "X", "email": "x@shop.test", "password": "mine"},
    ],
)
async def test_an_invitation_must_make_sense(harness: Harness, body: dict[str, Any]) -> None:
    admin = await admin_of(harness)
    status, answer = await harness.request("POST", "/api/team", admin, json=body)
    assert status == 400 and answer["error"]["code"] == "bad_request"


async def test_an_email_is_one_agents(harness: Harness) -> None:
    admin = await admin_of(harness)
    await invite(harness, admin, "ann@shop.test")
    status, answer = await harness.request(
        "POST", "/api/team", admin, json={"name": "Ann 2", "email": "ANN@shop.test"}
    )
    assert status == 409 and answer["error"]["code"] == "conflict"


async def test_only_admins_manage_the_team(harness: Harness) -> None:
    admin = await admin_of(harness)
    ann_id = (await invite(harness, admin, "ann@shop.test"))["agent"]["id"]
    agent = await harness.agent_token("Plain")
    shopper = (await harness.open_conversation())["token"]
    calls: list[tuple[str, str, dict[str, Any] | None]] = [
        ("GET", "/api/team", None),
        ("POST", "/api/team", {"name": "X", "email": "x@shop.test"}),
        ("PATCH", f"/api/team/{ann_id}", {"role": "admin"}),
        ("POST", f"/api/team/{ann_id}/password", None),
    ]
    for method, path, body in calls:
        for token in (agent, shopper):
            status, answer = await harness.request(method, path, token, json=body)
            assert (status, answer["error"]["code"]) == (403, "forbidden"), (method, path)
        status, answer = await harness.request(method, path, json=body)
        assert status == 401, (method, path)
    status, me = await harness.request("GET", "/api/me", agent)
    assert me["admin"] is False and me["email"] is None


async def test_an_unknown_agent_is_not_found(harness: Harness) -> None:
    admin = await admin_of(harness)
    status, answer = await harness.request("PATCH", "/api/team/a_nobody", admin, json={})
    assert status == 404 and answer["error"]["code"] == "not_found"
    status, answer = await harness.request("POST", "/api/team/a_nobody/password", admin)
    assert status == 404 and answer["error"]["code"] == "not_found"


async def test_the_last_enabled_admin_cannot_step_down(harness: Harness) -> None:
    admin = await admin_of(harness)
    _, me = await harness.request("GET", "/api/me", admin)
    for change in ({"role": "agent"}, {"disabled": True}):
        status, answer = await harness.request("PATCH", f"/api/team/{me['id']}", admin, json=change)
        assert status == 409 and answer["error"]["code"] == "conflict"
    ann_id = (await invite(harness, admin, "ann@shop.test", role="admin"))["agent"]["id"]
    status, answer = await harness.request(
        "PATCH", f"/api/team/{me['id']}", admin, json={"role": "agent"}
    )
    assert status == 200 and answer["role"] == "agent"
    status, answer = await harness.request("GET", "/api/team", admin)
    assert status == 403
    assert ann_id != me["id"]


async def test_a_password_reset_ends_the_agents_sessions(harness: Harness) -> None:
    admin = await admin_of(harness)
    invited = await invite(harness, admin, "ann@shop.test")
    ann_id, old = invited["agent"]["id"], invited["password"]
    _, session = await login(harness, "ann@shop.test", old)
    status, answer = await harness.request("POST", f"/api/team/{ann_id}/password", admin)
    assert status == 200 and len(answer["password"]) >= 24 and answer["password"] != old
    assert (await harness.request("GET", "/api/me", session["token"]))[0] == 401
    assert await login(harness, "ann@shop.test", old) == (401, WRONG)
    status, _ = await login(harness, "ann@shop.test", answer["password"])
    assert status == 200


async def run_cli(*args: str, stdin: bytes | None = None) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "covisor",
        *args,
        stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate(stdin)
    assert process.returncode is not None
    return process.returncode, out.decode() + err.decode()


@pytest.mark.process
async def test_cli_adds_an_admin_who_logs_in_with_the_printed_password(config: Config) -> None:
    data = str(config.data_dir)
    code, out = await run_cli(
        "agents", "add", "Boss", "--email", "Boss@Shop.test", "--admin", "--data-dir", data
    )
    assert code == 0, out
    lines = out.strip().splitlines()
    token = lines[-1]
    password = lines[next(n for n, line in enumerate(lines) if "password" in line) + 1]
    code, again = await run_cli(
        "agents", "add", "Eve", "--email", "boss@shop.test", "--data-dir", data
    )
    assert code == 1 and "e-mail" in again
    code, out = await run_cli(
        "agents",
        "add",
        "Ann",
        "--email",
        "ann@shop.test",
        "--password-stdin",
        "--data-dir",
        data,
        stdin=b"chosen-password\n",
    )
    assert code == 0, out
    assert "chosen-password" not in out
    code, out = await run_cli(
        "agents",
        "add",
        "Short",
        "--email",
        "s@shop.test",
        "--password-stdin",
        "--data-dir",
        data,
        stdin=b"short\n",
    )
    assert code == 2
    async with serving(await create_app(config)) as h:
        status, answer = await login(h, "boss@shop.test", password)
        assert status == 200 and answer["agent"]["role"] == "admin"
        status, me = await h.request("GET", "/api/me", token)
        assert status == 200 and me["admin"] is True and me["email"] == "boss@shop.test"
        status, answer = await login(h, "ann@shop.test", "chosen-password")
        assert status == 200 and answer["agent"]["role"] == "agent"


@pytest.mark.process
async def test_cli_prints_a_stable_shop_secret(tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    code, first = await run_cli("shops", "secret", "--data-dir", data)
    assert code == 0 and re.fullmatch(r"[0-9a-f]{64}\n", first), first
    code, second = await run_cli("shops", "secret", "--data-dir", data)
    assert second == first
    code, other = await run_cli("shops", "secret", "--data-dir", str(tmp_path / "other"))
    assert other != first


async def test_the_demo_agent_is_an_admin_with_a_password(
    harness: Harness, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await seed_demo_agent(harness.services.agents, tmp_path)
    path = tmp_path / DEMO_AGENT_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    lines = path.read_text().strip().splitlines()
    token = lines[-1]
    password = next(line.split(": ", 1)[1] for line in lines if line.startswith("password: "))
    printed = capsys.readouterr().out
    assert token in printed and password in printed and "demo@example.com" in printed
    status, answer = await login(harness, "demo@example.com", password)
    assert status == 200 and answer["agent"]["role"] == "admin"
    status, me = await harness.request("GET", "/api/me", token)
    assert me["admin"] is True
    # Only on a first start.
    await seed_demo_agent(harness.services.agents, tmp_path)
    assert path.read_text().strip().splitlines()[-1] == token


@pytest.mark.parametrize(
    "typed",
    [
        "boss-password\u0000",
        "boss-password\u0000\u0000",
        "boss-password\u0000x",
        "boss-password ",
        " boss-password",
        "boss-password\n",
        "boss-passwor",
        "Boss-password",
        "boss-password\u200b",
    ],
)
async def test_only_the_exact_password_logs_in(harness: Harness, typed: str) -> None:
    """HMAC pads a short key with zero bytes, so scrypt alone derives the same hash for a
    password with NULs after it: every string but the password itself must be wrong."""
    await admin_of(harness)
    assert await login(harness, "boss@shop.test", typed) == (401, WRONG)
    assert (await login(harness, "boss@shop.test", "boss-password"))[0] == 200


async def test_a_password_with_a_nul_cannot_be_chosen(harness: Harness) -> None:
    with pytest.raises(CovisorError):
        await harness.services.agents.add("Nul", email="nul@shop.test", password="12345678\0")
    assert acceptable("12345678\0") is not None


async def test_tokens_are_compared_exactly(harness: Harness) -> None:
    """An agent token, a shopper's grant: a character more, or a non-ASCII one (which a `str`
    comparison in constant time would raise on), is `unauthorized`, never a server error."""
    agent = await harness.agent_token()
    opened = await harness.open_conversation()
    grant = opened["token"]
    for token in (agent, grant):
        assert (await harness.request("GET", "/api/me", token))[0] == 200
        for other in (token + "x", token[:-1] + "é", token + "\u00a0", token + "\u3000"):
            status, answer = await harness.request("GET", "/api/me", other)
            assert (status, answer["error"]["code"]) == (401, "unauthorized"), other


@pytest.mark.parametrize(
    "change",
    [
        {"name": None},
        {"role": None},
        {"disabled": None},
        {"capacity": None},
        {"name": 5},
        {"role": 1},
        {"disabled": "yes"},
        {"disabled": 0},
        {"capacity": "3"},
        {"capacity": 2.5},
        {"capacity": True},
        {"name": "Anna", "capacity": None},
    ],
)
async def test_a_change_of_a_wrong_type_or_null_is_refused_and_changes_nothing(
    harness: Harness, change: dict[str, Any]
) -> None:
    admin = await admin_of(harness)
    agent = (await invite(harness, admin, "ann@shop.test"))["agent"]
    status, answer = await harness.request("PATCH", f"/api/team/{agent['id']}", admin, json=change)
    assert (status, answer["error"]["code"]) == (400, "bad_request"), answer
    _, team = await harness.request("GET", "/api/team", admin)
    assert [a for a in team["agents"] if a["id"] == agent["id"]] == [agent]


async def test_an_agent_added_on_the_command_line_gets_the_shop_s_capacity(
    config: Config,
) -> None:
    store = make_store(config)
    await store.open()
    try:
        settings = Settings(store, first_settings(config))
        await settings.save({**settings.now.wire(), "capacity": 7})
    finally:
        await store.close()

    await create_agent(config, "Cap")

    store = make_store(config)
    await store.open()
    try:
        [agent] = [a for a in await store.agents() if a.name == "Cap"]
    finally:
        await store.close()
    assert agent.capacity == 7 != config.agent_capacity
