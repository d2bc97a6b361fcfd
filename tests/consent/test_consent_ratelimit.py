"""The token bucket of the public consent endpoints, on an injected clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from custos.clock import FixedClock
from custos.consent.ratelimit import RateLimiter


def test_a_burst_then_a_steady_rate() -> None:
    clock = FixedClock(datetime(2026, 1, 1, tzinfo=UTC))
    limiter = RateLimiter(clock, capacity=3, per_second=1.0)
    assert [limiter.allow("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.allow("a") == 1.0
    assert limiter.allow("b") == 0.0  # another caller has its own bucket
    clock.advance(timedelta(seconds=1))
    assert limiter.allow("a") == 0.0
    assert limiter.allow("a") > 0


def test_old_buckets_are_forgotten() -> None:
    clock = FixedClock(datetime(2026, 1, 1, tzinfo=UTC))
    limiter = RateLimiter(clock, capacity=1, per_second=0.001, max_keys=2)
    for key in ("a", "b", "c"):
        assert limiter.allow(key) == 0.0
    assert limiter.allow("a") == 0.0  # "a" was evicted, so it starts full again
    assert limiter.allow("c") > 0
