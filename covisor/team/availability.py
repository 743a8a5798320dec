"""Whether a shopper can expect an answer now: inside business hours and an agent online.

`GET /api/availability` answers `{open, reason, next_open}`: `reason` is `closed_hours`
outside the hours of `business_hours` (with `next_open`, epoch ms), `no_agent` inside them
when no agent is `online` (an `away` agent does not count; `next_open` is null, since nobody
knows; unless `leave_message_without_agents` is off), else null. Public and asked on every
widget load, so an answer is kept for `CACHE_MS`. The widget switches to leave-a-message
when it is not open.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from covisor.kernel.clock import Clock
from covisor.team.hours import Schedule
from covisor.team.roster import OnDuty

CACHE_MS = 5000.0


class Availability:
    def __init__(
        self,
        schedule: Schedule,
        on_duty: Callable[[], Awaitable[list[OnDuty]]],
        clock: Clock,
        *,
        need_agent: bool = True,
    ) -> None:
        self._need_agent = need_agent
        self._schedule = schedule
        self._on_duty = on_duty
        self._clock = clock
        self._kept: tuple[float, dict[str, Any]] | None = None

    async def now(self) -> dict[str, Any]:
        now = self._clock()
        if self._kept is not None and now - self._kept[0] < CACHE_MS:
            return self._kept[1]
        found: dict[str, Any] = {"open": True, "reason": None, "next_open": None}
        if not self._schedule.is_open(now):
            found = {
                "open": False,
                "reason": "closed_hours",
                "next_open": self._schedule.next_open(now),
            }
        elif self._need_agent and not any(
            agent.status == "online" for agent in await self._on_duty()
        ):
            found = {"open": False, "reason": "no_agent", "next_open": None}
        self._kept = (now, found)
        return found
