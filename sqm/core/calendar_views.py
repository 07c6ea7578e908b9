"""The business-calendar page: a year of month grids, day overrides and working periods.

One template serves everything: htmx requests get the whole page too and swap only
`#calendar-main` (hx-select), so there are no partial templates to keep in step.
"""

from __future__ import annotations

from datetime import date

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from sqm.core import calendar as business
from sqm.core.decorators import permission_required
from sqm.core.models import WorkingPeriod

MIN_YEAR, MAX_YEAR = 1900, 2200


class DayForm(forms.Form):
    is_working = forms.TypedChoiceField(
        label=gettext_lazy("This day is"),
        choices=[("1", gettext_lazy("a working day")), ("0", gettext_lazy("a day off"))],
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect,
    )
    name = forms.CharField(label=gettext_lazy("Name"), max_length=64, required=False)


class PeriodForm(forms.Form):
    start = forms.TimeField(
        label=gettext_lazy("From"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    end = forms.TimeField(
        label=gettext_lazy("To"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text=gettext_lazy("00:00 means midnight at the end of the day."),
    )

    def clean(self):
        data = super().clean()
        if (data.get("start") is None) != (data.get("end") is None):
            raise forms.ValidationError(_("Give both the start and the end, or neither."))
        return data


class BasePeriodFormSet(forms.BaseFormSet):
    def periods(self) -> list:
        """The filled-in rows as (start, end); blank rows are ignored."""
        return [
            (form.cleaned_data["start"], form.cleaned_data["end"])
            for form in self.forms
            if form.cleaned_data.get("start") is not None
        ]

    def clean(self) -> None:
        if any(self.errors):
            return
        try:
            business.period_spans(self.periods())
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None


PeriodFormSet = forms.formset_factory(PeriodForm, formset=BasePeriodFormSet, extra=2)


def periods_formset(data=None) -> forms.BaseFormSet:
    # Without rows the defaults are in force: show them, so editing starts from what applies.
    rows = WorkingPeriod.objects.values_list("start", "end")
    initial = [{"start": start, "end": end} for start, end in rows or business.DEFAULT_PERIODS]
    return PeriodFormSet(data, initial=initial, prefix="periods")


def _year(value: str | None) -> int | None:
    try:
        year = int(value or "")
    except ValueError:
        return None
    return year if MIN_YEAR <= year <= MAX_YEAR else None


def _day(value: str) -> date:
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise Http404(_("No such day.")) from None
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise Http404(_("No such day."))
    return day


def _page_url(year: int, day: date | None = None) -> str:
    """The page's address for YEAR (and the editor of DAY)."""
    url = f"{reverse('core:calendar')}?year={year}"
    return f"{url}&day={day.isoformat()}" if day else url


def _render(request: HttpRequest, year: int, **extra) -> HttpResponse:
    months = business.year_months(year)
    days = [info for month in months for week in month.weeks for info in week if info]
    selected = extra.pop("selected", None)
    selected_info = next((d for d in days if d.date == selected), None) if selected else None
    day_form = extra.pop("day_form", None)
    if day_form is None and selected_info is not None:
        day_form = DayForm(
            initial={
                "is_working": "1" if selected_info.is_working else "0",
                "name": selected_info.name,
            }
        )
    calendar = business.get_calendar()
    years = business.builtin_years()
    context = {
        "year": year,
        "previous_year": year - 1,
        "next_year": year + 1,
        "months": months,
        "overrides": [d for d in days if d.source == "override"],
        "selected": selected_info,
        "day_form": day_form,
        "periods_formset": extra.pop("periods_formset", None) or periods_formset(),
        "periods": calendar.periods,
        "using_default_periods": not WorkingPeriod.objects.exists(),
        "daily_hours": calendar.daily_working_time.total_seconds() / 3600,
        "builtin_first": years[0],
        "builtin_last": years[-1],
        "builtin_covers": year in years,
        "can_change": request.user.has_perm("core.change_calendarday"),
        "can_change_periods": request.user.has_perm("core.change_workingperiod"),
        "weekdays": [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")],
        **extra,
    }
    return render(request, "core/calendar.html", context)


def _invalid(
    request: HttpRequest, response: HttpResponse, year: int, day: date | None = None
) -> HttpResponse:
    """A page re-rendered with form errors: 400, but 200 for htmx (it only swaps 2xx answers),
    and the browser keeps showing the page's address, not the POST target's."""
    if request.htmx:
        response["HX-Push-Url"] = _page_url(year, day)
        return response
    response.status_code = 400
    return response


@require_GET
@permission_required("core.view_calendarday")
def calendar_page(request: HttpRequest) -> HttpResponse:
    """GET ?year=2027&day=2027-10-01: the year's grids, the selected day's editor."""
    year = _year(request.GET.get("year"))
    if year is None:
        if "year" in request.GET:
            messages.error(request, _("Please give a year between 1900 and 2200."))
        year = timezone.localdate().year
    selected = None
    if request.GET.get("day"):
        try:
            selected = date.fromisoformat(request.GET["day"])
        except ValueError:
            selected = None
        if selected is not None and selected.year != year:
            selected = None
    return _render(request, year, selected=selected)


@require_POST
@permission_required("core.change_calendarday")
def calendar_day(request: HttpRequest, day: str) -> HttpResponse:
    """POST action=save (is_working, name) or action=clear: edit one day's override."""
    when = _day(day)
    if request.POST.get("action") == "clear":
        if business.clear_day(when, user=request.user):
            messages.success(
                request, _("%(day)s follows the built-in calendar again.") % {"day": when}
            )
        return redirect(_page_url(when.year, when))
    form = DayForm(request.POST)
    if form.is_valid():
        try:
            business.set_day(
                when, form.cleaned_data["is_working"], form.cleaned_data["name"], user=request.user
            )
        except ValueError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("%(day)s saved.") % {"day": when})
            return redirect(_page_url(when.year, when))
    response = _render(request, when.year, selected=when, day_form=form)
    return _invalid(request, response, when.year, when)


@require_POST
@permission_required("core.change_calendarday")
def calendar_load(request: HttpRequest) -> HttpResponse:
    """POST year: write the built-in holidays and adjusted working days of that year."""
    year = _year(request.POST.get("year"))
    if year is None:
        messages.error(request, _("Please give a year between 1900 and 2200."))
        return redirect(reverse("core:calendar"))
    try:
        result = business.load_year(year, user=request.user)
    except ValueError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _(
                "Loaded %(year)s from the built-in Chinese calendar: %(created)s days added, "
                "%(updated)s changed, %(unchanged)s already so."
            )
            % {
                "year": year,
                "created": result.created,
                "updated": result.updated,
                "unchanged": result.unchanged,
            },
        )
    return redirect(_page_url(year))


@require_POST
@permission_required("core.change_workingperiod")
def calendar_periods(request: HttpRequest) -> HttpResponse:
    """POST the periods formset: replace every working period (none left: the defaults)."""
    year = _year(request.POST.get("year")) or timezone.localdate().year
    formset = periods_formset(request.POST)
    if formset.is_valid():
        business.set_working_periods(formset.periods(), user=request.user)
        messages.success(request, _("Working periods saved."))
        return redirect(_page_url(year))
    return _invalid(request, _render(request, year, periods_formset=formset), year)
