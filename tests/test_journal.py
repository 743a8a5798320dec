"""The journal: group commit, snapshots, and two writers sharing one store."""

from __future__ import annotations

import asyncio
import fcntl
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, TypedDict, Unpack

import pytest

from covisor import commands as c
from covisor.app import conversation_limits
from covisor.config import Config
from covisor.errors import CovisorError
from covisor.events import Event
from covisor.identity import Identity
from covisor.journal import Journal, Published, Publisher
from covisor.metrics import Metrics
from covisor.store import Append
from covisor.store.sqlite import SQLiteStore

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
    relay: Publisher
    retract: Callable[[dict[str, int]], Awaitable[None]]
    shared_store: bool


class Sink:
    """The seqs a journal relayed, and what it retracted, in order."""

    def __init__(self) -> None:
        self.relayed: list[int] = []
        self.retracted: list[dict[str, int]] = []

    async def relay(self, round_: list[Published]) -> None:
        self.relayed.extend(event.seq for event, _ in round_)

    async def retract(self, first_seqs: dict[str, int]) -> None:
        self.retracted.append(first_seqs)


async def ignore(published: list[Published]) -> None:
    pass


async def forget(retracted: dict[str, int]) -> None:
    pass


async def started(store: SQLiteStore, **kw: Unpack[JournalOptions]) -> Journal:
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
    points = [
        c.StrokePoints(conversation_id="c1", stroke_id="s", points=[(i / 100, 0.5)])
        for i in range(100)
    ]
    outcomes = await asyncio.gather(*(journal.submit(SHOPPER, p) for p in points))
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
    bad = c.StrokePoints(conversation_id="c1", stroke_id="missing", points=[(0.1, 0.1)])
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


async def test_alone_on_its_store_stroke_points_are_relayed_before_their_commit(
    store: CountingStore,
) -> None:
    published = asyncio.Event()

    async def relay(round_: list[Published]) -> None:
        store.log.append(("relay", [event.seq for event, _ in round_]))

    async def publish(round_: list[Published]) -> None:
        if any(event.type == "chat.message" for event, _ in round_):
            published.set()

    journal = await started(store, relay=relay, publish=publish, shared_store=False)
    await prepare(journal)
    store.log.clear()
    point = c.StrokePoints(conversation_id="c1", stroke_id="s", points=[(0.1, 0.1)])
    await asyncio.gather(
        journal.submit(SHOPPER, point),
        journal.submit(SHOPPER, c.ChatSend(conversation_id="c1", text="after its commit")),
        journal.submit(SHOPPER, point),
    )
    await asyncio.wait_for(published.wait(), 5)
    assert store.log == [("relay", [5]), ("commit", [5, 6, 7]), ("relay", [6, 7])], (
        "points after a held chat message wait for it, in seq order"
    )
    await journal.stop()


async def test_points_are_relayed_while_the_commit_before_them_is_under_way(
    store: CountingStore,
) -> None:
    relayed: list[int] = []

    async def relay(round_: list[Published]) -> None:
        relayed.extend(event.seq for event, _ in round_)

    journal = await started(store, relay=relay, shared_store=False)
    await prepare(journal)
    store.log.clear()
    store.gate = asyncio.Event()
    point = c.StrokePoints(conversation_id="c1", stroke_id="s", points=[(0.1, 0.1)])
    first = asyncio.ensure_future(journal.submit(SHOPPER, point))
    while not store.log:
        await asyncio.sleep(0)
    second = asyncio.ensure_future(journal.submit(SHOPPER, point))
    while relayed[-1] != 6:
        await asyncio.sleep(0)
    assert store.log == [("commit", [5])] and not first.done() and not second.done()
    store.gate.set()
    assert (await first).seq == 5 and (await second).seq == 6
    assert store.log == [("commit", [5]), ("commit", [6])]
    await journal.stop()


