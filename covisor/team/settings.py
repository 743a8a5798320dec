"""The shop's settings an admin edits in the console, in force at once on every process.

`ShopSettings` is one set of values: how conversations reach agents (`routing`), how many open
conversations a new agent takes (`capacity`), what the widget asks first (`prechat`), the
business hours in their zone, whether the widget takes messages when no agent is online
(`leave_message_without_agents`) and the invitation cooldown. The config's `COVISOR_*`
variables give the first values (covisor/app/factories.py); once an admin saves them
(`PUT /api/settings`), the stored ones rule.

`Settings` keeps the values in force in this process (`now`, read synchronously by every
service that needs one). A save stores them, raising the stored version, and puts them in
force here before it answers; every process re-reads the stored version each `refresh`
(every second, `REFRESH_SECONDS`) and takes the values when it changed, so another process's
save is in force here within about a second, without a message bus.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
from dataclasses import dataclass
from typing import Any, Literal
from zoneinfo import ZoneInfo

from covisor.kernel.errors import CovisorError
from covisor.store.settings import SettingsStore
from covisor.team.agents import MAX_CAPACITY
from covisor.team.hours import Schedule, zone

log = logging.getLogger(__name__)

REFRESH_SECONDS = 1.0
"""How often a process looks for settings another one saved."""
ROUTING = ("manual", "auto")
PRECHAT = ("off", "name", "name_email")
MAX_COOLDOWN = 365 * 24 * 3600.0
MAX_HOURS_CHARS = 1000
MAX_ZONE_CHARS = 64

Routing = Literal["manual", "auto"]
Prechat = Literal["off", "name", "name_email"]


@dataclass(frozen=True)
class ShopSettings:
    """One set of the shop's settings (the module docstring); `version` is the stored one they
    came from (0: the config's first values)."""

    routing: str
    capacity: int
    prechat: str
    timezone: str
    business_hours: str
    leave_message_without_agents: bool
    invitation_cooldown: float
    version: int = 0

    @functools.cached_property
    def tz(self) -> ZoneInfo:
        return zone(self.timezone)

    @functools.cached_property
    def schedule(self) -> Schedule:
        return Schedule.parse(self.business_hours, self.tz)

    def wire(self) -> dict[str, Any]:
        """As `GET /api/settings` answers them (docs/PROTOCOL.md, *Settings*)."""
        found = dataclasses.asdict(self)
        del found["version"]
        return found

    @classmethod
    def checked(cls, values: dict[str, Any], version: int = 0) -> ShopSettings:
        """The settings `values` gives (every field), or `bad_request` naming the first field
        that is wrong and why."""
        fields = [f.name for f in dataclasses.fields(cls) if f.name != "version"]
        missing = [name for name in fields if name not in values]
        unknown = sorted(set(values) - set(fields))
        if missing or unknown:
            raise CovisorError(
                "bad_request",
                f"settings: missing {', '.join(missing) or 'nothing'}; "
                f"unknown {', '.join(unknown) or 'nothing'}",
            )
        found = cls(**{name: values[name] for name in fields}, version=version)
        found._check()
        return found

    def _check(self) -> None:
        def refuse(name: str, why: str) -> None:
            raise CovisorError("bad_request", f"{name}: {why}")

        if self.routing not in ROUTING:
            refuse("routing", f"must be one of {', '.join(ROUTING)}")
        if self.prechat not in PRECHAT:
            refuse("prechat", f"must be one of {', '.join(PRECHAT)}")
        if type(self.capacity) is not int or not 1 <= self.capacity <= MAX_CAPACITY:
            refuse("capacity", f"must be a whole number from 1 to {MAX_CAPACITY}")
        if type(self.leave_message_without_agents) is not bool:
            refuse("leave_message_without_agents", "must be true or false")
        cooldown = self.invitation_cooldown
        if type(cooldown) not in (int, float) or not 0 <= cooldown <= MAX_COOLDOWN:
            refuse("invitation_cooldown", f"must be seconds from 0 to {MAX_COOLDOWN:.0f}")
        if not isinstance(self.timezone, str) or len(self.timezone) > MAX_ZONE_CHARS:
            refuse("timezone", "must be an IANA time zone such as Europe/Madrid")
        if not isinstance(self.business_hours, str) or len(self.business_hours) > MAX_HOURS_CHARS:
            refuse("business_hours", f"must be text of at most {MAX_HOURS_CHARS} characters")
        try:
            tz = zone(self.timezone)
        except ValueError as exc:
            refuse("timezone", str(exc))
        try:
            Schedule.parse(self.business_hours, tz)
        except ValueError as exc:
            refuse("business_hours", str(exc))


class Settings:
    def __init__(self, store: SettingsStore, first: ShopSettings) -> None:
        """`first`: the values before any save (the config's)."""
        self._store = store
        self._first = first
        self._now = first

    @property
    def now(self) -> ShopSettings:
        """The values in force in this process."""
        return self._now

    async def refresh(self) -> int:
        """Take the stored values if they changed since this process last read them; 1 when
        they did, else 0."""
        version = await self._store.settings_version()
        if version == self._now.version:
            return 0
        stored = await self._store.settings()
        if stored is None:
            return 0
        try:
            values = json.loads(stored.value)
            self._now = ShopSettings.checked({**self._first.wire(), **values}, stored.version)
        except (ValueError, CovisorError) as exc:
            log.error("stored settings %d are not valid, keeping these: %s", stored.version, exc)
            self._now = dataclasses.replace(self._now, version=stored.version)
        return 1

    async def save(self, values: dict[str, Any]) -> ShopSettings:
        """Check `values` (every field, `bad_request` otherwise), store them and put them in
        force in this process; the values as saved."""
        checked = ShopSettings.checked(values)
        version = await self._store.put_settings(json.dumps(checked.wire()))
        saved = dataclasses.replace(checked, version=version)
        if version > self._now.version:
            self._now = saved
        return saved
