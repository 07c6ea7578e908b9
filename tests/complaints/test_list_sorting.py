"""Sorting the work-order lists by number and by state, and the page count: an imported
history number ("TSH…") is older than a live one ("TS…") and sorts by when it was made, not
as text; states sort in the order of the lifecycle, not their English codes' alphabet; the
pager says "page 1 of N" when the total is exact."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from sqm.complaints import list_views, queries
from sqm.complaints.models import WorkOrder
from tests.complaints.helpers import record

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english_pages(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


def rows(response) -> list[str]:
    body = response.content.decode()
    return [part.split('"', 1)[0] for part in body.split('data-number="')[1:]]


def test_the_number_column_sorts_history_before_today_by_creation(client, people):
    live = record(people["agent"], description="今天的")
    history = record(people["agent"], description="半年前的")
    # An imported record: its number says "TSH", its time is months ago.
    WorkOrder.objects.filter(pk=history.pk).update(
        number="TSH2026060100000001", created=timezone.now() - timedelta(days=180)
    )
    assert "TSH2026060100000001" > live.number  # as text the history would sort last
    client.force_login(people["lead"])
    url = reverse("complaints:orders")
    assert rows(client.get(url, {"sort": "number"})) == ["TSH2026060100000001", live.number]
    assert rows(client.get(url, {"sort": "-number"})) == [live.number, "TSH2026060100000001"]


def test_the_number_column_sorts_by_the_numbers_date_and_sequence_not_creation_time(client, people):
    """Imported numbers of one day need not have been made in the order of their sequence
    (TSH…3189 imported with an earlier time than TSH…1208): the number column sorts by the
    number, after its prefix, so …1208 comes first."""
    later, earlier = (record(people["agent"], description=f"历史{i}") for i in range(2))
    now = timezone.now()
    WorkOrder.objects.filter(pk=later.pk).update(
        number="TSH2026061100003189", created=now - timedelta(days=30, hours=5)
    )
    WorkOrder.objects.filter(pk=earlier.pk).update(
        number="TSH2026061100001208", created=now - timedelta(days=30)
    )
    live = record(people["agent"], description="今天的")
    client.force_login(people["lead"])
    url = reverse("complaints:orders")
    ascending = ["TSH2026061100001208", "TSH2026061100003189", live.number]
    assert rows(client.get(url, {"sort": "number"})) == ascending
    assert rows(client.get(url, {"sort": "-number"})) == ascending[::-1]


def test_the_state_column_sorts_in_lifecycle_order(client, people):
    order_of = {}
    for state in ("closed", "replied", "escalated", "new", "awaiting_callback", "suspended",
                  "in_progress", "reopened"):  # fmt: skip
        order = record(people["agent"], description=state)
        WorkOrder.objects.filter(pk=order.pk).update(state=state)
        order_of[order.number] = state
    client.force_login(people["lead"])
    url = reverse("complaints:orders")
    states = [order_of[n] for n in rows(client.get(url, {"sort": "state"}))]
    lifecycle = ["new", "in_progress", "escalated", "suspended", "replied",
                 "awaiting_callback", "reopened", "closed"]  # fmt: skip
    assert states == lifecycle
    assert [order_of[n] for n in rows(client.get(url, {"sort": "-state"}))] == lifecycle[::-1]
    assert [s.value for s in queries.STATE_ORDER] == lifecycle


def test_the_pager_says_page_one_of_n_when_the_total_is_exact(client, people, monkeypatch):
    monkeypatch.setattr(list_views, "PER_PAGE", 2)
    for n in range(5):
        record(people["agent"], description=f"第{n}单")
    client.force_login(people["lead"])
    body = client.get(reverse("complaints:orders")).content.decode()
    assert "Page 1 of 3" in body
    monkeypatch.setattr(queries, "EXACT_COUNT_LIMIT", 2)  # an estimate: no page count
    body = client.get(reverse("complaints:orders")).content.decode()
    assert "Page 1 of" not in body and 'id="page-of"' in body
