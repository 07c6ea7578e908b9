"""NOC pages: active fault events, history, one event with its timeline and SMS progress,
unmatched alarms (docs/faults.md, NOC pages). Thin: queries in `fault_queries`, the one
change in `fault_services`."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from sqm.core.decorators import permission_required
from sqm.core.inputs import AwareDateTimeField
from sqm.core.views import paginate
from sqm.network import fault_queries as queries
from sqm.network.choices import AlarmLevel, FaultState
from sqm.network.fault_panels import render_fault_panels
from sqm.network.fault_services import set_estimated_recovery
from sqm.notify.choices import MessageKind, MessageState

PER_PAGE = 100


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
def fault_list(request):
    city = (request.GET.get("city") or "").strip()
    page = paginate(request, queries.active_faults(request.user, city), PER_PAGE)
    return render(
        request,
        "network/faults/list.html",
        {
            "page": page,
            "faults": queries.decorate(page.object_list),
            "summary": queries.city_summary(request.user),
            "city": city,
            "cities": queries.user_cities(request.user),
            "query": urlencode({"city": city} if city else {}),
        },
    )


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


def _detail(request, fault, form=None) -> dict:
    alarms, alarm_total = queries.alarms_of(fault)
    absorbed = queries.absorbed_of(fault)
    for child in absorbed:
        child.element = queries.element_label(child)
    can_estimate = (
        request.user.has_perm("network.change_faultevent") and fault.state == FaultState.ACTIVE
    )
    initial = {"estimated_recovery": fault.estimated_recovery}
    by_kind = queries.sms_counts_by_kind(fault)
    kinds = dict(MessageKind.choices)
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
        "timeline": queries.timeline(fault, alarms, alarm_total, absorbed),
        # What other apps show about the event (the complaint side: batch cause and orders).
        "panels": render_fault_panels(request, fault),
        "can_estimate": can_estimate,
        "form": form or EstimateForm(initial=initial),
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


@permission_required("network.view_faultevent")
def fault_progress(request, pk: int):
    """JSON for the detail page's poller: SMS counts by state, overall and per kind."""
    return JsonResponse(queries.progress(_fault(request, pk)))


@permission_required("network.view_alarmevent")
def unmatched_alarms(request):
    page = paginate(request, queries.unmatched_alarms(), PER_PAGE)
    return render(request, "network/faults/unmatched.html", {"page": page, "query": ""})
