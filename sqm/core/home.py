"""The home page: each role's panels, contributed by the apps that own the work they show.

Core knows no domain app. An app registers its panels from its own `panels` module in
`AppConfig.ready()` (`register_panel("team_lead", Panel(...))`); the home page shows the
panels of every role the user holds, each panel once, in the panels' order. A panel is a
template and a function that builds its context from the user and the current time; the
function returns None when the panel has nothing to show that user (no permission, no
department), so a panel never renders empty boxes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time

from django.contrib.auth.decorators import login_required
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString

from sqm.core.roles import ROLE_BY_CODE, roles_of


@dataclass(frozen=True)
class Panel:
    """One box of the home page.

    key: unique name (also the box's HTML id, `panel-<key>`), so a panel registered for two
    roles shows once; template: the box's template; build(user, now): its context, or None
    to leave it out; order: smaller first; charts: the box draws ECharts charts (the page
    then loads the library once).
    """

    key: str
    template: str
    build: Callable[..., dict | None]
    order: int = 100
    charts: bool = False


@dataclass(frozen=True)
class Figure:
    """One number of a panel: LABEL, VALUE and the list it LINKS to (empty: no list shows
    exactly these rows yet). KEY names it for tests and styles (`data-figure`); TONE is
    "", "warn" or "bad" (amber or red when the number is not zero)."""

    key: str
    label: object
    value: int | str
    link: str = ""
    tone: str = ""
    hint: object = ""

    @property
    def alarming(self) -> bool:
        return bool(self.tone) and bool(self.value) and self.value != "0"


@dataclass(frozen=True)
class Shown:
    panel: Panel
    html: SafeString


_panels: dict[str, Panel] = {}
_by_role: dict[str, list[str]] = {}


def register_panel(roles: str | Iterable[str], panel: Panel) -> None:
    """Show PANEL on the home page of each of ROLES (role codes of sqm.core.roles).

    Registering the same key again replaces the panel (ready() may run more than once in
    tests), and an unknown role code is a programming error, caught at start-up.
    """
    codes = [roles] if isinstance(roles, str) else list(roles)
    unknown = [code for code in codes if code not in ROLE_BY_CODE]
    if unknown:
        raise ValueError(f"unknown role(s) {unknown} for home panel {panel.key!r}")
    _panels[panel.key] = panel
    for code in codes:
        keys = _by_role.setdefault(code, [])
        if panel.key not in keys:
            keys.append(panel.key)


def panels_for(user) -> list[Panel]:
    """The panels of all USER's roles, each once, in their order."""
    keys: dict[str, None] = {}
    for role in roles_of(user):
        keys.update(dict.fromkeys(_by_role.get(role.code, [])))
    return sorted((_panels[key] for key in keys), key=lambda p: (p.order, p.key))


def day_start(day: date) -> datetime:
    """The first moment of DAY in the local time zone (Asia/Shanghai)."""
    return timezone.make_aware(datetime.combine(day, time.min))


def today(now: datetime | None = None) -> date:
    return timezone.localdate(now or timezone.now())


def render_panels(request, now: datetime | None = None) -> list[Shown]:
    now = now or timezone.now()
    shown = []
    for panel in panels_for(request.user):
        context = panel.build(request.user, now)
        if context is None:
            continue
        # The CSRF token for a panel's forms (the auditor's "check now" button): rendering
        # without the request leaves {% csrf_token %} empty otherwise.
        context = {
            **context,
            "panel_key": panel.key,
            "user": request.user,
            "csrf_token": get_token(request),
        }
        # Without the request: the page's context processors (navigation, unread count) ran
        # once for the page and are not run again for every panel.
        shown.append(Shown(panel, render_to_string(panel.template, context)))
    return shown


@login_required
def home(request):
    """The home page: the user's panels, or a word that their account has no role yet."""
    shown = render_panels(request)
    return render(
        request,
        "core/home.html",
        {"panels": shown, "charts": any(s.panel.charts for s in shown)},
    )
