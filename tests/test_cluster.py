"""Two `covisor serve` processes sharing one data dir and one Redis serve one conversation."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Peer, agent_token_for, open_accepted, product_in, spawn_pair

pytestmark = pytest.mark.redis


async def test_agent_and_shopper_on_different_processes_see_one_order(
    spawn: Any, redis: str, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    first, second = await spawn_pair(spawn, redis, data)
    agent_token = await agent_token_for(data)
    opened = await open_accepted(second.url, agent_token)
    cid = opened["id"]

    agent = await Peer(first.url, agent_token).connect()
    customer = await Peer(second.url, opened["token"]).connect()
    try:
        await agent.ok("join", {"conversation_id": cid})
        await customer.ok("join", {"conversation_id": cid})
        await agent.ok("viewer.show", {"conversation_id": cid, "media_id": await product_in(data)})
        stroke = {"conversation_id": cid, "color": "#ff0000", "width": 0.01}
        await customer.ok("stroke.begin", {**stroke, "stroke_id": "c"})
        await agent.ok("stroke.begin", {**stroke, "stroke_id": "a"})

        async def burst(peer: Peer, stroke_id: str) -> list[int]:
            acks = []
            for i in range(40):
                point = {"conversation_id": cid, "stroke_id": stroke_id, "points": [[i / 40, 0.5]]}
                acks.append((await peer.ok("stroke.points", point))["seq"])
                if i % 10 == 0:
                    text = f"{stroke_id}{i}"
                    acks.append(
                        (await peer.ok("chat.send", {"conversation_id": cid, "text": text}))["seq"]
                    )
            return acks

        acked = await asyncio.gather(burst(agent, "a"), burst(customer, "c"))
        last = max(max(a) for a in acked)
        all_acked = sorted(acked[0] + acked[1])
        assert len(set(all_acked)) == len(all_acked), "two processes handed out one seq twice"
        await agent.wait_seq(last)
        await customer.wait_seq(last)
        seen = [
            sorted((e["seq"], e["type"], e["actor"]["id"]) for e in p.events)
            for p in (agent, customer)
        ]
        assert seen[0] == seen[1]
        seqs = [s for s, _, _ in seen[0]]
        assert seqs == list(range(seqs[0], last + 1)), "gap or duplicate in the shared order"
        snapshots = [
            (await p.ok("join", {"conversation_id": cid}))["snapshot"] for p in (agent, customer)
        ]
        assert snapshots[0] == snapshots[1]
        assert {s["stroke_id"]: len(s["points"]) for s in snapshots[0]["strokes"]} == {
            "c": 40,
            "a": 40,
        }
    finally:
        await agent.close()
        await customer.close()
