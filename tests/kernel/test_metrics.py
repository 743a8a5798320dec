"""`/metrics` moves under load, names routes by template, and can be locked; `/readyz`."""

from __future__ import annotations

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from covisor.app.http import create_app
from covisor.config import Config
from covisor.kernel.ratelimit import RateLimit
from tests.conftest import Harness, serving
from tests.media import samples


async def scrape(
    h: Harness, token: str | None = None
) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with h.http.get(h.url + "/metrics", headers=headers) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain")
        text = await response.text()
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(
    found: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
) -> float:
    return found.get((name, frozenset(labels.items())), 0.0)


async def test_metrics_move_under_load(config: Config) -> None:
    """A chat bucket that does not refill within the test, so the flood is refused however
    slowly a loaded machine sends it."""
    slow_refill = config.replace(chat_rate=RateLimit(rate=0.001, burst=5))
    async with serving(await create_app(slow_refill)) as harness:
        await _load_and_scrape(harness)


async def _load_and_scrape(harness: Harness) -> None:
    cid, customer, agent = await harness.session()
    for i in range(5):
        await customer.ok("chat.send", {"conversation_id": cid, "text": f"hello {i}"})
    for _ in range(12):
        await customer.call("chat.send", {"conversation_id": cid, "text": "flood"})
    form = aiohttp.FormData()
    form.add_field("file", samples.alpha_png(), filename="a.png")
    status, _ = await harness.request(
        "POST", f"/api/conversations/{cid}/media", customer.token, data=form
    )
    assert status == 201

    found = await scrape(harness)

    assert value(found, "covisor_connections", role="customer") == 1
    assert value(found, "covisor_connections", role="agent") == 1
    assert value(found, "covisor_events_total", event="chat.send", outcome="ok") >= 5
    assert value(found, "covisor_events_total", event="chat.send", outcome="rate_limited") >= 1
    assert value(found, "covisor_rate_limited_total") >= 1
    assert value(found, "covisor_journal_round_seconds_count") >= 6
    assert value(found, "covisor_journal_batch_size_count") >= 6
    assert value(found, "covisor_media_job_seconds_count", kind="image") == 1
    assert value(found, "covisor_media_shown_seconds_count", kind="image") == 1
    route = "/api/conversations/{conversation_id}/media"
    assert (
        value(found, "covisor_http_request_seconds_count", method="POST", route=route, status="201")
        == 1
    )
    assert all(cid not in dict(labels).get("route", "") for _, labels in found)
    await customer.close()
    after = await scrape(harness)
    assert value(after, "covisor_connections", role="customer") == 0


async def test_metrics_can_require_a_token(config: Config) -> None:
    async with serving(await create_app(config.replace(metrics_token="m-secret"))) as h:
        assert (await h.request("GET", "/metrics"))[0] == 401
        assert (await h.request("GET", "/metrics", "wrong"))[0] == 401
        for header in (
            "Bearer  m-secret",
            "Bearer m-secre",
            "Basic m-secret",
            "Bearer m-secret\t x",
        ):
            status, _ = await h.request("GET", "/metrics", headers={"Authorization": header})
            assert status == 401, header
        await scrape(h, "m-secret")


async def test_readyz_answers_for_the_store_the_workers_and_draining(harness: Harness) -> None:
    status, body = await harness.request("GET", "/readyz")
    assert status == 200
    assert body == {
        "status": "ready",
        "accepting": True,
        "store": True,
        "broadcast": True,
        "media_workers": True,
    }
    harness.services.draining = True
    status, body = await harness.request("GET", "/readyz")
    assert status == 503 and body["accepting"] is False and body["store"] is True
