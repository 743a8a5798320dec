"""Reports: what happened between two dates, in a time zone, for the admins' console.

`Reports.report(from, to, tz)` turns the dates (`YYYY-MM-DD`, both included) in the IANA zone
`tz` into UTC ms bounds: the range starts at `from`'s midnight and ends at the midnight after
`to`, each taken in the zone on its own day, so a range over a DST change is 23 or 25 hours
longer or shorter than whole days. The store reads and groups (covisor/store/reports.py); this
module takes the percentiles, puts conversations on days and hours of the day in `tz` and
shapes the answer (docs/PROTOCOL.md, *Reports*); commerce.py adds the `products` section where
the store has the product catalogue (`null` elsewhere). `csv_text` gives the same figures as
CSV.

Percentiles interpolate linearly between the closest ranks (the usual "type 7" definition): the
median of 10 s and 20 s is 15 s; `null` without any sample.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from covisor.history.amounts import currency_total
from covisor.history.commerce import csv_sections, products_section
from covisor.kernel.errors import CovisorError
from covisor.store import Store
from covisor.store.commerce import CommerceStore
from covisor.store.records import ConversationFacts, OrderGroup, VisitorGroup
from covisor.team.hours import zone

MAX_DAYS = 366
"""The longest range one report covers, in days."""

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)


@dataclass(frozen=True)
class ReportRange:
    """Dates `first`..`last` (both included) in `tz`, and their bounds in UTC ms."""

    first: date
    last: date
    tz: ZoneInfo
    start: float
    end: float

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


def midnight(day: date, tz: ZoneInfo) -> float:
    return datetime.combine(day, time(0), tzinfo=tz).timestamp() * 1000.0


def parse_date(text: str | None, name: str) -> date:
    if text is None or not _DATE.fullmatch(text):
        raise CovisorError("bad_request", f"{name} must be a date YYYY-MM-DD")
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise CovisorError("bad_request", f"{name} is not a date: {text}") from None
    if not 1970 <= day.year <= 9998:
        raise CovisorError("bad_request", f"{name} must be between 1970 and 9998")
    return day


def report_range(first: str | None, last: str | None, tz: str) -> ReportRange:
    """The range of dates `first`..`last` in zone `tz`; `bad_request` for a bad date or zone,
    `to` before `from`, or more than `MAX_DAYS` days."""
    try:
        zone_info = zone(tz)
    except ValueError as exc:
        raise CovisorError("bad_request", f"tz: {exc}") from None
    day_one, day_last = parse_date(first, "from"), parse_date(last, "to")
    if day_last < day_one:
        raise CovisorError("bad_request", "to is before from")
    if (day_last - day_one).days + 1 > MAX_DAYS:
        raise CovisorError("bad_request", f"a report covers at most {MAX_DAYS} days")
    start = midnight(day_one, zone_info)
    end = midnight(day_last + timedelta(days=1), zone_info)
    return ReportRange(day_one, day_last, zone_info, start, end)


def percentile(samples: Sequence[float], q: float) -> float | None:
    """The `q` quantile (0–1) of `samples`, linearly interpolated; None without samples."""
    if not samples:
        return None
    ordered = sorted(samples)
    position = q * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _seconds(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def _spans(pairs: Iterable[tuple[float, float | None]]) -> list[float]:
    """Seconds from each start to its end, for those that ended."""
    return [(end - start) / 1000.0 for start, end in pairs if end is not None]


def _timing(samples: list[float], p90: bool = True) -> dict[str, Any]:
    timing: dict[str, Any] = {"count": len(samples), "median": _seconds(percentile(samples, 0.5))}
    if p90:
        timing["p90"] = _seconds(percentile(samples, 0.9))
    return timing


def _missed(f: ConversationFacts) -> bool:
    return f.first_response_at is None and f.status in ("closed", "waiting")


def _average(scores: list[int]) -> float | None:
    return round(sum(scores) / len(scores), 2) if scores else None


def _agents(facts: list[ConversationFacts]) -> list[dict[str, Any]]:
    """One row per agent who held or wrote in a conversation of the range, each credited for
    their own part (docs/PROTOCOL.md, *Reports*): the conversation counts for every such agent,
    messages for their writer, the first response for each agent from when it reached them
    (the opening for the agent who accepted it first, as the overall first response; the
    transfer for those after), the closing and the rating for whoever closed it."""
    rows: dict[str, dict[str, Any]] = {}
    responses: dict[str, list[float]] = {}
    scores: dict[str, list[int]] = {}

    def row(agent_id: str, name: str | None) -> dict[str, Any]:
        found = rows.setdefault(
            agent_id, {"id": agent_id, "name": "", "conversations": 0, "messages": 0, "closed": 0}
        )
        found["name"] = name or found["name"]
        return found

    for f in facts:
        for part in f.parts:
            own = row(part.agent_id, part.name)
            own["conversations"] += 1
            own["messages"] += part.messages
            since = part.received_at
            if since is None or part.agent_id == f.agent_id:
                since = f.opened_at
            if part.first_message_at is not None and part.first_message_at >= since:
                responses.setdefault(part.agent_id, []).append(
                    (part.first_message_at - since) / 1000.0
                )
        if f.closed_by is not None:
            closer = row(f.closed_by, f.closed_by_name)
            closer["closed"] += 1
            if f.rating is not None:
                scores.setdefault(f.closed_by, []).append(f.rating)
            if all(part.agent_id != f.closed_by for part in f.parts):
                closer["conversations"] += 1
    for agent_id, found in rows.items():
        own_scores = scores.get(agent_id, [])
        found["first_response_median"] = _seconds(percentile(responses.get(agent_id, []), 0.5))
        found["ratings"] = len(own_scores)
        found["rating_average"] = _average(own_scores)
    return sorted(rows.values(), key=lambda r: (-r["conversations"], r["name"], r["id"]))


def _devices(facts: list[ConversationFacts]) -> list[dict[str, Any]]:
    by_device: dict[str, list[ConversationFacts]] = {}
    for f in facts:
        by_device.setdefault(f.device, []).append(f)
    return [
        {
            "device": device,
            "conversations": len(own),
            "answered": sum(1 for f in own if f.accepted_at is not None),
            "missed": sum(1 for f in own if _missed(f)),
        }
        for device, own in sorted(by_device.items())
    ]


def _conversions(visitors: list[VisitorGroup], orders: list[OrderGroup]) -> list[dict[str, Any]]:
    keys = sorted(
        {(v.device, v.assisted) for v in visitors} | {(o.device, o.assisted) for o in orders}
    )
    seen = {(v.device, v.assisted): v for v in visitors}
    rows = []
    for device, assisted in keys:
        group = seen.get((device, assisted))
        count = group.visitors if group else 0
        converted = group.converted if group else 0
        rows.append(
            {
                "device": device,
                "assisted": assisted,
                "visitors": count,
                "converted": converted,
                "rate": round(converted / count, 4) if count else None,
                "orders": [
                    currency_total(o.currency, o.orders, o.total_cents)
                    for o in orders
                    if (o.device, o.assisted) == (device, assisted)
                ],
            }
        )
    return rows


class Reports:
    def __init__(
        self, store: Store, default_tz: Callable[[], str], commerce: CommerceStore | None = None
    ) -> None:
        """`default_tz`: the zone of a request that names none (the shop's settings'
        `timezone`, asked at each request);
        `commerce`: the store's commerce slice, None where the store has no products (then
        the report's `products` is None)."""
        self._store = store
        self._default_tz = default_tz
        self._commerce = commerce

    @property
    def default_tz(self) -> str:
        return self._default_tz()

    async def report(self, first: str | None, last: str | None, tz: str | None) -> dict[str, Any]:
        """The report's JSON (see docs/PROTOCOL.md, *Reports*); `bad_request` for a bad range."""
        r = report_range(first, last, tz or self._default_tz())
        facts = await self._store.conversation_facts(r.start, r.end)
        sent, accepted = await self._store.invitation_counts(r.start, r.end)
        visitors = await self._store.visitor_groups(r.start, r.end)
        orders = await self._store.order_groups(r.start, r.end)
        products = (
            None
            if self._commerce is None
            else await products_section(self._commerce, r.start, r.end, facts)
        )
        scores = [f.rating for f in facts if f.rating is not None]
        by_score = Counter(scores)
        local = [datetime.fromtimestamp(f.opened_at / 1000.0, r.tz) for f in facts]
        per_day = Counter(moment.date() for moment in local)
        per_hour = Counter(moment.hour for moment in local)
        return {
            "range": {
                "from": r.first.isoformat(),
                "to": r.last.isoformat(),
                "tz": r.tz.key,
                "start": r.start,
                "end": r.end,
                "days": r.days,
            },
            "conversations": {
                "total": len(facts),
                "answered": sum(1 for f in facts if f.accepted_at is not None),
                "missed": sum(1 for f in facts if _missed(f)),
                "offline": sum(1 for f in facts if f.offline),
            },
            "times": {
                "first_response": _timing(
                    _spans((f.opened_at, f.first_response_at) for f in facts)
                ),
                "wait": _timing(_spans((f.opened_at, f.accepted_at) for f in facts)),
                "duration": _timing(_spans((f.opened_at, f.closed_at) for f in facts), p90=False),
            },
            "rating": {
                "count": len(scores),
                "average": _average(scores),
                "distribution": [by_score.get(score, 0) for score in range(1, 6)],
            },
            "activity": {
                "uploads": sum(f.uploads for f in facts),
                "pin_joins": sum(f.pin_joins for f in facts),
                "invitations_sent": sent,
                "invitations_accepted": accepted,
                "offline_messages": sum(1 for f in facts if f.offline),
            },
            "agents": _agents(facts),
            "devices": _devices(facts),
            "conversions": _conversions(visitors, orders),
            "products": products,
            "per_day": [
                {"date": day.isoformat(), "conversations": per_day.get(day, 0)}
                for day in (r.first + timedelta(days=n) for n in range(r.days))
            ],
            "per_hour": [per_hour.get(hour, 0) for hour in range(24)],
        }


