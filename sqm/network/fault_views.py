"""NOC pages: active fault events, history, one event with its timeline and SMS progress,
unmatched alarms (docs/faults.md, NOC pages). Thin: queries in `fault_queries`, the
changes (estimate, closing stale events) in `fault_services`."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy
from django.views.decorators.http import require_POST

from sqm.core.decorators import permission_required
from sqm.core.inputs import AwareDateTimeField
from sqm.core.views import paginate
from sqm.network import fault_queries as queries
from sqm.network import stale
from sqm.network.choices import AlarmLevel, FaultState
from sqm.network.fault_panels import render_fault_panels
from sqm.network.fault_services import (
    REASON_MAX,
    close_as_stale,
    close_stale_events,
    set_estimated_recovery,
)
from sqm.network.models import FaultEvent
from sqm.notify.choices import MessageKind, MessageState

PER_PAGE = 100


class CloseStaleForm(forms.Form):
    """Close one stale event (docs/faults.md, "Lost clears: stale events")."""

    reason = forms.CharField(
        label=pgettext_lazy("closing a fault", "reason"),
        max_length=REASON_MAX,
        widget=forms.TextInput(
            attrs={
                "placeholder": pgettext_lazy(
                    "closing a fault", "e.g. checked on site: service is back"
                )
            }
        ),
    )
    notify = forms.BooleanField(
        label=gettext_lazy("Send the recovery notice"),
        required=False,
        help_text=gettext_lazy(
            "Only if you know the service is back: the customers told of the fault get the "
            "recovery SMS with the close time."
        ),
    )


class BulkCloseForm(CloseStaleForm):
    older_than_days = forms.IntegerField(
        label=gettext_lazy("no alarm activity for at least (days)"), min_value=1, max_value=3650
    )


def _bulk_days() -> int:
    """The bulk form's default: the stale rule's hours in whole days, rounded up."""
    return max(1, -(-stale.stale_hours() // 24))


class EstimateForm(forms.Form):
    estimated_recovery = AwareDateTimeField(
        label=gettext_lazy("estimated recovery"),
        required=False,
        help_text=gettext_lazy("Leave empty to remove the estimate."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )


def _fault(request, pk: int):
    """The event if USER may see it (another city's is a 404 like a missing one)."""
    return get_object_or_404(queries.visible_faults(request.user), pk=pk)


@permission_required("network.view_faultevent")
def fault_list(request, bulk_form=None, status=200):
    city = (request.GET.get("city") or "").strip()
    stale_filter = (request.GET.get("stale") or "").strip()
    if stale_filter not in (queries.STALE_ONLY, queries.CURRENT_ONLY):
        stale_filter = ""
    now = timezone.now()
    faults = queries.active_faults(request.user, city, stale_filter, now)
    page = paginate(request, faults, PER_PAGE)
    summary = queries.city_summary(request.user, now=now)
    query = {key: value for key, value in (("city", city), ("stale", stale_filter)) if value}
    can_close = request.user.has_perm("network.change_faultevent")
    return render(
        request,
        "network/faults/list.html",
        {
            "page": page,
            "faults": queries.decorate(page.object_list, now),
            "summary": summary,
            "stale_total": sum(row["stale"] for row in summary),
            "stale_hours": stale.stale_hours(),
            "city": city,
            "stale_filter": stale_filter,
            # The "check and close them" hint only for those who may close (the bulk form's
            # permission); others are told the service may be back.
            "can_close": can_close,
            "cities": queries.user_cities(request.user),
            "query": urlencode(query),
            "bulk_form": (bulk_form or BulkCloseForm(initial={"older_than_days": _bulk_days()}))
            if can_close
            else None,
        },
        status=status,
    )


@require_POST
@permission_required("network.change_faultevent")
def fault_close_stale_bulk(request):
    """Close every stale event of the user's cities quiet for at least N days."""
    form = BulkCloseForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            _found, closed = close_stale_events(
                request.user,
                older_than=timedelta(days=data["older_than_days"]),
                reason=data["reason"],
                notify=data["notify"],
            )
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            messages.success(
                request,
                ngettext(
                    "%(n)d stale fault event closed.",
                    "%(n)d stale fault events closed.",
                    len(closed),
                )
                % {"n": len(closed)},
            )
            return redirect(f"{reverse('network:faults')}?stale={queries.STALE_ONLY}")
    return fault_list(request, bulk_form=form, status=400)


@permission_required("network.view_faultevent")
def fault_history(request):
    filters = queries.HistoryFilters.from_query(request.GET)
    page = paginate(request, queries.history(request.user, filters), PER_PAGE)
    return render(
        request,
        "network/faults/history.html",
        {
            "page": page,
            "faults": queries.decorate(page.object_list),
            "filters": filters,
            "query": urlencode(filters.as_query()),
            "cities": queries.user_cities(request.user),
            "states": FaultState.choices,
            "levels": AlarmLevel.choices,
            "types": queries.fault_types(),
        },
    )


def _detail(request, fault, form=None, close_form=None) -> dict:
    alarms, alarm_total = queries.alarms_of(fault)
    absorbed = queries.absorbed_of(fault)
    for child in absorbed:
        child.element = queries.element_label(child)
    can_estimate = (
        request.user.has_perm("network.change_faultevent") and fault.state == FaultState.ACTIVE
    )
    initial = {"estimated_recovery": fault.estimated_recovery}
    is_stale = stale.is_stale(fault, timezone.now())
    can_close = (
        is_stale
        and FaultEvent.objects.restrict(request.user, "change").filter(pk=fault.pk).exists()
    )
    by_kind = queries.sms_counts_by_kind(fault)
    kinds = dict(MessageKind.choices)
    timeline = queries.timeline(fault, alarms, alarm_total, absorbed, timezone.now())
    return {
        "fault": fault,
        "element": queries.element_label(fault),
        "alarms": alarms,
        "alarm_total": alarm_total,
        "absorbed": absorbed,
        "outages": queries.outage_counts(fault),
        "opted_out": queries.opted_out_counts([fault.pk])[fault.pk],
        "by_kind": [(kind, kinds[kind], counts) for kind, counts in by_kind.items()],
        "overall": queries.combined(by_kind),
        "sms_states": MessageState.choices,
        # What happened, then apart what is still planned (SMS of hours to come).
        "timeline": [e for e in timeline if not e.planned],
        "planned": [e for e in timeline if e.planned],
        # What other apps show about the event (the complaint side: batch cause and orders).
        "panels": render_fault_panels(request, fault),
        "can_estimate": can_estimate,
        "form": form or EstimateForm(initial=initial),
        "stale": is_stale,
        "stale_hours": stale.stale_hours(),
        "can_close": can_close,
        "close_form": close_form or CloseStaleForm(),
    }


@permission_required("network.view_faultevent")
def fault_detail(request, pk: int):
    fault = _fault(request, pk)
    return render(request, "network/faults/detail.html", _detail(request, fault))


@require_POST
@permission_required("network.change_faultevent")
def fault_estimate(request, pk: int):
    fault = _fault(request, pk)
    form = EstimateForm(request.POST)
    if form.is_valid():
        try:
            refreshed = set_estimated_recovery(
                request.user, fault, form.cleaned_data["estimated_recovery"]
            )
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error("estimated_recovery", message)
        else:
            messages.success(
                request,
                _("Estimated recovery saved; %(n)d waiting SMS now carry it.") % {"n": refreshed},
            )
            return redirect("network:fault", pk=fault.pk)
    return render(request, "network/faults/detail.html", _detail(request, fault, form), status=400)


@require_POST
@permission_required("network.change_faultevent")
def fault_close_stale(request, pk: int):
    """Close one stale event, with the reason and, if ticked, the recovery notice."""
    fault = _fault(request, pk)
    form = CloseStaleForm(request.POST)
    if form.is_valid():
        try:
            result = close_as_stale(
                request.user,
                fault,
                form.cleaned_data["reason"],
                notify=form.cleaned_data["notify"],
            )
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            messages.success(
                request,
                _(
                    "Fault event #%(id)d closed as stale: %(outages)d outages ended, "
                    "%(cancelled)d waiting SMS cancelled, %(recoveries)d recovery SMS planned."
                )
                % {
                    "id": fault.pk,
                    "outages": result.outages_ended,
                    "cancelled": result.notices_cancelled,
                    "recoveries": result.recoveries_scheduled,
                },
            )
            return redirect("network:fault", pk=fault.pk)
    fault = _fault(request, pk)  # as it is now (a refused close may have raced a change)
    return render(
        request, "network/faults/detail.html", _detail(request, fault, close_form=form), status=400
    )


@permission_required("network.view_faultevent")
def fault_progress(request, pk: int):
    """JSON for the detail page's poller: SMS counts by state, overall and per kind."""
    return JsonResponse(queries.progress(_fault(request, pk)))


@permission_required("network.view_alarmevent")
def unmatched_alarms(request):
    page = paginate(request, queries.unmatched_alarms(), PER_PAGE)
    return render(request, "network/faults/unmatched.html", {"page": page, "query": ""})
