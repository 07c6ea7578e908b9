"""Identity numbers: GB 11643-1999 resident ID numbers, mainland mobile numbers, permutations.

Uniqueness without memory: every number is a function of a sequence number pushed through
a seeded affine permutation `i -> (a*i + b) mod n` with gcd(a, n) = 1, which is a bijection
on 0..n-1. Distinct sequence numbers therefore give distinct numbers, and the generator
never has to remember what it has already handed out.
"""

from __future__ import annotations

import math
import random
import re

# The GB 11643-1999 check lives with the other validators; the generator uses it too.
from sqm.core.validators import ID_CHECK_MAP, ID_WEIGHTS, id_check_digit  # noqa: E402, F401
from sqm.core.validators import is_id_number as is_valid_id_number  # noqa: E402, F401

# China Mobile number segments (13x/15x/18x/19x): the operator runs the 10086 hotline.
MOBILE_PREFIXES: tuple[str, ...] = (
    "134",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "157",
    "158",
    "159",
    "182",
    "183",
    "184",
    "187",
    "188",
    "195",
    "197",
    "198",
)
MOBILE_SUBSCRIBER_SPACE = 100_000_000  # the 8 digits after the prefix
MOBILE_SPACE = len(MOBILE_PREFIXES) * MOBILE_SUBSCRIBER_SPACE


class AffinePermutation:
    """A seeded bijection on 0..size-1: `i -> (a*i + b) mod size`."""

    __slots__ = ("size", "multiplier", "offset")

    def __init__(self, size: int, rng: random.Random) -> None:
        if size < 1:
            raise ValueError("size must be positive")
        self.size = size
        if size == 1:
            self.multiplier, self.offset = 1, 0
            return
        # A multiplier in the middle third scatters neighbours across the whole range.
        low, high = max(1, size // 3), max(2, 2 * size // 3)
        multiplier = rng.randrange(low, high)
        while math.gcd(multiplier, size) != 1:
            multiplier += 1
        self.multiplier = multiplier
        self.offset = rng.randrange(size)

    def __call__(self, i: int) -> int:
        return (self.multiplier * i + self.offset) % self.size


class MobileNumbers:
    """Injective map from a sequence number to an 11-digit mobile number."""

    __slots__ = ("_permute",)

    def __init__(self, rng: random.Random) -> None:
        self._permute = AffinePermutation(MOBILE_SPACE, rng)

    def __call__(self, i: int) -> str:
        if not 0 <= i < MOBILE_SPACE:
            raise ValueError(f"mobile sequence number {i} out of range")
        prefix, subscriber = divmod(self._permute(i), MOBILE_SUBSCRIBER_SPACE)
        return f"{MOBILE_PREFIXES[prefix]}{subscriber:08d}"


def is_valid_mobile(s: str) -> bool:
    """True for an 11-digit mainland mobile number starting with 1[3-9]."""
    return isinstance(s, str) and re.fullmatch(r"1[3-9]\d{9}", s) is not None
