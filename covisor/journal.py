"""The single writer of conversation state, with group commit.

Every command for every conversation goes through `Journal.submit`. One task takes whatever has
queued up since its last round, decides and applies each command in order against the cached
conversation states, writes all resulting events in ONE store transaction, then publishes them and
answers the callers. A stroke streamed at 60 Hz by a hundred drawers therefore costs one fsync per
round, not one per point, and an acknowledged event is always a durable one.

Reads that must agree with the order (a joiner's snapshot) queue up the same way, so they never see
an event that is not committed. Several processes may share one store: before each round the
journal catches its cached states up with what others committed; a conversation found stale on
commit (another process won the race) is reloaded and its commands decided again after a short
random backoff, while the rest of the round is already durable and answered.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import msgspec

from covisor import commands as c
from covisor.clock import Clock
from covisor.conversation import ConversationState, Limits, decide
from covisor.errors import INTERNAL, CovisorError
from covisor.events import Draft, Event
from covisor.identity import Identity
from covisor.metrics import Metrics
from covisor.store import Append, Store

log = logging.getLogger(__name__)

Published = tuple[Event, str | None]
"""A committed event and the `origin` of the command that caused it (None for the server's own)."""

Publisher = Callable[[list[Published]], Awaitable[None]]

_MAX_ATTEMPTS = 12
_BACKOFF_SECONDS = 0.001


@dataclass(frozen=True)
class Outcome:
    """What a committed command did: its event, or None when it repeated an applied one."""

    seq: int
    event: Event | None


@dataclass(frozen=True)
class View:
    """A committed, consistent look at one conversation."""

    seq: int
    snapshot: dict[str, Any]
    summary: dict[str, Any]


@dataclass
class _Pending:
    actor: Identity
    conversation_id: str
    command: c.Command | None
    origin: str | None = None
    queued_at: float = field(default_factory=time.monotonic)
    future: asyncio.Future[Any] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class Journal:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        *,
        limits: Limits,
        relay: Publisher,
        publish: Publisher,
        retract: Callable[[list[str]], Awaitable[None]],
        snapshot_every: int,
        max_batch: int,
        max_pending: int,
        shed_after: float,
        shared_store: bool,
        metrics: Metrics,
    ) -> None:
        self._store = store
        self._clock = clock
        self._metrics = metrics
        self._limits = limits
        self._snapshot_every = snapshot_every
        self._max_batch = max_batch
        self._relay = relay
        self._publish = publish
        self._retract = retract
        self._states: dict[str, ConversationState] = {}
        self._queue: list[_Pending] = []
        self._max_pending = max_pending
        self._shed_after = shed_after
        self._shared_store = shared_store
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._rounds = 0

    async def drain(self) -> None:
        """Return once every command queued so far is decided, committed, answered and its
        events published (a process about to stop lets its clients' last commands land)."""
        while self._queue or self._rounds:
            await asyncio.sleep(0.005)

    def behind(self) -> float:
        """Seconds the oldest command in the queue has waited (0 with none): past `shed_after`,
        `SHEDDABLE` commands are refused at once rather than answered late."""
        return time.monotonic() - self._queue[0].queued_at if self._queue else 0.0

    def forget(self, conversation_id: str) -> None:
        """Drop the cached state of a conversation that is gone (erased)."""
        self._states.pop(conversation_id, None)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="covisor-journal")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        self._task = None
        for pending in self._queue:
            if not pending.future.done():
                pending.future.set_exception(CovisorError("unavailable", "server is stopping"))
        self._queue.clear()

    async def submit(
        self, actor: Identity, command: c.Command, origin: str | None = None
    ) -> Outcome:
        """Decide, commit and publish `command`; raises `CovisorError` if it is refused.

        `origin` is an opaque tag of the sender (a socket id) handed to the publisher with the
        event, so the sender, who gets its event in the answer, is not sent it again.
        """
        pending = _Pending(actor, command.conversation_id, command, origin)
        result: Outcome = await self._enqueue(pending)
        return result

    async def view(self, actor: Identity, conversation_id: str) -> View:
        """The committed state of a conversation the actor is a member of."""
        result: View = await self._enqueue(_Pending(actor, conversation_id, None))
        return result

    async def _enqueue(self, pending: _Pending) -> Any:
        if self._task is None or self._task.done():
            raise CovisorError("unavailable", "the server is not accepting changes")
        if len(self._queue) >= self._max_pending:
            raise CovisorError("rate_limited", "the server is busy; try again", retry_after=0.5)
        if isinstance(pending.command, c.SHEDDABLE) and self.behind() > self._shed_after:
            raise CovisorError(
                "rate_limited", "the server is behind; send later", retry_after=self._shed_after
            )
        self._queue.append(pending)
        self._wakeup.set()
        return await pending.future

    async def _run(self) -> None:
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            while self._queue:
                batch = self._queue[: self._max_batch]
                del self._queue[: self._max_batch]
                metrics = self._metrics
                metrics.journal_queue.set(len(self._queue))
                metrics.journal_batch.observe(len(batch))
                started = time.perf_counter()
                self._rounds += 1
                try:
                    await self._round(batch)
                except asyncio.CancelledError:
                    _fail(batch, CovisorError("unavailable", "server is stopping"))
                    raise
                except Exception:
                    log.exception("journal round failed")
                    _fail(batch, INTERNAL)
                finally:
                    self._rounds -= 1
                metrics.journal_round.observe(time.perf_counter() - started)

    async def _round(self, batch: list[_Pending]) -> None:
        for attempt in range(_MAX_ATTEMPTS):
            ids = sorted({p.conversation_id for p in batch})
            try:
                states = await self._states_for(batch)
                outcomes, appends = self._decide(batch, states)
                early = [] if self._shared_store else _relayed_early(batch, outcomes)
                await self._deliver(self._relay, early)
                try:
                    stale = await self._store.commit(appends)
                except BaseException:
                    if early:
                        await self._retract(sorted({e.conversation_id for e, _ in early}))
                    raise
            except BaseException:
                for cid in ids:
                    self._states.pop(cid, None)
                raise
            for pending, outcome in zip(batch, outcomes, strict=True):
                if pending.conversation_id in stale or pending.future.done():
                    continue
                if isinstance(outcome, BaseException):
                    pending.future.set_exception(outcome)
                else:
                    pending.future.set_result(outcome)
            published = _events(batch, outcomes, stale)
            relayed = {(event.conversation_id, event.seq) for event, _ in early}
            later = [p for p in published if (p[0].conversation_id, p[0].seq) not in relayed]
            await self._deliver(self._relay, later)
            await self._deliver(self._publish, published)
            if not stale:
                return
            for cid in stale:
                self._states.pop(cid, None)
            batch = [p for p in batch if p.conversation_id in stale]
            log.debug("stale on commit: %s; deciding again", ", ".join(sorted(stale)))
            if attempt:
                await asyncio.sleep(random.uniform(0, _BACKOFF_SECONDS * 2 ** min(attempt, 7)))
        _fail(batch, CovisorError("unavailable", "too much contention; try again"))

    async def _deliver(self, to: Publisher, published: list[Published]) -> None:
        """Hand a round's events on before the next round: in order, and within the round's own
        turn of the event loop (a publisher task of its own cost the relay a turn)."""
        if not published:
            return
        try:
            await to(published)
        except Exception:
            log.exception("publishing a round's events failed")

    async def _states_for(self, batch: list[_Pending]) -> dict[str, ConversationState]:
        """The cached states a round needs, loaded when missing, caught up when they may be behind.

        With a store shared by other processes, every state is first caught up with what the store
        has committed, since even a refusal decided on a stale state would be wrong. A process
        alone on its store only needs that for reads (views): its own commits are all there is.
        """
        ids = {p.conversation_id for p in batch}
        read_ids = sorted(
            {p.conversation_id for p in batch if self._shared_store or p.command is None}
        )
        committed = await self._store.seqs(read_ids) if read_ids else {}
        states: dict[str, ConversationState] = {}
        for cid in sorted(ids):
            state = self._states.get(cid)
            if state is None or state.seq > committed.get(cid, state.seq):
                try:
                    state = await load_state(self._store, cid, self._limits)
                except CovisorError:
                    continue
            elif state.seq < committed.get(cid, state.seq):
                for event in await self._store.events_after(cid, state.seq, 1 << 30):
                    state.apply(event, self._limits)
            self._states[cid] = state
            states[cid] = state
        return states

    def _decide(
        self, batch: list[_Pending], states: dict[str, ConversationState]
    ) -> tuple[list[Any], list[Append]]:
        now = self._clock()
        before = {cid: state.seq for cid, state in states.items()}
        new_events: dict[str, list[Event]] = {}
        outcomes: list[Any] = []
        for pending in batch:
            state = states.get(pending.conversation_id)
            if state is None:
                outcomes.append(CovisorError("not_found", "no such conversation"))
                continue
            try:
                outcomes.append(self._apply_one(pending, state, now, new_events))
            except CovisorError as refusal:
                outcomes.append(refusal)
        appends = []
        for cid, events in new_events.items():
            state = states[cid]
            due = state.seq // self._snapshot_every > before[cid] // self._snapshot_every
            appends.append(
                Append(
                    cid,
                    before[cid],
                    events,
                    state.summary(),
                    msgspec.json.encode(state) if due else None,
                )
            )
        return outcomes, appends

    def _apply_one(
        self,
        pending: _Pending,
        state: ConversationState,
        now: float,
        new_events: dict[str, list[Event]],
    ) -> Outcome | View:
        if pending.command is None:
            if not state.is_member(pending.actor):
                raise CovisorError("forbidden", "you are not a member of this conversation")
            snapshot = state.snapshot(for_agent=pending.actor.is_agent)
            return View(state.seq, snapshot, state.summary())
        decision = decide(state, pending.actor, pending.command, now, self._limits)
        if not isinstance(decision, Draft):
            return Outcome(decision.seq, None)
        event = Event(
            state.id, state.seq + 1, decision.type, now, pending.actor.public(), decision.data
        )
        state.apply(event, self._limits)
        new_events.setdefault(state.id, []).append(event)
        return Outcome(event.seq, event)


