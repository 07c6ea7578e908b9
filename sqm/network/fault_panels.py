"""Panels that other apps contribute to a fault event's page (/network/faults/<pk>/).

The network side sits below the apps that react to a fault (the complaint side records a
batch cause and batch complaints for it), so it cannot import them. Such an app registers a
panel here from its `AppConfig.ready()`; the event page renders every registered panel, in
the panels' order, below the SMS progress (docs/faults.md, "Panels of other apps").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString


@dataclass(frozen=True)
class FaultPanel:
    """One panel of the fault event page.

    key: unique name (registering it again replaces the panel); template: rendered with the
    page's request and `fault` plus what build returns; build(user, fault): the panel's
    context, or None to leave the panel out (nothing to show, or not for that user); order:
    smaller first.
    """

    key: str
    template: str
    build: Callable[..., dict | None]
    order: int = 100


_panels: dict[str, FaultPanel] = {}


def register_fault_panel(panel: FaultPanel) -> None:
    """Show PANEL on every fault event page (ready() may run twice in tests: the same key
    replaces the panel)."""
    _panels[panel.key] = panel


def fault_panels() -> list[FaultPanel]:
    """The registered panels, in their order."""
    return sorted(_panels.values(), key=lambda panel: (panel.order, panel.key))


def render_fault_panels(request: HttpRequest, fault) -> list[SafeString]:
    """The registered panels for FAULT rendered for the request's user; panels whose build
    returns None are left out."""
    shown = []
    for panel in fault_panels():
        context = panel.build(request.user, fault)
        if context is None:
            continue
        shown.append(render_to_string(panel.template, {"fault": fault, **context}, request))
    return shown
