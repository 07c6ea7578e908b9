"""The NOC's SMS view: fault SMS with why each waits; resend failed ones, cancel an event's
scheduled batch (docs/faults.md, "The NOC's SMS view"). Thin: the logic is in
`network.sms_services`."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from sqm.core.decorators import permission_required
from sqm.core.inputs import parse_id
from sqm.core.views import paginate
from sqm.network import fault_queries, sms_services
from sqm.notify.choices import MessageState

PER_PAGE = 50
MAX_SELECTED = 500  # ids in one resend


@permission_required("notify.view_outboundmessage")
def sms_list(request):
    filters = sms_services.SmsFilters.from_query(request.GET)
    page = paginate(request, sms_services.fault_messages(request.user, filters), PER_PAGE)
    pipeline = sms_services.Pipeline.read()
    fault = None
    if filters.fault is not None:
        fault = fault_queries.visible_faults(request.user).filter(pk=filters.fault).first()
    can_change = request.user.has_perm(sms_services.CHANGE_PERMISSION)
    scheduled = 0
    if fault is not None and can_change:
        scheduled = fault.messages.filter(state=MessageState.SCHEDULED).count()
    rows = sms_services.decorate(page.object_list, pipeline)
    return render(
        request,
        "network/faults/sms.html",
        {
            "page": page,
            "messages_on_page": rows,
            # The resend column and button only when this page has something to resend.
            "can_resend": can_change and any(m.state == MessageState.FAILED for m in rows),
            "pipeline": pipeline,
            "filters": filters,
            "fault": fault,
            "scheduled": scheduled,
            "can_change": can_change,
            "states": MessageState.choices,
            "query": urlencode(filters.as_query()),
            "here": request.get_full_path(),
        },
    )


def _back(request, fallback: str):
    """Back to the list the action came from (its filters and page), if it is ours."""
    target = request.POST.get("next", "")
    # Only a path of this site: a bare word ("-1") would be taken for a view name by redirect().
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, {request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(fallback)


@require_POST
@permission_required(sms_services.CHANGE_PERMISSION)
def sms_resend(request):
    ids = [pk for pk in map(parse_id, request.POST.getlist("message")) if pk is not None]
    if not ids:
        messages.error(request, _("Select at least one failed SMS to resend."))
        return _back(request, "network:fault_sms")
    if len(ids) > MAX_SELECTED:
        return HttpResponseBadRequest(_("Too many SMS selected at once."))
    result = sms_services.resend_failed(request.user, ids)
    if result.resent:
        messages.success(
            request,
            ngettext(
                "%(n)d failed SMS put back in the outbox; it goes out with the next pass.",
                "%(n)d failed SMS put back in the outbox; they go out with the next pass.",
                result.resent,
            )
            % {"n": result.resent},
        )
    if result.skipped_ended:
        messages.warning(
            request,
            ngettext(
                "%(n)d fault SMS not resent: its outage is over.",
                "%(n)d fault SMS not resent: their outages are over.",
                result.skipped_ended,
            )
            % {"n": result.skipped_ended},
        )
    if not result.resent and not result.skipped_ended:
        messages.info(request, _("Nothing to resend: the selected SMS are no longer failed."))
    return _back(request, "network:fault_sms")


@require_POST
@permission_required(sms_services.CHANGE_PERMISSION)
def sms_cancel(request, pk: int):
    fault = get_object_or_404(fault_queries.visible_faults(request.user), pk=pk)
    fallback = f"{reverse('network:fault_sms')}?fault={fault.pk}"
    if request.POST.get("confirm") != "yes":
        messages.error(request, _("Tick the confirmation to cancel the scheduled SMS."))
        return _back(request, fallback)
    cancelled = sms_services.cancel_scheduled(request.user, fault)
    messages.success(
        request,
        ngettext(
            "%(n)d scheduled SMS of fault event #%(fault)d cancelled.",
            "%(n)d scheduled SMS of fault event #%(fault)d cancelled.",
            cancelled,
        )
        % {"n": cancelled, "fault": fault.pk},
    )
    return _back(request, fallback)