def _cell(value: Any) -> Any:
    """A cell a spreadsheet will not run: text starting like a formula gets a `'` first."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def csv_text(report: dict[str, Any]) -> str:
    """`report` as CSV: sections, each a title row (`# name`), a header row and its rows, then
    an empty row (docs/PROTOCOL.md, *Reports*)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")

    def section(name: str, header: list[str], rows: Iterable[Sequence[Any]]) -> None:
        writer.writerow([f"# {name}"])
        writer.writerow(header)
        for row in rows:
            writer.writerow([_cell(v) for v in row])
        writer.writerow([])

    rng, conv, times = report["range"], report["conversations"], report["times"]
    rating, activity = report["rating"], report["activity"]
    section(
        "summary",
        ["figure", "value"],
        [
            ("from", rng["from"]),
            ("to", rng["to"]),
            ("tz", rng["tz"]),
            *((f"conversations_{k}", v) for k, v in conv.items()),
            ("first_response_median_s", times["first_response"]["median"]),
            ("first_response_p90_s", times["first_response"]["p90"]),
            ("wait_median_s", times["wait"]["median"]),
            ("wait_p90_s", times["wait"]["p90"]),
            ("duration_median_s", times["duration"]["median"]),
            ("rating_count", rating["count"]),
            ("rating_average", rating["average"]),
            *activity.items(),
        ],
    )
    section("rating", ["score", "count"], enumerate(rating["distribution"], start=1))
    agent_keys = [
        "id",
        "name",
        "conversations",
        "messages",
        "closed",
        "first_response_median",
        "ratings",
        "rating_average",
    ]
    section("agents", agent_keys, ([a[k] for k in agent_keys] for a in report["agents"]))
    device_keys = ["device", "conversations", "answered", "missed"]
    section("devices", device_keys, ([d[k] for k in device_keys] for d in report["devices"]))
    conversion_keys = ["device", "assisted", "visitors", "converted", "rate"]
    section(
        "conversions",
        conversion_keys,
        ([c[k] for k in conversion_keys] for c in report["conversions"]),
    )
    section(
        "orders",
        ["device", "assisted", "currency", "orders", "total", "average"],
        (
            [c["device"], c["assisted"], o["currency"], o["orders"], o["total"], o["average"]]
            for c in report["conversions"]
            for o in c["orders"]
        ),
    )
    if report["products"] is not None:
        for name, header, rows in csv_sections(report["products"]):
            section(name, header, rows)
    section(
        "per_day",
        ["date", "conversations"],
        ((d["date"], d["conversations"]) for d in report["per_day"]),
    )
    section("per_hour", ["hour", "conversations"], enumerate(report["per_hour"]))
    return out.getvalue()
