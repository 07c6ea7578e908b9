from __future__ import annotations

from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.shortcuts import render

from sqm.core.models import Alert, AuditEntry, ChangeLogEntry, ImportJob


@login_required
def home(request):
    return render(request, "core/home.html")


def paginate(request, queryset, per_page: int = 50):
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))


@permission_required("core.view_auditentry", raise_exception=True)
def audit_log(request):
    entries = AuditEntry.objects.select_related("actor")
    action = request.GET.get("action")
    if action:
        entries = entries.filter(action=action)
    alerts = Alert.objects.filter(acknowledged_at__isnull=True).select_related("subject")
    return render(
        request,
        "core/audit.html",
        {
            "page": paginate(request, entries),
            "alerts": alerts,
            "action": action,
        },
    )


@permission_required("core.view_changelogentry", raise_exception=True)
def change_log(request):
    entries = ChangeLogEntry.objects.select_related("user", "content_type")
    return render(request, "core/changelog.html", {"page": paginate(request, entries)})


@permission_required("core.add_importjob", raise_exception=True)
def imports(request):
    jobs = ImportJob.objects.filter(created_by=request.user)
    return render(request, "core/imports.html", {"page": paginate(request, jobs)})


@permission_required("core.view_calendarday", raise_exception=True)
def calendar(request):
    return render(request, "core/calendar.html", {})
