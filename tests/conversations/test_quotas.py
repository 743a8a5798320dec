"""Quotas over HTTP: conversations and PINs per client address, uploads per conversation."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from typing import Any

import aiohttp
import pytest

from covisor.app.http import create_app
from covisor.config import Config
from covisor.store.records import Attempts
from tests.conftest import Harness, ManualClock, serving
from tests.media import samples

Serve = Callable[..., Awaitable[Harness]]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def serve(config: Config, clock: ManualClock) -> AsyncIterator[Serve]:
    async with AsyncExitStack() as stack:

        async def start(**changes: Any) -> Harness:
            app = await create_app(config.replace(**changes), clock=clock)
            return await stack.enter_async_context(serving(app))

        yield start


async def open_from(h: Harness, address: str) -> tuple[int, Any, str | None]:
    async with h.http.post(
        f"{h.url}/api/conversations", json={}, headers={"X-Forwarded-For": address}
    ) as response:
        return response.status, await response.json(), response.headers.get("Retry-After")


async def test_opening_is_limited_per_address_named_by_a_trusted_proxy(
    serve: Serve, clock: ManualClock
) -> None:
    h = await serve(conversations_per_address=2, open_window=600.0, trusted_proxies=("127.0.0.1",))
    for _ in range(2):
        assert (await open_from(h, "198.51.100.1"))[0] == 201
    status, body, retry_after = await open_from(h, "198.51.100.1")
    assert status == 429 and body["error"]["code"] == "rate_limited"
    assert body["error"]["retry_after"] == 600.0 and retry_after == "600"
    assert (await open_from(h, "198.51.100.2"))[0] == 201
    clock.advance(600)
    assert (await open_from(h, "198.51.100.1"))[0] == 201


async def test_a_forged_forwarded_header_dodges_nothing(serve: Serve) -> None:
    h = await serve(conversations_per_address=2)
    assert (await open_from(h, "198.51.100.1"))[0] == 201
    assert (await open_from(h, "198.51.100.2"))[0] == 201
    assert (await open_from(h, "198.51.100.3"))[0] == 429


async def test_pin_lockout_follows_the_address_a_trusted_proxy_names(serve: Serve) -> None:
    h = await serve(pin_attempts_per_address=2, trusted_proxies=("127.0.0.0/8",))

    async def redeem(address: str) -> int:
        status, _ = await h.request(
            "POST",
            "/api/pins/redeem",
            json={"pin": "000000"},
            headers={"X-Forwarded-For": address},
        )
        return status

    assert [await redeem("198.51.100.1") for _ in range(3)] == [404, 404, 429]
    assert await redeem("198.51.100.2") == 404


async def test_issuing_pins_is_limited_per_client(serve: Serve) -> None:
    h = await serve(pin_issues_per_client=2)
    agent = await h.agent_token()
    for _ in range(2):
        assert (await h.request("POST", "/api/pins", agent, json={}))[0] == 201
    status, body = await h.request("POST", "/api/pins", agent, json={})
    assert status == 429 and "PINs issued" in body["error"]["message"]
    assert (await h.request("POST", "/api/pins", await h.agent_token("Bob"), json={}))[0] == 201


async def upload(h: Harness, cid: str, token: str, data: bytes) -> tuple[int, Any]:
    form = aiohttp.FormData()
    form.add_field("file", data, filename="photo.png")
    return await h.request("POST", f"/api/conversations/{cid}/media", token, data=form)


async def test_uploads_per_conversation_are_limited_in_count(serve: Serve) -> None:
    h = await serve(uploads_per_conversation=2, media_workers=1)
    cid, customer, agent = await h.session()
    for size in (40, 41):
        image = samples.jpeg_bytes(samples.detailed((size, 30)))
        assert (await upload(h, cid, customer.token, image))[0] == 201
    status, body = await upload(h, cid, customer.token, samples.alpha_png())
    assert status == 429 and body["error"]["code"] == "rate_limited"
    assert (
        len((await customer.ok("join", {"conversation_id": cid}))["snapshot"]["media_items"]) == 2
    )


async def test_uploaded_bytes_per_conversation_are_limited(serve: Serve) -> None:
    photo = samples.jpeg_bytes(samples.detailed((400, 300)))
    h = await serve(upload_bytes_per_conversation=len(photo), media_workers=1)
    cid, customer, _ = await h.session()
    assert (await upload(h, cid, customer.token, photo))[0] == 201
    status, body = await upload(h, cid, customer.token, samples.alpha_png())
    assert status == 429 and "upload bytes" in body["error"]["message"]
    other, shopper, _ = await h.session()
    assert (await upload(h, other, shopper.token, samples.alpha_png()))[0] == 201


async def test_a_conversation_holds_at_most_max_media_items(serve: Serve) -> None:
    h = await serve(max_media_items=1, media_workers=1)
    cid, customer, _ = await h.session()
    photo = samples.alpha_png()
    assert (await upload(h, cid, customer.token, photo))[0] == 201
    assert (await upload(h, cid, customer.token, photo))[0] == 201
    status, body = await upload(
        h, cid, customer.token, samples.jpeg_bytes(samples.detailed((50, 40)))
    )
    assert status == 409 and "1 media items at most" in body["error"]["message"]


async def test_counters_of_different_windows_and_amounts_do_not_mix(harness: Harness) -> None:
    store = harness.services.store
    t0 = 1_000_000.0
    assert await store.count_attempt("long", t0, t0 - 3_600_000, 500) == Attempts(500, t0)
    assert await store.count_attempt("short", t0 + 700_000, t0 + 100_000) == Attempts(
        1, t0 + 700_000
    )
    assert await store.count_attempt("long", t0 + 700_000, t0 - 2_900_000, 25) == Attempts(525, t0)
    assert await store.count_attempt("long", t0 + 3_600_000, t0, 7) == Attempts(7, t0 + 3_600_000)
