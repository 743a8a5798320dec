"""The Store contract for phone PINs and attempt counters, run against every backend."""

from __future__ import annotations

import asyncio
from typing import Any

from covisor.store.records import Attempts, Pin, Redeemer

T0 = 1_000_000.0
TTL = 600_000.0


def pin(digest: str, cid: str = "c1", redeemer: Redeemer = "caller", at: float = T0) -> Pin:
    return Pin(digest, cid, redeemer, "a_1", at, at + TTL)


async def test_pin_is_found_by_digest_only(store: Any) -> None:
    assert await store.add_pin(pin("d1")) is True
    assert await store.pin("d1") == pin("d1")
    assert await store.pin("d2") is None


async def test_live_digest_cannot_be_issued_twice(store: Any) -> None:
    assert await store.add_pin(pin("d1", "c1"))
    assert await store.add_pin(pin("d1", "c2", at=T0 + 1)) is False
    assert (await store.pin("d1")).conversation_id == "c1"


async def test_expired_digest_can_be_issued_again(store: Any) -> None:
    assert await store.add_pin(pin("d1", "c1"))
    assert await store.add_pin(pin("d1", "c2", at=T0 + TTL))
    assert (await store.pin("d1")).conversation_id == "c2"


async def test_new_pin_revokes_the_conversations_unused_pin(store: Any) -> None:
    await store.add_pin(pin("d1"))
    await store.add_pin(pin("d2", at=T0 + 1))
    assert await store.pin("d1") is None
    assert await store.pin("d2") is not None


async def test_used_pin_keeps_its_digits_reserved_until_expiry(store: Any) -> None:
    await store.add_pin(pin("d1", "c1"))
    await store.claim_pin("d1", "caller", T0 + 1)
    await store.add_pin(pin("d2", "c1", at=T0 + 2))
    assert (await store.pin("d1")).used_at == T0 + 1
    assert await store.add_pin(pin("d1", "c9", at=T0 + 3)) is False


async def test_claim_marks_pin_used_once(store: Any) -> None:
    await store.add_pin(pin("d1"))
    claimed = await store.claim_pin("d1", "caller", T0 + 5)
    assert claimed == Pin("d1", "c1", "caller", "a_1", T0, T0 + TTL, T0 + 5)
    assert await store.claim_pin("d1", "caller", T0 + 6) is None


async def test_claim_refuses_the_other_redeemer_without_using_the_pin(store: Any) -> None:
    await store.add_pin(pin("d1", redeemer="agent"))
    assert await store.claim_pin("d1", "caller", T0 + 1) is None
    assert (await store.claim_pin("d1", "agent", T0 + 2)) is not None


async def test_claim_refuses_an_expired_pin(store: Any) -> None:
    await store.add_pin(pin("d1"))
    assert await store.claim_pin("d1", "caller", T0 + TTL) is None
    assert (await store.pin("d1")).used_at is None


async def test_concurrent_claims_have_one_winner(store: Any) -> None:
    await store.add_pin(pin("d1"))
    claims = await asyncio.gather(*(store.claim_pin("d1", "caller", T0 + i) for i in range(30)))
    assert sum(c is not None for c in claims) == 1


async def test_attempt_counter_counts_within_its_window(store: Any) -> None:
    assert await store.attempts("k") is None
    assert await store.count_attempt("k", T0, T0 - 600) == Attempts(1, T0)
    assert await store.count_attempt("k", T0 + 10, T0 - 590) == Attempts(2, T0)
    assert await store.attempts("k") == Attempts(2, T0)


async def test_spent_attempt_counter_restarts(store: Any) -> None:
    await store.count_attempt("k", T0, T0 - 600)
    await store.count_attempt("k", T0 + 1, T0 - 599)
    assert await store.count_attempt("k", T0 + 600, T0) == Attempts(1, T0 + 600)


async def test_forgiven_attempt_is_taken_back(store: Any) -> None:
    await store.count_attempt("k", T0, T0 - 600)
    await store.count_attempt("k", T0, T0 - 600)
    await store.forgive_attempt("k")
    assert await store.attempts("k") == Attempts(1, T0)


async def test_concurrent_attempts_are_all_counted(store: Any) -> None:
    counted = await asyncio.gather(*(store.count_attempt("k", T0, T0 - 600) for _ in range(25)))
    assert sorted(a.count for a in counted) == list(range(1, 26))
