"""The Store contract for Web Push subscriptions, run against every backend."""

from __future__ import annotations

from typing import Any

from covisor.store import PushSubscriptionRecord


def sub(endpoint: str, agent_id: str = "a_1", at: float = 1.0) -> PushSubscriptionRecord:
    return PushSubscriptionRecord(
        endpoint=f"https://push.test/{endpoint}",
        p256dh="B" + "x" * 86,
        auth="y" * 22,
        agent_id=agent_id,
        created_at=at,
    )


async def test_subscriptions_are_found_by_agent_oldest_first(store: Any) -> None:
    await store.add_push_subscription(sub("2", at=2.0), keep=10)
    await store.add_push_subscription(sub("1", at=1.0), keep=10)
    await store.add_push_subscription(sub("3", agent_id="a_2", at=3.0), keep=10)
    assert await store.push_subscriptions(["a_1"]) == [sub("1", at=1.0), sub("2", at=2.0)]
    assert await store.push_subscriptions(["a_1", "a_2"]) == [
        sub("1", at=1.0),
        sub("2", at=2.0),
        sub("3", agent_id="a_2", at=3.0),
    ]
    assert await store.push_subscriptions(["nobody"]) == []
    assert await store.push_subscriptions([]) == []


async def test_an_endpoint_subscribed_again_replaces_its_row_even_for_another_agent(
    store: Any,
) -> None:
    await store.add_push_subscription(sub("1", at=1.0), keep=10)
    moved = PushSubscriptionRecord(
        "https://push.test/1", "B" + "z" * 86, "w" * 22, "a_2", created_at=5.0
    )
    await store.add_push_subscription(moved, keep=10)
    assert await store.push_subscriptions(["a_1"]) == []
    assert await store.push_subscriptions(["a_2"]) == [moved]


async def test_an_agent_keeps_only_the_newest_subscriptions(store: Any) -> None:
    for n in range(5):
        await store.add_push_subscription(sub(str(n), at=float(n)), keep=3)
    await store.add_push_subscription(sub("other", agent_id="a_2", at=0.5), keep=3)
    kept = await store.push_subscriptions(["a_1"])
    assert [s.endpoint for s in kept] == [f"https://push.test/{n}" for n in (2, 3, 4)]
    assert len(await store.push_subscriptions(["a_2"])) == 1


async def test_removing_a_subscription_may_be_limited_to_its_agent(store: Any) -> None:
    await store.add_push_subscription(sub("1"), keep=10)
    await store.add_push_subscription(sub("2"), keep=10)
    assert await store.remove_push_subscription("https://push.test/1", "a_2") is False
    assert await store.remove_push_subscription("https://push.test/1", "a_1") is True
    assert await store.remove_push_subscription("https://push.test/1", "a_1") is False
    assert await store.remove_push_subscription("https://push.test/2") is True
    assert await store.remove_push_subscription("https://push.test/missing") is False
    assert await store.push_subscriptions(["a_1"]) == []
