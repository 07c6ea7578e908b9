"""Pager links that keep the list's filters: `{% page_query n %}` is the current query string
with page=n, so page 2 of a filtered, sorted view is still that view."""

from __future__ import annotations

from django import template
from django.http import QueryDict

from sqm.core.masking import mask_numbers

register = template.Library()


@register.simple_tag(takes_context=True)
def page_query(context: template.Context, number: int) -> str:
    request = context.get("request")
    query = request.GET.copy() if request is not None else QueryDict(mutable=True)
    # A search posted by the page (customers) is not in the query string; carry it only when
    # it holds no personal number, which must never travel in a URL.
    posted = context.get("q")
    if posted and "q" not in query and mask_numbers(str(posted)) == str(posted):
        query["q"] = posted
    query["page"] = str(number)
    return query.urlencode()
