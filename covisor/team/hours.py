"""Business hours: whether the shop answers at an instant, and when it opens next.

Pure: instants are epoch milliseconds (what the injected clock gives), the time zone is an
IANA zone and the rules are wall-clock times in it, so opening at 09:00 stays 09:00 across
daylight saving changes.

The grammar of `business_hours` (case and blanks around separators do not matter):

    hours  := "" | rule (";" rule)*
    rule   := days " " ranges
    days   := span ("," span)*            span  := day | day "-" day   (mon-fri, sat-mon)
    day    := mon | tue | wed | thu | fri | sat | sun
    ranges := range ("," range)*          range := HH:MM "-" HH:MM    (start < end, end ≤ 24:00)

`mon-fri 09:00-13:30,15:00-19:00; sat 10:00-14:00`. A day without a rule is closed; rules of
the same day add up. An empty text means always open. A range does not cross midnight: write
`fri 22:00-24:00; sat 00:00-02:00`. A wall-clock time skipped by a daylight saving change
(02:30 on the spring-forward night) opens or closes at the first instant after the gap.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_TIME = re.compile(r"^([01][0-9]|2[0-4]):([0-5][0-9])\Z", re.ASCII)
_RULE = re.compile(r"^(\S+)\s+(\S+)\Z")


def zone(name: str) -> ZoneInfo:
    """The IANA time zone `name`, or ValueError saying it is not a known time zone."""
    try:
        if not name or name != name.strip() or ".." in name or name.startswith("/"):
            raise ZoneInfoNotFoundError(name)
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"{name!r} is not a known IANA time zone (such as Europe/Madrid)"
        ) from None


@dataclass(frozen=True)
class Schedule:
    """Open minutes per weekday (`ranges[0]` is Monday), in `tz`; `always` when no rules."""

    tz: ZoneInfo
    ranges: tuple[tuple[tuple[int, int], ...], ...]
    always: bool = False

    @classmethod
    def parse(cls, text: str, tz: ZoneInfo) -> Schedule:
        """The schedule `text` describes (module docstring), or ValueError saying what is
        wrong with which rule."""
        found: list[list[tuple[int, int]]] = [[] for _ in DAYS]
        rules = [part.strip() for part in text.split(";")]
        if not any(rules):
            return cls(tz, tuple(() for _ in DAYS), always=True)
        for rule in rules:
            if not rule:
                raise ValueError(f"an empty rule in {text!r} (a stray ';')")
            match = _RULE.match(re.sub(r"\s*([,-])\s*", r"\1", rule).lower())
            if match is None:
                raise ValueError(
                    f"{rule!r}: expected DAYS HH:MM-HH:MM, such as mon-fri 09:00-18:00"
                )
            days, spans = match.groups()
            for day in _days(days, rule):
                found[day].extend(_range(span, rule) for span in spans.split(","))
        for day, spans in enumerate(found):
            spans.sort()
            for (_, end), (start, _) in zip(spans, spans[1:], strict=False):
                if start < end:
                    raise ValueError(f"{DAYS[day]}: ranges overlap")
        return cls(tz, tuple(tuple(spans) for spans in found))

    def is_open(self, at: float) -> bool:
        """Whether the shop answers at the instant `at` (epoch ms)."""
        if self.always:
            return True
        local = datetime.fromtimestamp(at / 1000.0, UTC).astimezone(self.tz)
        minute = local.hour * 60 + local.minute
        return any(start <= minute < end for start, end in self.ranges[local.weekday()])

    def next_open(self, at: float) -> float | None:
        """The first instant (epoch ms) after `at` when the shop opens; None when it is open
        at `at` or always open."""
        if self.always or self.is_open(at):
            return None
        today = datetime.fromtimestamp(at / 1000.0, UTC).astimezone(self.tz).date()
        for ahead in range(8):
            day = today + timedelta(days=ahead)
            for start, _ in self.ranges[day.weekday()]:
                opens = _instant(day, start, self.tz)
                if opens > at:
                    return opens
        return None


def _days(text: str, rule: str) -> list[int]:
    found: list[int] = []
    for span in text.split(","):
        first, _, last = span.partition("-")
        if first not in DAYS or (last and last not in DAYS):
            raise ValueError(f"{rule!r}: days are {', '.join(DAYS)}, such as mon-fri or sat,sun")
        a = DAYS.index(first)
        b = DAYS.index(last) if last else a
        found.extend((a + i) % 7 for i in range((b - a) % 7 + 1))
    return found


def _range(text: str, rule: str) -> tuple[int, int]:
    start, sep, end = text.partition("-")
    if not sep:
        raise ValueError(f"{rule!r}: {text!r} is not a range HH:MM-HH:MM")
    first, last = _minute(start, rule), _minute(end, rule)
    if first >= last:
        raise ValueError(f"{rule!r}: {text!r} must end after it starts (on the same day)")
    return first, last


def _minute(text: str, rule: str) -> int:
    match = _TIME.match(text)
    value = int(match.group(1)) * 60 + int(match.group(2)) if match else -1
    if not 0 <= value <= 24 * 60:
        raise ValueError(f"{rule!r}: {text!r} is not a time from 00:00 to 24:00")
    return value


def _instant(day: date, minute: int, tz: ZoneInfo) -> float:
    """Epoch ms of the wall-clock `minute` of `day` in `tz`; in a daylight saving gap, the end
    of the gap (the first instant whose wall clock is past it); in a repeated hour, the first."""
    wall = datetime.combine(day, time(), tz) + timedelta(minutes=minute)
    naive = wall.replace(tzinfo=None)
    earliest = wall.replace(fold=0).astimezone(UTC)
    if earliest.astimezone(tz).replace(tzinfo=None) != naive:
        # In a gap fold=0 reads the skipped time with the offset before it, landing as far
        # past the gap as the time was into it; walk back to where the gap ends.
        step = timedelta(minutes=1)
        while (earliest - step).astimezone(tz).replace(tzinfo=None) >= naive:
            earliest -= step
    return earliest.timestamp() * 1000.0
