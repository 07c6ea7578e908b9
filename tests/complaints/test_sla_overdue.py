"""One definition of "overdue" (sqm.complaints.sla): the team overview's counts, the lists'
?sla= filter and each order's SLA colour agree, and a suspended order past its stored
deadline is paused, not overdue (its clock stops while suspended; docs/sla.md)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from sqm.complaints import queries, sla
from sqm.complaints.models import WorkOrder
from sqm.complaints.workorders import do_transition
from tests.complaints.helpers import record

pytestmark = pytest.mark.django_db


@pytest.fixture
def orders(people):
    """A running order past its deadline, a suspended one past its deadline, one near its
    deadline, one replied whose callback is late, and one on time."""
    agent = people["agent"]
    now = timezone.now()
    late = record(agent, description="超时")
    suspended = record(agent, description="挂起")
    do_transition(agent, suspended, "accept")
    do_transition(agent, suspended, "suspend", "等客户在家")
    near = record(agent, description="临近")
    callback_late = record(agent, description="回访超时")
    for action, note in (("accept", ""), ("reply", "已处理")):
        callback_late = do_transition(agent, callback_late, action, note)
    fine = record(agent, description="正常")
    past = now - timedelta(hours=3)
    WorkOrder.objects.filter(pk__in=[late.pk, suspended.pk]).update(
        resolve_due=past, warn_at=past - timedelta(hours=10)
    )
    WorkOrder.objects.filter(pk=near.pk).update(warn_at=now - timedelta(minutes=5))
    WorkOrder.objects.filter(pk=callback_late.pk).update(callback_due=past)
    return {"late": late, "suspended": suspended, "near": near, "callback_late": callback_late,
            "fine": fine}  # fmt: skip


def numbers(queryset) -> set[str]:
    return {order.number for order in queryset}


def test_a_suspended_order_past_its_deadline_is_paused_not_overdue(people, orders):
    now = timezone.now()
    suspended = WorkOrder.objects.get(pk=orders["suspended"].pk)
    assert sla.status(suspended, now) == "paused"
    overdue = queries.search(people["lead"], queries.Filters(sla="overdue"), now)
    assert numbers(overdue) == {orders["late"].number, orders["callback_late"].number}
    paused = queries.search(people["lead"], queries.Filters(sla="paused"), now)
    assert numbers(paused) == {orders["suspended"].number}


def test_the_overview_counts_what_the_sla_filters_list(people, orders):
    now = timezone.now()
    lead = people["lead"]
    summary = queries.overview(lead, now)
    for name, counted in (("overdue", summary.overdue), ("warning", summary.warning)):
        listed = queries.search(lead, queries.Filters(sla=name), now)
        assert counted == listed.count(), name
    assert summary.overdue == 2 and summary.warning == 1


def test_every_order_a_filter_lists_has_that_sla_colour(people, orders):
    now = timezone.now()
    for name in queries.SLA_FILTERS:
        for order in queries.search(people["lead"], queries.Filters(sla=name), now):
            assert sla.status(order, now) == name, (name, order.description)
    every = WorkOrder.objects.all()
    by_filter = sum(
        queries.search(people["lead"], queries.Filters(sla=name), now).count()
        for name in queries.SLA_FILTERS
    )
    assert by_filter == every.count()  # each open order in exactly one SLA filter


def test_the_overview_page_and_the_overdue_list_page_show_the_same_number(client, people, orders):
    client.force_login(people["lead"])
    overview = client.get(reverse("complaints:overview"))
    listed = client.get(reverse("complaints:orders"), {"sla": "overdue"})
    rows = listed.content.decode().count('data-number="')
    assert overview.context["summary"].overdue == rows == 2
    assert orders["suspended"].number not in listed.content.decode()
