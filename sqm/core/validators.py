"""Validators for the identifiers of mainland China that imports and forms check."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$", re.ASCII)
ID_RE = re.compile(r"^\d{17}[\dX]$", re.ASCII)
# GB 11643-1999: weights of the first 17 digits, and the check character for sum mod 11.
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_MAP = "10X98765432"


def is_mobile(value: str) -> bool:
    """An 11-digit mainland MSISDN (13x–19x)."""
    return bool(MOBILE_RE.match(value))


def id_check_digit(first17: str) -> str:
    """The GB 11643-1999 check character ("0"–"9" or "X") for the first 17 digits."""
    if len(first17) != 17 or not (first17.isascii() and first17.isdigit()):
        raise ValueError(f"expected 17 digits, got {first17!r}")
    total = sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK_MAP[total % 11]


def is_id_number(value: str) -> bool:
    """An 18-character resident ID number with a valid check character (upper-case X)."""
    if not isinstance(value, str):
        return False
    return bool(ID_RE.match(value)) and id_check_digit(value[:17]) == value[17]


class UsernameInPasswordValidator:
    """Refuses a password that contains the user name, in any letter case.

    Django's UserAttributeSimilarityValidator measures similarity of the whole strings, so
    "zhangsan2024!" passes for user "zhangsan"; the first guess of anyone who knows the user
    name. Names shorter than `min_length` are skipped: "li" occurs in too many passwords.
    """

    def __init__(self, min_length: int = 3) -> None:
        self.min_length = min_length

    def validate(self, password: str, user=None) -> None:
        username = (user.get_username() or "") if user is not None else ""
        if len(username) >= self.min_length and username.casefold() in password.casefold():
            raise ValidationError(
                _("The password contains the user name."), code="password_contains_username"
            )

    def get_help_text(self) -> str:
        return _("Your password can't contain your user name.")
