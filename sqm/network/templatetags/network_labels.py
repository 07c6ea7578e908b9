"""Template filters for network words the NMS sends as codes."""

from __future__ import annotations

from django import template

from sqm.network.choices import Severity, alarm_type_label

register = template.Library()


@register.filter
def severity(value: str) -> str:
    """An alarm severity in the user's language (`major` → 重要); unknown words as sent."""
    return Severity(value).label if value in Severity.values else value


@register.filter
def alarm_type(value: str) -> str:
    """An alarm type code in the user's language (`power-off` → 断电); unknown codes as sent."""
    return alarm_type_label(value)
