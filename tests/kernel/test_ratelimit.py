"""Token buckets with an injected clock: exact, never slept."""

from __future__ import annotations

import pytest

from covisor.kernel.errors import CovisorError
from covisor.kernel.ratelimit import EventLimiter, RateLimit, TokenBucket


def test_bucket_allows_burst_then_refills_at_rate() -> None:
    bucket = TokenBucket.full(RateLimit(rate=2, burst=3), now=0.0)
    assert [bucket.take(0.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.take(0.0) == pytest.approx(0.5)
    assert bucket.take(500.0) == 0.0


def test_limiter_keeps_separate_buckets_per_kind() -> None:
    now = [0.0]
    limiter = EventLimiter(RateLimit(1, 1), RateLimit(1, 1), RateLimit(1, 1), lambda: now[0])
    limiter.check("chat.send")
    with pytest.raises(CovisorError) as refused:
        limiter.check("chat.send")
    assert refused.value.code == "rate_limited" and refused.value.retry_after == pytest.approx(1.0)
    limiter.check("stroke.points")
    limiter.check("viewer.transform")
