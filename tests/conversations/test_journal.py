"""The journal: group commit, snapshots, and two writers sharing one store."""

from __future__ import annotations

import asyncio
import fcntl
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, TypedDict, Unpack

import pytest

from covisor.app.options import conversation_limits
from covisor.config import Config
from covisor.conversations.journal import Journal, Published, Publisher, Relay, Relayed
from covisor.kernel import commands as c
from covisor.kernel.errors import CovisorError
from covisor.kernel.events import Event, Points
from covisor.kernel.identity import Identity
from covisor.kernel.metrics import Metrics
from covisor.store import Append, Store
from covisor.store.sql import PostgresStore, SQLiteStore

SHOPPER = Identity("s1", "customer", "Sam", "c1")
AGENT = Identity("a1", "agent", "Ann")
IMAGE = {"source": "catalogue", "id": "i", "variant": "display_webp", "kind": "image"}
DEFAULTS = Config()


class CountingStore(SQLiteStore):
    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.commits = 0
        self.fail_next = False
        self.log: list[tuple[str, list[int]]] = []
        self.gate: asyncio.Event | None = None
        self.summaries: list[dict[str, Any] | None] = []

    async def commit(self, appends: list[Append]) -> set[str]:
        self.commits += 1
        self.log.append(("commit", [e.seq for a in appends for e in a.events]))
        self.summaries.extend(a.summary for a in appends)
        if self.gate is not None:
            await self.gate.wait()
        if self.fail_next:
            self.fail_next = False
            raise OSError("the disk is full")
        return await super().commit(appends)


def clock() -> float:
    return 1000.0


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[CountingStore]:
    store = CountingStore(tmp_path / "j.sqlite3")
    await store.open()
    await store.create_conversation("c1", 0.0)
    yield store
    await store.close()


class JournalOptions(TypedDict, total=False):
    snapshot_every: int
    commit_interval: float
    max_pending: int
    shed_after: float
    publish: Publisher
    relay: Relay
    retract: Callable[[dict[str, int]], Awaitable[None]]
    shared_store: bool


class Sink:
    """What a journal relayed (the seqs of events, the index of stroke points), and what it
    retracted, in order."""

    def __init__(self) -> None:
        self.relayed: list[int] = []
        self.sent: list[Event | Points] = []
        self.retracted: list[dict[str, int]] = []

    async def relay(self, round_: list[Relayed]) -> None:
        self.sent.extend(item for item, _ in round_)
        self.relayed.extend(item.seq for item, _ in round_ if isinstance(item, Event))

    async def retract(self, first_seqs: dict[str, int]) -> None:
        self.retracted.append(first_seqs)


async def ignore(published: list[Any]) -> None:
    pass


async def forget(retracted: dict[str, int]) -> None:
    pass


async def started(store: Store, **kw: Unpack[JournalOptions]) -> Journal:
    journal = Journal(
        store,
        clock,
        limits=conversation_limits(DEFAULTS),
        relay=kw.get("relay", ignore),
        publish=kw.get("publish", ignore),
        retract=kw.get("retract", forget),
        snapshot_every=kw.get("snapshot_every", DEFAULTS.snapshot_every),
        max_batch=DEFAULTS.commit_max_batch,
        commit_interval=kw.get("commit_interval", DEFAULTS.commit_interval),
        max_pending=kw.get("max_pending", DEFAULTS.max_pending_commands),
        shed_after=kw.get("shed_after", DEFAULTS.shed_after),
        shared_store=kw.get("shared_store", True),
        metrics=Metrics(),
    )
    journal.start()
    return journal


async def alone(store: SQLiteStore) -> tuple[Journal, Sink]:
    """A prepared journal alone on its store, relaying and retracting into a `Sink`."""
    sink = Sink()
    journal = await started(store, relay=sink.relay, retract=sink.retract, shared_store=False)
    await prepare(journal)
    return journal, sink


