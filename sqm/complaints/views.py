"""Work-order pages. Thin: each view parses a form and calls a service function."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sqm.complaints import (
    idempotency,
    preprocessing,
    queries,
    records,
    services,
    sla,
    textmining,
    workorders,
)
from sqm.complaints.choices import CauseKind, Channel, RecordType, WorkOrderState
from sqm.complaints.choices import WorkOrderAction as A
from sqm.complaints.forms import (
    ActionForm,
    AssignForm,
    AttachmentForm,
    BreachReasonForm,
    CallbackForm,
    CauseForm,
    IntakeForm,
    LinkCauseForm,
    NoteForm,
    TriageForm,
)
from sqm.complaints.hints import render_intake_hints
from sqm.complaints.list_views import Window
from sqm.complaints.list_views import decorate as _decorate
from sqm.complaints.models import (
    Category,
    ComplaintCause,
    WorkOrder,
    WorkOrderAttachment,
)
from sqm.complaints.order_panels import render_order_panels
from sqm.core.decorators import permission_required
from sqm.core.exceptions import refusal_status
from sqm.core.inputs import parse_id, parse_whole
from sqm.customers import lookups
from sqm.customers.models import Customer
from sqm.customers.services import accounts_of, search_customers
from sqm.network.models import FaultEvent

# --- intake ------------------------------------------------------------------------------


@permission_required("complaints.add_workorder")
def intake(request):
    form = IntakeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        customer = Customer.objects.restrict(request.user).filter(pk=data["customer"]).first()
        account = None
        if customer is None:
            form.add_error(None, _("Find the customer first."))
        elif data.get("account"):
            account = accounts_of(request.user, customer).filter(pk=data["account"]).first()
        if customer is not None:
            try:
                # The form's one-time key: a double submission finds the first record.
                order, decision, first = idempotency.record_once(
                    request.user,
                    data.get("submission_key"),
                    lambda: services.record_contact(
                        request.user,
                        customer=customer,
                        account=account,
                        category=data["category"],
                        channel=data["channel"],
                        description=data["description"],
                        intake=form.intake(),
                    ),
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                if order is None:  # sent before, and that record is gone
                    return redirect("complaints:intake")
                if first:
                    messages.success(
                        request,
                        _("Recorded as %(kind)s: %(number)s.")
                        % {"kind": decision.record_type.label, "number": order.number},
                    )
                else:
                    messages.info(
                        request,
                        _(
                            "This form was already sent and recorded as %(number)s; it was not "
                            "recorded again."
                        )
                        % {"number": order.number},
                    )
                return redirect("complaints:order", pk=order.pk)
    customer = None
    customer_pk = parse_id(form.data.get("customer"))  # the form may be invalid: raw text
    if customer_pk is not None:
        customer = Customer.objects.restrict(request.user).filter(pk=customer_pk).first()
    accounts = list(accounts_of(request.user, customer)) if customer else []
    return render(
        request,
        "complaints/intake.html",
        {
            "form": form,
            "customer": customer,
            "found": [customer] if customer else [],
            "accounts": accounts,
            "situation": preprocessing.fault_situation(request.user, accounts),
            "decision": _preview(form.data) if request.method == "POST" else None,
        },
    )


def _preview(data):
    form = TriageForm(data)
    if not form.is_valid():
        return None
    return services.triage(form.intake())


@permission_required("complaints.add_workorder")
def intake_customer(request):
    """htmx: find the customer by mobile number, customer ID or account number.

    The page posts the number (it stays out of URLs and access logs); a look-up by number
    is counted and audited, and refused past the hourly limit (see customers.lookups).
    """
    data = request.POST if request.method == "POST" else request.GET
    query = data.get("lookup", "").strip()[:64]
    found, refused, status = [], "", 200
    if query:
        try:
            found = list(search_customers(request.user, query, channel="intake")[:10])
        except (lookups.LookupRefused, lookups.LookupLimitReached) as exc:
            refused = str(exc)
            # htmx swaps only successful answers in: the refusal is shown, the code is for
            # anything else that calls this URL.
            status = 200 if request.htmx else refusal_status(exc)
    accounts = list(accounts_of(request.user, found[0])) if len(found) == 1 else []
    recent = []
    if len(found) == 1:
        recent = _decorate(
            list(
                WorkOrder.objects.restrict(request.user)
                .filter(customer=found[0])
                .select_related("category__parent")
                .order_by("-created")[:5]
            )
        )
    return render(
        request,
        "complaints/_intake_customer.html",
        {
            "query": query,
            "found": found,
            "refused": refused,
            "accounts": accounts,
            "recent": recent,
            "situation": preprocessing.fault_situation(request.user, accounts),
        },
        status=status,
    )


@permission_required("complaints.add_workorder")
def intake_triage(request):
    """htmx: the record type the entry rules give the facts entered so far."""
    return render(
        request, "complaints/_intake_triage.html", {"decision": _preview(request.GET or None)}
    )


@permission_required("complaints.add_workorder")
def intake_suggest(request):
    """htmx: likely categories for the description, and the customer's similar complaints.

    The page posts the description as it is typed: it may hold names, addresses and numbers,
    which must not enter URLs and access logs."""
    data = request.POST if request.method == "POST" else request.GET
    text = data.get("description", "")
    suggestions = textmining.suggest_categories(text, k=3) if text.strip() else []
    similar = []
    customer_id = parse_id(data.get("customer"))
    if customer_id is not None and text.strip():
        customer = Customer.objects.restrict(request.user).filter(pk=customer_id).first()
        if customer is not None:
            similar = textmining.similar_complaints(customer, text, limit=3)
    category = None
    category_id = parse_id(data.get("category"))
    if category_id is not None:
        category = Category.objects.filter(pk=category_id).first()
    hints = render_intake_hints(request, text, category) if text.strip() else []
    return render(
        request,
        "complaints/_intake_suggest.html",
        {"suggestions": suggestions, "similar": similar, "hints": hints},
    )


class BatchAnswerForm(forms.Form):
    """A contact answered from a known fault: who, which fault, and what was said so far."""

    customer = forms.IntegerField(min_value=1, max_value=2**63 - 1)
    account = forms.IntegerField(min_value=1, max_value=2**63 - 1, required=False)
    fault_event = forms.IntegerField(min_value=1, max_value=2**63 - 1)
    channel = forms.ChoiceField(choices=Channel.choices, required=False)
    description = forms.CharField(max_length=4000, required=False)
    category = forms.ModelChoiceField(queryset=services.filing_categories(), required=False)


@require_POST
@permission_required("complaints.add_workorder")
def batch_answer(request):
    """Record the contact as answered from the known fault (批量答复): a closed direct-answer
    complaint linked to the fault event. From the intake page (htmx) the answer is the
    record's number, and the page clears its form; from a customer or account page, the
    record's page."""
    form = BatchAnswerForm(request.POST)
    order, errors = None, []
    if not form.is_valid():
        errors = [_("Find the customer and choose the fault first.")]
    else:
        data = form.cleaned_data
        user = request.user
        customer = Customer.objects.restrict(user).filter(pk=data["customer"]).first()
        fault = FaultEvent.objects.restrict(user).filter(pk=data["fault_event"]).first()
        account = None
        if customer is not None and data.get("account"):
            account = accounts_of(user, customer).filter(pk=data["account"]).first()
        if customer is None:
            errors = [_("Find the customer first.")]
        elif fault is None:
            errors = [_("No such fault event in your cities.")]
        elif data.get("account") and account is None:
            errors = [_("The customer has no such account.")]
        else:
            try:
                order = preprocessing.do_batch_answer(
                    user,
                    customer,
                    account,
                    fault,
                    description=data.get("description") or "",
                    channel=data.get("channel") or Channel.HOTLINE,
                    category=data.get("category"),
                )
            except ValidationError as exc:
                errors = exc.messages
    if request.htmx:
        response = render(
            request,
            "complaints/_batch_answer_result.html",
            {"order": order, "errors": errors},
            status=400 if errors else 200,
        )
        if order is not None:
            response["HX-Trigger-After-Settle"] = "sqm:batch-answered"
        return response
    if order is not None:
        messages.success(
            request,
            _("Answered from the known fault and recorded as %(kind)s: %(number)s.")
            % {"kind": RecordType(order.record_type).label, "number": order.number},
        )
        return redirect("complaints:order", pk=order.pk)
    back = request.POST.get("next", "")
    # Only a path of this site: a bare word would be taken for a view name by redirect().
    if back.startswith("/") and url_has_allowed_host_and_scheme(
        back, {request.get_host()}, require_https=request.is_secure()
    ):
        for error in errors:
            messages.error(request, error)
        return redirect(back)
    return render(request, "complaints/batch_answer_refused.html", {"errors": errors}, status=400)


