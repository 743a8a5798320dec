"""The single writer of conversation state, with group commit, pipelined.

Every command for every conversation goes through `Journal.submit`. Two tasks share the work:

- the *decider* takes whatever has queued up, decides and applies each command in order against
  the cached conversation states, and adds the results to the next commit;
- the *committer* writes everything decided since its last commit began in ONE store
  transaction, then answers the callers and publishes the events.

So while one commit waits for its fsync, the commands that arrive meanwhile are already decided,
and a stroke streamed at 60 Hz by a hundred drawers costs one fsync per commit, not one per point.
An acknowledged event is always a durable one.

A process alone on its store relays strokes, view moves and video controls as soon as they are
decided, before their commit (`relay`, `commands.RELAYED_WHEN_DECIDED`); everything else is relayed
after it, and each conversation's events still go out in seq order. If a commit fails, the
conversations whose events went out early are `retract`ed (their sockets rejoin and get a
snapshot, which replaces those whole).

Stroke points queue up the same way, so they follow the events before them, but are not committed:
each is checked against the cached state, answered at once and relayed (after the commit of an
event of its conversation still waiting for one); its points go into the conversation's sketch,
which `stroke.end` carries into the order (viewer.py). A sketch is kept beside the cached state,
so a reloaded state keeps it, and the points of a stroke leave it only once the event that ended
the stroke is committed.

Reads that must agree with the order (a joiner's snapshot) queue up the same way and are answered
after the commit of what they saw. Several processes may share one store: then each decides on
its cached states without asking the store first, and each commit checks every conversation it
decided for, refusals and snapshots included, against the seq the store has. A conversation
found stale (another process committed to it since) is reloaded and its commands decided again,
after a short random backoff once they were stale twice, while the rest of the commit is
durable and answered. Nothing is relayed before its commit then, since another process may
take the seq.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import msgspec

from covisor.conversations.conversation import ConversationState, Limits, decide, draw
from covisor.conversations.viewer import NO_SKETCH, Sketch
from covisor.kernel import commands as c
from covisor.kernel.clock import Clock
from covisor.kernel.errors import INTERNAL, CovisorError
from covisor.kernel.events import Draft, Event, Points
from covisor.kernel.identity import Identity
from covisor.kernel.metrics import Metrics
from covisor.store import Append, Store

log = logging.getLogger(__name__)

Published = tuple[Event, str | None]
"""A committed event and the `origin` of the command that caused it (None for the server's own)."""

Publisher = Callable[[list[Published]], Awaitable[None]]

Relayed = tuple[Event | Points, str | None]
"""An event or stroke points to send to a conversation's sockets, and the `origin` not to."""

Relay = Callable[[list[Relayed]], Awaitable[None]]

_STOPPING = CovisorError("unavailable", "server is stopping")
_MAX_ATTEMPTS = 12
_BACKOFF_SECONDS = 0.001
_order = itertools.count()
_ENDING_STROKES = frozenset({"stroke.end", "stroke.undo", "stroke.clear", "viewer.show"})


@dataclass(frozen=True)
class Outcome:
    """What a committed command did: its event, or None when it repeated an applied one."""

    seq: int
    event: Event | None


@dataclass(frozen=True)
class View:
    """A committed, consistent look at one conversation (open strokes as far as drawn);
    `drawing`: whether a stroke is open, whose points only a snapshot has."""

    seq: int
    snapshot: dict[str, Any]
    drawing: bool = False


@dataclass
class _Pending:
    actor: Identity
    conversation_id: str
    command: c.Command | None
    origin: str | None = None
    background: bool = False
    """Work nobody waits for (a translation): it never makes a person's command wait for
    `commit_interval` (see `Journal._gather`)."""
    queued_at: float = field(default_factory=time.monotonic)
    order: int = field(default_factory=lambda: next(_order))
    attempts: int = 0
    followers: list[_Decided] = field(default_factory=list)
    """Stroke points answered while held behind this command, to relay right after it once it
    is decided again (its first commit found the conversation stale)."""
    future: asyncio.Future[Any] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


@dataclass
class _Decided:
    pending: _Pending
    outcome: Any
    relayed: bool = False

    @property
    def event(self) -> Event | None:
        return self.outcome.event if isinstance(self.outcome, Outcome) else None

    @property
    def relayed_item(self) -> Event | Points | None:
        return self.outcome if isinstance(self.outcome, Points) else self.event


@dataclass
class _Group:
    """What was decided since the last commit began, for the next one.

    `held` names the conversations with an event that is relayed only after this commit: what
    they decide later waits for it too, so each conversation's events go out in seq order.
    Stroke points decided behind such an event join its group, even while it commits, and go
    out right after it; `released` tells that the group's relay has begun (later points go at
    once).
    `checked` holds the seq each conversation decided for without an event (a refusal, a
    snapshot) was at, for the commit to check against the store when it is shared.
    `ended` holds the sketched points of the strokes its events ended, to drop once committed."""

    decided: list[_Decided] = field(default_factory=list)
    states: dict[str, ConversationState] = field(default_factory=dict)
    expected: dict[str, int] = field(default_factory=dict)
    events: dict[str, list[Event]] = field(default_factory=dict)
    held: set[str] = field(default_factory=set)
    early: set[str] = field(default_factory=set)
    checked: dict[str, int] = field(default_factory=dict)
    ended: list[tuple[str, str, list[c.Point]]] = field(default_factory=list)
    released: bool = False

    def pull(self, conversation_ids: set[str]) -> list[_Decided]:
        """Take out, in order, what was decided for these conversations."""
        pulled = [d for d in self.decided if d.pending.conversation_id in conversation_ids]
        if pulled:
            self.decided = [
                d for d in self.decided if d.pending.conversation_id not in conversation_ids
            ]
            for cid in conversation_ids:
                self.states.pop(cid, None)
                self.expected.pop(cid, None)
                self.events.pop(cid, None)
                self.checked.pop(cid, None)
            self.ended = [e for e in self.ended if e[0] not in conversation_ids]
            self.held -= conversation_ids
            self.early -= conversation_ids
        return pulled


class Journal:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        *,
        limits: Limits,
        relay: Relay,
        publish: Publisher,
        retract: Callable[[dict[str, int]], Awaitable[None]],
        snapshot_every: int,
        max_batch: int,
        commit_interval: float,
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
        self._commit_interval = 0.0 if shared_store else commit_interval
        self._last_commit = 0.0
        self._last_foreground = 0.0
        self._foreground = asyncio.Event()
        self._relay = relay
        self._publish = publish
        self._retract = retract
        self._states: dict[str, ConversationState] = {}
        self._sketches: dict[str, Sketch] = {}
        self._stored: dict[str, dict[str, Any]] = {}
        self._queue: list[_Pending] = []
        self._next = _Group()
        self._committing: _Group | None = None
        self._max_pending = max_pending
        self._shed_after = shed_after
        self._shared_store = shared_store
        self._wakeup = asyncio.Event()
        self._decided = asyncio.Event()
        self._relaying = asyncio.Lock()
        self._tasks: list[asyncio.Task[None]] = []
        self._deciding = False

    async def drain(self) -> None:
        """Return once every command queued so far is decided, committed, answered and its
        events published (a process about to stop lets its clients' last commands land)."""
        while self._queue or self._deciding or self._next.decided or self._committing:
            await asyncio.sleep(0.005)

    def behind(self) -> float:
        """Seconds the oldest unanswered command has waited (0 with none): past `shed_after`,
        `SHEDDABLE` commands are refused at once rather than answered late."""
        waiting = [g.decided[0].pending for g in (self._committing, self._next) if g and g.decided]
        waiting += self._queue[:1]
        return time.monotonic() - min(p.queued_at for p in waiting) if waiting else 0.0

    def forget(self, conversation_id: str) -> None:
        """Drop the cached state of a conversation that is gone (erased)."""
        self._states.pop(conversation_id, None)
        self._stored.pop(conversation_id, None)
        self._sketches.pop(conversation_id, None)

    def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._decide_all(), name="covisor-journal-decider"),
            asyncio.create_task(self._commit_all(), name="covisor-journal-committer"),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            try:
                await task
            except asyncio.CancelledError:
                pass
        self._tasks = []
        for group in (self._committing, self._next):
            if group is not None:
                _fail([d.pending for d in group.decided], _STOPPING)
        _fail(self._queue, _STOPPING)
        self._queue.clear()
        self._next = _Group()
        self._committing = None

    async def submit(
        self,
        actor: Identity,
        command: c.Command,
        origin: str | None = None,
        *,
        background: bool = False,
    ) -> Outcome:
        """Decide, commit and publish `command`; raises `CovisorError` if it is refused.

        `origin` is an opaque tag of the sender (a socket id) handed to the publisher with the
        event, so the sender, who gets its event in the answer, is not sent it again.
        `background`: the server's own follow-up work (a translation), whose commits never
        delay a person's next command.
        """
        pending = _Pending(actor, command.conversation_id, command, origin, background)
        result: Outcome = await self._enqueue(pending)
        return result

    async def draw(
        self, actor: Identity, command: c.StrokePoints, origin: str | None = None
    ) -> None:
        """Add points to an open stroke and relay them; raises `CovisorError` if refused.
        Answered once relayed: the points are durable with the stroke's `stroke.end`."""
        await self._enqueue(_Pending(actor, command.conversation_id, command, origin))

    async def view(self, actor: Identity, conversation_id: str) -> View:
        """The committed state of a conversation the actor may read (`may_read`)."""
        result: View = await self._enqueue(_Pending(actor, conversation_id, None))
        return result

    async def _enqueue(self, pending: _Pending) -> Any:
        if not self._tasks or any(task.done() for task in self._tasks):
            raise CovisorError("unavailable", "the server is not accepting changes")
        if self._unanswered() >= self._max_pending:
            raise CovisorError("rate_limited", "the server is busy; try again", retry_after=0.5)
        if isinstance(pending.command, c.SHEDDABLE) and self.behind() > self._shed_after:
            raise CovisorError(
                "rate_limited", "the server is behind; send later", retry_after=self._shed_after
            )
        self._queue.append(pending)
        self._wakeup.set()
        return await pending.future

    def _unanswered(self) -> int:
        committing = len(self._committing.decided) if self._committing else 0
        return len(self._queue) + len(self._next.decided) + committing

    async def _decide_all(self) -> None:
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            while self._queue:
                batch = self._queue[: self._max_batch]
                del self._queue[: self._max_batch]
                self._metrics.journal_queue.set(len(self._queue))
                self._deciding = True
                try:
                    early = self._decide(batch, await self._resident(batch))
                except asyncio.CancelledError:
                    _fail(batch, _STOPPING)
                    raise
                except Exception:
                    log.exception("loading conversations for the journal failed")
                    _fail(batch, INTERNAL)
                    continue
                finally:
                    self._deciding = False
                if not all(pending.background for pending in batch):
                    self._foreground.set()
                self._decided.set()
                await self._deliver(self._relay, early)

    async def _resident(self, batch: list[_Pending]) -> dict[str, ConversationState]:
        """The states a batch needs, still the cached ones once loaded: a failed commit may
        drop a state while another is being loaded, and a decision on a dropped state would
        follow events that never happened."""
        while True:
            states = await self._states_for(batch)
            if all(self._states.get(cid) is state for cid, state in states.items()):
                return states

    async def _states_for(self, batch: list[_Pending]) -> dict[str, ConversationState]:
        """The cached states a batch needs, loaded when missing.

        A process alone on its store has all there is in its cache: its own commits, and those
        decided and not yet committed. With a store shared by other processes a cached state may
        be behind; the commit finds out, and its conversation is then loaded again."""
        states: dict[str, ConversationState] = {}
        for cid in sorted({p.conversation_id for p in batch}):
            state = self._states.get(cid)
            if state is None:
                try:
                    state = await load_state(self._store, cid, self._limits)
                except CovisorError:
                    continue
                self._states[cid] = state
            states[cid] = state
        return states

    def _decide(self, batch: list[_Pending], states: dict[str, ConversationState]) -> list[Relayed]:
        """Decide a batch into the next commit; return what to relay at once."""
        group = self._next
        committing = self._committing
        now = self._clock()
        early: list[Relayed] = []
        for pending in batch:
            cid = pending.conversation_id
            state = states.get(cid)
            outcome: Any
            if state is None:
                outcome = CovisorError("not_found", "no such conversation")
            else:
                try:
                    outcome = self._apply_one(pending, state, now, group)
                except CovisorError as refusal:
                    outcome = refusal
            decided = _Decided(pending, outcome)
            if isinstance(outcome, Points):
                if not pending.future.done():
                    pending.future.set_result(None)
                if not outcome.points:
                    continue
                if cid in group.held:
                    group.decided.append(decided)
                elif committing is not None and cid in committing.held and not committing.released:
                    committing.decided.append(decided)
                else:
                    early.append((outcome, pending.origin))
                continue
            if decided.event is not None:
                if (
                    not self._shared_store
                    and isinstance(pending.command, c.RELAYED_WHEN_DECIDED)
                    and cid not in group.held
                    and (committing is None or cid not in committing.held)
                ):
                    early.append((decided.event, pending.origin))
                    decided.relayed = True
                    group.early.add(cid)
                else:
                    group.held.add(cid)
            elif state is not None and self._shared_store and cid not in group.expected:
                group.checked.setdefault(cid, state.seq)
            group.decided.append(decided)
            if pending.followers:
                followers, pending.followers = pending.followers, []
                if decided.relayed:
                    early += _relayed(followers)
                else:
                    group.decided += followers
                    group.held.add(cid)
        return early

    def _apply_one(
        self, pending: _Pending, state: ConversationState, now: float, group: _Group
    ) -> Outcome | View | Points:
        command = pending.command
        sketch = self._sketches.get(state.id, NO_SKETCH)
        if command is None:
            if not state.may_read(pending.actor):
                raise CovisorError("forbidden", "you are not a member of this conversation")
            snapshot = state.snapshot(for_agent=pending.actor.is_agent, sketch=sketch)
            return View(state.seq, snapshot, state.viewer.drawing())
        if isinstance(command, c.StrokePoints):
            return self._draw(pending.actor, command, state)
        decision = decide(state, pending.actor, command, now, self._limits, sketch)
        if not isinstance(decision, Draft):
            return Outcome(decision.seq, None)
        event = Event(
            state.id, state.seq + 1, decision.type, now, pending.actor.public(), decision.data
        )
        group.states[state.id] = state
        group.expected.setdefault(state.id, state.seq)
        state.apply(event, self._limits)
        group.events.setdefault(state.id, []).append(event)
        if event.type in _ENDING_STROKES:
            group.ended += [
                (state.id, stroke_id, points)
                for stroke_id, points in sketch.items()
                if not state.viewer.is_open(stroke_id)
            ]
        return Outcome(event.seq, event)

    def _draw(self, actor: Identity, command: c.StrokePoints, state: ConversationState) -> Points:
        sketch = self._sketches.get(state.id, NO_SKETCH)
        drawn = len(sketch.get(command.stroke_id, ()))
        index, points = draw(state, actor, command, drawn, self._limits)
        if points:
            sketched = self._sketches.setdefault(state.id, {})
            sketched.setdefault(command.stroke_id, []).extend(points)
        return Points(state.id, command.stroke_id, index, points)

    async def _commit_all(self) -> None:
        while True:
            await self._decided.wait()
            self._decided.clear()
            while self._next.decided:
                await self._gather()
                group = self._committing = self._next
                self._next = _Group()
                self._metrics.journal_batch.observe(len(group.decided))
                started = time.perf_counter()
                try:
                    await self._commit(group)
                except asyncio.CancelledError:
                    _fail([d.pending for d in group.decided], _STOPPING)
                    raise
                finally:
                    self._committing = None
                self._metrics.journal_round.observe(time.perf_counter() - started)

    async def _gather(self) -> None:
        """Start a commit no sooner than `commit_interval` after the last one began, unless
        it is full already: under load the next commit gathers what arrives meanwhile.

        Background work (`submit(background=True)`) is gathered the same way, but neither
        delays a person's command nor is delayed by one: a commit of it alone does not count
        as the last commit for one that holds a person's command, and such a command arriving
        while background work waits is committed with it at once (so a translation engine
        that answers every message adds no wait to the chat)."""
        while True:
            background = all(d.pending.background for d in self._next.decided)
            since = self._last_commit if background else self._last_foreground
            wait = since + self._commit_interval - time.monotonic()
            if wait <= 0 or len(self._next.decided) >= self._max_batch:
                break
            if not background:
                await asyncio.sleep(wait)
                break
            self._foreground.clear()
            try:
                await asyncio.wait_for(self._foreground.wait(), wait)
            except TimeoutError:
                break
        self._last_commit = time.monotonic()
        if not background:
            self._last_foreground = self._last_commit

    async def _commit(self, group: _Group) -> None:
        error: CovisorError | None = None
        summaries: dict[str, dict[str, Any]] = {}
        try:
            summaries = {cid: group.states[cid].summary() for cid in group.events}
            appends = [self._append(cid, group, summaries[cid]) for cid in group.events]
            appends += [
                Append(cid, seq, [], None)
                for cid, seq in group.checked.items()
                if cid not in group.events
            ]
            lost = await self._store.commit(appends)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("journal commit failed")
            lost, error = {*group.events, *group.checked}, INTERNAL
        redo: list[_Pending] = []
        if not self._shared_store:
            self._stored.update((cid, s) for cid, s in summaries.items() if cid not in lost)
        for cid, stroke_id, points in group.ended:
            sketch = self._sketches.get(cid, NO_SKETCH)
            if cid not in lost and sketch.get(stroke_id) is points:
                del self._sketches[cid][stroke_id]
        if lost:
            for cid in lost:
                self._states.pop(cid, None)
                self._stored.pop(cid, None)
            pulled = self._next.pull(lost)
            retract: dict[str, int] = {}
            for decided in [*group.decided, *pulled]:
                cid = decided.pending.conversation_id
                if decided.relayed and decided.event is not None and cid in lost:
                    retract.setdefault(cid, decided.event.seq)
            if retract:
                await self._retract(retract)
            if error is None:
                _carry_held_points([*group.decided, *pulled], lost)
            failed = [
                d.pending
                for d in group.decided
                if d.pending.conversation_id in lost and not d.pending.future.done()
            ]
            if error is not None:
                _fail(failed, error)
            else:
                redo = failed
            redo += [d.pending for d in pulled if not d.pending.future.done()]
            log.debug("not committed: %s; deciding again", ", ".join(sorted(lost)))
        kept = [d for d in group.decided if d.pending.conversation_id not in lost]
        for decided in kept:
            if decided.pending.future.done():
                continue
            if isinstance(decided.outcome, BaseException):
                decided.pending.future.set_exception(decided.outcome)
            else:
                decided.pending.future.set_result(decided.outcome)
        group.released = True
        await self._deliver(self._relay, _relayed(d for d in kept if not d.relayed))
        await self._deliver(self._publish, _events(kept))
        if redo:
            await self._decide_again(redo)

    def _append(self, cid: str, group: _Group, summary: dict[str, Any]) -> Append:
        """What a commit writes of one conversation: the summary only when it changed since
        this process last stored it (strokes leave it as it was); with other processes on the
        store, always, as they may have stored another since."""
        state, expected = group.states[cid], group.expected[cid]
        due = state.seq // self._snapshot_every > expected // self._snapshot_every
        return Append(
            cid,
            expected,
            group.events[cid],
            None if self._stored.get(cid) == summary else summary,
            msgspec.json.encode(state) if due else None,
        )

    async def _decide_again(self, redo: list[_Pending]) -> None:
        """Queue commands whose commit did not happen in front of the later ones, in the order
        they came, after a backoff that grows with their attempts."""
        for pending in redo:
            pending.attempts += 1
        _fail(
            [p for p in redo if p.attempts >= _MAX_ATTEMPTS],
            CovisorError("unavailable", "too much contention; try again"),
        )
        redo = [p for p in redo if p.attempts < _MAX_ATTEMPTS]
        attempts = max((p.attempts for p in redo), default=0)
        if attempts > 1:
            await asyncio.sleep(random.uniform(0, _BACKOFF_SECONDS * 2 ** min(attempts - 1, 7)))
        self._queue = sorted([*redo, *self._queue], key=lambda p: p.order)
        self._wakeup.set()

    async def _deliver(self, to: Relay | Publisher, published: list[Any]) -> None:
        """Hand events on; relays in order (early relays and relays after a commit take turns,
        so a conversation's held event never overtakes the points decided before it), other
        publishers beside them, so their work never holds up an early relay."""
        if not published:
            return
        try:
            if to is self._relay:
                async with self._relaying:
                    await to(published)
            else:
                await to(published)
        except Exception:
            log.exception("publishing events failed")


def _events(decided: Any) -> list[Published]:
    return [(d.event, d.pending.origin) for d in decided if d.event is not None]


def _relayed(decided: Any) -> list[Relayed]:
    return [(d.relayed_item, d.pending.origin) for d in decided if d.relayed_item is not None]


def _carry_held_points(decided: list[_Decided], lost: set[str]) -> None:
    """Stroke points held behind an event of a conversation found stale were answered already:
    they follow the command before them when it is decided again (relayed once, in order)."""
    before: dict[str, _Pending] = {}
    for d in decided:
        cid = d.pending.conversation_id
        if cid not in lost:
            continue
        if isinstance(d.outcome, Points):
            if cid in before:
                before[cid].followers.append(d)
        elif not d.pending.future.done():
            before[cid] = d.pending


def _fail(pendings: list[_Pending], error: CovisorError) -> None:
    for pending in pendings:
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
