"""Client side of the relay benchmark: many Socket.IO conversations in one asyncio loop.

bench/relay.py starts one of these per worker (``python bench/relay_clients.py``), in a process
of its own so the clients never share an interpreter with the server they measure. The exchange
is line-delimited JSON:

1. stdin: a ``WorkerPlan`` (server URL, conversations with their tokens, window lengths);
2. stdout: ``{"ready": true}`` once every drawer and viewer has connected and joined and the
   viewer has shown the image the strokes are drawn on;
3. stdin: ``{"start_at": <time.monotonic()>}``. CLOCK_MONOTONIC is one clock for every process
   on Linux, so all workers start drawing at the same instant and measure the same window;
4. stdout: one ``WorkerResult``.

A drawer samples a point every 1/60 s and flushes what it sampled at most every 1/30 s as one
``stroke.points`` (batching as multiplayer whiteboards do), in strokes of ``STROKE_SECONDS``
framed by ``stroke.begin`` and ``stroke.end``. It never waits for acks, so its batches carry no
``index``: a batch the server refuses under overload is lost, and the next still goes on the
end of the line (Covisor's client sends it again instead). The drawer and viewer of
a conversation live in this one process, so a stroke event's latency is the difference of two
readings of the same clock: the drawer notes when it emitted each event of a stroke, the
viewer when the push of it arrived (an ``event`` for its begin and end, a ``points`` push for
each batch between), matched by type and first point (``Ledger``). The payload carries no
timestamp because the server validates payloads strictly.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import random
import sys
import time
from collections import Counter, defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

import msgspec
import socketio

SAMPLE_INTERVAL = 1 / 60
FLUSH_INTERVAL = 1 / 30
STROKE_SECONDS = 2.0
STROKE_WIDTH = 0.004
DRAIN_SECONDS = 3.0
CALL_TIMEOUT = 20.0
CONNECT_CONCURRENCY = 16
LAG_PROBE_INTERVAL = 0.01
POINT_TOLERANCE = 1e-6
PIPE_LIMIT = 64 * 1024 * 1024


@dataclass(frozen=True)
class ConversationPlan:
    """One conversation to drive: the drawer speaks as ``drawer_token``, the viewer listens."""

    conversation_id: str
    drawer_token: str
    viewer_token: str


@dataclass(frozen=True)
class WorkerPlan:
    """Everything a worker needs; ``media`` is the ``viewer.show`` payload (``{"media_id"}``)
    shown by the viewer before drawing (None: skip)."""

    url: str
    conversations: list[ConversationPlan]
    warmup: float
    seconds: float
    setup_timeout: float
    media: dict[str, Any] | None = None


@dataclass
class WorkerResult:
    """What one worker saw. Counts and latencies cover events *sent* inside the window, except
    ``received_in_window``, which counts broadcasts *arriving* inside it (the throughput)."""

    window_seconds: float
    sent_in_window: int
    received_in_window: int
    latencies_ms: list[float]
    lost: int
    mismatched: int
    acks_ok: int
    ack_errors: dict[str, int]
    unacked: int
    disconnects: int
    cpu_seconds: float
    loop_lag_p99_ms: float


@dataclass(frozen=True)
class Window:
    """The measurement window, in ``time.monotonic()`` seconds."""

    start: float
    end: float

    def __contains__(self, instant: float) -> bool:
        return self.start <= instant < self.end


@dataclass
class Stats:
    """Counters shared by every client of the worker (one event loop, so no locking)."""

    window: Window = Window(math.inf, math.inf)
    sent_total: int = 0
    sent_in_window: int = 0
    received_in_window: int = 0
    mismatched: int = 0
    acks_ok: int = 0
    ack_errors: Counter[str] = field(default_factory=Counter)
    latencies_ms: list[float] = field(default_factory=list)
    disconnects: int = 0
    closing: bool = False

    def on_ack(self, response: Any = None, *_: Any) -> None:
        if isinstance(response, dict) and response.get("ok") is True:
            self.acks_ok += 1
            return
        error = response.get("error") if isinstance(response, dict) else None
        code = error.get("code") if isinstance(error, dict) else None
        self.ack_errors[str(code or "malformed_ack")] += 1

    def unacked(self) -> int:
        return self.sent_total - self.acks_ok - sum(self.ack_errors.values())

    def on_disconnect(self, *_: Any) -> None:
        if not self.closing:
            self.disconnects += 1


@dataclass(frozen=True)
class Sent:
    at: float
    type: str
    first_point: tuple[float, float]
    """The first point the push must carry (``stroke.end``: the whole line, from the begin's)."""


class Ledger:
    """The stroke events one drawer emitted, for its viewer to match broadcasts against.

    A push of a stroke is matched with the oldest event the drawer emitted for it that has the
    same type and first point; the events before that one were refused (under overload) and
    count as lost. A push that matches none shows as ``mismatched`` instead of silently skewing
    the latencies.
    """

    def __init__(self, stats: Stats) -> None:
        self._stats = stats
        self._sent: dict[str, deque[Sent]] = defaultdict(deque)
        self._skipped = 0

    def record_send(self, stroke_id: str, sent: Sent) -> None:
        self._sent[stroke_id].append(sent)
        self._stats.sent_total += 1
        if sent.at in self._stats.window:
            self._stats.sent_in_window += 1

    def record_points(self, push: Any) -> None:
        if isinstance(push, dict):
            self._record("stroke.points", push)

    def record_receive(self, envelope: Any) -> None:
        kind = envelope.get("type") if isinstance(envelope, dict) else None
        if isinstance(kind, str) and kind.startswith("stroke."):
            self._record(kind, envelope.get("data") or {})

    def _record(self, kind: str, data: dict[str, Any]) -> None:
        now = time.monotonic()
        if now in self._stats.window:
            self._stats.received_in_window += 1
        sent = self._sent.get(str(data.get("stroke_id")))
        while sent:
            emitted = sent.popleft()
            if emitted.type == kind and _same_point(emitted.first_point, data):
                if emitted.at in self._stats.window:
                    self._stats.latencies_ms.append(round((now - emitted.at) * 1000, 3))
                return
            if emitted.at in self._stats.window:
                self._skipped += 1
        self._stats.mismatched += 1

    def pending_in_window(self) -> int:
        """Events sent inside the window whose broadcast has not arrived (yet), or never will
        (refused)."""
        waiting = sum(1 for q in self._sent.values() for sent in q if sent.at in self._stats.window)
        return self._skipped + waiting


def _same_point(expected: tuple[float, float], data: dict[str, Any]) -> bool:
    points = data.get("points")
    if not points:
        return False
    x, y = points[0]
    return bool(abs(x - expected[0]) <= POINT_TOLERANCE and abs(y - expected[1]) <= POINT_TOLERANCE)


@dataclass
class Conversation:
    plan: ConversationPlan
    drawer: socketio.AsyncClient
    viewer: socketio.AsyncClient
    ledger: Ledger


class Drawer:
    """Draws strokes into one conversation from ``start_at`` until ``stop_at``."""

    def __init__(self, conversation: Conversation, stats: Stats, seed: int) -> None:
        self._conversation = conversation
        self._stats = stats
        self._rng = random.Random(seed)
        self._phase = self._rng.uniform(0, 2 * math.pi)
        self._color = f"#{self._rng.randrange(1 << 24):06x}"
        self._strokes = 0

    async def run(self, start_at: float, stop_at: float) -> None:
        stroke_start = start_at + self._rng.uniform(0, FLUSH_INTERVAL)
        while stroke_start < stop_at:
            await _sleep_until(stroke_start)
            await self._draw_stroke(stroke_start, stop_at)
            stroke_start += STROKE_SECONDS

    async def _draw_stroke(self, start: float, stop_at: float) -> None:
        self._strokes += 1
        stroke_id = f"{self._conversation.plan.conversation_id[-24:]}-{self._strokes}"
        end = start + STROKE_SECONDS
        first = self._point(start)
        begin = {
            "stroke_id": stroke_id,
            "color": self._color,
            "width": STROKE_WIDTH,
            "points": [first],
        }
        await self._emit("stroke.begin", stroke_id, begin, first)
        samples = 1
        flush_at = start + FLUSH_INTERVAL
        while flush_at <= end + 1e-9:
            await _sleep_until(flush_at)
            now = time.monotonic()
            if now >= stop_at:
                return
            points: list[list[float]] = []
            while start + samples * SAMPLE_INTERVAL <= min(now, end) and len(points) < 256:
                points.append(self._point(start + samples * SAMPLE_INTERVAL))
                samples += 1
            if points:
                payload = {"stroke_id": stroke_id, "points": points}
                await self._emit("stroke.points", stroke_id, payload, points[0])
            while flush_at <= now:
                flush_at += FLUSH_INTERVAL
        await self._emit("stroke.end", stroke_id, {"stroke_id": stroke_id}, first)

    def _point(self, instant: float) -> list[float]:
        angle = 2 * math.pi * 0.4 * instant + self._phase
        return [round(0.5 + 0.4 * math.sin(angle), 5), round(0.5 + 0.4 * math.sin(1.7 * angle), 5)]

    async def _emit(
        self,
        event: str,
        stroke_id: str,
        data: dict[str, Any],
        first_point: list[float],
    ) -> None:
        payload = {"conversation_id": self._conversation.plan.conversation_id, **data}
        sent = Sent(time.monotonic(), event, (first_point[0], first_point[1]))
        self._conversation.ledger.record_send(stroke_id, sent)
        await self._conversation.drawer.emit(event, payload, callback=self._stats.on_ack)


async def _sleep_until(instant: float) -> None:
    delay = instant - time.monotonic()
    if delay > 0:
        await asyncio.sleep(delay)


async def _connect(url: str, token: str, stats: Stats) -> socketio.AsyncClient:
    client = socketio.AsyncClient(reconnection=False)
    client.on("disconnect", stats.on_disconnect)
    await client.connect(
        url, auth={"token": token}, transports=["websocket"], wait_timeout=CALL_TIMEOUT
    )
    return client


async def _call(client: socketio.AsyncClient, event: str, payload: dict[str, Any]) -> None:
    ack = await client.call(event, payload, timeout=CALL_TIMEOUT)
    if not (isinstance(ack, dict) and ack.get("ok") is True):
        raise RuntimeError(f"{event} refused: {ack!r}")


async def _open(
    plan: WorkerPlan,
    conversation: ConversationPlan,
    stats: Stats,
    limit: asyncio.Semaphore,
    opened: list[Conversation],
) -> None:
    async with limit:
        ledger = Ledger(stats)
        viewer = await _connect(plan.url, conversation.viewer_token, stats)
        drawer = await _connect(plan.url, conversation.drawer_token, stats)
        opened.append(Conversation(conversation, drawer, viewer, ledger))
        viewer.on("event", ledger.record_receive)
        viewer.on("points", ledger.record_points)
        joining = {"conversation_id": conversation.conversation_id}
        await asyncio.gather(_call(viewer, "join", joining), _call(drawer, "join", joining))
        if plan.media is not None:
            await _call(viewer, "viewer.show", {**joining, **plan.media})


async def _probe_loop_lag(stats: Stats, lags: list[float]) -> None:
    while True:
        before = time.monotonic()
        await asyncio.sleep(LAG_PROBE_INTERVAL)
        if before in stats.window:
            lags.append(time.monotonic() - before - LAG_PROBE_INTERVAL)


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(fraction * len(ordered)) - 1)]


