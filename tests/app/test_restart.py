"""Durability: an acknowledged event survives `kill -9` of the server; the points of a stroke
being drawn are durable once it ends, and its drawer sends them again after a restart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.conftest import Peer, agent_token_for, open_accepted, product_in


async def test_state_survives_kill_9_and_restart(spawn: Any, tmp_path: Path) -> None:
    data = tmp_path / "data"
    server = await spawn(data)
    agent_token = await agent_token_for(data)
    opened = await open_accepted(server.url, agent_token)
    cid = opened["id"]
    agent = await Peer(server.url, agent_token).connect()
    customer = await Peer(server.url, opened["token"]).connect()
    await agent.ok("join", {"conversation_id": cid})
    await customer.ok("join", {"conversation_id": cid})
    await customer.ok("chat.send", {"conversation_id": cid, "text": "my parcel is damaged"})
    await agent.ok("viewer.show", {"conversation_id": cid, "media_id": await product_in(data)})
    await agent.ok("viewer.transform", {"conversation_id": cid, "zoom": 3, "cx": 0.2, "cy": 0.8})
    stroke = {"conversation_id": cid, "color": "#112233", "width": 0.01}
    await customer.ok("stroke.begin", {**stroke, "stroke_id": "s1", "points": [[0.5, 0.5]]})
    for i in range(30):
        points = {"conversation_id": cid, "stroke_id": "s1", "points": [[i / 30, 0.5]]}
        await customer.ok("stroke.points", points)
    await customer.ok("stroke.end", {"conversation_id": cid, "stroke_id": "s1"})
    await customer.ok("stroke.begin", {**stroke, "stroke_id": "s2", "points": [[0.1, 0.1]]})
    drawing = {"conversation_id": cid, "stroke_id": "s2", "points": [[0.2, 0.2], [0.3, 0.3]]}
    await customer.ok("stroke.points", drawing)
    before = await customer.ok("join", {"conversation_id": cid})
    await agent.close()
    await customer.close()

    await server.kill()
    again = await spawn(data)
    customer = await Peer(again.url, opened["token"]).connect()
    after = await customer.ok("join", {"conversation_id": cid})
    assert after["seq"] == before["seq"]
    ended, drawn = after["snapshot"].pop("strokes")
    assert before["snapshot"].pop("strokes") == [
        ended,
        {**drawn, "points": [[0.1, 0.1], *drawing["points"]]},
    ]
    assert after["snapshot"] == before["snapshot"]
    assert after["snapshot"]["transform"] == {"zoom": 3.0, "cx": 0.2, "cy": 0.8}
    assert len(ended["points"]) == 31 and ended["done"], "an ended stroke is durable"
    assert drawn["points"] == [[0.1, 0.1]], "a stroke being drawn keeps its begin's points"
    resent = {**drawing, "points": [[0.2, 0.2], [0.3, 0.3], [0.4, 0.4]], "index": 1}
    await customer.ok("stroke.points", resent)
    await customer.ok("stroke.end", {"conversation_id": cid, "stroke_id": "s2"})
    final = (await customer.ok("join", {"conversation_id": cid}))["snapshot"]["strokes"][1]
    assert final["points"] == [[0.1, 0.1], *resent["points"]], "the drawer sends the rest again"
    await customer.close()
