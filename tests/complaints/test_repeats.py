"""Repeat complaints (重复投诉): the same customer, the same second-level category, within
SQM_REPEAT_DAYS of the previous one's closure (or while it is still open)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from sqm.complaints.models import WorkOrder
from tests.complaints.helpers import record
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def close(order, days_ago):
    WorkOrder.objects.filter(pk=order.pk).update(
        state="closed", closed_at=timezone.now() - timedelta(days=days_ago)
    )


def test_a_complaint_soon_after_a_closed_one_in_the_same_area_is_a_repeat(agent):
    customer = CustomerFactory()
    first = record(agent, customer=customer, code="NQ.BB.01")  # 家庭宽带 › 网速慢
    close(first, days_ago=10)
    second = record(
        agent, customer=customer, code="NQ.BB.02"
    )  # 家庭宽带 › 频繁掉线: same second level
    assert second.repeat_of == first


def test_it_is_not_a_repeat_after_the_window(agent, settings):
    settings.SQM_REPEAT_DAYS = 30
    customer = CustomerFactory()
    close(record(agent, customer=customer, code="NQ.BB.01"), days_ago=31)
    assert record(agent, customer=customer, code="NQ.BB.01").repeat_of is None


def test_other_areas_and_other_customers_do_not_count(agent):
    customer = CustomerFactory()
    close(record(agent, customer=customer, code="NQ.BB.01"), days_ago=1)
    assert (
        record(agent, customer=customer, code="BL.DS.01").repeat_of is None
    )  # billing, not broadband
    assert record(agent, customer=CustomerFactory(), code="NQ.BB.01").repeat_of is None


def test_a_complaint_while_the_previous_is_still_open_links_to_it(agent):
    customer = CustomerFactory()
    first = record(agent, customer=customer, code="NQ.BB.01")
    assert record(agent, customer=customer, code="NQ.BB.03").repeat_of == first
