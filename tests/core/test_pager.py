"""The shared pager keeps the list's filters from page to page."""

from __future__ import annotations

import re

import pytest
from django.template import Context, Template
from django.test import RequestFactory

from sqm.core import audit

pytestmark = pytest.mark.django_db

PAGER = Template('{% include "_pager.html" %}')


def _links(html: str) -> list[str]:
    return [href.replace("&amp;", "&") for href in re.findall(r'href="\?([^"]*)"', html)]


def test_the_next_page_of_a_filtered_audit_log_is_still_filtered(client, auditor):
    for n in range(55):
        audit.record("export", target=f"list:{n}")
    client.force_login(auditor)
    html = client.get("/core/audit/", {"action": "export"}).content.decode()
    assert _links(html) == ["action=export&page=2"]
    html = client.get("/core/audit/", {"action": "export", "page": "2"}).content.decode()
    assert _links(html) == ["action=export&page=1"]


def test_a_posted_search_term_is_carried_unless_it_holds_a_personal_number():
    from django.core.paginator import Paginator

    page = Paginator(range(120), 50).get_page(2)
    request = RequestFactory().post("/customers/")
    for term, carried in (("王", True), ("13626564185", False), ("id 320102199001011234", False)):
        html = PAGER.render(Context({"page": page, "q": term, "request": request}))
        assert all(("q=" in link) is carried for link in _links(html)), term
        assert "13626564185" not in html and "320102199001011234" not in html
