from __future__ import annotations

from datetime import date, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import F
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from sqm.core import audit, home, services, uploads
from sqm.core import notifications as notifications_service
from sqm.core.decorators import permission_required
from sqm.core.exceptions import LimitReached, refusal_status
from sqm.core.forms import ImportForm
from sqm.core.importing import jobs, may_upload, registry
from sqm.core.inputs import page_number, parse_day
from sqm.core.models import (
    Alert,
    AuditAction,
    AuditEntry,
    ChangeLogEntry,
    ImportJob,
    ImportStatus,
    Notification,
)


@login_required
def notifications(request):
    # Unread first (what is still to act on), newest first within each.
    mine = Notification.objects.filter(user=request.user).order_by(
        F("read_at").desc(nulls_first=True), "-time", "-id"
    )
    if request.method == "POST":
        services.mark_notifications_read(request.user)
        return redirect("core:notifications")
    return render(request, "core/notifications.html", {"page": paginate(request, mine)})


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def open_notification(request, pk: int):
    """Follow one of my notifications to what it is about, marking it read. Someone else's
    is a 404 (not even its existence is told); a link that is not a path on this site is
    never followed: back to the list instead (no open redirect). Only the list's POST marks
    it read; a GET (a link opened in a new tab, or planted on another site) just leads on."""
    try:
        link = notifications_service.open_notification(
            request.user, pk, mark_read=request.method == "POST"
        )
    except Notification.DoesNotExist as exc:
        raise Http404 from exc
    return redirect(link or "core:notifications")


def refused(request, exc: Exception) -> HttpResponse:
    """A service's refusal (a PermissionDenied with its reason) as a page: 429 for a used-up
    limit, else 403, with the reason in the user's language and a way home."""
    status = refusal_status(exc)
    heading = _("Limit reached") if status == LimitReached.status_code else _("Not allowed")
    context = {"code": status, "heading": heading, "text": str(exc)}
    return render(request, "_error.html", context, status=status)


def paginate(request, queryset, per_page: int = 50):
    # The shared reading of ?page= (a whole number, bounded); the paginator then clamps to the
    # last page.
    return Paginator(queryset, per_page).get_page(page_number(request.GET.get("page")))


def _day(value: str | None) -> date | None:
    """A YYYY-MM-DD day from the query, or None: a malformed one is ignored, and so is one
    outside the bounded range (the day after 9999-12-31 overflows)."""
    return parse_day(value)


@permission_required("core.view_auditentry")
def audit_log(request):
    entries = AuditEntry.objects.select_related("actor")
    action = request.GET.get("action")
    if action:
        entries = entries.filter(action=action)
    day = _day(request.GET.get("day"))
    if day is not None:  # one local day, as the auditor's home panel counts it
        entries = entries.filter(
            time__gte=home.day_start(day), time__lt=home.day_start(day + timedelta(days=1))
        )
    actor = request.GET.get("actor", "").strip()[:150]
    if actor:  # the name as it was when the entry was written (users may be renamed)
        entries = entries.filter(actor_name__iexact=actor)
    alerts = Alert.objects.filter(acknowledged_at__isnull=True).select_related("subject")
    return render(
        request,
        "core/audit.html",
        {
            "page": paginate(request, entries),
            "alerts": alerts,
            "action": action,
            "action_label": AuditAction(action).label if action in AuditAction.values else "",
            "actions": AuditAction.choices,
            "day": day,
            "actor": actor,
            "check": audit.last_check(),
        },
    )


# Where the "check now" button returns to: the page it was pressed on, from a fixed list.
_VERIFY_BACK = {"home": "home", "audit": "core:audit"}


@require_POST
@permission_required("core.view_auditentry")
def audit_verify(request):
    """Check the audit chain now, as `sqm audit verify` does (at most once a minute), and
    say when and whether it held."""
    check, ran = audit.verify_on_request(request.user)
    values = {"time": timezone.localtime(check.time).strftime("%Y-%m-%d %H:%M:%S")}
    if ran and check.ok:
        messages.success(request, _("The audit chain was checked at %(time)s: intact.") % values)
    elif ran:
        messages.error(
            request,
            _("The audit chain was checked at %(time)s and did not verify; see the alerts.")
            % values,
        )
    elif check.ok:
        messages.info(
            request,
            _("The audit chain was checked less than a minute ago (%(time)s): intact.") % values,
        )
    else:
        messages.error(
            request,
            _(
                "The audit chain was checked less than a minute ago (%(time)s) and did not "
                "verify; see the alerts."
            )
            % values,
        )
    return redirect(_VERIFY_BACK.get(request.POST.get("back"), "core:audit"))


@require_POST
@permission_required("core.change_alert")
def acknowledge_alert(request, pk: int):
    alert = get_object_or_404(Alert.objects.restrict(request.user), pk=pk)
    services.acknowledge_alert(request.user, alert)
    return redirect("core:audit")


@permission_required("core.view_changelogentry")
def change_log(request):
    entries = ChangeLogEntry.objects.select_related("user", "content_type")
    return render(request, "core/changelog.html", {"page": paginate(request, entries)})


@uploads.sealing  # the file is encrypted as it arrives; the worker reads it
@permission_required("core.add_importjob")
def imports(request):
    kind = request.POST.get("kind", "")
    if request.method == "POST" and kind in registry and not may_upload(request.user, kind):
        # A kind the page never offered this user: a forged form, refused outright.
        raise PermissionDenied
    form = ImportForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        job = jobs.start_job(
            request.user,
            form.cleaned_data["kind"],
            form.cleaned_data["file"],
            form.cleaned_data["dry_run"],
            form.cleaned_data["encoding"],
        )
        return redirect("core:import", pk=job.pk)
    mine = ImportJob.objects.filter(created_by=request.user)
    return render(request, "core/imports.html", {"form": form, "page": paginate(request, mine)})


@permission_required("core.add_importjob")
def import_detail(request, pk: int):
    job = get_object_or_404(ImportJob, pk=pk, created_by=request.user)
    progress = jobs.read_progress(job.pk)
    running = job.status in {ImportStatus.QUEUED, ImportStatus.RUNNING}
    percent = round((progress.get("fraction") or 0) * 100) if running else 100
    template = "core/_import_status.html" if request.htmx else "core/import_detail.html"
    return render(
        request,
        template,
        {
            "job": job,
            "progress": progress,
            "running": running,
            "percent": percent,
        },
    )
