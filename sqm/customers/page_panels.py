"""Panels that other apps contribute to the customer and account pages.

The customer side sits below the apps that know more about a customer's accounts (the
complaint side shows the faults and SMS around them: the pre-processing panel), so it cannot
import them. Such an app registers a panel here from its `AppConfig.ready()`; the pages
render every registered panel, in the panels' order, where the panels belong (after the
customer's personal data; at the end of an account page).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString


@dataclass(frozen=True)
class CustomerPanel:
    """One panel of the customer and account pages.

    key: unique name (registering it again replaces the panel); template: rendered with the
    page's request and `customer`, `accounts` plus what build returns; build(user, customer,
    accounts): the panel's context, or None to leave the panel out for that user; order:
    smaller first; stylesheets: static paths the page links in its head.
    """

    key: str
    template: str
    build: Callable[..., dict | None]
    order: int = 100
    stylesheets: tuple[str, ...] = ()


@dataclass(frozen=True)
class ShownPanel:
    panel: CustomerPanel
    html: SafeString


_panels: dict[str, CustomerPanel] = {}


def register_customer_panel(panel: CustomerPanel) -> None:
    """Show PANEL on every customer and account page (ready() may run twice in tests: the
    same key replaces the panel)."""
    _panels[panel.key] = panel


def customer_panels() -> list[CustomerPanel]:
    """The registered panels, in their order."""
    return sorted(_panels.values(), key=lambda panel: (panel.order, panel.key))


def render_customer_panels(request: HttpRequest, customer, accounts: Iterable) -> list[ShownPanel]:
    """The registered panels for CUSTOMER (and ACCOUNTS, the ones the page shows), rendered
    for the request's user; panels whose build returns None are left out."""
    accounts = list(accounts)
    shown = []
    for panel in customer_panels():
        context = panel.build(request.user, customer, accounts)
        if context is None:
            continue
        context = {"customer": customer, "accounts": accounts, **context}
        shown.append(ShownPanel(panel, render_to_string(panel.template, context, request)))
    return shown


def stylesheets(shown: Iterable[ShownPanel]) -> list[str]:
    """The stylesheets the shown panels need, each once."""
    return list(dict.fromkeys(css for item in shown for css in item.panel.stylesheets))
