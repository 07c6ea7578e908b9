"""The monthly report's life: created as the next numbered issue, its text written while it
is a draft, published once (figures and text frozen, audited), never changed afterwards.

Views, exports and `sqm report monthly` call these functions.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from sqm.core import audit, changelog, context
from sqm.core.models import AuditAction
from sqm.quality import report, services
from sqm.quality.choices import Breakdown, ReportState
from sqm.quality.facts import Month
from sqm.quality.models import MonthlyReport

TEXT_FIELDS = ("summary", "analysis", "measures")
TEXT_MAX_CHARS = 20_000


class ReportError(ValueError):
    """A report action that cannot be done (published already, a newer run, no run …)."""


def first_number() -> int:
    return int(getattr(settings, "SQM_REPORT_FIRST_NUMBER", 1))


def next_number() -> int:
    """The next issue's number: one after the highest, or SQM_REPORT_FIRST_NUMBER."""
    highest = MonthlyReport.objects.aggregate(n=Max("number"))["n"]
    return first_number() if highest is None else max(highest + 1, first_number())


def get_report(month: Month) -> MonthlyReport | None:
    return MonthlyReport.objects.filter(month=month.first).first()


def create_report(month: Month, user=None, *, compute: bool = True) -> MonthlyReport:
    """The report of MONTH as the next numbered issue (the existing one if there is one).
    Its figures come from the month's newest full run; a month without one is computed here
    (COMPUTE) or left to a queued run (`start_report`)."""
    existing = get_report(month)
    if existing is not None:
        return existing
    run = report.run_for(month, compute=compute, user=user)
    for _attempt in range(3):  # two people creating issues at once: the loser takes the next
        try:
            with transaction.atomic(), context.acting_as(user):
                return MonthlyReport.objects.create(
                    number=next_number(), month=month.first, run=run
                )
        except IntegrityError:
            existing = get_report(month)
            if existing is not None:
                return existing
    raise ReportError(_("Could not number the report; try again."))


def pending_run(month: Month):
    """A full run of MONTH by city still queued or running (the newest), or None."""

    runs = services.unfinished_runs(month).filter(indicators=[])
    return next((r for r in runs[:5] if Breakdown.CITY in r.breakdowns), None)


def start_report(month: Month, user) -> MonthlyReport:
    """For the pages: the issue at once; a month without a run gets one queued for the
    worker (its page shows the progress), handed over once the request commits."""
    from django.utils import translation

    from sqm.quality.tasks import compute_run

    if report.run_for(month) is None and pending_run(month) is None:
        run = services.queue_run(month, breakdowns=report.REPORT_BREAKDOWNS, user=user)
        language = translation.get_language()
        transaction.on_commit(lambda: compute_run(run.pk, language))
    return create_report(month, user, compute=False)


def _guarded(reported: MonthlyReport, *, unchanged: dict | None = None, **changes) -> bool:
    """Write CHANGES only while the report is a draft (UPDATE … WHERE state='draft'), and,
    with UNCHANGED, only while those fields still hold what was read."""
    rows = MonthlyReport.objects.filter(
        pk=reported.pk, state=ReportState.DRAFT, **(unchanged or {})
    )
    return bool(rows.update(**changes, last_updated=timezone.now()))


def save_text(reported: MonthlyReport, user, **texts: str) -> MonthlyReport:
    """Save the text sections of a draft (change-logged); a published report refuses."""
    changes = {}
    for name in TEXT_FIELDS:
        if name in texts:
            text = (texts[name] or "").replace("\r\n", "\n").replace("\x00", "")
            if len(text) > TEXT_MAX_CHARS:
                raise ReportError(
                    _("A section holds at most %(n)d characters.") % {"n": TEXT_MAX_CHARS}
                )
            changes[name] = text
    with transaction.atomic(), context.acting_as(user):
        before = changelog.snapshot(reported)
        if not _guarded(reported, **changes):
            raise ReportError(_("The report is published; its text no longer changes."))
        reported.refresh_from_db()
        changelog.record_bulk([reported], "update", {reported.pk: before})
    return reported