def move(x: float) -> c.ViewerTransform:
    """A view move: sequenced, and relayed before its commit by a journal alone on its store."""
    return c.ViewerTransform(conversation_id="c1", zoom=2.0, cx=x, cy=0.5)


def line(*xs: float, index: int | None = None) -> c.StrokePoints:
    return c.StrokePoints(
        conversation_id="c1", stroke_id="s", points=[(x, 0.5) for x in xs], index=index
    )


async def prepare(journal: Journal) -> None:
    await journal.submit(SHOPPER, c.Open(conversation_id="c1"))
    await journal.submit(AGENT, c.Accept(conversation_id="c1"))
    await journal.submit(AGENT, c.ShowProduct(conversation_id="c1", media=IMAGE))
    await journal.submit(
        SHOPPER, c.StrokeBegin(conversation_id="c1", stroke_id="s", color="#000000", width=0.01)
    )


async def test_concurrent_commands_share_one_commit(store: CountingStore) -> None:
    journal = await started(store)
    await prepare(journal)
    before = store.commits
    outcomes = await asyncio.gather(*(journal.submit(SHOPPER, move(i / 100)) for i in range(100)))
    assert sorted(o.seq for o in outcomes) == list(range(5, 105))
    assert store.commits - before < 10
    await journal.stop()


async def test_published_events_follow_commit_in_order(store: CountingStore) -> None:
    published: list[Event] = []
    all_out = asyncio.Event()

    async def publish(round_: list[Published]) -> None:
        published.extend(event for event, _ in round_)
        if published[-1].seq == 4:
            all_out.set()

    journal = await started(store, publish=publish)
    await prepare(journal)
    await asyncio.wait_for(all_out.wait(), 5)
    assert [e.seq for e in published] == [1, 2, 3, 4]
    assert [e.seq for e in await store.events_after("c1", 0, 10)] == [1, 2, 3, 4]
    await journal.stop()


async def test_refused_command_does_not_spoil_its_round(store: CountingStore) -> None:
    journal = await started(store)
    await prepare(journal)
    good = c.ChatSend(conversation_id="c1", text="ok")
    bad = c.StrokeEnd(conversation_id="c1", stroke_id="missing")
    results = await asyncio.gather(
        journal.submit(SHOPPER, good), journal.submit(SHOPPER, bad), return_exceptions=True
    )
    assert isinstance(results[1], CovisorError) and results[0].seq == 5  # type: ignore[union-attr]
    await journal.stop()


async def test_state_is_rebuilt_from_snapshot_plus_events(store: CountingStore) -> None:
    journal = await started(store, snapshot_every=3)
    await prepare(journal)
    for i in range(4):
        await journal.submit(SHOPPER, c.ChatSend(conversation_id="c1", text=f"m{i}"))
    expected = await journal.view(SHOPPER, "c1")
    await journal.stop()
    record = await store.conversation("c1")
    assert record is not None and 0 < record.snapshot_seq < record.seq
    fresh = await started(store)
    assert await fresh.view(SHOPPER, "c1") == expected
    await fresh.stop()


async def test_two_journals_on_one_store_never_reuse_a_seq(store: CountingStore) -> None:
    first, second = await started(store), await started(store)
    await prepare(first)
    sends = [
        (first if i % 2 else second).submit(SHOPPER, c.ChatSend(conversation_id="c1", text=f"m{i}"))
        for i in range(40)
    ]
    outcomes = await asyncio.gather(*sends)
    assert sorted(o.seq for o in outcomes) == list(range(5, 45))
    assert [e.seq for e in await store.events_after("c1", 0, 100)] == list(range(1, 45))
    views = [await j.view(SHOPPER, "c1") for j in (first, second)]
    assert views[0] == views[1]
    await first.stop()
    await second.stop()


