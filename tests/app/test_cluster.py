"""Two `covisor serve` processes sharing one data dir and one Redis serve one conversation."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import aiohttp
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

        line = [[i / 40, 0.5] for i in range(40)]

        async def burst(peer: Peer, stroke_id: str) -> list[int]:
            acks = []
            for i in range(40):
                point = {"conversation_id": cid, "stroke_id": stroke_id, "points": [line[i]]}
                await peer.ok("stroke.points", point)
                if i % 10 == 0:
                    text = f"{stroke_id}{i}"
                    acks.append(
                        (await peer.ok("chat.send", {"conversation_id": cid, "text": text}))["seq"]
                    )
            end = {"conversation_id": cid, "stroke_id": stroke_id}
            acks.append((await peer.ok("stroke.end", end))["seq"])
            return acks

        acked = await asyncio.gather(burst(agent, "a"), burst(customer, "c"))
        last = max(max(a) for a in acked)
        all_acked = sorted(acked[0] + acked[1])
        assert len(set(all_acked)) == len(all_acked), "two processes handed out one seq twice"
        await agent.wait_seq(last)
        await customer.wait_seq(last)
        assert agent.drawn("c") == customer.drawn("a") == line, "points pushed across processes"
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
        assert snapshots[0].pop("notes") == []
        assert snapshots[0] == snapshots[1], "the same, but for the agent's internal notes"
        assert {s["stroke_id"]: len(s["points"]) for s in snapshots[0]["strokes"]} == {
            "c": 40,
            "a": 40,
        }
    finally:
        await agent.close()
        await customer.close()


async def test_a_transfer_between_agents_on_different_processes(
    spawn: Any, redis: str, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    first, second = await spawn_pair(spawn, redis, data)
    ann_token = await agent_token_for(data, "Ann")
    bea_token = await agent_token_for(data, "Bea")
    opened = await open_accepted(first.url, ann_token)
    cid = opened["id"]
    ann = await Peer(first.url, ann_token).connect()
    bea = await Peer(second.url, bea_token).connect()
    shopper = await Peer(first.url, opened["token"]).connect()
    try:
        await ann.ok("join", {"conversation_id": cid})
        await shopper.ok("join", {"conversation_id": cid})
        await ann.ok("viewer.show", {"conversation_id": cid, "media_id": await product_in(data)})
        await ann.ok("viewer.transform", {"conversation_id": cid, "zoom": 3, "cx": 0.2, "cy": 0.7})
        await shopper.ok("chat.send", {"conversation_id": cid, "text": "Is it in stock?"})
        before = (await ann.ok("join", {"conversation_id": cid}))["snapshot"]
        async with aiohttp.ClientSession() as http:
            async with http.get(
                f"{second.url}/api/me", headers={"Authorization": f"Bearer {bea_token}"}
            ) as response:
                bea_id = (await response.json())["id"]
            async with http.post(
                f"{first.url}/api/conversations/{cid}/transfer",
                json={"to": bea_id, "note": "Checks stock in Madrid"},
                headers={"Authorization": f"Bearer {ann_token}"},
            ) as response:
                assert response.status == 200, await response.text()
        await bea.wait_for(lambda p: any(n == "assigned" and d["id"] == cid for n, d in p.pushes))
        after = (await bea.ok("join", {"conversation_id": cid}))["snapshot"]
        for key in ("media", "transform", "strokes", "messages"):
            assert after[key] == before[key], key
        assert [n["data"]["text"] for n in after["notes"]] == ["Checks stock in Madrid"]
        await shopper.wait_for(lambda p: bool(p.of_type("conversation.transferred")))
        assert shopper.of_type("conversation.transferred")[0]["data"]["to"]["name"] == "Bea"
        reply = await bea.ok("chat.send", {"conversation_id": cid, "text": "Yes, two left"})
        await shopper.wait_seq(reply["seq"])
        refused = await ann.call("chat.typing", {"conversation_id": cid, "typing": True})
        assert refused["error"]["code"] == "forbidden", "Ann left the conversation's room"
        assert all(e["seq"] < reply["seq"] for e in ann.events)
        seqs = sorted(e["seq"] for e in shopper.events)
        assert seqs == list(range(seqs[0], seqs[-1] + 1)), "no gap, no repeat"
    finally:
        for peer in (ann, bea, shopper):
            await peer.close()
