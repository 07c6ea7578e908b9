"""The periodic SLA check: range queries over what crossed a line since the last run."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from sqm.complaints import sla
from sqm.complaints.models import WorkOrder
from sqm.complaints.workorders import do_transition
from sqm.core.models import Notification
from tests.complaints.helpers import record
from tests.factories import CustomerFactory, city

pytestmark = pytest.mark.django_db


def open_order(people, customer_city="NJ"):
    return record(people["agent"], customer=CustomerFactory(city=city(customer_city)))


def test_it_warns_the_recorder_and_the_citys_team_lead_once(people):
    order = open_order(people)
    sla.check_deadlines(now=order.created)  # first run: nothing has crossed a line yet
    assert not Notification.objects.exists()
    counts = sla.check_deadlines(now=order.warn_at + timedelta(seconds=1))
    assert counts == {"warning": 1, "overdue": 0}
    assert set(Notification.objects.values_list("user__username", flat=True)) == {
        "c-agent",
        "c-lead",
    }
    assert order.number in Notification.objects.first().message()
    # The next run looks only at what is new: no second warning.
    assert sla.check_deadlines(now=order.warn_at + timedelta(minutes=1)) == {
        "warning": 0,
        "overdue": 0,
    }


def test_it_reports_orders_past_their_deadline(people):
    order = open_order(people)
    sla.check_deadlines(now=order.warn_at + timedelta(seconds=1))
    counts = sla.check_deadlines(now=order.resolve_due + timedelta(seconds=1))
    assert counts == {"warning": 0, "overdue": 1}
    assert Notification.objects.filter(kind="sla_overdue").count() == 2


def test_suspended_and_replied_orders_are_left_alone(people):
    suspended = open_order(people)
    first = people["first"]
    suspended = do_transition(first, suspended, "accept")
    do_transition(first, suspended, "suspend", "等待客户")
    replied = open_order(people)
    replied = do_transition(first, replied, "accept")
    do_transition(first, replied, "reply", "已处理")
    sla.check_deadlines(now=timezone.now())
    latest = max(WorkOrder.objects.values_list("resolve_due", flat=True))
    assert sla.check_deadlines(now=latest + timedelta(seconds=1)) == {"warning": 0, "overdue": 0}


def test_its_cost_does_not_grow_with_the_number_of_open_orders(
    people, django_assert_max_num_queries
):
    for _ in range(30):
        open_order(people)
    sla.check_deadlines(now=timezone.now())
    # Nothing crosses a line in the next minute: a constant handful of queries, not 30.
    with django_assert_max_num_queries(6):
        sla.check_deadlines(now=timezone.now() + timedelta(minutes=1))


def test_users_read_their_notifications_in_the_top_bar(client, people):
    order = open_order(people)
    sla.check_deadlines(now=order.created)
    sla.check_deadlines(now=order.warn_at + timedelta(seconds=1))
    client.force_login(people["lead"])
    page = client.get(reverse("core:notifications")).content.decode()
    assert order.number in page and 'id="unread-count">1<' in page
    client.post(reverse("core:notifications"))
    assert not Notification.objects.filter(user=people["lead"], read_at__isnull=True).exists()


def test_it_warns_the_department_members_of_an_unclaimed_escalated_order(people):
    from datetime import timedelta

    from django.utils import timezone

    from sqm.complaints.models import Department, WorkOrder
    from sqm.complaints.sla import check_deadlines
    from sqm.complaints.workorders import do_transition
    from sqm.core.models import Notification
    from tests.complaints.helpers import record

    department = Department.objects.get(code="NET")
    department.members.add(people["second"])
    order = record(people["agent"])
    order = do_transition(people["agent"], order, "accept")
    order = do_transition(people["agent"], order, "escalate", "查线路", department)
    assert order.assignee is None
    now = timezone.now()
    WorkOrder.objects.filter(pk=order.pk).update(warn_at=now - timedelta(minutes=1))
    check_deadlines(now)
    warned = set(Notification.objects.values_list("user__username", flat=True))
    assert "c-second" in warned and "c-lead" in warned
    assert "c-agent" not in warned