async def test_relayed_points_the_store_fails_to_commit_are_retracted(
    store: CountingStore,
) -> None:
    journal, sink = await alone(store)
    relayed, retracted = sink.relayed, sink.retracted
    point = c.StrokePoints(conversation_id="c1", stroke_id="s", points=[(0.1, 0.1)])
    store.fail_next = True
    with pytest.raises(CovisorError) as refused:
        await journal.submit(SHOPPER, point)
    assert refused.value.code == "internal"
    assert relayed[-1] == 5 and retracted == [{"c1": 5}]
    store.fail_next = True
    with pytest.raises(CovisorError):
        await journal.submit(SHOPPER, c.ChatSend(conversation_id="c1", text="never shown"))
    assert relayed[-1] == 5 and retracted == [{"c1": 5}], "chat is relayed after its commit only"
    answer = await journal.submit(SHOPPER, point)
    assert answer.seq == 5, "the seq of the points that were not committed is given again"
    await journal.stop()


async def test_a_commit_writes_the_summary_only_when_it_changed(store: CountingStore) -> None:
    journal, _ = await alone(store)
    point = c.StrokePoints(conversation_id="c1", stroke_id="s", points=[(0.1, 0.1)])
    await journal.submit(SHOPPER, point)
    await journal.submit(SHOPPER, c.ChatSend(conversation_id="c1", text="this one?"))
    await journal.submit(SHOPPER, point)
    store.fail_next = True
    with pytest.raises(CovisorError):
        await journal.submit(SHOPPER, point)
    await journal.submit(SHOPPER, point)
    written = store.summaries[-5:]
    assert [s is not None for s in written] == [False, True, False, False, True], (
        "a stroke moves the seq only; after a failed commit the summary is written again"
    )
    record = await store.summary("c1")
    assert record is not None and record.seq == 8
    assert record.summary["last_seq"] == 8 and record.summary["last_message"]["text"] == "this one?"
    await journal.stop()
    shared = await started(store)
    await shared.submit(SHOPPER, point)
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

    def point(x: float) -> c.StrokePoints:
        return c.StrokePoints(conversation_id="c1", stroke_id="s", points=[(x, 0.5)])

    lost = asyncio.ensure_future(journal.submit(SHOPPER, point(0.1)))
    while not store.log:
        await asyncio.sleep(0)
    behind = [asyncio.ensure_future(journal.submit(SHOPPER, point(x))) for x in (0.2, 0.3)]
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
    assert [(e.seq, e.data["points"]) for e in stored] == [(5, [[0.2, 0.5]]), (6, [[0.3, 0.5]])]
    await journal.stop()


async def test_alone_on_its_store_commits_are_spaced_by_the_commit_interval(
    store: CountingStore,
) -> None:
    journal = await started(store, shared_store=False, commit_interval=0.3)
    await prepare(journal)
    await asyncio.sleep(0.35)
    loop = asyncio.get_running_loop()
    point = c.StrokePoints(conversation_id="c1", stroke_id="s", points=[(0.1, 0.1)])
    started_at = loop.time()
    await journal.submit(SHOPPER, point)
    assert loop.time() - started_at < 0.15, "after a quiet spell a command is committed at once"
    before = store.commits
    burst = [journal.submit(SHOPPER, point) for _ in range(3)]
    await asyncio.sleep(0.1)
    burst += [journal.submit(SHOPPER, point) for _ in range(3)]
    await asyncio.gather(*burst)
    assert loop.time() - started_at >= 0.3, "the next commit waits for the interval"
    assert store.commits == before + 1, "and carries every command decided meanwhile"
    await journal.stop()


async def test_stopping_during_a_commit_answers_its_commands(store: CountingStore) -> None:
    journal, _ = await alone(store)
    store.log.clear()
    store.gate = asyncio.Event()
    point = c.StrokePoints(conversation_id="c1", stroke_id="s", points=[(0.1, 0.1)])
    committing = asyncio.ensure_future(journal.submit(SHOPPER, point))
    while not store.log:
        await asyncio.sleep(0)
    behind = asyncio.ensure_future(journal.submit(SHOPPER, point))
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
    points = c.StrokePoints(conversation_id="c1", stroke_id="t", points=[(0.3, 0.3)])
    assert (await second.submit(SHOPPER, points)).seq == 6, (
        "a stroke the second had not seen, found once its cache was known to be stale"
    )
    await first.submit(SHOPPER, c.ChatSend(conversation_id="c1", text="after"))
    view = await second.view(SHOPPER, "c1")
    assert view.seq == 7 and view.snapshot["messages"][-1]["data"]["text"] == "after"
    await first.stop()
    await second.stop()