async def _measure(
    plan: WorkerPlan, conversations: list[Conversation], stats: Stats, start_at: float
) -> WorkerResult:
    stats.window = Window(start_at + plan.warmup, start_at + plan.warmup + plan.seconds)
    lags: list[float] = []
    drawers = [
        asyncio.create_task(Drawer(c, stats, seed).run(start_at, stats.window.end))
        for seed, c in enumerate(conversations)
    ]
    probe = asyncio.create_task(_probe_loop_lag(stats, lags))
    try:
        await _sleep_until(stats.window.start)
        cpu_start = time.process_time()
        await _sleep_until(stats.window.end)
        cpu_seconds = time.process_time() - cpu_start
        await asyncio.wait_for(asyncio.gather(*drawers), STROKE_SECONDS + DRAIN_SECONDS)
        drain_until = time.monotonic() + DRAIN_SECONDS
        while time.monotonic() < drain_until and (
            stats.unacked() or any(c.ledger.pending_in_window() for c in conversations)
        ):
            await asyncio.sleep(0.05)
    finally:
        probe.cancel()
        for task in drawers:
            task.cancel()
    return WorkerResult(
        window_seconds=plan.seconds,
        sent_in_window=stats.sent_in_window,
        received_in_window=stats.received_in_window,
        latencies_ms=stats.latencies_ms,
        lost=sum(c.ledger.pending_in_window() for c in conversations),
        mismatched=stats.mismatched,
        acks_ok=stats.acks_ok,
        ack_errors=dict(stats.ack_errors),
        unacked=stats.unacked(),
        disconnects=stats.disconnects,
        cpu_seconds=round(cpu_seconds, 3),
        loop_lag_p99_ms=round(percentile(lags, 0.99) * 1000, 3),
    )


