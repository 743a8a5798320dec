"""The Store contract: every backend (SQLite always, MongoDB when configured) must pass it."""

from __future__ import annotations

from typing import Any

from covisor.kernel.events import Event
from covisor.store import AgentRecord, Append


def event(cid: str, seq: int, type_: str = "chat.message", **data: Any) -> Event:
    return Event(cid, seq, type_, 1000.0 + seq, {"id": "u1", "role": "customer", "name": "S"}, data)


async def test_secret_is_created_once_and_then_kept(store: Any) -> None:
    first = await store.secret("grants", b"a" * 32)
    second = await store.secret("grants", b"b" * 32)
    assert first == second == b"a" * 32


async def test_agent_is_found_by_token_digest_only(store: Any) -> None:
    await store.add_agent(AgentRecord("a_1", "Ann", "digest-1", 5.0))
    assert await store.agent_by_digest("digest-1") == AgentRecord("a_1", "Ann", "digest-1", 5.0)
    assert await store.agent_by_digest("digest-2") is None
    assert await store.count_agents() == 1


async def test_commit_appends_events_and_updates_summary(store: Any) -> None:
    await store.create_conversation("c1", 1.0)
    events = [event("c1", 1, "conversation.opened"), event("c1", 2, text="hi")]
    stale = await store.commit([Append("c1", 0, events, {"status": "waiting", "id": "c1"})])
    assert stale == set()
    assert await store.events_after("c1", 0, 10) == events
    assert await store.events_after("c1", 1, 10) == events[1:]
    record = await store.conversation("c1")
    assert record.seq == 2
    assert record.summary == {"status": "waiting", "id": "c1", "last_seq": 2}
    assert await store.commit([Append("c1", 2, [], None)]) == set(), "still at 2: checked"
    assert await store.commit([Append("c1", 1, [], None)]) == {"c1"}, "not at 1 any more"
    record = await store.conversation("c1")
    assert record.seq == 2 and record.summary["status"] == "waiting", "a check writes nothing"


async def test_an_append_without_a_summary_moves_the_seq_and_keeps_the_summary(
    store: Any,
) -> None:
    await store.create_conversation("c1", 1.0)
    summary = {"status": "active", "agent_id": "a_1", "id": "c1"}
    await store.commit([Append("c1", 0, [event("c1", 1, "conversation.opened")], summary)])
    strokes = [event("c1", seq, "stroke.points", points=[[0.1, 0.2]]) for seq in (2, 3)]
    assert await store.commit([Append("c1", 1, strokes, None, b'{"x":3}')]) == set()
    record = await store.conversation("c1")
    assert (record.seq, record.snapshot, record.snapshot_seq) == (3, b'{"x":3}', 3)
    assert record.summary == {**summary, "last_seq": 3}
    assert (await store.summary("c1")).summary == {**summary, "last_seq": 3}
    assert [r.id for r in await store.conversations(agent_id="a_1")] == ["c1"]
    assert await store.events_after("c1", 1, 10) == strokes
    assert await store.commit([Append("c1", 1, strokes, None)]) == {"c1"}


async def test_stale_append_is_refused_and_changes_nothing(store: Any) -> None:
    await store.create_conversation("c1", 1.0)
    await store.create_conversation("c2", 2.0)
    await store.commit([Append("c1", 0, [event("c1", 1)], {"status": "waiting"})])
    stale = await store.commit(
        [
            Append("c1", 0, [event("c1", 1, text="late")], {"status": "waiting"}),
            Append("c2", 0, [event("c2", 1)], {"status": "waiting"}),
        ]
    )
    assert stale == {"c1"}
    assert [e.data for e in await store.events_after("c1", 0, 10)] == [{}]
    assert len(await store.events_after("c2", 0, 10)) == 1


async def test_snapshot_is_kept_with_its_seq(store: Any) -> None:
    await store.create_conversation("c1", 1.0)
    await store.commit([Append("c1", 0, [event("c1", 1)], {"status": "waiting"}, b'{"x":1}')])
    await store.commit([Append("c1", 1, [event("c1", 2)], {"status": "active"})])
    record = await store.conversation("c1")
    assert (record.snapshot, record.snapshot_seq, record.seq) == (b'{"x":1}', 1, 2)


async def test_conversations_filter_by_status_and_agent_newest_first(store: Any) -> None:
    for i, (status, agent) in enumerate([("waiting", None), ("active", "a1"), ("waiting", None)]):
        cid = f"c{i}"
        await store.create_conversation(cid, float(i))
        await store.commit([Append(cid, 0, [event(cid, 1)], {"status": status, "agent_id": agent})])
    await store.create_conversation("never-opened", 9.0)
    waiting = await store.conversations(status="waiting")
    assert [r.id for r in waiting] == ["c2", "c0"]
    assert [r.id for r in await store.conversations(status="active", agent_id="a1")] == ["c1"]


async def test_summary_is_the_committed_summary_without_the_snapshot(store: Any) -> None:
    assert await store.summary("c1") is None
    await store.create_conversation("c1", 5.0)
    empty = await store.summary("c1")
    assert (empty.id, empty.created_at, empty.seq, empty.summary) == ("c1", 5.0, 0, {})
    summary = {"id": "c1", "status": "active", "agent_id": "a1"}
    await store.commit([Append("c1", 0, [event("c1", 1)], summary, b'{"x":1}')])
    record = await store.summary("c1")
    assert (record.seq, record.summary) == (1, {**summary, "last_seq": 1})
    assert record.to_wire() == {**summary, "last_seq": 1, "created_at": 5.0}
    assert not hasattr(record, "snapshot")


async def test_events_of_type_pages_backwards(store: Any) -> None:
    await store.create_conversation("c1", 1.0)
    events = [event("c1", s, "chat.message" if s % 2 else "stroke.points") for s in range(1, 11)]
    await store.commit([Append("c1", 0, events, {"status": "waiting"})])
    last_two = await store.events_of_type("c1", "chat.message", None, 2)
    assert [e.seq for e in last_two] == [7, 9]
    older = await store.events_of_type("c1", "chat.message", 7, 10)
    assert [e.seq for e in older] == [1, 3, 5]
    after = await store.events_of_type_after("c1", "chat.message", 3, 2)
    assert [e.seq for e in after] == [5, 7]
    assert await store.events_of_type_after("c1", "chat.message", 9, 5) == []
