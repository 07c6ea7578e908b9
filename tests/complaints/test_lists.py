"""The work-order lists (order list, my queue, department pool): newest first, every column
sorts by a whitelisted key (anything else is ignored), the total is shown (an estimate above
the limit, said so), the queue and the pool filter like the order list, and the filters and
sort live in the URL — except a number searched for, which travels as its lookup hash."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone

from sqm.complaints import queries
from sqm.complaints.models import Department, WorkOrder
from sqm.complaints.workorders import do_transition
from tests.complaints.helpers import record
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english_pages(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


def rows(response) -> list[str]:
    """The work-order numbers of a list page's table, top to bottom."""
    body = response.content.decode()
    return [part.split('"', 1)[0] for part in body.split('data-number="')[1:]]


@pytest.fixture
def three(people):
    """Three Nanjing orders of the agent, created an hour apart (the oldest has the latest
    deadline, so newest-first and soonest-deadline-first disagree)."""
    agent = people["agent"]
    orders = [record(agent, description=f"第{n}单") for n in range(3)]
    now = timezone.now()
    for age, order in zip((3, 2, 1), orders, strict=True):
        WorkOrder.objects.filter(pk=order.pk).update(
            created=now - timedelta(hours=age), resolve_due=now + timedelta(hours=age * 3)
        )
    return [WorkOrder.objects.get(pk=o.pk) for o in orders]


@pytest.mark.parametrize("name", ["complaints:orders", "complaints:queue"])
def test_lists_open_newest_first(client, people, three, name):
    client.force_login(people["agent"])
    assert rows(client.get(reverse(name))) == [o.number for o in reversed(three)]


def test_every_column_sorts_both_ways(client, people, three):
    client.force_login(people["lead"])
    url = reverse("complaints:orders")
    for key in queries.SORTS:
        for value in (key, f"-{key}"):
            response = client.get(url, {"sort": value})
            assert response.status_code == 200, value
            assert len(rows(response)) == 3, value
    by_due = rows(client.get(url, {"sort": "due"}))
    assert by_due == [three[2].number, three[1].number, three[0].number]
    assert rows(client.get(url, {"sort": "-due"})) == list(reversed(by_due))
    assert rows(client.get(url, {"sort": "created"})) == [o.number for o in three]


def test_the_headers_link_to_both_directions_keeping_the_filters(client, people, three):
    client.force_login(people["lead"])
    response = client.get(reverse("complaints:orders"), {"state": "new", "sort": "due"})
    columns = {c["key"]: c for c in response.context["columns"]}
    assert set(columns) == set(queries.SORTS)
    assert columns["due"]["active"] == "asc" and not columns["city"]["active"]
    for direction, expected in (("asc", "city"), ("desc", "-city")):
        query = parse_qs(urlsplit(columns["city"][direction]).query)
        assert query["sort"] == [expected] and query["state"] == ["new"]
    body = response.content.decode()
    assert 'data-sort="due" aria-sort="ascending"' in body


@pytest.mark.parametrize(
    "bad", ["password", "customer__mobile", "--created", "due;drop", "-", "", "a" * 300]
)
def test_an_unknown_sort_key_is_ignored_not_an_error(client, people, three, bad):
    client.force_login(people["lead"])
    response = client.get(reverse("complaints:orders"), {"sort": bad})
    assert response.status_code == 200
    assert rows(response) == [o.number for o in reversed(three)]  # the default order
    assert response.context["filters"].sort == ""


def test_the_total_is_shown_and_an_estimate_above_the_limit_says_so(
    client, people, three, monkeypatch
):
    client.force_login(people["lead"])
    body = client.get(reverse("complaints:orders")).content.decode()
    assert 'data-count="3" data-estimated="0"' in body and "3 work orders" in body
    monkeypatch.setattr(queries, "EXACT_COUNT_LIMIT", 2)
    response = client.get(reverse("complaints:orders"))
    total = response.context["total"]
    assert total.estimated and total.count >= 3  # PostgreSQL: the planner's estimate
    assert "(an estimate)" in response.content.decode()