async def test_nodes_on_one_postgresql_database_never_gap_or_repeat_a_seq(
    postgres_url: str,
) -> None:
    """Three journals, each on a store of its own (a pool, as on three machines), sending to
    one conversation at once: PostgreSQL's row locks decide each round, and the losers decide
    again on what the winners wrote."""
    stores = [PostgresStore(postgres_url, pool_size=2) for _ in range(3)]
    for node in stores:
        await node.open()
    await stores[0].create_conversation("c1", 0.0)
    journals = [await started(node) for node in stores]
    await prepare(journals[0])
    sends = [
        journals[i % 3].submit(SHOPPER, c.ChatSend(conversation_id="c1", text=f"m{i}"))
        for i in range(60)
    ]
    outcomes = await asyncio.gather(*sends)
    assert sorted(o.seq for o in outcomes) == list(range(5, 65))
    stored = await stores[1].events_after("c1", 0, 100)
    assert [e.seq for e in stored] == list(range(1, 65))
    assert sorted(e.data["text"] for e in stored[4:]) == sorted(f"m{i}" for i in range(60))
    for journal in journals:
        await journal.stop()
    for node in stores:
        await node.close()


async def test_full_queue_refuses_with_retry_after(store: CountingStore) -> None:
    journal = await started(store, max_pending=3)
    await prepare(journal)
    sends = [
        journal.submit(SHOPPER, c.ChatSend(conversation_id="c1", text=f"m{i}")) for i in range(10)
    ]
    results = await asyncio.gather(*sends, return_exceptions=True)
    refused = [r for r in results if isinstance(r, CovisorError)]
    assert refused and all(r.code == "rate_limited" and r.retry_after for r in refused)
    assert len(refused) < 10
    await journal.stop()


async def test_unknown_conversation_is_not_found(store: CountingStore) -> None:
    journal = await started(store)
    with pytest.raises(CovisorError) as refused:
        await journal.submit(SHOPPER, c.ChatSend(conversation_id="nope", text="hi"))
    assert refused.value.code == "not_found"
    await journal.stop()


async def test_alone_on_its_store_view_moves_are_relayed_before_their_commit(
    store: CountingStore,
) -> None:
    published = asyncio.Event()

    async def relay(round_: list[Relayed]) -> None:
        store.log.append(("relay", [e.seq for e, _ in round_ if isinstance(e, Event)]))

    async def publish(round_: list[Published]) -> None:
        if any(event.type == "chat.message" for event, _ in round_):
            published.set()

    journal = await started(store, relay=relay, publish=publish, shared_store=False)
    await prepare(journal)
    store.log.clear()
    moved = move(0.1)
    await asyncio.gather(
        journal.submit(SHOPPER, moved),
        journal.submit(SHOPPER, c.ChatSend(conversation_id="c1", text="after its commit")),
        journal.submit(SHOPPER, moved),
    )
    await asyncio.wait_for(published.wait(), 5)
    assert store.log == [("relay", [5]), ("commit", [5, 6, 7]), ("relay", [6, 7])], (
        "moves after a held chat message wait for it, in seq order"
    )
    await journal.stop()


async def test_moves_are_relayed_while_the_commit_before_them_is_under_way(
    store: CountingStore,
) -> None:
    relayed: list[int] = []

    async def relay(round_: list[Relayed]) -> None:
        relayed.extend(e.seq for e, _ in round_ if isinstance(e, Event))

    journal = await started(store, relay=relay, shared_store=False)
    await prepare(journal)
    store.log.clear()
    store.gate = asyncio.Event()
    moved = move(0.1)
    first = asyncio.ensure_future(journal.submit(SHOPPER, moved))
    while not store.log:
        await asyncio.sleep(0)
    second = asyncio.ensure_future(journal.submit(SHOPPER, moved))
    while relayed[-1] != 6:
        await asyncio.sleep(0)
    assert store.log == [("commit", [5])] and not first.done() and not second.done()
    store.gate.set()
    assert (await first).seq == 5 and (await second).seq == 6
    assert store.log == [("commit", [5]), ("commit", [6])]
    await journal.stop()


