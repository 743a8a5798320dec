"""Whether a shopper can expect an answer now: inside business hours and an agent online.

`GET /api/availability` answers `{open, reason, next_open}`: `reason` is `closed_hours`
outside the shop's settings' `business_hours` (settings.py; with `next_open`, epoch ms),
`no_agent` inside them
when no agent is `online` (an `away` agent does not count; `next_open` is null, since nobody
knows; unless `leave_message_without_agents` is off), else null. Public and asked on every
widget load, so an answer is kept for `CACHE_MS`. The widget switches to leave-a-message
when it is not open.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from covisor.kernel.clock import Clock
from covisor.team.roster import OnDuty
from covisor.team.settings import ShopSettings

CACHE_MS = 5000.0


class Availability:
    def __init__(
        self,
        settings: Callable[[], ShopSettings],
        on_duty: Callable[[], Awaitable[list[OnDuty]]],
        clock: Clock,
    ) -> None:
        """`settings`: the shop's settings in force (their business hours, zone and
        `leave_message_without_agents`), asked at each answer: an answer kept under other
        settings is not given."""
        self._settings = settings
        self._on_duty = on_duty
        self._clock = clock
        self._kept: tuple[float, ShopSettings, dict[str, Any]] | None = None

    async def now(self) -> dict[str, Any]:
        now = self._clock()
        settings = self._settings()
        if self._kept is not None and now - self._kept[0] < CACHE_MS:
            if self._kept[1] is settings:
                return self._kept[2]
        schedule = settings.schedule
        found: dict[str, Any] = {"open": True, "reason": None, "next_open": None}
        if not schedule.is_open(now):
            found = {"open": False, "reason": "closed_hours", "next_open": schedule.next_open(now)}
        elif settings.leave_message_without_agents and not any(
            agent.status == "online" for agent in await self._on_duty()
        ):
            found = {"open": False, "reason": "no_agent", "next_open": None}
        self._kept = (now, settings, found)
        return found
