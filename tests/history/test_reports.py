"""Reports over a hand-made week-end: conversations, answers, ratings, invitations and orders
made through the real REST and Socket.IO paths at times a `ManualClock` sets, then read back
in Europe/Warsaw across the spring DST change (29 March 2026: 02:00 CET becomes 03:00 CEST)."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import socketio
import yaml
from jsonschema import Draft202012Validator

from covisor.app.http import create_app
from covisor.config import Config
from covisor.history.reports import percentile, report_range
from tests.conftest import WAIT, Harness, ManualClock, serving

PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148"
DESKTOP = "Mozilla/5.0 (X11; Linux x86_64) Firefox/125.0"
WEEKEND = "/api/reports?from=2026-03-28&to=2026-03-29&tz=Europe/Warsaw"
OPENAPI = yaml.safe_load((Path(__file__).parents[2] / "docs" / "openapi.yaml").read_text())


def utc(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp() * 1000.0


class Shop:
    def __init__(self, h: Harness, clock: ManualClock) -> None:
        self.h, self.clock = h, clock

    def at(self, text: str) -> None:
        self.clock.now = utc(text)

    async def open(self, agent: str, **body: Any) -> dict[str, Any]:
        async with self.h.http.post(
            f"{self.h.url}/api/conversations", json=body, headers={"User-Agent": agent}
        ) as response:
            assert response.status == 201, await response.text()
            opened: dict[str, Any] = await response.json()
            return opened

    async def say(self, token: str, cid: str, text: str) -> None:
        peer = await self.h.peer(token)
        await peer.ok("join", {"conversation_id": cid})
        await peer.ok("chat.send", {"conversation_id": cid, "text": text})
        await peer.close()

    async def ok(self, method: str, path: str, token: str | None, **kw: Any) -> Any:
        status, body = await self.h.request(method, path, token, **kw)
        assert status in (200, 201), (path, status, body)
        return body

    async def visitor(self, agent: str) -> tuple[str, str]:
        """A widget's visitor who opened one page now; (id, token)."""
        made = await self.ok("POST", "/api/visitors", None, json={})
        sio = socketio.AsyncClient(reconnection=False)
        await sio.connect(
            self.h.url,
            auth={"token": made["token"]},
            transports=["websocket"],
            headers={"User-Agent": agent},
        )
        await sio.call("visitor.page", {"url": "https://shop.test/", "title": "Home"}, timeout=WAIT)
        await sio.disconnect()
        await self.h.services.tracking.flush()
        return made["id"], made["token"]


