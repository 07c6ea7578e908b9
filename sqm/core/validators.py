"""Validators for the identifiers of mainland China that imports and forms check."""

from __future__ import annotations

import re

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
ID_RE = re.compile(r"^\d{17}[\dX]$")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def is_mobile(value: str) -> bool:
    """An 11-digit mainland MSISDN (13x–19x)."""
    return bool(MOBILE_RE.match(value))


def id_check_digit(first17: str) -> str:
    """The GB 11643-1999 check character for the first 17 digits of an ID number."""
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def is_id_number(value: str) -> bool:
    """An 18-character resident ID number with a valid check character."""
    value = value.upper()
    return bool(ID_RE.match(value)) and id_check_digit(value[:17]) == value[17]
