from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

# What the header search finds: work orders, problems, knowledge articles.
SEARCHABLE = ("complaints.view_workorder", "knowledge.view_problem", "knowledge.view_article")


def navigation(request) -> dict:
    """The parts of the platform the user may open, for the top bar and the home page."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": []}
    items = [
        ("complaints:intake", _("Intake"), "complaints.add_workorder"),
        ("complaints:queue", _("My queue"), "complaints.view_workorder"),
        ("complaints:orders", _("Work orders"), "complaints.view_workorder"),
        ("complaints:overview", _("Team overview"), "complaints.oversee_workorders"),
        ("complaints:causes", _("Batch causes"), "complaints.view_complaintcause"),
        ("knowledge:problems", _("Problems"), "knowledge.view_problem"),
        ("knowledge:articles", _("Knowledge"), "knowledge.view_article"),
        ("customers:customers", _("Customers"), "customers.view_customer"),
        ("customers:accounts", _("Accounts"), "customers.view_account"),
        ("network:olts", _("Topology"), "network.view_olt"),
        ("network:faults", _("Faults"), "network.view_faultevent"),
        # The NOC's SMS view in the bar of those who act on it (others reach it from faults).
        ("network:fault_sms", _("Fault SMS"), "notify.change_outboundmessage"),
        ("surveys:list", _("Satisfaction surveys"), "surveys.view_questionnaire"),
        ("quality:dashboard", _("Quality dashboard"), "quality.view_indicator"),
        ("quality:reports", _("Quality reports"), "quality.view_monthlyreport"),
        ("core:imports", _("Imports"), "core.add_importjob"),
        ("core:audit", _("Audit log"), "core.view_auditentry"),
        ("core:changelog", _("Change log"), "core.view_changelogentry"),
        ("core:calendar", _("Business calendar"), "core.view_calendarday"),
    ]
    from sqm.core.models import Notification

    unread = Notification.objects.filter(user=user, read_at__isnull=True).count()
    links = [(reverse(url), label) for url, label, perm in items if user.has_perm(perm)]
    # Only the most specific entry is current: /quality/reports/ is the reports', not also
    # the dashboard's (/quality/).
    current = max((h for h, _label in links if request.path.startswith(h)), key=len, default="")
    return {
        "nav": [(href, label, href == current) for href, label in links],
        "unread_notifications": unread,
        # The one search (sqm.knowledge), in the header of every page of those who may find
        # something with it.
        "header_search": reverse("knowledge:search")
        if any(user.has_perm(p) for p in SEARCHABLE)
        else "",
    }
