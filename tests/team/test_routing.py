"""Routing: who gets a new conversation, in one process and across two."""

from __future__ import annotations

import asyncio
from collections import Counter
from functools import partial
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from covisor.app.http import create_app
from covisor.config import Config
from covisor.team.roster import OnDuty, pick
from tests.conftest import Harness, Peer, agent_token_for, serving, spawn_pair


def duty(agent_id: str, open_: int, capacity: int = 3, **kw: Any) -> OnDuty:
    return OnDuty(
        agent_id,
        agent_id,
        kw.get("status", "online"),
        open_,
        capacity,
        kw.get("assigned_at", 0.0),
    )


def test_the_next_conversation_goes_to_the_least_busy_online_agent() -> None:
    assert pick([duty("a", 2), duty("b", 1), duty("c", 1, assigned_at=5.0)]) == duty("b", 1)
    assert pick([duty("a", 1, assigned_at=9.0), duty("b", 1, assigned_at=3.0)]) == duty(
        "b", 1, assigned_at=3.0
    ), "of equals, the one given a conversation longest ago"
    assert pick([duty("a", 0, status="away"), duty("b", 0, status="offline")]) is None
    assert pick([duty("a", 3, capacity=3)]) is None, "full"


def assigned_are(conversation_ids: set[str], peer: Peer) -> bool:
    """Whether `peer` was told of exactly these conversations becoming its agent's."""
    return {d["id"] for n, d in peer.pushes if n == "assigned"} == conversation_ids


