"""Panels that apps above the complaint side add to a work order's page (the problems it
belongs to, from sqm.knowledge). Registered from their `AppConfig.ready()`; the page renders
each panel whose build returns a context for the user."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.template.loader import render_to_string
from django.utils.safestring import SafeString


@dataclass(frozen=True)
class OrderPanel:
    key: str
    template: str
    build: Callable[..., dict | None]  # build(user, order) -> context, or None: not shown
    order: int = 100


_panels: dict[str, OrderPanel] = {}


def register_order_panel(panel: OrderPanel) -> None:
    _panels[panel.key] = panel


def render_order_panels(request, order) -> list[SafeString]:
    shown = []
    for panel in sorted(_panels.values(), key=lambda p: (p.order, p.key)):
        context = panel.build(request.user, order)
        if context is not None:
            shown.append(render_to_string(panel.template, {"order": order, **context}, request))
    return shown