def test_an_estimate_is_rounded_to_thousands_and_never_below_the_limit(monkeypatch, people):
    for n in range(3):
        record(people["agent"], description=f"单{n}")
    monkeypatch.setattr(queries, "EXACT_COUNT_LIMIT", 1)
    monkeypatch.setattr(queries, "_planner_rows", lambda orders: 12_345)
    total = queries.total(WorkOrder.objects.all())
    assert total.estimated and total.count > 1
    monkeypatch.setattr(queries, "EXACT_COUNT_LIMIT", 2)
    big = queries.total(WorkOrder.objects.all())
    assert big.estimated and big.count in (3, 12_000)  # SQLite counts; PostgreSQL estimates


def test_the_queue_filters_like_the_order_list(client, people, three):
    do_transition(people["agent"], three[0], "accept")
    client.force_login(people["agent"])
    found = rows(client.get(reverse("complaints:queue"), {"state": "in_progress"}))
    assert found == [three[0].number]
    WorkOrder.objects.filter(pk=three[1].pk).update(resolve_due=timezone.now() - timedelta(hours=1))
    assert rows(client.get(reverse("complaints:queue"), {"sla": "overdue"})) == [three[1].number]


@pytest.fixture
def pool(people):
    """Two orders escalated to 网络部 (NET), one claimed by the second line, and one
    escalated elsewhere; `second` is a member of NET."""
    net = Department.objects.get(code="NET")
    net.members.add(people["second"])
    other = Department.objects.get(code="MKT")
    orders = {}
    for name, department in (("free", net), ("claimed", net), ("elsewhere", other)):
        order = record(people["agent"], description=name)
        order = do_transition(people["agent"], order, "accept")
        orders[name] = do_transition(people["agent"], order, "escalate", "需二线处理", department)
    orders["claimed"] = do_transition(people["second"], orders["claimed"], "claim")
    return orders


def test_the_pool_lists_the_departments_orders_and_filters_unclaimed(client, people, pool):
    client.force_login(people["second"])
    everything = rows(client.get(reverse("complaints:pool")))
    assert sorted(everything) == sorted([pool["free"].number, pool["claimed"].number])
    unclaimed = rows(client.get(reverse("complaints:pool"), {"unclaimed": "1"}))
    assert unclaimed == [pool["free"].number]


def test_someone_in_no_department_is_told_so_in_the_pool(client, people):
    client.force_login(people["first"])
    body = client.get(reverse("complaints:pool")).content.decode()
    assert 'id="no-department"' in body


@pytest.mark.parametrize("name", ["complaints:orders", "complaints:queue", "complaints:pool"])
def test_the_filter_form_comes_back_as_a_bookmarkable_link(client, people, name):
    client.force_login(people["lead"])
    response = client.post(
        reverse(name), {"state": "escalated", "sla": "overdue", "sort": "-due", "upgraded": "1"}
    )
    assert response.status_code == 302
    query = parse_qs(urlsplit(response.url).query)
    assert query == {"state": ["escalated"], "sla": ["overdue"], "sort": ["-due"],
                     "upgraded": ["1"], "record_type": ["complaint_work_order"]}  # fmt: skip
    assert client.get(response.url).status_code == 200


@pytest.mark.parametrize("name", ["complaints:orders", "complaints:queue"])
def test_a_number_searched_for_never_enters_the_address(client, people, name):
    customer = CustomerFactory(mobile="13955556666")
    order = record(people["agent"], customer=customer)
    client.force_login(people["agent"])
    response = client.post(reverse(name), {"q": "13955556666", "sort": "due"})
    assert "13955556666" not in response.url and "mobile_hash=" in response.url
    page = client.get(response.url)
    body = page.content.decode()
    assert rows(page) == [order.number]
    assert "13955556666" not in body
    # The sort links keep the hash, never the number.
    for column in page.context["columns"]:
        assert "13955556666" not in column["asc"] and "mobile_hash=" in column["asc"]