async def test_relayed_moves_the_store_fails_to_commit_are_retracted(
    store: CountingStore,
) -> None:
    journal, sink = await alone(store)
    relayed, retracted = sink.relayed, sink.retracted
    moved = move(0.1)
    store.fail_next = True
    with pytest.raises(CovisorError) as refused:
        await journal.submit(SHOPPER, moved)
    assert refused.value.code == "internal"
    assert relayed[-1] == 5 and retracted == [{"c1": 5}]
    store.fail_next = True
    with pytest.raises(CovisorError):
        await journal.submit(SHOPPER, c.ChatSend(conversation_id="c1", text="never shown"))
    assert relayed[-1] == 5 and retracted == [{"c1": 5}], "chat is relayed after its commit only"
    answer = await journal.submit(SHOPPER, moved)
    assert answer.seq == 5, "the seq of the move that was not committed is given again"
    await journal.stop()


async def test_a_commit_writes_the_summary_only_when_it_changed(store: CountingStore) -> None:
    journal, _ = await alone(store)
    moved = move(0.1)
    await journal.submit(SHOPPER, moved)
    await journal.submit(SHOPPER, c.ChatSend(conversation_id="c1", text="this one?"))
    await journal.submit(SHOPPER, moved)
    store.fail_next = True
    with pytest.raises(CovisorError):
        await journal.submit(SHOPPER, moved)
    await journal.submit(SHOPPER, moved)
    written = store.summaries[-5:]
    assert [s is not None for s in written] == [False, True, False, False, True], (
        "a view move changes the seq only; after a failed commit the summary is written again"
    )
    record = await store.summary("c1")
    assert record is not None and record.seq == 8
    assert record.summary["last_seq"] == 8 and record.summary["last_message"]["text"] == "this one?"
    await journal.stop()
    shared = await started(store)
    await shared.submit(SHOPPER, moved)
    assert store.summaries[-1] is not None, "another process may have stored another summary"
    await shared.stop()


async def test_commands_decided_behind_a_failed_commit_are_decided_again(
    store: CountingStore,
) -> None:
    journal, sink = await alone(store)
    relayed, retracted = sink.relayed, sink.retracted
    relayed.clear()
    store.log.clear()
    store.gate = asyncio.Event()
    store.fail_next = True

    lost = asyncio.ensure_future(journal.submit(SHOPPER, move(0.1)))
    while not store.log:
        await asyncio.sleep(0)
    behind = [asyncio.ensure_future(journal.submit(SHOPPER, move(x))) for x in (0.2, 0.3)]
    while len(relayed) < 3:
        await asyncio.sleep(0)
    assert relayed == [5, 6, 7] and store.log == [("commit", [5])]
    store.gate.set()
    with pytest.raises(CovisorError) as refused:
        await lost
    assert refused.value.code == "internal" and retracted == [{"c1": 5}]
    assert [(await b).seq for b in behind] == [5, 6], "decided again on the committed state"
    assert relayed == [5, 6, 7, 5, 6]
    stored = await store.events_after("c1", 4, 10)
    assert [(e.seq, e.data["cx"]) for e in stored] == [(5, 0.2), (6, 0.3)]
    await journal.stop()


async def quiet(store: CountingStore) -> tuple[Journal, asyncio.AbstractEventLoop]:
    """A journal alone on its store with commits 0.3 s apart, after a quiet spell."""
    journal = await started(store, shared_store=False, commit_interval=0.3)
    await prepare(journal)
    await asyncio.sleep(0.35)
    return journal, asyncio.get_running_loop()