async def wait_until(check: Any, timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def assignments(h: Harness, token: str) -> dict[str, str | None]:
    """Every open conversation's agent: the queue as `token`'s agent sees it, and the agents'
    own lists from the store (an agent lists only its own)."""
    _, body = await h.request("GET", "/api/conversations?status=waiting", token)
    found: dict[str, str | None] = {c["id"]: None for c in body["conversations"]}
    for record in await h.services.store.conversations(status="active"):
        found[record.id] = record.summary["agent_id"]
    return found


async def test_auto_routing_fills_capacity_fairly_and_waits_for_room(config: Config) -> None:
    async with serving(await create_app(config.replace(routing="auto"))) as h:
        team = h.services.agents
        ann_id, ann = await team.add("Ann", capacity=1)
        bob_id, bob = await team.add("Bob", capacity=2)
        cy_id, cy = await team.add("Cy", capacity=1)
        consoles = {
            agent_id: await h.peer(token)
            for agent_id, token in ((ann_id, ann), (bob_id, bob), (cy_id, cy))
        }
        status, _ = await h.request("PUT", "/api/me/status", cy, json={"status": "away"})
        assert status == 200
        opened = [await h.open_conversation() for _ in range(4)]

        async def three_given() -> bool:
            return sum(1 for a in (await assignments(h, ann)).values() if a) == 3

        await wait_until(three_given)
        given = await assignments(h, ann)
        assert Counter(given.values()) == {ann_id: 1, bob_id: 2, None: 1}, "Cy is away"
        assert given[opened[0]["id"]] in (ann_id, bob_id), "the oldest went first"
        (left,) = [cid for cid, agent in given.items() if agent is None]
        assert left == opened[3]["id"], "the newest waits"
        for agent_id, console in consoles.items():
            mine = {cid for cid, agent in given.items() if agent == agent_id}
            await console.wait_for(partial(assigned_are, mine))

        await h.request("PUT", "/api/me/status", cy, json={"status": "online"})

        async def cy_has_it() -> bool:
            return (await assignments(h, ann))[left] == cy_id

        await wait_until(cy_has_it)
        fifth = await h.open_conversation()
        await asyncio.sleep(0.3)
        assert (await assignments(h, ann))[fifth["id"]] is None, "everyone is full"
        anns = next(cid for cid, agent in given.items() if agent == ann_id)
        await h.request("POST", f"/api/conversations/{anns}/close", ann)

        async def ann_has_fifth() -> bool:
            return (await assignments(h, ann))[fifth["id"]] == ann_id

        await wait_until(ann_has_fifth)


async def test_manual_routing_leaves_the_queue_to_the_agents(harness: Harness) -> None:
    _, token = await harness.services.agents.add("Ann")
    await harness.peer(token)
    opened = await harness.open_conversation()
    await asyncio.sleep(0.3)
    assert (await assignments(harness, token)) == {opened["id"]: None}


@pytest.mark.redis
async def test_two_processes_route_without_overfilling_anyone(
    spawn: Any, redis: str, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    tokens = [await agent_token_for(data, name) for name in ("Ann", "Bob", "Cy")]
    first, second = await spawn_pair(spawn, redis, data, COVISOR_ROUTING="auto")
    consoles = [
        await Peer(server.url, token).connect()
        for server, token in zip((first, second, first), tokens, strict=True)
    ]
    try:
        async with aiohttp.ClientSession() as http:

            async def open_on(url: str) -> str:
                async with http.post(f"{url}/api/conversations", json={}) as response:
                    return (await response.json())["id"]  # type: ignore[no-any-return]

            opened = await asyncio.gather(*(open_on(server.url) for server in (first, second) * 5))

            async def agents_of() -> dict[str, str | None]:
                """The queue and each agent's own list, together."""
                found: dict[str, str | None] = {}
                for status, token in [("waiting", tokens[0])] + [("active", t) for t in tokens]:
                    async with http.get(
                        f"{second.url}/api/conversations?status={status}",
                        headers={"Authorization": f"Bearer {token}"},
                    ) as response:
                        body = await response.json()
                    found |= {c["id"]: c["agent_id"] for c in body["conversations"]}
                return found

            async def nine_given() -> bool:
                return sum(1 for a in (await agents_of()).values() if a) == 9

            await wait_until(nine_given, timeout=30)
            counts = Counter((await agents_of()).values())
            assert sorted(counts.values()) == [1, 3, 3, 3], counts
            assert counts[None] == 1 and set(await agents_of()) == set(opened)
    finally:
        for console in consoles:
            await console.close()


async def test_an_agent_at_capacity_takes_one_more_only_when_saying_so(harness: Harness) -> None:
    """Issue 24, 7: capacity holds for what the agent takes by hand, not only for routing:
    accepting, redeeming a shopper's PIN and a new phone session are `409 at_capacity` until
    the agent says `override` (after the console asked)."""
    _, token = await harness.services.agents.add("Ann", capacity=1)
    first, second, third = [await harness.open_conversation() for _ in range(3)]
    await harness.accepted(first["id"], token)

    accept = f"/api/conversations/{second['id']}/accept"
    status, body = await harness.request("POST", accept, token)
    assert status == 409 and body["error"]["code"] == "at_capacity", body
    status, body = await harness.request("POST", accept, token, json={"override": True})
    assert status == 200 and body["agent_id"] and body["status"] == "active", body

    status, issued = await harness.request(
        "POST", f"/api/conversations/{third['id']}/pins", third["token"]
    )
    assert status == 201, issued
    status, body = await harness.request(
        "POST", "/api/pins/redeem", token, json={"pin": issued["pin"]}
    )
    assert status == 409 and body["error"]["code"] == "at_capacity", body
    status, body = await harness.request(
        "POST", "/api/pins/redeem", token, json={"pin": issued["pin"], "override": True}
    )
    assert status == 200 and body["conversation_id"] == third["id"], "the PIN was not spent"

    status, body = await harness.request("POST", "/api/pins", token, json={})
    assert status == 409 and body["error"]["code"] == "at_capacity", body
    status, body = await harness.request("POST", "/api/pins", token, json={"override": True})
    assert status == 201, body
    _, agents = await harness.request("GET", "/api/agents", token)
    assert [(a["open"], a["capacity"]) for a in agents["agents"]] == [(4, 1)]
