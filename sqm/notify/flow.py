"""Flow control of the SMPP client: a token bucket for the submit rate and the back-off
between reconnection attempts."""

from __future__ import annotations

import random
import time
from collections.abc import Callable


class TokenBucket:
    """RATE tokens a second, at most BURST saved up (default rate/10, at least 1).

    A rate of 0 means no limit."""

    def __init__(
        self, rate: float, burst: float | None = None, clock: Callable[[], float] = time.monotonic
    ):
        self.rate = float(rate)
        self.capacity = float(burst if burst is not None else max(1.0, self.rate / 10))
        self.clock = clock
        self.tokens = self.capacity
        self.stamp = clock()

    def _refill(self) -> None:
        now = self.clock()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now

    def available(self) -> int:
        if not self.rate:
            return 1 << 30
        self._refill()
        return int(self.tokens)

    def take(self) -> bool:
        if not self.rate:
            return True
        self._refill()
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False

    def wait(self) -> float:
        """Seconds until the next token."""
        if not self.rate:
            return 0.0
        self._refill()
        return max(0.0, (1 - self.tokens) / self.rate)


class BackOff:
    """Delays before reconnecting: INITIAL, doubling up to MAXIMUM, ± JITTER (a share)."""

    def __init__(self, initial: float, maximum: float, jitter: float = 0.1):
        self.initial, self.maximum, self.jitter = initial, maximum, jitter
        self.failures = 0

    def next(self) -> float:
        delay = min(self.maximum, self.initial * 2**self.failures)
        self.failures += 1
        if self.jitter:
            delay *= 1 + random.uniform(-self.jitter, self.jitter)
        return delay

    def reset(self) -> None:
        self.failures = 0