async def test_alone_on_its_store_commits_are_spaced_by_the_commit_interval(
    store: CountingStore,
) -> None:
    journal, loop = await quiet(store)
    moved = move(0.1)
    started_at = loop.time()
    await journal.submit(SHOPPER, moved)
    assert loop.time() - started_at < 0.15, "after a quiet spell a command is committed at once"
    before = store.commits
    burst = [journal.submit(SHOPPER, moved) for _ in range(3)]
    await asyncio.sleep(0.1)
    burst += [journal.submit(SHOPPER, moved) for _ in range(3)]
    await asyncio.gather(*burst)
    assert loop.time() - started_at >= 0.3, "the next commit waits for the interval"
    assert store.commits == before + 1, "and carries every command decided meanwhile"
    await journal.stop()


async def test_background_work_never_makes_a_person_wait_for_the_commit_interval(
    store: CountingStore,
) -> None:
    journal, loop = await quiet(store)
    moved = move(0.1)
    await journal.submit(SHOPPER, moved, background=True)  # committed at once: all was quiet
    before = store.commits
    started_at = loop.time()
    lagging = [
        asyncio.ensure_future(journal.submit(SHOPPER, moved, background=True)) for _ in range(2)
    ]
    await asyncio.sleep(0.05)
    await journal.submit(SHOPPER, moved)
    assert loop.time() - started_at < 0.2, "a person's command does not wait behind it"
    await asyncio.gather(*lagging)
    assert store.commits == before + 1, "and takes the background work waiting with it"
    started_at = loop.time()
    await journal.submit(SHOPPER, moved, background=True)
    assert loop.time() - started_at >= 0.25, "background work alone keeps the interval"
    await journal.stop()


async def test_stopping_during_a_commit_answers_its_commands(store: CountingStore) -> None:
    journal, _ = await alone(store)
    store.log.clear()
    store.gate = asyncio.Event()
    moved = move(0.1)
    committing = asyncio.ensure_future(journal.submit(SHOPPER, moved))
    while not store.log:
        await asyncio.sleep(0)
    behind = asyncio.ensure_future(journal.submit(SHOPPER, moved))
    await asyncio.sleep(0.01)
    await journal.stop()
    for answer in (committing, behind):
        with pytest.raises(CovisorError) as refused:
            await asyncio.wait_for(answer, 1)
        assert refused.value.code == "unavailable"


async def test_processes_sharing_a_store_take_turns_on_its_commit_lock(
    store: CountingStore, tmp_path: Path
) -> None:
    journal = await started(store)
    await prepare(journal)
    other = os.open(tmp_path / "j.sqlite3.commit-lock", os.O_RDWR)
    try:
        fcntl.flock(other, fcntl.LOCK_EX)
        text = c.ChatSend(conversation_id="c1", text="after you")
        sending = asyncio.ensure_future(journal.submit(SHOPPER, text))
        await asyncio.sleep(0.2)
        assert not sending.done(), "another process holds the lock: the commit waits its turn"
        fcntl.flock(other, fcntl.LOCK_UN)
        assert (await asyncio.wait_for(sending, 5)).seq == 5
    finally:
        os.close(other)
    await journal.stop()


async def test_sharing_a_store_a_refusal_or_snapshot_decided_on_a_stale_state_is_decided_again(
    store: CountingStore,
) -> None:
    first, second = await started(store), await started(store)
    await prepare(first)
    assert (await second.view(SHOPPER, "c1")).seq == 4, "the second has c1 cached at 4"
    begin = c.StrokeBegin(conversation_id="c1", stroke_id="t", color="#00ff00", width=0.02)
    await first.submit(SHOPPER, begin)
    end = c.StrokeEnd(conversation_id="c1", stroke_id="t")
    assert (await second.submit(SHOPPER, end)).seq == 6, (
        "a stroke the second had not seen, found once its cache was known to be stale"
    )
    await first.submit(SHOPPER, c.ChatSend(conversation_id="c1", text="after"))
    view = await second.view(SHOPPER, "c1")
    assert view.seq == 7 and view.snapshot["messages"][-1]["data"]["text"] == "after"
    await first.stop()
    await second.stop()


