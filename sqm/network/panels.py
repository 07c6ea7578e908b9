"""The network side's home-page panels (registered in NetworkConfig.ready()): the known
faults an agent's callers may be calling about, and the NOC's active events and fault SMS.

Counts are a handful of aggregates on indexed columns: fault events by (state, city), the
outbox by (state, send_at). The fault list counts the same active events the numbers say.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Count, Q, Sum
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from sqm.core.home import Figure, Panel, day_start, register_panel, today
from sqm.network import fault_queries
from sqm.network.models import FaultEvent
from sqm.notify.choices import MessageState
from sqm.notify.models import OutboundMessage

SMS_LABELS = {
    "scheduled": pgettext_lazy("home SMS", "waiting to be sent"),
    "sent": pgettext_lazy("home SMS", "sent today"),
    "delivered": pgettext_lazy("home SMS", "delivered today"),
    "failed": pgettext_lazy("home SMS", "failed today"),
}


def faults_link(city: str = "") -> str:
    url = reverse("network:faults")
    return f"{url}?{urlencode({'city': city})}" if city else url


def _active_figures(user) -> list[Figure]:
    """Active events and the accounts they cut off: both counted on the fault list."""
    active = _active(user)
    return [
        Figure("active_faults", _("active fault events"), active["events"], faults_link(), "warn"),
        Figure("affected_accounts", _("accounts affected"), active["accounts"], faults_link()),
    ]


def _active(user) -> dict:
    totals = (
        fault_queries.active_faults(user)
        .order_by()
        .aggregate(events=Count("pk"), accounts=Sum("affected_accounts"))
    )
    return {"events": totals["events"], "accounts": totals["accounts"] or 0}


def _city_rows(user) -> list[tuple]:
    return [
        (
            row["name"],
            _("%(events)d events, %(accounts)d accounts")
            % {"events": row["events"], "accounts": row["accounts"]},
            faults_link(row["code"]),
        )
        for row in fault_queries.city_summary(user)
    ]


def known_faults(user, now: datetime) -> dict | None:
    """Hotline agent: the active faults in my cities (a caller may be one of the accounts)."""
    if not user.has_perm("network.view_faultevent"):
        return None
    return {
        "title": _("Known faults in my cities"),
        "figures": _active_figures(user),
        "rows_title": _("By city"),
        "rows": _city_rows(user),
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
        "figures": _active_figures(user),
        "rows_title": _("By city"),
        "rows": _city_rows(user),
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