def publish(reported: MonthlyReport, user, *, seen_run: int | None = None) -> MonthlyReport:
    """Freeze the figures of the month's newest run and the text into the report, once.

    SEEN_RUN: the run the publisher looked at; when a newer run has arrived since, the report
    is not published (they should look again)."""
    if not (getattr(user, "is_superuser", False) or getattr(user, "all_cities", False)):
        # The published issue holds every city's figures: its publisher sees them all.
        raise ReportError(_("Only a quality manager of the whole province publishes the report."))
    month = Month(reported.month)
    run = report.run_for(month)
    if run is None:
        raise ReportError(_("No finished KPI run of %(month)s by city.") % {"month": month.label})
    if seen_run is not None and seen_run != run.pk:
        raise ReportError(_("A newer KPI run of the month has arrived; check the figures again."))
    figures = report.build(month, run)
    with transaction.atomic(), context.acting_as(user):
        reported.refresh_from_db()
        texts = {name: getattr(reported, name) for name in TEXT_FIELDS}
        figures["text"] = texts
        figures["number"] = reported.number
        now = timezone.now()
        figures["published_at"] = timezone.localtime(now).isoformat()
        figures["published_by"] = getattr(user, "username", "") or ""
        before = changelog.snapshot(reported)
        won = _guarded(
            reported,
            unchanged=texts,  # the text frozen is the text saved, even if saved meanwhile
            state=ReportState.PUBLISHED,
            frozen=figures,
            run=run,
            published_at=now,
            published_by=user if getattr(user, "pk", None) else None,
        )
        if not won:
            reported.refresh_from_db()
            if reported.state == ReportState.PUBLISHED:
                raise ReportError(_("The report is already published."))
            raise ReportError(_("The text was changed meanwhile; check it and publish again."))
        reported.refresh_from_db()
        changelog.record_bulk([reported], "update", {reported.pk: before})
        audit.record(
            AuditAction.PUBLISH,
            user=user,
            target=f"quality-report:{month.label}",
            details={"number": reported.number, "month": month.label, "run": run.pk},
        )
    return reported


@dataclass
class Shown:
    """What a report page or export shows: the figures (frozen once published), and for a
    published report the values a later run of the month changed."""

    report: MonthlyReport | None
    month: Month
    figures: dict | None
    differences: list[dict]
    later_run: int | None
    missing_run: bool = False
    pending_run: object = None  # a queued or running KpiRun of the month


def shown(month: Month, user=None, *, reported: MonthlyReport | None = None) -> Shown:
    """The report of MONTH as USER may see it (their cities' rows only)."""
    reported = reported if reported is not None else get_report(month)
    if reported is not None and reported.state == ReportState.PUBLISHED and reported.frozen:
        figures = reported.frozen
        later = report.run_for(month)
        diffs: list[dict] = []
        if later is not None and reported.run_id and later.pk != reported.run_id:
            diffs = later_differences(reported, later, user)
        return Shown(
            reported, month, report.for_user(figures, user), diffs, later.pk if diffs else None
        )
    run = report.run_for(month)
    if run is None:
        return Shown(reported, month, None, [], None, True, pending_run(month))
    figures = report.build(month, run)
    if reported is not None:
        figures["text"] = {name: getattr(reported, name) for name in TEXT_FIELDS}
        figures["number"] = reported.number
    return Shown(reported, month, report.for_user(figures, user), [], None)


def later_differences(reported: MonthlyReport, later, user=None) -> list[dict]:
    """The province and city values a later run changed, against the frozen run's."""
    from sqm.quality.models import KpiRun

    frozen_run = KpiRun.objects.filter(pk=reported.run_id).first()
    if frozen_run is None:
        return []
    mine = report.visible_cities(user)
    out = []
    for row in services.differences(frozen_run, later):
        if row["breakdown"] not in (Breakdown.PROVINCE, Breakdown.CITY):
            continue
        if row["breakdown"] == Breakdown.CITY and mine is not None and row["key"] not in mine:
            continue
        out.append(row)
    return out
