"""The shop's settings (`GET/PUT /api/settings`, covisor/team/settings.py) on a real server:
admins only, every field checked, the config's values first, and a save in force at once on
the server that took it (availability, the widget's config, routing, a new agent's capacity,
the invitation cooldown) and within about a second on another process sharing the store."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml
from jsonschema import Draft202012Validator

from covisor.app.http import create_app
from covisor.config import Config
from tests.conftest import Harness, ManualClock, agent_token_for, serving, spawn_pair
from tests.team.test_routing import assignments, wait_until

OPENAPI = yaml.safe_load((Path(__file__).parents[2] / "docs" / "openapi.yaml").read_text())
MONDAY_NOON_UTC = 1_778_500_800_000.0  # 2026-05-11 12:00 UTC, a Monday

FIRST = {
    "routing": "manual",
    "capacity": 3,
    "prechat": "off",
    "timezone": "Europe/Madrid",
    "business_hours": "",
    "leave_message_without_agents": True,
    "invitation_cooldown": 86400.0,
}


def changed(**values: Any) -> dict[str, Any]:
    return {**FIRST, **values}


async def admin_and_agent(h: Harness) -> tuple[str, str]:
    _, admin = await h.services.agents.add("Boss", role="admin")
    _, agent = await h.services.agents.add("Ann")
    return admin, agent


def valid(schema: str, body: Any) -> None:
    Draft202012Validator({"$ref": f"#/components/schemas/{schema}", **OPENAPI}).validate(body)


async def test_settings_are_for_admins_and_start_from_the_config(harness: Harness) -> None:
    admin, agent = await admin_and_agent(harness)
    assert (await harness.request("GET", "/api/settings"))[0] == 401
    assert (await harness.request("PUT", "/api/settings", json=FIRST))[0] == 401
    status, body = await harness.request("GET", "/api/settings", agent)
    assert status == 403 and body["error"]["code"] == "forbidden"
    assert (await harness.request("PUT", "/api/settings", agent, json=FIRST))[0] == 403
    status, body = await harness.request("GET", "/api/settings", admin)
    assert status == 200 and body == FIRST
    valid("ShopSettings", body)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("routing", "round-robin"),
        ("routing", None),
        ("capacity", 0),
        ("capacity", 101),
        ("capacity", 2.5),
        ("capacity", True),
        ("prechat", "phone"),
        ("timezone", "Mars/Olympus"),
        ("timezone", "../etc/passwd"),
        ("timezone", 7),
        ("timezone", "Europe/" + "x" * 100),
        ("business_hours", "mon-fri 18:00-09:00"),
        ("business_hours", "someday 09:00-10:00"),
        ("business_hours", "mon 09:00-10:00;" * 100),
        ("leave_message_without_agents", "yes"),
        ("invitation_cooldown", -1),
        ("invitation_cooldown", 365 * 24 * 3600 + 1),
        ("invitation_cooldown", "1h"),
    ],
)
async def test_a_wrong_field_is_named_and_nothing_is_saved(
    harness: Harness, field: str, value: Any
) -> None:
    admin, _ = await admin_and_agent(harness)
    status, body = await harness.request(
        "PUT", "/api/settings", admin, json=changed(**{field: value})
    )
    assert status == 400, body
    assert body["error"]["code"] == "bad_request" and field in body["error"]["message"]
    assert (await harness.request("GET", "/api/settings", admin))[1] == FIRST


async def test_a_missing_or_unknown_field_or_a_body_not_an_object_is_refused(
    harness: Harness,
) -> None:
    admin, _ = await admin_and_agent(harness)
    partial = {k: v for k, v in FIRST.items() if k != "prechat"}
    for body in (partial, {**FIRST, "colour": "red"}, [FIRST], {}):
        status, answer = await harness.request("PUT", "/api/settings", admin, json=body)
        assert status == 400, (body, answer)
        assert answer["error"]["code"] == "bad_request"
    status, answer = await harness.request(
        "PUT", "/api/settings", admin, data=b"{not json", headers={"Content-Type": "text/plain"}
    )
    assert status == 400 and answer["error"]["code"] == "bad_request"


async def test_a_save_is_in_force_at_once(config: Config) -> None:
    clock = ManualClock(MONDAY_NOON_UTC)
    async with serving(await create_app(config, clock=clock)) as h:
        admin, agent = await admin_and_agent(h)
        await h.peer(agent)  # online: the shop is open
        assert (await h.request("GET", "/api/availability"))[1]["open"] is True
        saved = changed(
            routing="auto",
            capacity=5,
            prechat="name_email",
            timezone="Asia/Tokyo",
            business_hours="mon-fri 09:00-18:00",
            leave_message_without_agents=False,
            invitation_cooldown=20,
        )
        status, body = await h.request("PUT", "/api/settings", admin, json=saved)
        assert status == 200 and body == {**saved, "invitation_cooldown": 20.0}
        valid("ShopSettings", body)
        assert (await h.request("GET", "/api/settings", admin))[1] == body
        # 21:00 in Tokyo: closed now, though the answer before was cached for 5 s.
        _, availability = await h.request("GET", "/api/availability")
        assert availability["open"] is False and availability["reason"] == "closed_hours"
        assert availability["next_open"] == MONDAY_NOON_UTC + 12 * 3600_000  # 09:00 Tue., Tokyo
        _, client = await h.request("GET", "/api/config")
        assert client["prechat"] == "name_email" and client["routing"] == "auto"
        status, invited = await h.request(
            "POST", "/api/team", admin, json={"name": "Cy", "email": "cy@shop.test"}
        )
        assert status == 201 and invited["agent"]["capacity"] == 5
        _, visitor = await h.request("POST", "/api/visitors", json={})
        invitations = h.services.invitations
        assert await invitations.by_shop(visitor["id"], "Hi!") is not None
        clock.advance(10)
        assert await invitations.by_shop(visitor["id"], "Hi!") is None, "in the cooldown"
        clock.advance(11)  # (the agent's console still counts: 3 heartbeats of 10 s)
        assert await invitations.by_shop(visitor["id"], "Hi!") is not None, "20 s, not a day"
        opened = await h.open_conversation()

        async def routed() -> bool:
            return (await assignments(h, agent))[opened["id"]] is not None

        await wait_until(routed)


@pytest.mark.redis
async def test_another_process_follows_a_save_within_a_second(
    spawn: Any, redis: str, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    admin = await agent_token_for(data, "Boss", "--admin")
    first, second = await spawn_pair(spawn, redis, data, COVISOR_LEAVE_MESSAGE_WITHOUT_AGENTS="0")
    async with aiohttp.ClientSession() as http:

        async def get(url: str, path: str) -> Any:
            async with http.get(url + path, headers={"Authorization": f"Bearer {admin}"}) as r:
                assert r.status == 200, await r.text()
                return await r.json()

        assert (await get(second.url, "/api/availability"))["open"] is True
        closed = changed(
            leave_message_without_agents=False,
            business_hours="mon 00:00-00:01",
            timezone="Pacific/Kiritimati",
            prechat="name",
        )
        async with http.put(
            first.url + "/api/settings",
            json=closed,
            headers={"Authorization": f"Bearer {admin}"},
        ) as r:
            assert r.status == 200, await r.text()
        assert (await get(first.url, "/api/availability"))["reason"] == "closed_hours"
        loop = asyncio.get_running_loop()
        saved_at = loop.time()
        while (await get(second.url, "/api/config"))["prechat"] != "name":
            assert loop.time() - saved_at < 3, "the other process kept its settings"
            await asyncio.sleep(0.1)
        assert await get(second.url, "/api/settings") == closed
        # Its availability answer may be cached for 5 s (CACHE_MS), never under old settings.
        assert (await get(second.url, "/api/availability"))["reason"] == "closed_hours"