async def test_stroke_points_are_answered_and_relayed_without_a_commit(
    store: CountingStore,
) -> None:
    journal, sink = await alone(store)
    store.log.clear()
    await journal.draw(SHOPPER, line(0.1, 0.2))
    await journal.draw(SHOPPER, line(0.3))
    assert store.log == [], "points are not committed"
    assert [(p.index, p.points) for p in sink.sent[-2:] if isinstance(p, Points)] == [
        (0, [(0.1, 0.5), (0.2, 0.5)]),
        (2, [(0.3, 0.5)]),
    ]
    view = await journal.view(AGENT, "c1")
    assert view.drawing and view.snapshot["strokes"][0]["points"] == [
        (0.1, 0.5),
        (0.2, 0.5),
        (0.3, 0.5),
    ]
    end = await journal.submit(SHOPPER, c.StrokeEnd(conversation_id="c1", stroke_id="s"))
    assert end.seq == 5 and [seqs for _, seqs in store.log if seqs] == [[5]]
    stored = await store.events_after("c1", 4, 10)
    assert stored[0].data["points"] == [[0.1, 0.5], [0.2, 0.5], [0.3, 0.5]]
    assert not (await journal.view(AGENT, "c1")).drawing
    await journal.stop()
    fresh = await started(store, shared_store=False)
    strokes = (await fresh.view(AGENT, "c1")).snapshot["strokes"]
    assert strokes[0]["points"] == [(0.1, 0.5), (0.2, 0.5), (0.3, 0.5)] and strokes[0]["done"]
    await fresh.stop()


async def test_points_after_an_event_waiting_for_its_commit_are_relayed_after_it(
    store: CountingStore,
) -> None:
    journal, sink = await alone(store)
    sink.sent.clear()
    store.gate = asyncio.Event()
    chat = asyncio.ensure_future(
        journal.submit(SHOPPER, c.ChatSend(conversation_id="c1", text="wait for me"))
    )
    await asyncio.sleep(0)
    await journal.draw(SHOPPER, line(0.1))
    assert sink.sent == [], "answered at once, relayed after the chat message"
    store.gate.set()
    assert (await chat).seq == 5
    while len(sink.sent) < 2:
        await asyncio.sleep(0.001)
    assert [type(item).__name__ for item in sink.sent] == ["Event", "Points"]
    await journal.stop()


async def test_a_stroke_end_whose_commit_failed_still_carries_every_point(
    store: CountingStore,
) -> None:
    journal, _ = await alone(store)
    await journal.draw(SHOPPER, line(0.1, 0.2))
    end = c.StrokeEnd(conversation_id="c1", stroke_id="s")
    store.fail_next = True
    with pytest.raises(CovisorError):
        await journal.submit(SHOPPER, end)
    assert (await journal.view(AGENT, "c1")).snapshot["strokes"][0]["points"] == [
        (0.1, 0.5),
        (0.2, 0.5),
    ], "the sketch outlives the state dropped with the failed commit"
    await journal.draw(SHOPPER, line(0.2, 0.3, index=1))
    assert (await journal.submit(SHOPPER, end)).seq == 5
    stored = await store.events_after("c1", 4, 10)
    assert stored[0].data["points"] == [[0.1, 0.5], [0.2, 0.5], [0.3, 0.5]]
    await journal.stop()


async def test_sharing_a_store_a_stale_state_keeps_the_points_drawn(store: CountingStore) -> None:
    first, second = await started(store), await started(store)
    await prepare(first)
    await first.draw(SHOPPER, line(0.1, 0.2))
    await second.submit(AGENT, c.ChatSend(conversation_id="c1", text="meanwhile"))
    store.log.clear()
    end = await first.submit(SHOPPER, c.StrokeEnd(conversation_id="c1", stroke_id="s"))
    assert end.seq == 6 and len(store.log) == 2, "decided on a stale state, then again"
    stored = await store.events_after("c1", 5, 10)
    assert stored[0].data["points"] == [[0.1, 0.5], [0.2, 0.5]]
    await first.stop()
    await second.stop()