@pytest.fixture
async def shop(config: Config) -> AsyncIterator[tuple[Shop, dict[str, str]]]:
    """The week-end's data; the tokens of the admin and of two agents."""
    clock = ManualClock(utc("2026-03-27T12:00:00"))
    app = await create_app(config.replace(timezone="Europe/Warsaw"), clock=clock)
    async with serving(app) as h:
        s = Shop(h, clock)
        agents = h.services.agents
        _, admin = await agents.add("Boss", role="admin")
        _, ann = await agents.add("Ann")
        _, bob = await agents.add("Bob")
        # A: 23:30 UTC on Friday is 00:30 on Saturday in Warsaw. Phone; Ann.
        s.at("2026-03-27T23:30:00")
        a = await s.open(PHONE)
        s.at("2026-03-27T23:30:20")
        await s.ok("POST", f"/api/conversations/{a['id']}/accept", ann)
        s.at("2026-03-27T23:30:30")
        await s.say(a["token"], a["id"], "Do you ship to Kraków?")
        s.at("2026-03-27T23:30:50")
        await s.say(ann, a["id"], "Yes, in two days")
        s.at("2026-03-27T23:35:00")
        await s.ok("POST", f"/api/conversations/{a['id']}/close", ann)
        await s.ok("POST", f"/api/conversations/{a['id']}/rating", a["token"], json={"score": 5})
        # B: a message left while nobody answers, never answered. Desktop.
        s.at("2026-03-28T10:00:00")
        await s.open(DESKTOP, offline=True)
        # E: Ann invites a phone visitor who accepts: hers at once, her text the first line.
        s.at("2026-03-28T11:59:00")
        v1, v1_token = await s.visitor(PHONE)
        invitation = await s.ok("POST", f"/api/visitors/{v1}/invite", ann, json={"message": "Hi!"})
        s.at("2026-03-28T12:00:10")
        await s.h.request(
            "POST",
            f"/api/invitations/{invitation['id']}/accept",
            v1_token,
            json={},
            headers={"User-Agent": PHONE},
        )
        # Orders: the invited visitor (assisted, phone) twice in EUR; a desktop one in PLN.
        s.at("2026-03-28T15:00:00")
        order: dict[str, Any] = {"value": "100", "currency": "EUR", "order_id": "A-1"}
        await s.ok("POST", "/api/conversions", v1_token, json=order)
        order = {"value": 50.5, "currency": "eur", "order_id": "A-2"}
        await s.ok("POST", "/api/conversions", v1_token, json=order)
        _, v2_token = await s.visitor(DESKTOP)
        order = {"value": "40", "currency": "PLN", "order_id": "B-1"}
        await s.ok("POST", "/api/conversions", v2_token, json=order)
        await s.visitor(PHONE)  # browses, buys nothing
        # C: 21:30 UTC on Sunday is 23:30 in Warsaw (CEST now). Desktop; Bob.
        s.at("2026-03-29T21:30:00")
        c = await s.open(DESKTOP)
        s.at("2026-03-29T21:30:40")
        await s.ok("POST", f"/api/conversations/{c['id']}/accept", bob)
        s.at("2026-03-29T21:31:40")
        await s.say(bob, c["id"], "Hello")
        s.at("2026-03-29T21:40:00")
        await s.ok("POST", f"/api/conversations/{c['id']}/close", bob)
        await s.ok("POST", f"/api/conversations/{c['id']}/rating", c["token"], json={"score": 3})
        # D: 22:30 UTC on Sunday is already Monday in Warsaw: outside.
        s.at("2026-03-29T22:30:00")
        await s.open(DESKTOP)
        s.at("2026-03-30T08:00:00")
        yield s, {"admin": admin, "agent": ann}


async def test_the_weekend_in_warsaw(shop: tuple[Shop, dict[str, str]]) -> None:
    s, tokens = shop
    status, report = await s.h.request("GET", WEEKEND, tokens["admin"])
    assert status == 200, report
    assert report["range"] == {
        "from": "2026-03-28",
        "to": "2026-03-29",
        "tz": "Europe/Warsaw",
        "start": utc("2026-03-27T23:00:00"),
        "end": utc("2026-03-29T22:00:00"),
        "days": 2,
    }
    assert report["conversations"] == {"total": 4, "answered": 3, "missed": 1, "offline": 1}
    assert report["times"] == {
        "first_response": {"count": 3, "median": 50.0, "p90": 90.0},  # 0, 50, 100 s
        "wait": {"count": 3, "median": 20.0, "p90": 36.0},  # 0, 20, 40 s
        "duration": {"count": 2, "median": 450.0},  # 300, 600 s
    }
    assert report["rating"] == {"count": 2, "average": 4.0, "distribution": [0, 0, 1, 0, 1]}
    assert report["activity"] == {
        "uploads": 0,
        "pin_joins": 0,
        "invitations_sent": 1,
        "invitations_accepted": 1,
        "offline_messages": 1,
    }
    assert [
        (
            a["name"],
            a["conversations"],
            a["closed"],
            a["first_response_median"],
            a["ratings"],
            a["rating_average"],
        )
        for a in report["agents"]
    ] == [
        ("Ann", 2, 1, 25.0, 1, 5.0),
        ("Bob", 1, 1, 100.0, 1, 3.0),
    ]
    assert report["devices"] == [
        {"device": "desktop", "conversations": 2, "answered": 1, "missed": 1},
        {"device": "phone", "conversations": 2, "answered": 2, "missed": 0},
    ]
    assert report["conversions"] == [
        {
            "device": "desktop",
            "assisted": False,
            "visitors": 1,
            "converted": 1,
            "rate": 1.0,
            "orders": [{"currency": "PLN", "orders": 1, "total": "40.00", "average": "40.00"}],
        },
        {
            "device": "phone",
            "assisted": False,
            "visitors": 1,
            "converted": 0,
            "rate": 0.0,
            "orders": [],
        },
        {
            "device": "phone",
            "assisted": True,
            "visitors": 1,
            "converted": 1,
            "rate": 1.0,
            "orders": [{"currency": "EUR", "orders": 2, "total": "150.50", "average": "75.25"}],
        },
    ]
    assert report["products"]["shown"] == 0, "no product shown (tests/history/test_commerce.py)"
    assert report["products"]["orders_with_shown"] == 0
    assert report["per_day"] == [
        {"date": "2026-03-28", "conversations": 3},
        {"date": "2026-03-29", "conversations": 1},
    ]
    hours = [0] * 24
    hours[0] = hours[11] = hours[13] = hours[23] = 1  # A, B, E, C in Warsaw
    assert report["per_hour"] == hours
    Draft202012Validator({"$ref": "#/components/schemas/Report", **OPENAPI}).validate(report)