# --- one work order ------------------------------------------------------------------------


def _order(request, pk: int) -> WorkOrder:
    return get_object_or_404(
        WorkOrder.objects.restrict(request.user).select_related(
            "customer",
            "account",
            "category__parent__parent",
            "category__parent__department",
            "city",
            "department",
            "first_responsible",
            "assignee",
            "created_by",
            "repeat_of",
            "cause",
            "remediation_owner",
            "policy",
        ),
        pk=pk,
    )


def _detail(request, order: WorkOrder, **forms) -> dict:
    user = request.user
    order.sla = queries.sla_status(order)
    order.sla_label = queries.SLA_LABELS.get(order.sla, "")
    actions = workorders.available_actions(user, order)
    # Missing the deadline is a fact of the order's history (sla.missed_deadline); the header's
    # colour is where its clock stands now (sla.status): a suspended order is paused, and is
    # asked a reason only when its deadline had passed before it was suspended.
    breached = sla.missed_deadline(order, timezone.now())
    assignable = order.state in workorders.ASSIGNABLE and user.has_perm(
        workorders.handling_permission(order)
    )
    holders = workorders.holders(order) if assignable else None
    return {
        "order": order,
        "events": order.events.select_related("user", "department", "assignee"),
        "attachments": order.attachments.select_related("uploaded_by"),
        "repeats": order.repeats.restrict(user).order_by("created"),
        # The reply to the customer has a form of its own, apart from the internal note.
        "actions": [(action, A(action).label) for action in actions if action != A.REPLY],
        "can_reply": A.REPLY in actions,
        "needs_department": {A.ESCALATE, A.TRANSFER} & set(actions),
        "action_form": forms.get("action_form") or ActionForm(),
        "callback_form": forms.get("callback_form") or CallbackForm(order=order),
        "can_callback": workorders.can_record_callback(user, order),
        "attachment_form": forms.get("attachment_form") or AttachmentForm(),
        "can_attach": user.has_perm("complaints.add_workorderattachment")
        and order.state != WorkOrderState.CLOSED,
        "breach_form": forms.get("breach_form")
        or BreachReasonForm(initial={"reason": order.breach_reason}),
        "can_record_breach": breached,
        "cause_form": LinkCauseForm(initial={"cause": order.cause_id}, order=order),
        # A closed order's cause is settled: nothing to link any more.
        "can_link_cause": user.has_perm("complaints.change_complaintcause")
        and order.state != WorkOrderState.CLOSED,
        "can_take": assignable
        and order.assignee_id != user.pk
        and A.CLAIM not in actions
        and holders.filter(pk=user.pk).exists()
        and (not workorders.takes_over(user, order) or workorders.may_assign(user, order)),
        "assign_form": forms.get("assign_form")
        or (
            AssignForm(people=holders.exclude(pk=order.assignee_id or 0))
            if assignable and workorders.may_assign(user, order)
            else None
        ),
        "note_form": forms.get("note_form") or NoteForm(prefix="internal"),
        "reply_form": forms.get("reply_form"),
        "can_note": workorders.may_note(user, order),
        "similar": textmining.similar_complaints(
            order.customer, order.description, exclude_pk=order.pk, limit=3
        ),
        # What the apps above add (the problems it is part of: sqm.knowledge).
        "panels": render_order_panels(request, order),
    }


