"""SLA clocks: the policy that applies, deadlines in calendar or working time, suspension,
callback and the in-time verdict."""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from sqm.complaints import sla
from sqm.complaints.models import Category, Department, SlaPolicy
from sqm.complaints.workorders import do_transition
from tests.complaints.helpers import record
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def open_order(people, tier="normal", channel="hotline", code="NQ.BB.01"):
    return record(people["agent"], customer=CustomerFactory(tier=tier), channel=channel, code=code)


def test_an_ordinary_complaint_gets_48_hours_and_a_warning_at_80_percent(people):
    order = open_order(people)
    assert order.policy.name == "普通投诉"
    assert order.resolve_due - order.created == timedelta(hours=48)
    assert order.warn_at - order.created == timedelta(hours=48 * 0.8)
    assert order.response_due - order.created == timedelta(hours=2)


def test_gold_and_diamond_customers_get_24_hours(people):
    for tier in ("gold", "diamond"):
        order = open_order(people, tier=tier)
        assert order.resolve_due - order.created == timedelta(hours=24)


def test_upgraded_complaints_get_the_upgraded_policy_even_for_gold_customers(people):
    order = open_order(people, tier="gold", channel="regulator")
    assert order.policy.name == "升级投诉"


def test_a_category_policy_beats_the_general_one(people):
    SlaPolicy.objects.create(
        name="装机移机",
        category=Category.objects.get(code="NQ.BB"),
        response_hours=4,
        resolution_hours=72,
        callback_hours=24,
    )
    assert open_order(people, code="NQ.BB.04").policy.name == "装机移机"
    assert open_order(people, code="WS.HA.01").policy.name == "普通投诉"


def test_working_time_policies_skip_nights_weekends_and_holidays():
    policy = SlaPolicy(
        name="工作时间",
        response_hours=1,
        resolution_hours=Decimal("8"),
        callback_hours=24,
        working_time=True,
    )
    # 2026-09-30 17:00, the eve of National Day: 30 min that day, then the holiday week.
    start = datetime(2026, 9, 30, 17, 0, tzinfo=SHANGHAI)
    due = sla.add(policy, start, policy.resolution_hours)
    assert due == datetime(2026, 10, 8, 17, 30, tzinfo=SHANGHAI)
    assert sla.elapsed(policy, start, due) == timedelta(hours=8)


def test_suspension_stops_the_clock(people):
    order = open_order(people)
    order = do_transition(people["first"], order, "accept")
    before = order.resolve_due
    order = do_transition(people["first"], order, "suspend", "等待客户在家")
    # Pretend the order stayed suspended for three hours.
    type(order).objects.filter(pk=order.pk).update(
        suspended_at=order.suspended_at - timedelta(hours=3)
    )
    order.refresh_from_db()
    order = do_transition(people["first"], order, "resume")
    moved = order.resolve_due - before
    assert timedelta(hours=3) <= moved < timedelta(hours=3, minutes=1)
    assert order.suspended_at is None


def test_replying_sets_the_callback_deadline_and_closing_judges_timeliness(people):
    order = open_order(people)
    order = do_transition(people["first"], order, "accept")
    order = do_transition(people["first"], order, "reply", "已处理")
    assert order.callback_due - order.replied_at == timedelta(hours=24)
    order = do_transition(people["agent"], order, "start_callback")
    order = do_transition(people["agent"], order, "close")
    assert order.untimely is False


def test_an_order_replied_after_its_deadline_is_untimely(people):
    order = open_order(people)
    type(order).objects.filter(pk=order.pk).update(resolve_due=order.created - timedelta(minutes=1))
    order.refresh_from_db()
    order = do_transition(people["first"], order, "accept")
    order = do_transition(people["first"], order, "reply", "已处理")
    order = do_transition(people["agent"], order, "start_callback")
    order = do_transition(people["agent"], order, "close")
    assert order.untimely is True


def test_without_any_policy_there_is_no_clock(people):
    SlaPolicy.objects.update(active=False)
    order = open_order(people)
    assert order.policy is None and order.resolve_due is None
    assert Department.objects.exists()  # reference data untouched
