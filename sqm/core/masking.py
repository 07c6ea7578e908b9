"""How personal data is shown when it is not revealed: 138****5678, 张*, 3201**********1234."""

from __future__ import annotations


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