@permission_required("complaints.view_workorder")
def order_detail(request, pk: int):
    order = _order(request, pk)
    return render(request, "complaints/order_detail.html", _detail(request, order))


def _stale(request, order: WorkOrder) -> bool:
    """Whether the form was sent from a page showing an older version of ORDER."""
    # Versions start at 0, so parse_whole, not parse_id. A missing or unreadable version
    # (a client that sends none, "²") is not a conflict: the action's own rules still apply.
    seen = parse_whole(request.POST.get("version"))
    return seen is not None and seen != order.version


def _act(request, order: WorkOrder, call, form_name: str, form, done=None) -> object:
    """Run CALL; on a broken rule show the page again with the message (a missing permission
    is a 403, a lost race a message on the fresh page). DONE(result) is the confirmation
    shown once it worked."""
    if _stale(request, order):
        messages.error(
            request,
            _("Work order %(number)s was changed by someone else; reload it.")
            % {"number": order.number},
        )
        return redirect("complaints:order", pk=order.pk)
    try:
        result = call()
    except workorders.TransitionConflict as exc:
        messages.error(request, str(exc))
    except ValidationError as exc:
        for message in exc.messages:
            form.add_error(None, message)
        order = _order(request, order.pk)
        return render(
            request,
            "complaints/order_detail.html",
            _detail(request, order, **{form_name: form}),
            status=400,
        )
    else:
        if done is not None:
            messages.success(request, done(result))
    return redirect("complaints:order", pk=order.pk)


