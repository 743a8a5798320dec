"""The Store contract for webhooks and their delivery queue, run against every backend."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

from covisor.store import WebhookDeliveryRecord, WebhookRecord


def hook(hook_id: str = "wh_1", at: float = 1.0) -> WebhookRecord:
    return WebhookRecord(
        id=hook_id,
        url=f"https://shop.test/hooks/{hook_id}",
        events=("conversation.opened", "message.created"),
        secret="whsec_" + "s" * 40,
        created_at=at,
        created_by="a_1",
    )


def delivery(
    delivery_id: str, hook_id: str = "wh_1", at: float = 10.0, due: float | None = None
) -> WebhookDeliveryRecord:
    return WebhookDeliveryRecord(
        id=delivery_id,
        hook_id=hook_id,
        event="conversation.opened",
        body=b'{"id":"%s"}' % delivery_id.encode(),
        created_at=at,
        next_attempt_at=at if due is None else due,
    )


async def test_webhooks_are_kept_and_listed_oldest_first(store: Any) -> None:
    await store.add_webhook(hook("wh_2", at=2.0))
    await store.add_webhook(hook("wh_1", at=1.0))
    assert await store.webhooks() == [hook("wh_1", at=1.0), hook("wh_2", at=2.0)]
    assert await store.webhook("wh_2") == hook("wh_2", at=2.0)
    assert await store.webhook("wh_none") is None


async def test_deleting_a_webhook_drops_its_deliveries(store: Any) -> None:
    await store.add_webhook(hook("wh_1"))
    await store.add_webhook(hook("wh_2"))
    await store.add_webhook_deliveries([delivery("d_1"), delivery("d_2", hook_id="wh_2")])
    assert await store.delete_webhook("wh_1") is True
    assert await store.delete_webhook("wh_1") is False
    assert await store.webhooks() == [hook("wh_2")]
    assert await store.webhook_deliveries("wh_1") == []
    assert [d.id for d in await store.webhook_deliveries("wh_2")] == ["d_2"]


async def test_deliveries_are_listed_newest_first_up_to_a_limit(store: Any) -> None:
    await store.add_webhook_deliveries([delivery(f"d_{n}", at=float(n)) for n in range(5)])
    await store.add_webhook_deliveries([delivery("x_1", hook_id="wh_2")])
    found = await store.webhook_deliveries("wh_1", limit=3)
    assert [d.id for d in found] == ["d_4", "d_3", "d_2"]
    assert found[0] == delivery("d_4", at=4.0)


async def test_due_deliveries_are_claimed_soonest_first_and_only_once(store: Any) -> None:
    await store.add_webhook_deliveries(
        [
            delivery("d_late", due=50.0),
            delivery("d_2", due=20.0),
            delivery("d_1", due=10.0),
            delivery("d_3", due=30.0),
        ]
    )
    first = await store.claim_webhook_deliveries(30.0, 1000.0, "p_1", limit=2)
    assert [d.id for d in first] == ["d_1", "d_2"]
    second = await store.claim_webhook_deliveries(30.0, 1000.0, "p_2", limit=10)
    assert [d.id for d in second] == ["d_3"]
    assert await store.claim_webhook_deliveries(40.0, 1000.0, "p_3", limit=10) == []


async def test_concurrent_claims_never_share_a_delivery(store: Any) -> None:
    await store.add_webhook_deliveries([delivery(f"d_{n:02}") for n in range(30)])
    claims = await asyncio.gather(
        *(store.claim_webhook_deliveries(100.0, 500.0, f"p_{n}", limit=4) for n in range(10))
    )
    ids = [d.id for claim in claims for d in claim]
    assert len(ids) == len(set(ids)) == 30


async def test_a_lease_that_ran_out_lets_another_claimer_take_the_delivery(store: Any) -> None:
    await store.add_webhook_deliveries([delivery("d_1")])
    [claimed] = await store.claim_webhook_deliveries(10.0, 100.0, "p_dead", limit=5)
    assert await store.claim_webhook_deliveries(99.0, 200.0, "p_2", limit=5) == []
    [again] = await store.claim_webhook_deliveries(100.0, 200.0, "p_2", limit=5)
    assert again.id == claimed.id
    # The first claimer's late outcome is refused; the holder's is written.
    late = dataclasses.replace(claimed, state="delivered", attempts=1, delivered_at=101.0)
    assert await store.settle_webhook_delivery(late, "p_dead") is False
    retry = dataclasses.replace(
        again, attempts=1, last_status=500, next_attempt_at=130.0, last_error=None
    )
    assert await store.settle_webhook_delivery(retry, "p_2") is True
    assert await store.settle_webhook_delivery(retry, "p_2") is False
    assert await store.webhook_deliveries("wh_1") == [retry]
    # Settled, the lease is over: it is due again at its next attempt.
    assert await store.claim_webhook_deliveries(129.0, 300.0, "p_3", limit=5) == []
    [third] = await store.claim_webhook_deliveries(130.0, 300.0, "p_3", limit=5)
    assert third == retry


async def test_finished_deliveries_are_never_claimed_and_are_dropped_when_old(store: Any) -> None:
    await store.add_webhook_deliveries([delivery("d_ok"), delivery("d_bad"), delivery("d_wait")])
    claimed = {d.id: d for d in await store.claim_webhook_deliveries(10.0, 60.0, "p", 3)}
    ok = dataclasses.replace(
        claimed["d_ok"],
        state="delivered",
        attempts=1,
        last_status=204,
        delivered_at=20.0,
        finished_at=20.0,
    )
    bad = dataclasses.replace(
        claimed["d_bad"], state="failed", attempts=9, last_error="timeout", finished_at=40.0
    )
    wait = dataclasses.replace(claimed["d_wait"], attempts=1, next_attempt_at=1e9)
    for settled in (ok, bad, wait):
        assert await store.settle_webhook_delivery(settled, "p")
    assert await store.claim_webhook_deliveries(1e8, 1e13, "p", 10) == []
    assert await store.drop_webhook_deliveries(30.0) == 1
    assert {d.id for d in await store.webhook_deliveries("wh_1")} == {"d_bad", "d_wait"}
    assert await store.drop_webhook_deliveries(1e12) == 1
    assert [d.id for d in await store.webhook_deliveries("wh_1")] == ["d_wait"]


async def test_the_next_attempt_is_the_soonest_claimable_pending_delivery(store: Any) -> None:
    assert await store.next_webhook_attempt() is None
    await store.add_webhook_deliveries([delivery("d_1", due=20.0), delivery("d_2", due=50.0)])
    assert await store.next_webhook_attempt() == 20.0
    [claimed] = await store.claim_webhook_deliveries(20.0, 80.0, "p", limit=1)
    assert await store.next_webhook_attempt() == 50.0
    done = dataclasses.replace(claimed, state="delivered", attempts=1, finished_at=21.0)
    assert await store.settle_webhook_delivery(done, "p")
    await store.claim_webhook_deliveries(50.0, 90.0, "p", limit=1)
    assert await store.next_webhook_attempt() == 90.0
