"""The store's search of closed conversations (the console's history), on every backend."""

from __future__ import annotations

from typing import Any

from covisor.kernel.events import Event
from covisor.store import Append, ClosedQuery


def _event(cid: str, seq: int, type_: str, **data: Any) -> Event:
    return Event(cid, seq, type_, 1000.0 + seq, {"id": "s1", "role": "customer", "name": "S"}, data)


async def _closed(store: Any, cid: str, at: float, said: list[str], **summary: Any) -> None:
    await store.create_conversation(cid, at)
    events = [_event(cid, 1, "conversation.opened")]
    events += [_event(cid, 2 + i, "chat.message", text=text) for i, text in enumerate(said)]
    whole = {"id": cid, "status": "closed", **summary}
    await store.commit([Append(cid, 0, events, whole)])


async def _ids(store: Any, **query: Any) -> list[str]:
    return [r.id for r in await store.closed_conversations(ClosedQuery(**query))]


async def test_closed_conversations_are_searched_by_every_filter_newest_first(store: Any) -> None:
    await _closed(
        store,
        "c1",
        100.0,
        ["Hola, ¿tenéis la talla M?"],
        name="Zoë Müller",
        agent_id="a1",
        visitor={"email": "zoe@example.com"},
        rating={"score": 5, "comment": None},
    )
    await _closed(store, "c2", 200.0, ["100% WOOL_coat please"], name="Bob", agent_id="a2")
    await _closed(
        store, "c3", 300.0, [], name="Shopper", agent_id="a1", rating={"score": 2, "comment": "x"}
    )
    await store.create_conversation("open", 400.0)
    await store.commit(
        [Append("open", 0, [_event("open", 1, "chat.message", text="talla")], {"status": "active"})]
    )
    assert await _ids(store) == ["c3", "c2", "c1"], "closed only, newest first"
    assert await _ids(store, text="müller") == ["c1"], "the name, in any case, beyond ASCII"
    assert await _ids(store, text="zoe@example") == ["c1"], "the e-mail"
    assert await _ids(store, text="talla m") == ["c1"], "a message; not the open conversation's"
    assert await _ids(store, text="100% wool_") == ["c2"], "wildcards are taken literally"
    assert await _ids(store, text="100%_wool") == []
    assert await _ids(store, text="nothing like it") == []
    assert await _ids(store, agent_id="a1") == ["c3", "c1"]
    assert await _ids(store, rating=5) == ["c1"]
    assert await _ids(store, rating=2, agent_id="a1") == ["c3"]
    assert await _ids(store, since=150.0, until=300.0) == ["c2"], "since included, until not"
    assert await _ids(store, limit=2) == ["c3", "c2"]
    assert await _ids(store, limit=2, offset=2) == ["c1"]
