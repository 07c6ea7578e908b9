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
    cities = {}
    if results is not None and results.facets.get("city"):
        from sqm.core.models import City

        ids = [int(pk) for pk, _n in results.facets["city"]]
        cities = {str(c.pk): c for c in City.objects.filter(pk__in=ids)}
    return render(
        request,
        "knowledge/search.html",
        {"form": form, "results": results, "kinds": kinds, "cities": cities, "page_size": PAGE},
    )


def _int(value, default: int) -> int:
    try:
        return min(int(value), 500)
    except (TypeError, ValueError):
        return default
