"""The search results page (the header box on every page submits here)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from sqm.knowledge import forms, search
from sqm.knowledge.choices import SearchKind

PAGE = 20


@login_required
def search_page(request):
    form = forms.SearchForm(request.GET or None)
    results = None
    if form.is_bound and form.is_valid() and form.cleaned_data["q"]:
        page = max(1, _int(request.GET.get("page"), 1))
        results = search.search(
            request.user, form.cleaned_data["q"], form.filters(), limit=PAGE,
            offset=(page - 1) * PAGE,
        )  # fmt: skip
        results.page = page
    kinds = dict(SearchKind.choices)
    facets = {}
    if results is not None:
        from sqm.core.models import City

        ids = [int(pk) for pk, _n in results.facets.get("city", [])]
        names = {str(c.pk): c for c in City.objects.filter(pk__in=ids)}
        chosen_kinds = request.GET.getlist("kind")
        facets = {
            "kind": [(kinds.get(v, v), n, _link(request, "kind", v), v in chosen_kinds)
                     for v, n in results.facets.get("kind", [])],
            "city": [(names[v].name, n, _link(request, "city", names[v].code),
                      request.GET.get("city") == names[v].code)
                     for v, n in results.facets.get("city", []) if v in names],
        }  # fmt: skip
        facets["all_kinds"] = _link(request, "kind", None)
        facets["all_cities"] = _link(request, "city", None)
    return render(
        request,
        "knowledge/search.html",
        {"form": form, "results": results, "kinds": kinds, "facets": facets,
         "states": _states(), "page_size": PAGE},
    )  # fmt: skip


def _link(request, name: str, value: str | None) -> str:
    """This search's address with NAME set to VALUE (or dropped), back on its first page."""
    query = request.GET.copy()
    query.pop("page", None)
    query.pop(name, None)
    if value is not None:
        query[name] = value
    return "?" + query.urlencode()


def _states() -> list[tuple[str, list[tuple[str, str]]]]:
    """The states to filter by, per kind of record."""
    from sqm.complaints.choices import WorkOrderState
    from sqm.knowledge.choices import ArticleState, ProblemState

    return [
        (SearchKind.ORDER.label, list(WorkOrderState.choices)),
        (SearchKind.PROBLEM.label, list(ProblemState.choices)),
        (SearchKind.ARTICLE.label, list(ArticleState.choices)),
    ]


def _int(value, default: int) -> int:
    try:
        return min(int(value), 500)
    except (TypeError, ValueError):
        return default
