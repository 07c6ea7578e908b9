"""The monthly report's pages: the list of issues, one month's report, its text, publishing
and the exports. Thin: the figures come from report.py, the life of a report from
report_services.py, the files from report_exports.py."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sqm.core.decorators import permission_required
from sqm.quality import report_exports, report_services, services
from sqm.quality.choices import ReportState
from sqm.quality.facts import Month
from sqm.quality.models import MonthlyReport

VIEW = "quality.view_monthlyreport"
PUBLISH = "quality.publish_report"


def _month(text: str) -> Month:
    try:
        return services.parse_month(text)
    except services.InputError:
        raise Http404(_("No such month.")) from None


def _months() -> list[str]:
    """The months a report may be created for: the last 24 finished ones, newest first."""
    return services.month_choices(25)[1:]


def _report(month: Month) -> MonthlyReport:
    found = report_services.get_report(month)
    if found is None:
        raise Http404(_("There is no report of this month yet."))
    return found


@permission_required(VIEW)
def report_list(request):
    may_write = request.user.has_perm(PUBLISH)
    if request.method == "POST":
        if not may_write:
            raise PermissionDenied
        month = request.POST.get("month", "")
        if month not in _months():
            return HttpResponseBadRequest(_("Choose one of the months offered."))
        created = report_services.start_report(_month(month), request.user)
        return redirect(created.get_absolute_url())
    reports = MonthlyReport.objects.restrict(request.user).select_related("published_by")
    taken = {f"{r.month:%Y-%m}" for r in reports}
    return render(request, "quality/report_list.html", {
        "reports": reports, "may_write": may_write,
        "months": [m for m in _months() if m not in taken],
        "next_number": report_services.next_number(),
    })  # fmt: skip


@permission_required(VIEW)
def report_detail(request, month: str):
    month = _month(month)
    shown = report_services.shown(month, request.user)
    differences = []
    if shown.differences and shown.figures is not None:
        differences = report_exports.difference_rows(shown.figures, shown.differences)
    context = {"month": month, "report": shown.report, "figures": shown.figures,
               "differences": differences, "later_run": shown.later_run,
               "missing_run": shown.missing_run, "pending_run": shown.pending_run,
               "may_write": request.user.has_perm(PUBLISH),
               # Only a finished month may get an issue (the current or a future one: no
               # button that the list would refuse).
               "may_create": request.user.has_perm(PUBLISH) and month.label in _months(),
               "next_number": report_services.next_number()}  # fmt: skip
    if shown.figures is not None:
        context["shown"] = report_exports.presentation(shown.figures)
        context["title"] = report_exports.title(shown.figures)
        context["control_note"] = report_exports.control_note(shown.figures["control"])
    return render(request, "quality/report_detail.html", context)


@permission_required(PUBLISH)
def report_edit(request, month: str):
    month = _month(month)
    reported = _report(month)
    if reported.state != ReportState.DRAFT:
        messages.error(request, _("The report is published; its text no longer changes."))
        return redirect(reported.get_absolute_url())
    if request.method == "POST":
        texts = {name: request.POST.get(name, "") for name in report_services.TEXT_FIELDS}
        try:
            report_services.save_text(reported, request.user, **texts)
        except report_services.ReportError as exc:
            messages.error(request, str(exc))
            context = {"report": reported, "month": month, "texts": texts}
            return render(request, "quality/report_edit.html", context, status=400)
        messages.success(request, _("The text is saved."))
        return redirect(reported.get_absolute_url())
    texts = {name: getattr(reported, name) for name in report_services.TEXT_FIELDS}
    return render(request, "quality/report_edit.html",
                  {"report": reported, "month": month, "texts": texts})  # fmt: skip


@require_POST
@permission_required(PUBLISH)
def report_publish(request, month: str):
    month = _month(month)
    reported = _report(month)
    seen = request.POST.get("run", "")
    if not seen.isascii() or not seen.isdigit() or len(seen) > 18:
        return HttpResponseBadRequest(_("Which figures were checked is missing; reload the page."))
    try:
        report_services.publish(reported, request.user, seen_run=int(seen))
    except report_services.ReportError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The report is published."))
    return redirect(reported.get_absolute_url())


@permission_required(VIEW)
def report_export(request, month: str, fmt: str):
    from sqm.core.pdf import PdfError

    if fmt not in report_exports.FORMATS:
        raise Http404
    month = _month(month)
    shown = report_services.shown(month, request.user)
    if shown.figures is None:
        raise Http404(_("There are no figures of this month yet."))
    state = shown.report.state if shown.report is not None else ""
    try:
        return report_exports.response(shown.figures, fmt, request.user, state=state)
    except PdfError as exc:
        messages.error(request, str(exc))
        return redirect("quality:report", month.label)
