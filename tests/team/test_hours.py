"""Business hours (hours.py): parsing, open/closed at fixed instants, DST switches."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from covisor.team.hours import Schedule, zone

MADRID = zone("Europe/Madrid")


def ms(text: str) -> float:
    """Epoch ms of an ISO instant with its offset."""
    return datetime.fromisoformat(text).timestamp() * 1000.0


def utc(value: float | None) -> str:
    assert value is not None
    return datetime.fromtimestamp(value / 1000.0, UTC).isoformat()


WEEK = Schedule.parse("mon-fri 09:00-18:00; sat 10:00-14:00", MADRID)


def test_empty_is_always_open() -> None:
    always = Schedule.parse("  ", MADRID)
    assert always.always and always.is_open(0.0) and always.next_open(0.0) is None


@pytest.mark.parametrize(
    ("instant", "open_"),
    [
        ("2026-06-01T09:00:00+02:00", True),  # Monday, opening minute (summer time)
        ("2026-06-01T08:59:59+02:00", False),
        ("2026-06-01T17:59:59+02:00", True),
        ("2026-06-01T18:00:00+02:00", False),  # the end is exclusive
        ("2026-06-01T07:30:00+00:00", True),  # 09:30 in Madrid, 07:30 in UTC
        ("2026-06-06T13:59:00+02:00", True),  # Saturday
        ("2026-06-06T14:00:00+02:00", False),
        ("2026-06-07T12:00:00+02:00", False),  # Sunday
        ("2026-01-05T08:30:00+00:00", True),  # winter: 09:30 in Madrid
        ("2026-01-05T17:30:00+00:00", False),  # winter: 18:30 in Madrid
    ],
)
def test_open_at_fixed_instants(instant: str, open_: bool) -> None:
    assert WEEK.is_open(ms(instant)) is open_


def test_next_open_is_the_next_rule_start() -> None:
    # Saturday after closing → Monday 09:00 in Madrid.
    assert utc(WEEK.next_open(ms("2026-06-06T15:00:00+02:00"))) == "2026-06-08T07:00:00+00:00"
    # Before opening on the same day.
    assert utc(WEEK.next_open(ms("2026-06-01T06:00:00+02:00"))) == "2026-06-01T07:00:00+00:00"
    assert WEEK.next_open(ms("2026-06-01T10:00:00+02:00")) is None


def test_dst_switches_keep_wall_clock_hours() -> None:
    # Friday 27 March 2026 is in winter time (UTC+1), Monday 30 March in summer time (UTC+2):
    # opening stays at 09:00 local, which moves by an hour in UTC.
    assert utc(WEEK.next_open(ms("2026-03-27T19:00:00+01:00"))) == "2026-03-28T09:00:00+00:00"
    assert utc(WEEK.next_open(ms("2026-03-28T15:00:00+01:00"))) == "2026-03-30T07:00:00+00:00"
    # Autumn: Monday 26 October 2026 is back in winter time.
    assert utc(WEEK.next_open(ms("2026-10-24T15:00:00+02:00"))) == "2026-10-26T08:00:00+00:00"
    assert WEEK.is_open(ms("2026-10-26T08:00:00+00:00"))
    assert not WEEK.is_open(ms("2026-10-26T07:59:00+00:00"))


def test_an_opening_skipped_by_spring_forward_opens_at_the_end_of_the_gap() -> None:
    night = Schedule.parse("sun 02:30-05:00", MADRID)
    # 29 March 2026: 02:00 CET jumps to 03:00 CEST (01:00 UTC).
    opens = night.next_open(ms("2026-03-28T12:00:00+01:00"))
    assert utc(opens) == "2026-03-29T01:00:00+00:00"
    assert night.is_open(ms("2026-03-29T01:00:00+00:00"))
    assert not night.is_open(ms("2026-03-29T00:59:00+00:00"))


def test_a_repeated_hour_opens_at_its_first_occurrence() -> None:
    night = Schedule.parse("sun 02:30-05:00", MADRID)
    # 25 October 2026: 03:00 CEST falls back to 02:00 CET; 02:30 happens twice.
    assert utc(night.next_open(ms("2026-10-24T12:00:00+02:00"))) == "2026-10-25T00:30:00+00:00"


def test_other_zones_and_midnight() -> None:
    tokyo = Schedule.parse("Sat,Sun 22:00 - 24:00", zone("Asia/Tokyo"))
    assert tokyo.is_open(ms("2026-06-06T23:59:00+09:00"))
    assert not tokyo.is_open(ms("2026-06-07T00:00:00+09:00"))  # Sunday 00:00 is closed here
    wrap = Schedule.parse("sat-mon 10:00-11:00", MADRID)
    assert [d for d, spans in enumerate(wrap.ranges) if spans] == [0, 5, 6]


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("mon-fri", "expected DAYS HH:MM-HH:MM"),
        ("mon-fri 9-18", "is not a time"),
        ("mon-fri 09:00-25:00", "is not a time"),
        ("mon-fri 18:00-09:00", "must end after it starts"),
        ("monday 09:00-18:00", "days are mon"),
        ("mon 09:00-12:00; mon 11:00-13:00", "ranges overlap"),
        ("mon 09:00-12:00;", "an empty rule"),
        ("mon 09:00", "is not a range"),
    ],
)
def test_bad_hours_are_refused(text: str, said: str) -> None:
    with pytest.raises(ValueError, match=said):
        Schedule.parse(text, MADRID)


def test_unknown_time_zones_are_refused() -> None:
    for name in ("Mars/Olympus", "", "../etc/passwd", "/etc/localtime"):
        with pytest.raises(ValueError, match="not a known IANA time zone"):
            zone(name)
