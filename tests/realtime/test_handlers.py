"""The Socket.IO adapter end to end: real server on loopback, real python-socketio clients."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path
from typing import Any

import pytest
import socketio

from covisor.app.http import create_app
from covisor.config import Config
from covisor.kernel import commands as c
from covisor.kernel.identity import Identity
from covisor.store import Append
from covisor.store.sql import SQLiteStore
from tests.conftest import Harness, serving


async def test_connect_without_token_is_refused_with_reason(harness: Harness) -> None:
    client = socketio.AsyncClient(reconnection=False)
    reasons: list[object] = []
    client.on("connect_error", reasons.append)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect(harness.url, transports=["websocket"])
    assert reasons == [{"message": "a token is required", "data": {"code": "unauthorized"}}]


async def test_connect_with_forged_token_is_refused(harness: Harness) -> None:
    opened = await harness.open_conversation()
    forged = opened["token"][:-3] + ("AAA" if not opened["token"].endswith("AAA") else "BBB")
    client = socketio.AsyncClient(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect(harness.url, auth={"token": forged}, transports=["websocket"])


async def test_chat_message_reaches_both_members_with_same_seq(harness: Harness) -> None:
    cid, customer, agent = await harness.session()
    ack = await customer.ok("chat.send", {"conversation_id": cid, "text": "Is it waterproof?"})
    await agent.wait_seq(ack["seq"])
    await customer.wait_seq(ack["seq"])
    for peer in (customer, agent):
        [message] = peer.of_type("chat.message")
        assert message["seq"] == ack["seq"]
        assert message["data"]["text"] == "Is it waterproof?"
        assert message["actor"]["role"] == "customer"


async def test_three_clients_see_identical_event_order(harness: Harness) -> None:
    cid, customer, agent = await harness.session()
    third = await harness.peer(customer.token)
    await third.ok("join", {"conversation_id": cid})
    await agent.ok("viewer.show", {"conversation_id": cid, "media_id": await harness.product()})
    acks = await asyncio.gather(
        *(
            peer.ok("chat.send", {"conversation_id": cid, "text": f"m{i}"})
            for i, peer in enumerate([customer, agent, third] * 5)
        )
    )
    last = max(a["seq"] for a in acks)
    for peer in (customer, agent, third):
        await peer.wait_seq(last)
    orders = [sorted((e["seq"], e["type"]) for e in p.events) for p in (customer, agent, third)]
    assert orders[0] == orders[1] == orders[2]
    seqs = [s for s, _ in orders[0]]
    assert seqs == list(range(seqs[0], last + 1))


async def test_only_agent_changes_what_viewer_shows(harness: Harness) -> None:
    cid, customer, agent = await harness.session()
    refused = await customer.call(
        "viewer.show", {"conversation_id": cid, "media_id": await harness.product()}
    )
    assert refused["error"]["code"] == "forbidden"
    await agent.ok("viewer.show", {"conversation_id": cid, "media_id": await harness.product()})
    zoom = await customer.ok(
        "viewer.transform", {"conversation_id": cid, "zoom": 2.5, "cx": 0.3, "cy": 0.7}
    )
    await agent.wait_seq(zoom["seq"])
    assert agent.of_type("viewer.transform")[-1]["data"] == {"zoom": 2.5, "cx": 0.3, "cy": 0.7}


async def test_stroke_points_stream_to_viewer_while_drawn(harness: Harness) -> None:
    cid, customer, agent = await harness.session()
    await agent.ok("viewer.show", {"conversation_id": cid, "media_id": await harness.product()})
    begin = {"conversation_id": cid, "stroke_id": "s1", "color": "#ff0000", "width": 0.01}
    await customer.ok("stroke.begin", {**begin, "points": [[0.1, 0.1]]})
    began = agent.events[-1]["seq"] if agent.events else 0
    ack = await customer.call(
        "stroke.points", {"conversation_id": cid, "stroke_id": "s1", "points": [[0.2, 0.2]]}
    )
    assert ack == {"ok": True}, "points are not sequenced"
    await agent.wait_for(lambda p: p.drawn("s1") == [[0.2, 0.2]])
    assert agent.of_type("stroke.begin") and agent.events[-1]["seq"] == began
    [(_, push)] = [p for p in agent.pushes if p[0] == "points"]
    assert push == {"conversation_id": cid, "stroke_id": "s1", "index": 1, "points": [[0.2, 0.2]]}
    assert customer.drawn("s1") == [], "not to the sender"

    joiner = await harness.peer(customer.token)
    drawing = await joiner.ok("join", {"conversation_id": cid, "last_seq": began})
    assert drawing["mode"] == "snapshot", "while a stroke is drawn, a rejoin gets its line so far"
    [stroke] = drawing["snapshot"]["strokes"]
    assert stroke["points"] == [[0.1, 0.1], [0.2, 0.2]] and stroke["done"] is False

    end = await customer.ok("stroke.end", {"conversation_id": cid, "stroke_id": "s1"})
    assert end["event"]["data"] == {"stroke_id": "s1", "points": [[0.1, 0.1], [0.2, 0.2]]}
    await agent.wait_seq(end["seq"])
    assert agent.of_type("stroke.end")[-1]["data"]["points"] == [[0.1, 0.1], [0.2, 0.2]]
    joined = await joiner.ok("join", {"conversation_id": cid, "last_seq": began})
    assert joined["mode"] == "replay" and [e["type"] for e in joined["events"]] == ["stroke.end"]


async def test_undo_removes_only_the_senders_last_stroke(harness: Harness) -> None:
    cid, customer, agent = await harness.session()
    await agent.ok("viewer.show", {"conversation_id": cid, "media_id": await harness.product()})
    for peer, sid in ((customer, "c1"), (agent, "a1"), (customer, "c2")):
        await peer.ok(
            "stroke.begin",
            {"conversation_id": cid, "stroke_id": sid, "color": "#00ff00", "width": 0.01},
        )
    await agent.ok("stroke.undo", {"conversation_id": cid})
    snapshot = (await customer.ok("join", {"conversation_id": cid}))["snapshot"]
    assert [s["stroke_id"] for s in snapshot["strokes"]] == ["c1", "c2"]
    await customer.ok("stroke.clear", {"conversation_id": cid})
    snapshot = (await customer.ok("join", {"conversation_id": cid}))["snapshot"]
    assert snapshot["strokes"] == []


async def test_video_state_carries_server_time_for_position(harness: Harness) -> None:
    cid, customer, agent = await harness.session()
    await agent.ok(
        "viewer.show", {"conversation_id": cid, "media_id": await harness.product("video")}
    )
    await agent.ok("video.seek", {"conversation_id": cid, "position": 12.5})
    play = await customer.ok("video.play", {"conversation_id": cid})
    await agent.wait_seq(play["seq"])
    state = agent.of_type("video.state")[-1]["data"]
    assert state["playing"] is True and state["position"] == 12.5 and state["rate"] == 1.0
    assert state["at"] == agent.events[-1]["at"]
    rate = await agent.ok("video.rate", {"conversation_id": cid, "rate": 2.0})
    await customer.wait_seq(rate["seq"])
    later = customer.of_type("video.state")[-1]["data"]
    assert later["rate"] == 2.0 and later["position"] >= 12.5
    refused = await agent.call("video.seek", {"conversation_id": cid, "position": -1})
    assert refused["error"]["code"] == "bad_request"


async def test_rejoin_with_last_seq_replays_exactly_missed_events(harness: Harness) -> None:
    cid, customer, agent = await harness.session()
    first = await customer.ok("chat.send", {"conversation_id": cid, "text": "one"})
    await agent.close()
    missed = [
        (await customer.ok("chat.send", {"conversation_id": cid, "text": t}))["seq"]
        for t in ("two", "three", "four")
    ]
    back = await harness.peer(agent.token)
    joined = await back.ok("join", {"conversation_id": cid, "last_seq": first["seq"]})
    assert joined["mode"] == "replay"
    assert [e["seq"] for e in joined["events"]] == missed
    assert [e["data"]["text"] for e in joined["events"]] == ["two", "three", "four"]
    assert joined["seq"] == missed[-1]


async def test_rejoin_too_far_behind_gets_snapshot(harness: Harness) -> None:
    cid, customer, _ = await harness.session()
    joined = await customer.ok("join", {"conversation_id": cid, "last_seq": 10_000})
    assert joined["mode"] == "snapshot"
    assert joined["snapshot"]["seq"] == joined["seq"]


async def test_chat_resent_with_same_client_id_is_not_duplicated(harness: Harness) -> None:
    cid, customer, agent = await harness.session()
    message = {"conversation_id": cid, "text": "hello", "client_id": "local-1"}
    first = await customer.ok("chat.send", message)
    again = await customer.ok("chat.send", message)
    assert again["seq"] == first["seq"]
    history = await agent.ok("chat.history", {"conversation_id": cid})
    assert [m["data"]["text"] for m in history["messages"]] == ["hello"]


async def test_chat_history_pages_backwards(harness: Harness) -> None:
    cid, customer, _ = await harness.session()
    for i in range(7):
        await customer.ok("chat.send", {"conversation_id": cid, "text": f"m{i}"})
    page = await customer.ok("chat.history", {"conversation_id": cid, "limit": 3})
    assert [m["data"]["text"] for m in page["messages"]] == ["m4", "m5", "m6"]
    assert page["has_more"] is True
    before = page["messages"][0]["seq"]
    older = await customer.ok(
        "chat.history", {"conversation_id": cid, "limit": 10, "before_seq": before}
    )
    assert [m["data"]["text"] for m in older["messages"]] == ["m0", "m1", "m2", "m3"]
    assert older["has_more"] is False


async def test_typing_is_relayed_to_others_only(harness: Harness) -> None:
    cid, customer, agent = await harness.session()
    await customer.ok("chat.typing", {"conversation_id": cid, "typing": True})
    await agent.wait_for(lambda p: any(name == "typing" for name, _ in p.pushes))
    typing = [d for name, d in agent.pushes if name == "typing"]
    assert typing[0]["typing"] is True and typing[0]["actor"]["role"] == "customer"
    assert not any(name == "typing" for name, _ in customer.pushes)


async def test_read_receipt_is_sequenced_and_in_snapshot(harness: Harness) -> None:
    cid, customer, agent = await harness.session()
    sent = await customer.ok("chat.send", {"conversation_id": cid, "text": "hi"})
    await agent.ok("chat.read", {"conversation_id": cid, "seq": sent["seq"]})
    await customer.wait_for(lambda p: bool(p.of_type("chat.read")))
    snapshot = (await customer.ok("join", {"conversation_id": cid}))["snapshot"]
    assert list(snapshot["reads"].values()) == [sent["seq"]]


async def test_customer_cannot_join_another_conversation(harness: Harness) -> None:
    cid, customer, _ = await harness.session()
    other = await harness.open_conversation()
    intruder = await harness.peer(other["token"])
    refused = await intruder.call("join", {"conversation_id": cid})
    assert refused["error"]["code"] == "forbidden"
    sent = await customer.ok("chat.send", {"conversation_id": cid, "text": "private"})
    await customer.wait_seq(sent["seq"])
    assert intruder.events == []
    refused = await intruder.call("chat.send", {"conversation_id": cid, "text": "hi"})
    assert refused["error"]["code"] == "forbidden"


async def test_agent_must_accept_before_joining(harness: Harness) -> None:
    opened = await harness.open_conversation()
    agent = await harness.peer(await harness.agent_token())
    refused = await agent.call("join", {"conversation_id": opened["id"]})
    assert refused["error"]["code"] == "forbidden"
    await agent.ok("accept", {"conversation_id": opened["id"]})
    joined = await agent.ok("join", {"conversation_id": opened["id"]})
    assert joined["snapshot"]["status"] == "active"


async def test_second_agent_cannot_take_accepted_conversation(harness: Harness) -> None:
    opened = await harness.open_conversation()
    first = await harness.peer(await harness.agent_token("Ann"))
    second = await harness.peer(await harness.agent_token("Bob"))
    await first.ok("accept", {"conversation_id": opened["id"]})
    refused = await second.call("accept", {"conversation_id": opened["id"]})
    assert refused["error"]["code"] == "conflict" and "Ann" in refused["error"]["message"]


async def test_agents_get_queue_pushes_when_conversations_open(harness: Harness) -> None:
    agent = await harness.peer(await harness.agent_token())
    await agent.wait_for(lambda p: any(n == "queue" for n, _ in p.pushes))
    opened = await harness.open_conversation(name="Maria")
    await agent.wait_for(
        lambda p: any(
            n == "queue" and any(c["id"] == opened["id"] for c in d["conversations"])
            for n, d in p.pushes
        )
    )


async def test_presence_tells_members_who_is_online(harness: Harness) -> None:
    cid, customer, agent = await harness.session()
    assert any(n == "presence" and d["online"] for n, d in customer.pushes)
    await agent.close()
    await customer.wait_for(
        lambda p: any(n == "presence" and d["online"] is False for n, d in p.pushes)
    )


async def test_join_answer_lists_members_already_online(harness: Harness) -> None:
    cid, customer, agent = await harness.session()
    again = await customer.ok("join", {"conversation_id": cid})
    assert [m["role"] for m in again["online"]] == ["agent"]
    await agent.close()
    await customer.wait_for(
        lambda p: any(n == "presence" and d["online"] is False for n, d in p.pushes)
    )
    assert (await customer.ok("join", {"conversation_id": cid}))["online"] == []


async def test_time_answers_server_clock(harness: Harness) -> None:
    agent = await harness.peer(await harness.agent_token())
    answer = await agent.ok("time")
    assert answer["now"] > 1.7e12


async def test_sender_gets_its_event_in_the_ack_and_not_again(harness: Harness) -> None:
    cid, customer, agent = await harness.session()
    answer = await customer.sio.call(
        "chat.send", {"conversation_id": cid, "text": "once"}, timeout=5
    )
    assert answer["event"]["seq"] == answer["seq"] and answer["event"]["data"]["text"] == "once"
    after = await agent.ok("chat.send", {"conversation_id": cid, "text": "marker"})
    await customer.wait_seq(after["seq"])
    assert [e["seq"] for e in customer.events if e["seq"] >= answer["seq"]] == [after["seq"]]


async def test_a_rejoin_thousands_of_events_behind_is_replayed_from_the_event_log(
    harness: Harness,
) -> None:
    cid, customer, agent = await harness.session()
    await agent.ok("viewer.show", {"conversation_id": cid, "media_id": await harness.product()})
    left = (await customer.ok("join", {"conversation_id": cid}))["seq"]
    await customer.close()
    journal = harness.services.journal
    me = (await harness.request("GET", "/api/me", agent.token))[1]
    drawer = Identity(me["id"], "agent", me["name"])
    for start in range(0, 1500, 100):
        moves = [
            c.ViewerTransform(conversation_id=cid, zoom=2.0, cx=i / 1500, cy=0.5)
            for i in range(start, start + 100)
        ]
        await asyncio.gather(*(journal.submit(drawer, move) for move in moves))
    back = await harness.peer(customer.token)
    answer = await back.ok("join", {"conversation_id": cid, "last_seq": left})
    assert answer["mode"] == "replay"
    assert [e["seq"] for e in answer["events"]] == list(range(left + 1, answer["seq"] + 1))
    assert len(answer["events"]) == 1500


async def test_each_side_shares_the_region_it_sees(harness: Harness) -> None:
    cid, customer, agent = await harness.session()
    await agent.ok("viewer.show", {"conversation_id": cid, "media_id": await harness.product()})
    region = {"conversation_id": cid, "zoom": 2.0, "cx": 0.5, "cy": 0.25, "w": 0.3, "h": 0.5}
    moved = await agent.ok("viewer.transform", region)
    assert moved["event"]["data"] == {"zoom": 2.0, "cx": 0.5, "cy": 0.25, "w": 0.3, "h": 0.5}
    snapshot = (await customer.ok("join", {"conversation_id": cid}))["snapshot"]
    assert snapshot["transform"] == {"zoom": 2.0, "cx": 0.5, "cy": 0.25, "w": 0.3, "h": 0.5}

    seq = moved["seq"]
    view = {"conversation_id": cid, "cx": 0.4, "cy": 0.6, "w": 1.0, "h": 0.45}
    await customer.ok("viewer.view", view)
    await agent.wait_for(lambda p: any(name == "view" for name, _ in p.pushes))
    [(_, seen)] = [push for push in agent.pushes if push[0] == "view"]
    assert seen == {**view, "actor": seen["actor"]} and seen["actor"]["role"] == "customer"
    assert not any(name == "view" for name, _ in customer.pushes)
    after = await customer.ok("join", {"conversation_id": cid})
    assert after["seq"] == seq, "a view is not sequenced"
    for bad in ({**view, "w": 0}, {**view, "h": 1.5}, {**view, "cx": -0.1}):
        assert (await customer.call("viewer.view", bad))["error"]["code"] == "bad_request"
    stranger = await harness.peer((await harness.open_conversation())["token"])
    assert (await stranger.call("viewer.view", view))["error"]["code"] == "forbidden"


async def test_a_rejoin_beyond_replay_limit_falls_back_to_a_snapshot(config: Config) -> None:
    async with serving(await create_app(config.replace(replay_limit=10))) as h:
        cid, customer, agent = await h.session()
        left = (await customer.ok("join", {"conversation_id": cid}))["seq"]
        await customer.close()
        me = (await h.request("GET", "/api/me", agent.token))[1]
        writer = Identity(me["id"], "agent", me["name"])
        for i in range(15):
            await h.services.journal.submit(writer, c.ChatSend(conversation_id=cid, text=f"m{i}"))
        latest = left + 15

        back = await h.peer(customer.token)
        far = await back.ok("join", {"conversation_id": cid, "last_seq": left})
        assert far["mode"] == "snapshot" and "events" not in far
        assert far["seq"] == far["snapshot"]["seq"] == latest
        assert [m["data"]["text"] for m in far["snapshot"]["messages"]][-15:] == [
            f"m{i}" for i in range(15)
        ]
        just_beyond = await back.ok("join", {"conversation_id": cid, "last_seq": latest - 11})
        assert just_beyond["mode"] == "snapshot"

        within = await back.ok("join", {"conversation_id": cid, "last_seq": latest - 10})
        assert within["mode"] == "replay" and "snapshot" not in within
        assert [e["seq"] for e in within["events"]] == list(range(latest - 9, latest + 1))
        assert [e["data"]["text"] for e in within["events"]] == [f"m{i}" for i in range(5, 15)]


class FailingStore(SQLiteStore):
    """A store whose next commit fails (a full disk), once."""

    fail_next = False

    async def commit(self, appends: list[Append]) -> set[str]:
        if self.fail_next:
            self.fail_next = False
            raise OSError("the disk is full")
        return await super().commit(appends)


async def test_moves_relayed_but_not_committed_make_the_members_start_again(
    config: Config, tmp_path: Path
) -> None:
    store = FailingStore(tmp_path / "failing.sqlite3")
    config = dataclasses.replace(config, database_url=None)
    async with serving(await create_app(config, store=store)) as h:
        cid, customer, agent = await h.session()
        await agent.ok("viewer.show", {"conversation_id": cid, "media_id": await h.product()})

        def move(x: float) -> dict[str, Any]:
            return {"conversation_id": cid, "zoom": 2.0, "cx": x, "cy": 0.5}

        seq = (await agent.ok("viewer.transform", move(0.2)))["seq"]
        store.fail_next = True
        await agent.sio.emit("viewer.transform", move(0.5))
        await customer.wait_for(lambda p: p.of_type("viewer.transform")[-1]["data"]["cx"] == 0.5)
        for _ in range(100):
            if not customer.sio.connected and not agent.sio.connected:
                break
            await asyncio.sleep(0.05)
        assert not customer.sio.connected and not agent.sio.connected
        viewer = await h.peer(customer.token)
        rejoined = await viewer.ok("join", {"conversation_id": cid, "last_seq": seq + 1})
        assert rejoined["mode"] == "snapshot" and rejoined["seq"] == seq
        assert rejoined["snapshot"]["transform"]["cx"] == 0.2
        mover = await h.peer(agent.token)
        await mover.ok("join", {"conversation_id": cid})
        for x in (0.6, 0.7):
            await mover.ok("viewer.transform", move(x))
        later = await h.peer(customer.token)
        behind = await later.ok("join", {"conversation_id": cid, "last_seq": seq + 1})
        assert behind["mode"] == "snapshot", "the events after last_seq are not those it has"
        assert behind["snapshot"]["transform"]["cx"] == 0.7
        committed = await later.ok("join", {"conversation_id": cid, "last_seq": seq})
        assert committed["mode"] == "replay" and len(committed["events"]) == 2