def _changed(order_after: WorkOrder, action: str) -> str:
    return _("%(action)s: work order %(number)s is now %(state)s.") % {
        "action": A(action).label,
        "number": order_after.number,
        "state": order_after.get_state_display(),
    }


@require_POST
@permission_required("complaints.view_workorder")
def order_action(request, pk: int, action: str):
    order = _order(request, pk)
    if action not in A.values:
        return HttpResponseBadRequest(_("Unknown action."))
    form = ActionForm(request.POST)
    form.is_valid()
    data = form.cleaned_data
    return _act(
        request,
        order,
        lambda: workorders.do_transition(
            request.user, order, action, data.get("note", ""), data.get("department")
        ),
        "reply_form" if action == A.REPLY else "action_form",
        form,
        done=lambda after: (
            _("Reply sent to the customer: work order %(number)s is now %(state)s.")
            % {"number": after.number, "state": after.get_state_display()}
            if action == A.REPLY
            else _changed(after, action)
        ),
    )


@require_POST
@permission_required("complaints.view_workorder")
def order_assign(request, pk: int):
    """Take the order (assignee = me) or give it to a named colleague who may hold it."""
    order = _order(request, pk)
    people = workorders.holders(order) if order.state in workorders.ASSIGNABLE else None
    if people is None:
        people = get_user_model().objects.none()
    form = AssignForm(request.POST, people=people)
    if not form.is_valid():
        messages.error(request, _("Choose someone who may handle this work order."))
        return redirect("complaints:order", pk=order.pk)
    assignee = form.cleaned_data["assignee"]
    return _act(
        request,
        order,
        lambda: workorders.do_assign(request.user, order, assignee),
        "assign_form",
        form,
        done=lambda after: (
            _("Work order %(number)s is now assigned to %(name)s.")
            % {"number": after.number, "name": assignee.username}
        ),
    )


@require_POST
@permission_required("complaints.view_workorder")
def order_note(request, pk: int):
    """An internal note on the timeline: staff only, never the reply to the customer."""
    order = _order(request, pk)
    form = NoteForm(request.POST, prefix="internal")
    form.is_valid()
    return _act(
        request,
        order,
        lambda: workorders.do_note(request.user, order, form.cleaned_data.get("note", "")),
        "note_form",
        form,
        done=lambda event: (
            _("Internal note added to work order %(number)s; the customer does not see it.")
            % {"number": order.number}
        ),
    )