async def test_days_follow_the_zone(shop: tuple[Shop, dict[str, str]]) -> None:
    s, tokens = shop
    status, sunday = await s.h.request(
        "GET", "/api/reports?from=2026-03-29&to=2026-03-29&tz=Europe/Warsaw", tokens["admin"]
    )
    assert status == 200
    assert sunday["range"]["end"] - sunday["range"]["start"] == 23 * 3600_000, "DST: 23 hours"
    assert sunday["conversations"]["total"] == 1 and sunday["per_hour"][23] == 1
    status, friday_utc = await s.h.request(
        "GET", "/api/reports?from=2026-03-27&to=2026-03-27&tz=UTC", tokens["admin"]
    )
    assert friday_utc["conversations"]["total"] == 1, "in UTC, 23:30 is still Friday"
    assert friday_utc["per_hour"][23] == 1
    status, default = await s.h.request(
        "GET", "/api/reports?from=2026-03-28&to=2026-03-29", tokens["admin"]
    )
    assert default["range"]["tz"] == "Europe/Warsaw", "the config's zone"
    assert default["conversations"]["total"] == 4


async def test_csv_has_the_same_figures(shop: tuple[Shop, dict[str, str]]) -> None:
    s, tokens = shop
    async with s.h.http.get(
        s.h.url + WEEKEND.replace("/api/reports", "/api/reports.csv"),
        headers={"Authorization": f"Bearer {tokens['admin']}"},
    ) as response:
        assert response.status == 200
        assert response.content_type == "text/csv"
        assert response.headers["Content-Disposition"] == (
            'attachment; filename="covisor-report-2026-03-28-2026-03-29.csv"'
        )
        text = await response.text()
    sections: dict[str, list[list[str]]] = {}
    current: list[list[str]] = []
    for row in csv.reader(io.StringIO(text)):
        if row and row[0].startswith("# "):
            current = sections.setdefault(row[0][2:], [])
        elif row:
            current.append(row)
    assert list(sections) == [
        "summary",
        "rating",
        "agents",
        "devices",
        "conversions",
        "orders",
        "products",
        "products_orders",
        "most_shown",
        "most_sold_after_chat",
        "per_day",
        "per_hour",
    ]
    summary = dict(sections["summary"][1:])
    assert summary["conversations_total"] == "4" and summary["tz"] == "Europe/Warsaw"
    assert summary["first_response_p90_s"] == "90.0" and summary["rating_average"] == "4.0"
    assert sections["rating"][1:] == [["1", "0"], ["2", "0"], ["3", "1"], ["4", "0"], ["5", "1"]]
    assert [row[1] for row in sections["agents"][1:]] == ["Ann", "Bob"]
    assert sections["orders"] == [
        ["device", "assisted", "currency", "orders", "total", "average"],
        ["desktop", "false", "PLN", "1", "40.00", "40.00"],
        ["phone", "true", "EUR", "2", "150.50", "75.25"],
    ]
    assert sections["per_day"][1:] == [["2026-03-28", "3"], ["2026-03-29", "1"]]
    assert len(sections["per_hour"]) == 25