def _relayed_early(batch: list[_Pending], outcomes: list[Any]) -> list[Published]:
    """The events of a round that may reach the other members before their commit: for each
    conversation, its first events of `SHEDDABLE` commands (stroke points, view moves), up to
    its first event of another kind. Chat and the rest wait for their commit, so a failed
    commit takes back only what a snapshot replaces whole, and each conversation's events
    still go out in seq order."""
    early: list[Published] = []
    closed: set[str] = set()
    for pending, outcome in zip(batch, outcomes, strict=True):
        cid = pending.conversation_id
        if cid in closed or not isinstance(outcome, Outcome) or outcome.event is None:
            continue
        if isinstance(pending.command, c.SHEDDABLE):
            early.append((outcome.event, pending.origin))
        else:
            closed.add(cid)
    return early


def _events(batch: list[_Pending], outcomes: list[Any], stale: set[str]) -> list[Published]:
    """The events a round decided, in order, with their senders, but those of `stale`
    conversations."""
    return [
        (outcome.event, pending.origin)
        for pending, outcome in zip(batch, outcomes, strict=True)
        if isinstance(outcome, Outcome)
        and outcome.event is not None
        and pending.conversation_id not in stale
    ]


def _fail(batch: list[_Pending], error: CovisorError) -> None:
    for pending in batch:
        if not pending.future.done():
            pending.future.set_exception(error)


async def load_state(store: Store, conversation_id: str, limits: Limits) -> ConversationState:
    """A conversation's committed state: its latest stored snapshot and the events after it."""
    record = await store.conversation(conversation_id)
    if record is None:
        raise CovisorError("not_found", "no such conversation")
    if record.snapshot is not None:
        state = msgspec.json.decode(record.snapshot, type=ConversationState)
    else:
        state = ConversationState(conversation_id)
    for event in await store.events_after(conversation_id, state.seq, 1 << 30):
        state.apply(event, limits)
    return state