def _say(message: object) -> None:
    sys.stdout.write(msgspec.json.encode(message).decode() + "\n")
    sys.stdout.flush()


async def _read_line(commands: asyncio.StreamReader, timeout: float) -> bytes:
    line = await asyncio.wait_for(commands.readline(), timeout)
    if not line:
        raise RuntimeError("the benchmark driver closed the pipe")
    return line


async def run_worker() -> None:
    """Serve one plan on stdin/stdout as described in the module docstring."""
    loop = asyncio.get_running_loop()
    commands = asyncio.StreamReader(limit=PIPE_LIMIT)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(commands), sys.stdin)
    plan = msgspec.json.decode(await _read_line(commands, CALL_TIMEOUT), type=WorkerPlan)
    stats = Stats()
    conversations: list[Conversation] = []
    try:
        limit = asyncio.Semaphore(CONNECT_CONCURRENCY)
        await asyncio.wait_for(
            asyncio.gather(
                *(_open(plan, c, stats, limit, conversations) for c in plan.conversations)
            ),
            plan.setup_timeout,
        )
        _say({"ready": True})
        start = msgspec.json.decode(await _read_line(commands, plan.setup_timeout))
        _say(await _measure(plan, conversations, stats, float(start["start_at"])))
    finally:
        stats.closing = True
        clients = [client for c in conversations for client in (c.drawer, c.viewer)]
        await asyncio.wait_for(
            asyncio.gather(*(client.disconnect() for client in clients), return_exceptions=True),
            CALL_TIMEOUT,
        )


def yield_to_the_server() -> None:
    """Make ``--client-nice`` count against the server. Each client runs in a session of its
    own, and with autogroup scheduling (Linux's default where
    /proc/sys/kernel/sched_autogroup_enabled is 1) the scheduler first shares a CPU between
    sessions and applies a process's niceness only within its session: niced clients still took
    a session's full share, so two server workers in their one session got about as much CPU as
    one. The session takes the process's niceness instead."""
    niceness = os.nice(0)
    if niceness > 0:
        with contextlib.suppress(OSError):
            with open("/proc/self/autogroup", "w") as autogroup:
                autogroup.write(str(niceness))


if __name__ == "__main__":
    yield_to_the_server()
    try:
        asyncio.run(run_worker())
    except Exception as error:  # reported on stdout so the driver can show why the worker died
        _say({"error": f"{type(error).__name__}: {error}"})
        sys.exit(1)