@require_POST
@permission_required("complaints.do_callback")
def order_callback(request, pk: int):
    order = _order(request, pk)
    form = CallbackForm(request.POST, order=order)
    if not form.is_valid():
        return render(
            request,
            "complaints/order_detail.html",
            _detail(request, order, callback_form=form),
            status=400,
        )
    data = form.cleaned_data
    return _act(
        request,
        order,
        lambda: workorders.record_callback(
            request.user, order, data["outcome"], data["note"], data["remediation_owner"]
        ),
        "callback_form",
        form,
        done=lambda after: (
            _("Callback recorded: work order %(number)s is now %(state)s.")
            % {"number": after.number, "state": after.get_state_display()}
        ),
    )


@require_POST
@permission_required("complaints.add_workorderattachment")
def order_attach(request, pk: int):
    order = _order(request, pk)
    form = AttachmentForm(request.POST, request.FILES)
    if not form.is_valid():
        return render(
            request,
            "complaints/order_detail.html",
            _detail(request, order, attachment_form=form),
            status=400,
        )
    return _act(
        request,
        order,
        lambda: records.add_attachment(request.user, order, form.cleaned_data["file"]),
        "attachment_form",
        form,
        done=lambda attachment: (
            _("File %(name)s attached to work order %(number)s.")
            % {"name": attachment.original_name, "number": order.number}
        ),
    )


@require_POST
@permission_required("complaints.view_workorder")
def order_breach_reason(request, pk: int):
    order = _order(request, pk)
    form = BreachReasonForm(request.POST)
    form.is_valid()
    return _act(
        request,
        order,
        lambda: records.record_breach_reason(
            request.user, order, form.cleaned_data.get("reason", "")
        ),
        "breach_form",
        form,
        done=lambda result: (
            _("The reason for the breach of work order %(number)s is saved.")
            % {"number": order.number}
        ),
    )


@require_POST
@permission_required("complaints.change_complaintcause")
def order_link_cause(request, pk: int):
    order = _order(request, pk)
    if order.state == WorkOrderState.CLOSED:
        return HttpResponseBadRequest(_("A closed work order is not linked to a batch cause."))
    form = LinkCauseForm(request.POST, order=order)
    if not form.is_valid():
        return HttpResponseBadRequest(_("Unknown batch cause."))
    cause = form.cleaned_data["cause"]
    records.link_cause(request.user, [order], cause)
    if cause is None:
        messages.success(request, _("Work order %(number)s is no longer linked to a batch cause.")
                         % {"number": order.number})  # fmt: skip
    else:
        messages.success(
            request,
            _("Work order %(number)s is linked to the batch cause %(title)s.")
            % {"number": order.number, "title": cause.title},
        )
    return redirect("complaints:order", pk=order.pk)


@permission_required("complaints.view_workorderattachment")
def attachment_download(request, pk: int):
    attachment = get_object_or_404(
        WorkOrderAttachment.objects.filter(work_order__in=WorkOrder.objects.restrict(request.user)),
        pk=pk,
    )
    return FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )


# --- batch causes ------------------------------------------------------------------------


@permission_required("complaints.view_complaintcause")
def cause_list(request):
    form = CauseForm(request.POST or None, user=request.user)
    if request.method == "POST":
        if not request.user.has_perm("complaints.add_complaintcause"):
            raise PermissionDenied
        if form.is_valid():
            try:
                cause = records.create_cause(request.user, **form.cleaned_data)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                return redirect("complaints:cause", pk=cause.pk)
    causes = ComplaintCause.objects.select_related("city")
    return render(
        request,
        "complaints/cause_list.html",
        {
            "page": Window(causes, request),
            "form": form,
            "kinds": CauseKind.choices,
            "can_add": request.user.has_perm("complaints.add_complaintcause"),
        },
    )


@permission_required("complaints.view_complaintcause")
def cause_detail(request, pk: int):
    cause = get_object_or_404(ComplaintCause.objects.select_related("city"), pk=pk)
    orders = queries.with_due(
        WorkOrder.objects.restrict(request.user).filter(cause=cause)
    ).select_related("category__parent", "city")
    page = Window(orders.order_by("-created"), request)
    _decorate(page.rows)
    return render(request, "complaints/cause_detail.html", {"cause": cause, "page": page})