@pytest.mark.parametrize(
    "query",
    [
        "from=2026-03-28&to=2026-03-27",
        "from=2026-02-30&to=2026-03-01",
        "from=28.03.2026&to=2026-03-29",
        "to=2026-03-29",
        "from=2025-01-01&to=2026-01-02",
        "from=2026-03-28&to=2026-03-29&tz=Mars/Olympus",
        "from=2026-03-28&to=2026-03-29&tz=../etc/passwd",
        "from=9999-12-31&to=9999-12-31",
        "from=1969-12-31&to=1970-01-01",
    ],
)
async def test_bad_ranges_are_refused(shop: tuple[Shop, dict[str, str]], query: str) -> None:
    s, tokens = shop
    for path in ("/api/reports?", "/api/reports.csv?"):
        status, body = await s.h.request("GET", path + query, tokens["admin"])
        assert status == 400, (query, body)
        assert body["error"]["code"] == "bad_request"


async def test_reports_are_for_admins(shop: tuple[Shop, dict[str, str]]) -> None:
    s, tokens = shop
    status, _ = await s.h.request("GET", WEEKEND, tokens["agent"])
    assert status == 403
    status, _ = await s.h.request("GET", WEEKEND.replace("reports", "reports.csv"), None)
    assert status == 401
    status, year = await s.h.request(
        "GET", "/api/reports?from=2025-03-30&to=2026-03-30&tz=UTC", tokens["admin"]
    )
    assert status == 200 and year["range"]["days"] == 366


async def test_a_transfer_credits_each_agent_for_their_part(config: Config) -> None:
    """Ann accepts and answers, hands over to Bea, who answers, closes and gets the 4 stars;
    a PIN call's conversation is reported as a phone call."""
    clock = ManualClock(utc("2026-05-04T09:00:00"))
    app = await create_app(config.replace(timezone="UTC"), clock=clock)
    async with serving(app) as h:
        s = Shop(h, clock)
        _, admin = await h.services.agents.add("Boss", role="admin")
        _, ann = await h.services.agents.add("Ann")
        bea_id, bea = await h.services.agents.add("Bea")
        a = await s.open(PHONE)
        s.at("2026-05-04T09:00:10")
        await s.ok("POST", f"/api/conversations/{a['id']}/accept", ann)
        s.at("2026-05-04T09:00:30")
        await s.say(ann, a["id"], "Let me ask Bea, she knows the sizes")
        s.at("2026-05-04T09:01:00")
        await s.ok("POST", f"/api/conversations/{a['id']}/transfer", ann, json={"to": bea_id})
        s.at("2026-05-04T09:01:45")
        await s.say(bea, a["id"], "Hi, Bea here")
        s.at("2026-05-04T09:02:00")
        await s.say(bea, a["id"], "Take the 42")
        s.at("2026-05-04T09:05:00")
        await s.ok("POST", f"/api/conversations/{a['id']}/close", bea)
        await s.ok("POST", f"/api/conversations/{a['id']}/rating", a["token"], json={"score": 4})
        await s.open(PHONE, by_phone=True)
        status, report = await h.request(
            "GET", "/api/reports?from=2026-05-04&to=2026-05-04&tz=UTC", admin
        )
    assert status == 200, report
    assert [
        (
            a["name"],
            a["conversations"],
            a["messages"],
            a["closed"],
            a["first_response_median"],
            a["ratings"],
            a["rating_average"],
        )
        for a in report["agents"]
    ] == [
        ("Ann", 1, 1, 0, 30.0, 0, None),  # from the opening to her answer
        ("Bea", 1, 2, 1, 45.0, 1, 4.0),  # from the transfer to her first answer
    ]
    assert report["rating"]["average"] == 4.0
    assert report["times"]["first_response"]["median"] == 30.0
    assert [(d["device"], d["conversations"]) for d in report["devices"]] == [
        ("call", 1),
        ("phone", 1),
    ]
    Draft202012Validator({"$ref": "#/components/schemas/Report", **OPENAPI}).validate(report)


def test_percentiles_interpolate_between_ranks() -> None:
    assert percentile([], 0.5) is None
    assert percentile([7.0], 0.9) == 7.0
    assert percentile([20.0, 10.0], 0.5) == 15.0
    assert percentile([0.0, 50.0, 100.0], 0.9) == 90.0


def test_a_range_is_whole_local_days() -> None:
    autumn = report_range("2026-10-25", "2026-10-25", "Europe/Madrid")
    assert autumn.end - autumn.start == 25 * 3600_000
    assert autumn.start == utc("2026-10-24T22:00:00")
