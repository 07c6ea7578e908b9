"""Validators for the identifiers of mainland China that imports and forms check."""

from __future__ import annotations

import re
import unicodedata

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


# --- names that end up in customers' SMS -------------------------------------------------
# District, area and OLT names become the {area} of fault SMS (network.fault_sms), so an
# imported "http://evil.cn 退订回T" would be texted to every affected customer. Names are
# names: no links, e-mail addresses, phone numbers, markup or invisible characters. The same
# detectors guard the SMS variables at render time (docs/formats.md, docs/notify.md).

_TLDS = (
    "com|cn|net|org|info|biz|top|xyz|vip|cc|io|me|co|tv|hk|tw|mo|club|site|online|shop|app|"
    "link|ly|gl|ws|tk|ml|ga|cf|gq|pw|ren|wang|ink|fun|icu|cyou|store|tech|live|work|love|"
    "asia|mobi|xin|ltd|group|cloud|中国|公司|网络"
)
URL_RE = re.compile(
    r"[a-z][a-z0-9+.\-]*://"  # any scheme: http://, https://, weixin://, file://
    r"|www\."
    r"|(?<![a-z0-9\-])(?:[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?\.)+(?:" + _TLDS + r")(?![a-z0-9\-])"
    r"|(?<![\d.])\d{1,3}(?:\.\d{1,3}){3}(?![\d.])",  # a bare IPv4 address
    re.ASCII,
)
EMAIL_RE = re.compile(r"[^\s@]+@[^\s@]+")
# Digit runs of phone-number length: 7+ digits in a row (local, mobile, 1069… SMS numbers),
# or the usual written forms with separators: 138-1234-5678, 025-12345678, 400-123-4567.
PHONE_RE = re.compile(
    r"(?<!\d)\d{7,}(?!\d)"
    r"|(?<!\d)(?:\+?86[\s\-]?)?1[3-9]\d[\s\-]?\d{4}[\s\-]?\d{4}(?!\d)"
    r"|(?<!\d)0\d{2,3}[\s\-)]\s?\d{7,8}(?!\d)"
    r"|(?<!\d)[48]00[\s\-]?\d{3}[\s\-]?\d{4}(?!\d)",
    re.ASCII,
)
_INVISIBLE = {"Cc", "Cf", "Cs", "Zl", "Zp"}  # controls, zero-width and bidi marks, separators


def _comparable(value: str) -> str:
    """Full-width letters and digits folded to ASCII and the ideographic full stop to ".",
    so ｈｔｔｐ：／／ and evil。cn are seen for what they are."""
    return unicodedata.normalize("NFKC", value).replace("。", ".").casefold()


def contains_url(value: str) -> bool:
    return bool(URL_RE.search(_comparable(value)))


def contains_phone_number(value: str) -> bool:
    return bool(PHONE_RE.search(_comparable(value)))


def name_problem(value: str) -> str | None:
    """Why VALUE cannot be a district, area or OLT name, or None when it can."""
    if any(unicodedata.category(ch) in _INVISIBLE for ch in value):
        return _("it contains control or invisible characters")
    text = _comparable(value)
    if "<" in text or ">" in text:
        return _("it contains angle brackets")
    if EMAIL_RE.search(text):
        return _("it contains an e-mail address")
    if URL_RE.search(text):
        return _("it contains a link")
    if PHONE_RE.search(text):
        return _("it contains a phone number")
    return None


def validate_place_name(value: str) -> None:
    """Model and form validator for district, area and OLT names."""
    problem = name_problem(value or "")
    if problem:
        raise ValidationError(
            _("%(value)r is not a name: %(problem)s") % {"value": value, "problem": problem},
            code="not_a_name",
        )
