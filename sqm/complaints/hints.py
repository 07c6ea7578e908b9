"""Hints that apps above the complaint side add to the intake page as the agent types (the
knowledge articles that fit the complaint, from sqm.knowledge). Each hint is a function
(request, text, category or None) -> HTML or "" ; registered from `AppConfig.ready()`."""

from __future__ import annotations

from collections.abc import Callable

from django.utils.safestring import SafeString

Hint = Callable[..., str]
_hints: dict[str, Hint] = {}


def register_intake_hint(key: str, hint: Hint) -> None:
    _hints[key] = hint


def render_intake_hints(request, text: str, category) -> list[SafeString]:
    return [
        SafeString(html) for key in sorted(_hints) if (html := _hints[key](request, text, category))
    ]
