"""A small in-process token bucket per caller, so the public consent endpoints cannot be flooded.

Keys are hashed before they are held (an IP address is personal data, CJEU C-582/14 Breyer); nothing here is
written anywhere. One process's view only: behind several workers each has its own buckets, which is enough
against a single noisy client and costs no shared store.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass

from custos.clock import Clock
from custos.errors import CustosError


class RateLimited(CustosError):
    """Refused by a bucket; the edge answers 429 with Retry-After (the rights pages use the same buckets)."""

    def __init__(self, retry_after: float) -> None:
        super().__init__("Too many requests; try again shortly.", code="rate_limited")
        self.retry_after = retry_after


@dataclass
class _Bucket:
    tokens: float
    at: float  # seconds, from the injected clock


class RateLimiter:
    def __init__(self, clock: Clock, *, capacity: int = 60, per_second: float = 2.0, max_keys: int = 50_000) -> None:
        self._clock = clock
        self.capacity = capacity
        self.per_second = per_second
        self._max_keys = max_keys
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()
        self._lock = threading.Lock()

    def allow(self, key: str) -> float:
        """Take one token for `key`: 0.0 when allowed, else the seconds until the next token."""
        hashed = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
        now = self._clock.now().timestamp()
        with self._lock:
            bucket = self._buckets.pop(hashed, None) or _Bucket(float(self.capacity), now)
            # A clock moved backwards (a test resetting it) refills nothing rather than going negative.
            bucket.tokens = min(self.capacity, bucket.tokens + max(0.0, now - bucket.at) * self.per_second)
            bucket.at = now
            self._buckets[hashed] = bucket  # most recently used last
            while len(self._buckets) > self._max_keys:
                self._buckets.popitem(last=False)
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return 0.0
            return (1.0 - bucket.tokens) / self.per_second
