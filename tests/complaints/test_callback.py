"""Callback (回访): outcomes close, reopen for remediation, or count unreachable attempts."""

import pytest
from django.core.exceptions import ValidationError

from sqm.complaints.models import WorkOrderEvent
from sqm.complaints.workorders import (
    TransitionConflict,
    do_transition,
    record_callback,
)
from tests.complaints.helpers import record

pytestmark = pytest.mark.django_db


@pytest.fixture
def awaiting(people):
    order = do_transition(people["first"], record(people["agent"]), "accept")
    order = do_transition(people["first"], order, "reply", "已更换端口")
    return do_transition(people["agent"], order, "start_callback")


@pytest.mark.parametrize("outcome", ["satisfied", "basically_satisfied"])
def test_a_satisfied_customer_closes_the_order(awaiting, people, outcome):
    order = record_callback(people["agent"], awaiting, outcome)
    assert order.state == "closed" and order.callback_outcome == outcome


def test_a_dissatisfied_customer_reopens_it_for_remediation(awaiting, people):
    order = record_callback(
        people["agent"], awaiting, "dissatisfied", "仍然很慢", remediation_owner=people["lead"]
    )
    assert order.state == "reopened" and order.remediation
    assert order.remediation_owner == people["lead"]


def test_remediation_needs_a_follow_up_owner(awaiting, people):
    with pytest.raises(ValidationError):
        record_callback(people["agent"], awaiting, "dissatisfied", "仍然很慢")


def test_unreachable_customers_are_tried_again_then_closed(awaiting, people, settings):
    settings.SQM_CALLBACK_MAX_ATTEMPTS = 3
    order = record_callback(people["agent"], awaiting, "unreachable", "无人接听")
    order = record_callback(people["agent"], order, "unreachable", "关机")
    assert order.state == "awaiting_callback" and order.callback_attempts == 2
    order = record_callback(people["agent"], order, "unreachable", "无人接听")
    assert order.state == "closed" and order.callback_outcome == "unreachable"
    assert WorkOrderEvent.objects.filter(work_order=order, action="callback_attempt").count() == 2


def test_two_agents_counting_the_same_attempt_cannot_both_count(awaiting, people):
    stale = type(awaiting).objects.get(pk=awaiting.pk)
    record_callback(people["agent"], awaiting, "unreachable")
    with pytest.raises(TransitionConflict):
        record_callback(people["lead"], stale, "unreachable")


def test_unknown_outcomes_are_refused(awaiting, people):
    with pytest.raises(ValidationError):
        record_callback(people["agent"], awaiting, "happy")
