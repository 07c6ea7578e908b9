"""Problem pages: the list, one problem, opening one from work orders, the owner's day."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sqm.core.decorators import permission_required
from sqm.core.inputs import parse_id, parse_whole
from sqm.core.views import paginate
from sqm.knowledge import problems
from sqm.knowledge.choices import ProblemAction, ProblemState
from sqm.knowledge.models import Problem


def _modules():
    from sqm.complaints.models import Category

    return Category.objects.filter(parent__isnull=False, parent__parent__isnull=True).order_by(
        "code"
    )


class ProblemForm(forms.Form):
    module = forms.ModelChoiceField(label=gettext_lazy("module"), queryset=Problem.objects.none())
    title = forms.CharField(label=gettext_lazy("title"), max_length=120)
    symptom = forms.CharField(
        label=gettext_lazy("symptom"), widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["module"].queryset = _modules()


class EditForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("title"), max_length=120)
    symptom = forms.CharField(
        label=gettext_lazy("symptom"), widget=forms.Textarea(attrs={"rows": 3})
    )
    root_cause = forms.CharField(
        label=gettext_lazy("root cause"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


def _order_ids(values) -> list[int]:
    ids = []
    for value in values:
        for part in str(value).split(","):
            pk = parse_id(part.strip())
            if pk is not None:
                ids.append(pk)
    return ids[:500]


@permission_required("knowledge.view_problem")
def problem_list(request):
    found = Problem.objects.restrict(request.user).select_related("module", "owner", "city")
    state = request.GET.get("state", "")
    if state in ProblemState.values:
        found = found.filter(state=state)
    if request.GET.get("mine"):
        found = found.filter(owner=request.user)
    return render(
        request,
        "knowledge/problem_list.html",
        {"page": paginate(request, found.order_by("-created", "-pk")),
         "states": ProblemState.choices, "state": state},
    )  # fmt: skip


@permission_required("knowledge.add_problem")
def problem_new(request):
    """Open a problem from work orders: `orders=1,2,3` from an order's page, a selection in
    a list or a cluster."""
    ids = _order_ids(request.GET.getlist("orders") or request.POST.getlist("orders"))
    from sqm.complaints.models import WorkOrder

    orders = list(WorkOrder.objects.restrict(request.user).filter(pk__in=ids))
    initial = {}
    if orders:
        first = orders[0]
        initial = {"module": first.category.parent_id, "title": first.category.name}
    form = ProblemForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            problem = problems.open_problem(request.user, orders=orders, **form.cleaned_data)
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("Problem %(code)s opened.") % {"code": problem.code})
            return redirect(problem)
    return render(request, "knowledge/problem_new.html", {"form": form, "orders": orders})


@permission_required("knowledge.view_problem")
def problem_detail(request, pk: int):
    problem = get_object_or_404(Problem.objects.restrict(request.user), pk=pk)
    can_change = request.user.has_perm("knowledge.change_problem")
    edit_form = EditForm(
        request.POST if request.POST.get("do") == "edit" else None,
        initial={"title": problem.title, "symptom": problem.symptom,
                 "root_cause": problem.root_cause},
    )  # fmt: skip
    if request.method == "POST":
        if not can_change:
            raise PermissionDenied
        seen = parse_whole(request.POST.get("version"))
        if seen is not None and seen != problem.version:
            messages.error(request, _("Problem %(code)s was changed by someone else; reload it.")
                           % {"code": problem.code})  # fmt: skip
            return redirect(problem)
        do = request.POST.get("do", "")
        try:
            if do == "edit":
                if edit_form.is_valid():
                    problems.edit(request.user, problem, **edit_form.cleaned_data)
                    return redirect(problem)
            elif do == "link":
                added = problems.link_numbers(
                    request.user, problem, request.POST.get("numbers", "")
                )
                messages.success(request, _("%(count)s work orders linked.") % {"count": added})
                return redirect(problem)
            elif do == "unlink":
                problems.unlink_order(
                    request.user, problem, _order_ids([request.POST.get("order", "")])[0]
                )
                return redirect(problem)
            elif do in problems.TRANSITIONS:
                problems.do_transition(request.user, problem, do, request.POST.get("note", ""))
                return redirect(problem)
            else:
                messages.error(request, _("Unknown action."))
        except (ValidationError, IndexError) as exc:
            for message in getattr(exc, "messages", [_("Give a work order.")]):
                messages.error(request, message)
        except problems.TransitionConflict as exc:
            messages.error(request, str(exc))
            return redirect(problem)
    actions = [
        (action, ProblemAction(action).label)
        for action, (sources, _target) in problems.TRANSITIONS.items()
        if problem.state in sources
    ]
    from sqm.complaints.models import WorkOrder

    # The linked orders the user may see; the count says how many there are in all.
    links = problem.links.select_related("order", "order__category", "linked_by").filter(
        order__in=WorkOrder.objects.restrict(request.user)
    )
    return render(
        request,
        "knowledge/problem_detail.html",
        {"problem": problem, "links": links, "linked": problem.links.count(),
         "events": problem.events.select_related("user"),
         "can_change": can_change, "actions": actions, "edit_form": edit_form},
    )  # fmt: skip


@permission_required("knowledge.view_problem")
def owner_day(request):
    day = problems.owner_day(request.user)
    return render(request, "knowledge/owner_day.html", {"day": day})
