"""Auto routing: each waiting conversation goes to an agent as soon as one has room.

With `routing = auto`, the router gives the oldest queued conversation to the agent `pick`
chooses (online, under capacity, fewest open conversations, then longest without a new one), and
goes on while conversations wait and agents have room. It runs when something may have changed
that (a conversation opened, closed or sent back to the queue, an agent came online) and every
`interval` seconds, which also covers changes made on other processes. One process routes at a
time: a round holds a lease in the store's counters (released at its end, expired after
`LEASE_SECONDS` if its process died), so two processes never count an agent's open
conversations at once and give it more than its capacity; a process that finds the lease held
tries again shortly. Even without it, no conversation could be given twice: a second `accept`
is refused by the journal as a conflict.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import Awaitable, Callable

from covisor.conversations.journal import Outcome
from covisor.kernel import commands as c
from covisor.kernel.background import Background
from covisor.kernel.clock import Clock
from covisor.kernel.errors import CovisorError
from covisor.kernel.identity import Identity
from covisor.store import Store
from covisor.team.roster import Roster, pick

log = logging.getLogger(__name__)

LEASE = "routing:lease"
LEASE_SECONDS = 10.0
RETRY_SECONDS = 0.2
"""How soon a process that found the lease held tries again."""

Submit = Callable[[Identity, c.Command, str | None], Awaitable[Outcome]]


class Router:
    def __init__(
        self,
        store: Store,
        roster: Roster,
        *,
        clock: Clock,
        interval: float,
        enabled: Callable[[], bool] = lambda: True,
    ) -> None:
        """`enabled`: whether the shop routes now (its settings' `routing` is `auto`), asked
        at each round, so a change of the setting takes effect without a restart."""
        self._enabled = enabled
        self._store = store
        self._roster = roster
        self._clock = clock
        self._interval = interval
        self._wake = asyncio.Event()
        self._background = Background()
        self._submit: Submit | None = None

    def start(self, submit: Submit) -> None:
        """Route in the background, accepting conversations through `submit` (the journal's)."""
        self._submit = submit
        self._background.spawn(self._run(), "covisor-router")

    async def stop(self) -> None:
        await self._background.stop()

    def wake(self) -> None:
        """Route soon (something changed)."""
        self._wake.set()

    async def _run(self) -> None:
        wait = self._interval
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), wait)
            self._wake.clear()
            wait = self._interval
            try:
                if await self.route() is None:
                    wait = RETRY_SECONDS
            except Exception:
                log.exception("routing failed")

    async def route(self) -> int | None:
        """Give waiting conversations to agents with room; how many were given, or None when
        another process is routing."""
        if self._submit is None or not self._enabled():
            return 0
        now = self._clock()
        lease = await self._store.count_attempt(LEASE, now, now - LEASE_SECONDS * 1000.0)
        try:
            return None if lease.count > 1 else await self._route(self._submit)
        finally:
            await self._store.forgive_attempt(LEASE)

    async def _route(self, submit: Submit) -> int:
        waiting = [
            r
            for r in await self._store.conversations(status="waiting", limit=1000)
            if r.summary.get("queued", True)
        ]
        if not waiting:
            return 0
        team = await self._roster.on_duty()
        given = 0
        for record in sorted(waiting, key=lambda r: r.created_at):
            agent = pick(team)
            if agent is None:
                break
            identity = Identity(agent.id, "agent", agent.name)
            try:
                await submit(identity, c.Accept(conversation_id=record.id), None)
            except CovisorError as refusal:
                log.debug("routing %s: %s", record.id, refusal.message)
                continue
            now = self._clock()
            await self._store.mark_assigned(agent.id, now)
            given_one = dataclasses.replace(agent, open=agent.open + 1, assigned_at=now)
            team = [given_one if a.id == agent.id else a for a in team]
            given += 1
        if given:
            log.info("routed %d conversations", given)
        return given
