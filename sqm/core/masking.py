"""How personal data is shown when it is not revealed: 138****5678, 张*, 3201**********1234."""

from __future__ import annotations

import re


def mask_mobile(value: str | None) -> str:
    if not value:
        return ""
    if len(value) < 7:
        return "*" * len(value)
    return f"{value[:3]}{'*' * (len(value) - 7)}{value[-4:]}"


def mask_name(value: str | None) -> str:
    if not value:
        return ""
    return value[0] + "*" * max(1, len(value) - 1)


def mask_id_number(value: str | None) -> str:
    if not value:
        return ""
    if len(value) <= 8:
        return "*" * len(value)
    return f"{value[:4]}{'*' * (len(value) - 8)}{value[-4:]}"


def mask_address(value: str | None) -> str:
    if not value:
        return ""
    keep = min(6, max(1, len(value) // 3))
    return value[:keep] + "****"


MASKERS = {
    "name": mask_name,
    "mobile": mask_mobile,
    "id_number": mask_id_number,
    "address": mask_address,
}


# Mainland ID numbers (18 characters, the last may be X; or the old 15 digits) and mobile
# numbers, also with +86 and with spaces or hyphens as people type them, not inside a longer
# digit run (order numbers, timestamps).
_ID_NUMBER = re.compile(
    r"(?<![0-9])(?:[0-9]{6}[ -]?[0-9]{8}[ -]?[0-9]{3}[0-9Xx]|[0-9]{15})(?![0-9Xx])"
)
_MOBILE = re.compile(r"(?<![0-9])(\+?86[ -]?)?(1[0-9]{2})[ -]?([0-9]{4})[ -]?([0-9]{4})(?![0-9])")
# A hex digest (lookup hash, audit hash, request id) is kept whole: its digit runs are not
# numbers, and masking one would corrupt the hash an auditor searches by.
_HEX_DIGEST = re.compile(r"(?=[0-9]*[a-fA-F])[0-9a-fA-F]{32,}")


def mask_numbers(text: str) -> str:
    """TEXT with every mobile and ID number in it masked: for free text that may hold one
    (audit details, log lines), where no field says what is personal."""
    if not text or _HEX_DIGEST.fullmatch(text):
        return text
    text = _ID_NUMBER.sub(lambda m: mask_id_number(re.sub("[ -]", "", m.group(0))), text)
    return _MOBILE.sub(lambda m: (m.group(1) or "") + mask_mobile("".join(m.group(2, 3, 4))), text)
