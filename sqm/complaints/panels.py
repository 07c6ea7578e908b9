"""The complaint side's home-page panels (registered in ComplaintsConfig.ready()).

Each number links to the work-order list that shows exactly its rows, with the list's own
GET filters; a number without such a list yet is shown without a link (docs/home.md).
"""

from __future__ import annotations

from datetime import datetime

from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from sqm.complaints import workload
from sqm.core.home import Figure, Panel, register_panel

VIEW = "complaints.view_workorder"
OVERSEE = "complaints.oversee_workorders"
OVERDUE = pgettext_lazy("home figure", "overdue")
DUE_SOON = pgettext_lazy("home figure", "due soon")


def percent(value: int | None) -> str:
    return "–" if value is None else f"{value}%"


def orders_link(**params) -> str:
    """The work-order list with PARAMS as its GET filters."""
    url = reverse("complaints:orders")
    return f"{url}?{urlencode(params)}" if params else url


def queue_link(**params) -> str:
    """My queue (我的待办) with PARAMS as its GET filters."""
    url = reverse("complaints:queue")
    return f"{url}?{urlencode(params)}" if params else url


def pool_link(**params) -> str:
    """My departments' pool (部门工单池) with PARAMS as its GET filters; '' (no link) while
    the pool has no page of its own."""
    try:
        url = reverse("complaints:pool")
    except NoReverseMatch:
        return ""
    return f"{url}?{urlencode(params)}"


def my_day(user, now: datetime) -> dict | None:
    """Hotline agent: what I recorded today and what waits for me."""
    if not user.has_perm(VIEW):
        return None
    queue = workload.queue_counts(user, now)
    contacts = workload.contacts_today(user, now)
    today = timezone.localdate(now).isoformat()
    return {
        "title": _("My work today"),
        "figures": [
            Figure(
                "contacts_today",
                _("contacts I recorded today"),
                contacts,
                orders_link(recorded_by="me", record_type="", created_from=today, created_to=today),
            ),
            Figure("my_open", _("my open work orders"), queue.total, queue_link()),
            Figure(
                "my_overdue", _("of them overdue"), queue.overdue, queue_link(sla="overdue"), "bad"
            ),
        ],
    }


def my_queue(user, now: datetime) -> dict | None:
    """First and second line: my queue (我的待办), overdue and due soon."""
    if not user.has_perm(VIEW):
        return None
    queue = workload.queue_counts(user, now)
    return {
        "title": _("My queue"),
        "figures": [
            Figure(
                "queue",
                pgettext_lazy("home figure", "work orders to do"),
                queue.total,
                queue_link(),
            ),
            Figure("queue_overdue", OVERDUE, queue.overdue, queue_link(sla="overdue"), "bad"),
            Figure("queue_warning", DUE_SOON, queue.warning, queue_link(sla="warning"), "warn"),
        ],
    }


def department_pool(user, now: datetime) -> dict | None:
    """First and second line: the unclaimed orders of my departments, overdue and due soon."""
    if not user.has_perm(VIEW):
        return None
    pool = workload.pool_counts(user, now)
    departments = "、".join(d.name for d in user.departments.filter(active=True))
    return {
        "title": _("My department's pool"),
        "subtitle": departments,
        "figures": None if pool is None else _pool_figures(pool),
    }


def _pool_figures(pool: workload.Counts) -> list[Figure]:
    return [
        Figure("pool", _("unclaimed in the pool"), pool.total, pool_link(unclaimed="1")),
        Figure(
            "pool_overdue", OVERDUE, pool.overdue, pool_link(unclaimed="1", sla="overdue"), "bad"
        ),
        Figure(
            "pool_warning", DUE_SOON, pool.warning, pool_link(unclaimed="1", sla="warning"), "warn"
        ),
    ]


