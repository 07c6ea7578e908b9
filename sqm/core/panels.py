"""Core's own home-page panel: the auditor's (alerts, today's reveals and look-ups, the
audit chain's last check). Registered in CoreConfig.ready()."""

from __future__ import annotations

from datetime import datetime

from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from sqm.core import audit
from sqm.core.home import Figure, Panel, day_start, register_panel, today
from sqm.core.models import Alert, AuditAction, AuditEntry


def audit_link(**params) -> str:
    url = reverse("core:audit")
    return f"{url}?{urlencode(params)}" if params else url


def auditor(user, now: datetime) -> dict | None:
    if not user.has_perm("core.view_auditentry"):
        return None
    day = today(now)
    entries = AuditEntry.objects.filter(time__gte=day_start(day)).order_by()
    counts = {
        action: entries.filter(action=action).count()
        for action in (AuditAction.REVEAL, AuditAction.LOOKUP)
    }
    alerts = Alert.objects.restrict(user).filter(acknowledged_at__isnull=True).count()
    return {
        "title": _("Audit"),
        "figures": [
            Figure("open_alerts", _("open alerts"), alerts, audit_link(), "bad"),
            Figure(
                "reveals_today",
                _("personal data revealed today"),
                counts[AuditAction.REVEAL],
                audit_link(action=AuditAction.REVEAL, day=day.isoformat()),
            ),
            Figure(
                "lookups_today",
                _("look-ups by number today"),
                counts[AuditAction.LOOKUP],
                audit_link(action=AuditAction.LOOKUP, day=day.isoformat()),
            ),
        ],
        "check": audit.last_check(),
    }


def register() -> None:
    register_panel("auditor", Panel("audit", "core/panels/audit.html", auditor, 10))
