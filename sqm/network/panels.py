"""The network side's home-page panels (registered in NetworkConfig.ready()): the known
faults an agent's callers may be calling about, and the NOC's active events and fault SMS.

Counts are a handful of aggregates on indexed columns: fault events by (state, city), the
outbox by (state, send_at). The fault list counts the same active events the numbers say.
Stale events (network.stale: no alarm activity for SQM_FAULT_STALE_HOURS) are counted apart,
on the NOC's panel, its city rows and the agent's known faults alike: "active fault events"
and "accounts affected" are the current ones, the stale ones a figure of their own.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Count, Q, Sum
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from sqm.core.home import Figure, Panel, day_start, register_panel, today
from sqm.network import fault_queries, stale
from sqm.network.models import FaultEvent
from sqm.notify.choices import MessageState
from sqm.notify.models import OutboundMessage

SMS_LABELS = {
    "scheduled": pgettext_lazy("home SMS", "waiting to be sent"),
    "sent": pgettext_lazy("home SMS", "sent today"),
    "delivered": pgettext_lazy("home SMS", "delivered today"),
    "failed": pgettext_lazy("home SMS", "failed today"),
}


def faults_link(city: str = "", stale: str = "") -> str:
    """The active fault list, of CITY, only the stale events ("1") or the others ("0")."""
    url = reverse("network:faults")
    params = {key: value for key, value in (("city", city), ("stale", stale)) if value}
    return f"{url}?{urlencode(params)}" if params else url


STALE_ONLY, CURRENT_ONLY = fault_queries.STALE_ONLY, fault_queries.CURRENT_ONLY


def _active_figures(user, now: datetime) -> list[Figure]:
    """The NOC: current active events (not stale), the accounts they cut off and, apart, the
    stale ones (network.stale), as the agent's panel counts them: each equal to the fault
    list it links to."""
    return [
        *_current_figures(user, now),
        Figure(
            "stale_faults",
            pgettext_lazy("fault event", "stale"),
            _active(user, now, STALE_ONLY)["events"],
            faults_link(stale=STALE_ONLY),
            "warn",
            _("no alarm for %(hours)d h or more: clear probably lost")
            % {"hours": stale.stale_hours()},
        ),
    ]


def _current_figures(user, now: datetime) -> list[Figure]:
    """The current (not stale) active events and the accounts they cut off, each linked to
    the fault list of exactly those events: the same two figures for the NOC and agents."""
    current = _active(user, now, CURRENT_ONLY)
    return [
        Figure(
            "active_faults",
            _("active fault events"),
            current["events"],
            faults_link(stale=CURRENT_ONLY),
            "warn",
        ),
        Figure(
            "affected_accounts",
            _("accounts affected"),
            current["accounts"],
            faults_link(stale=CURRENT_ONLY),
        ),
    ]


def _active(user, now: datetime, stale_filter: str) -> dict:
    totals = (
        fault_queries.active_faults(user, stale_filter=stale_filter, now=now)
        .order_by()
        .aggregate(events=Count("pk"), accounts=Sum("affected_accounts"))
    )
    return {"events": totals["events"], "accounts": totals["accounts"] or 0}


def _city_rows(user, now: datetime) -> list[tuple]:
    """Per city, its current events and accounts (stale ones are counted apart), linked to
    the city's current events."""
    return [
        (
            row["name"],
            _("%(events)d events, %(accounts)d accounts")
            % {"events": row["events"], "accounts": row["accounts"]},
            faults_link(row["code"], CURRENT_ONLY),
        )
        for row in fault_queries.city_summary(user, now)
        if row["events"]
    ]


def known_faults(user, now: datetime) -> dict | None:
    """Hotline agent: the current faults in my cities (a caller may be one of the accounts)
    and, apart, the stale ones: their service may well be back (network.stale)."""
    if not user.has_perm("network.view_faultevent"):
        return None
    stale_count = _active(user, now, STALE_ONLY)["events"]
    return {
        "title": _("Known faults in my cities"),
        "figures": [
            *_current_figures(user, now),
            Figure(
                "stale_faults",
                pgettext_lazy("fault events", "stale, may be over"),
                stale_count,
                faults_link(stale=STALE_ONLY),
                hint=_("no alarm for %(hours)d h or more: ask whether the service is back")
                % {"hours": stale.stale_hours()},
            ),
        ],
        "rows_title": _("By city"),
        "rows": _city_rows(user, now),
    }


def sms_pipeline(user, now: datetime) -> dict[str, int]:
    """Fault SMS of USER's cities as the SMS view filters them: scheduled, whatever their
    planned time (a message stuck for days shows), and of those planned for today, sent,
    delivered and failed. One aggregate over the (state, send_at) index."""
    if not user.has_perm("notify.view_outboundmessage"):
        return dict.fromkeys(("scheduled", "sent", "delivered", "failed"), 0)
    faults = FaultEvent.objects.restrict(user).values("pk")
    messages = OutboundMessage.objects.filter(fault_event__in=faults)
    day = today(now)
    planned_today = Q(send_at__gte=day_start(day), send_at__lt=day_start(day + timedelta(1)))
    return messages.order_by().aggregate(
        scheduled=Count("pk", filter=Q(state=MessageState.SCHEDULED)),
        sent=Count("pk", filter=Q(state=MessageState.SENT) & planned_today),
        delivered=Count("pk", filter=Q(state=MessageState.DELIVERED) & planned_today),
        failed=Count("pk", filter=Q(state=MessageState.FAILED) & planned_today),
    )


def sms_link(state: str, day=None) -> str:
    """The NOC's SMS view filtered to STATE (and planned on DAY)."""
    params = {"state": state}
    if day is not None:
        params |= {"planned_from": day.isoformat(), "planned_to": day.isoformat()}
    return f"{reverse('network:fault_sms')}?{urlencode(params)}"


def noc(user, now: datetime) -> dict | None:
    """Network operations: active events and the accounts they cut off, per city."""
    if not user.has_perm("network.view_faultevent"):
        return None
    return {
        "title": _("Active network faults"),
        "figures": _active_figures(user, now),
        "rows_title": _("By city"),
        "rows": _city_rows(user, now),
        "more": (reverse("network:fault_history"), _("Fault history")),
    }


def fault_sms(user, now: datetime) -> dict | None:
    """Network operations: the fault-SMS pipeline (waiting; sent, delivered, failed today)."""
    if not user.has_perm("notify.view_outboundmessage"):
        return None
    counts = sms_pipeline(user, now)
    day = today(now)
    waiting = sms_link(MessageState.SCHEDULED)
    return {
        "title": _("Fault SMS"),
        "figures": [
            Figure("sms_scheduled", SMS_LABELS["scheduled"], counts["scheduled"], waiting, "warn"),
            *(
                Figure(f"sms_{state}", SMS_LABELS[state], counts[state], sms_link(state, day))
                for state in (MessageState.SENT, MessageState.DELIVERED)
            ),
            Figure(
                "sms_failed",
                SMS_LABELS["failed"],
                counts["failed"],
                sms_link(MessageState.FAILED, day),
                "bad",
            ),
        ],
        "more": (reverse("network:fault_sms"), _("All fault SMS")),
    }


def register() -> None:
    register_panel(
        "hotline_agent", Panel("known_faults", "core/panels/numbers.html", known_faults, 20)
    )
    register_panel("network_ops", Panel("noc", "core/panels/numbers.html", noc, 10))
    register_panel("network_ops", Panel("fault_sms", "core/panels/numbers.html", fault_sms, 15))