def team_sla(user, now: datetime) -> dict | None:
    """Team lead: the SLA of the team's open work orders and of today's closures."""
    if not user.has_perm(OVERSEE):
        return None
    day = workload.team_day(user, now)
    today = timezone.localdate(now).isoformat()
    return {
        "title": _("The team's SLA today"),
        "figures": [
            Figure("team_open", _("open work orders"), day.open, orders_link(open="1")),
            Figure("team_overdue", OVERDUE, day.overdue, orders_link(sla="overdue"), "bad"),
            Figure("team_warning", DUE_SOON, day.warning, orders_link(sla="warning"), "warn"),
            Figure(
                "team_closed_today",
                _("closed today"),
                day.closed_today,
                orders_link(state="closed", closed_from=today, closed_to=today),
            ),
            Figure("team_in_time", _("closed today in time"), percent(day.in_time_percent)),
        ],
        "more": (reverse("complaints:overview"), _("Team overview")),
    }


def trend(user, now: datetime) -> dict | None:
    """Team lead: the last 30 days of opened, closed and overdue work orders and callback
    satisfaction, as a chart."""
    if not user.has_perm(OVERSEE):
        return None
    data = workload.daily_trend(user, now)
    return {
        "title": _("The last 30 days"),
        "chart": {
            "axis": [day[5:] for day in data["days"]],  # MM-DD
            "bars": [
                {"name": str(pgettext_lazy("home trend", "opened")), "data": data["opened"]},
                {"name": str(pgettext_lazy("home trend", "closed")), "data": data["closed"]},
                {
                    "name": str(pgettext_lazy("home trend", "deadline missed")),
                    "data": data["overdue"],
                },
            ],
            "line": {"name": str(_("callback satisfaction (%)")), "data": data["satisfaction"]},
        },
    }


def team_workload(user, now: datetime) -> dict | None:
    """Team lead: open work orders per person."""
    if not user.has_perm(OVERSEE):
        return None
    people = workload.workload(user, now)
    for person in people:
        # The list's own filters give exactly the row's orders (every record type).
        whose = {"assignee": person["username"], "record_type": ""}
        person["link"] = orders_link(open="1", **whose)
        person["overdue_link"] = orders_link(sla="overdue", **whose)
    return {"title": _("Workload per person"), "people": people}


def complaint_volume(user, now: datetime) -> dict | None:
    """Quality manager: complaint volume and callback satisfaction, with the trend."""
    if not user.has_perm(VIEW):
        return None
    volume = workload.volume(user, now)
    data = workload.daily_trend(user, now, volume.days)
    period = {"created_from": volume.first.isoformat(), "created_to": volume.last.isoformat()}
    change = volume.change_percent
    return {
        "title": _("Complaints and satisfaction, last 30 days"),
        "figures": [
            Figure(
                "complaints_30d",
                _("complaint work orders"),
                volume.opened,
                orders_link(**period),
                hint=""
                if change is None
                else gettext("%(change)+d%% on the 30 days before") % {"change": change},
            ),
            Figure(
                "upgraded_30d",
                _("upgraded complaints"),
                volume.upgraded,
                orders_link(upgraded="1", **period),
                "warn",
            ),
            Figure(
                "repeats_30d",
                _("repeat complaints"),
                volume.repeats,
                orders_link(repeat="1", **period),
                "warn",
            ),
            Figure("satisfaction_30d", _("callback satisfaction"), percent(volume.satisfaction)),
        ],
        "chart": {
            "axis": [day[5:] for day in data["days"]],  # MM-DD
            "bars": [{"name": str(_("complaints opened")), "data": data["opened"]}],
            "line": {"name": str(_("callback satisfaction (%)")), "data": data["satisfaction"]},
        },
    }


def register() -> None:
    register_panel("hotline_agent", Panel("my_day", "core/panels/numbers.html", my_day, 10))
    front_and_back = ("first_line", "second_line")
    register_panel(front_and_back, Panel("my_queue", "core/panels/numbers.html", my_queue, 10))
    register_panel(
        front_and_back, Panel("pool", "complaints/panels/pool.html", department_pool, 15)
    )
    register_panel("team_lead", Panel("team_sla", "core/panels/numbers.html", team_sla, 20))
    register_panel("team_lead", Panel("trend", "core/panels/numbers.html", trend, 30, charts=True))
    register_panel(
        "team_lead",
        Panel("workload", "complaints/panels/workload.html", team_workload, 25),
    )
    register_panel(
        "quality_manager",
        Panel("complaint_volume", "core/panels/numbers.html", complaint_volume, 20, charts=True),
    )
