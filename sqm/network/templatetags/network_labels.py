"""Template filters for network words the NMS sends as codes."""

from __future__ import annotations

from django import template

from sqm.network.choices import Severity

register = template.Library()


@register.filter
def severity(value: str) -> str:
    """An alarm severity in the user's language (`major` → 重要); unknown words as sent."""
    return Severity(value).label if value in Severity.values else value