async def test_points_refused_change_nothing(store: CountingStore) -> None:
    journal, sink = await alone(store)
    sink.sent.clear()
    with pytest.raises(CovisorError) as refused:
        await journal.draw(SHOPPER, line(0.1, index=3))
    assert refused.value.code == "conflict"
    with pytest.raises(CovisorError) as refused:
        await journal.draw(AGENT, line(0.1))
    assert refused.value.code == "forbidden"
    assert (
        sink.sent == [] and not (await journal.view(AGENT, "c1")).snapshot["strokes"][0]["points"]
    )
    await journal.stop()


async def test_points_behind_an_event_being_committed_go_out_right_after_it(
    store: CountingStore,
) -> None:
    sink = Sink()
    journal = await started(store, relay=sink.relay)
    await prepare(journal)
    store.log.clear()
    sink.sent.clear()
    store.gate = asyncio.Event()
    begin = c.StrokeBegin(conversation_id="c1", stroke_id="t", color="#00ff00", width=0.02)
    began = asyncio.ensure_future(journal.submit(SHOPPER, begin))
    while not store.log:
        await asyncio.sleep(0)
    await journal.draw(
        SHOPPER, c.StrokePoints(conversation_id="c1", stroke_id="t", points=[(0.1, 0.5)])
    )
    assert sink.sent == [], "answered, and held until the stroke.begin before it is relayed"
    store.gate.set()
    await began
    await journal.draw(
        SHOPPER, c.StrokePoints(conversation_id="c1", stroke_id="t", points=[(0.2, 0.5)])
    )
    assert [(type(i).__name__, getattr(i, "index", None)) for i in sink.sent] == [
        ("Event", None),
        ("Points", 0),
        ("Points", 1),
    ]
    assert len(store.log) == 1, "the held points waited for no commit of their own"
    await journal.stop()


async def test_points_held_behind_an_event_decided_again_follow_it(
    store: CountingStore, tmp_path: Path
) -> None:
    sink = Sink()
    first = await started(store, relay=sink.relay)
    await prepare(first)
    other = SQLiteStore(tmp_path / "j.sqlite3")
    await other.open()
    second = await started(other)
    store.log.clear()
    sink.sent.clear()
    store.gate = asyncio.Event()
    begin = c.StrokeBegin(conversation_id="c1", stroke_id="t", color="#00ff00", width=0.02)
    began = asyncio.ensure_future(first.submit(SHOPPER, begin))
    while not store.log:
        await asyncio.sleep(0)
    points = c.StrokePoints(conversation_id="c1", stroke_id="t", points=[(0.1, 0.5)])
    await first.draw(SHOPPER, points)
    assert (await second.submit(AGENT, c.ChatSend(conversation_id="c1", text="first"))).seq == 5
    store.gate.set()
    assert (await began).seq == 6, "the begin found c1 stale and was decided again"
    for _ in range(500):
        if len(sink.sent) >= 2:
            break
        await asyncio.sleep(0.002)
    assert [(type(i).__name__, getattr(i, "seq", None)) for i in sink.sent] == [
        ("Event", 6),
        ("Points", None),
    ], "the points answered behind it went out once, after it"
    await first.stop()
    await second.stop()
    await other.close()


async def test_points_whose_sender_stopped_waiting_spoil_nothing(store: CountingStore) -> None:
    journal, sink = await alone(store)
    sink.sent.clear()
    gone = asyncio.ensure_future(journal.draw(SHOPPER, line(0.1)))
    await asyncio.sleep(0)
    gone.cancel()
    chat = c.ChatSend(conversation_id="c1", text="still answered")
    assert (await journal.submit(SHOPPER, chat)).seq == 5
    await journal.draw(SHOPPER, line(0.2))
    assert [p.index for p in sink.sent if isinstance(p, Points)] == [0, 1]
    await journal.stop()
