"""The work-order lifecycle: allowed transitions by allowed roles, guarded against races,
first-responsibility, every step on the timeline and in the change log."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from sqm.complaints.models import Category, Department, WorkOrder, WorkOrderEvent
from sqm.complaints.workorders import TransitionConflict, do_transition, open_work_order
from sqm.core.models import ChangeLogEntry
from tests.complaints.helpers import record
from tests.factories import CustomerFactory, city

pytestmark = pytest.mark.django_db


def dept(code: str) -> Department:
    return Department.objects.get(code=code)


@pytest.fixture
def order(people):
    return record(people["agent"], description="宽带晚上网速很慢，要求尽快处理")


def test_it_opens_a_numbered_work_order_in_the_customers_city(order):
    assert order.state == "new" and order.number.startswith("TS") and order.city == city("NJ")
    assert list(order.events.values_list("action", "to_state")) == [("open", "new")]


def test_upgraded_channels_mark_the_work_order_upgraded(people):
    order = record(
        people["agent"], channel="regulator", code="BL.DS.02", description="工信部申诉：扣费争议"
    )
    assert order.upgraded


def test_it_files_only_under_third_level_categories(people):
    with pytest.raises(ValidationError):
        open_work_order(
            people["agent"],
            customer=CustomerFactory(),
            channel="hotline",
            category=Category.objects.get(code="NQ.BB"),
            description="x",
        )


def test_the_full_loop_runs_and_every_step_is_recorded(order, people):
    order = do_transition(people["first"], order, "accept")
    order = do_transition(people["first"], order, "escalate", "需二线测速排查", dept("NET"))
    assert order.first_responsible == dept("NET") and order.department == dept("NET")
    order = do_transition(people["second"], order, "reply", "已更换分光器端口，速率恢复")
    assert order.reply and order.replied_at is not None
    order = do_transition(people["agent"], order, "start_callback")
    order = do_transition(people["agent"], order, "close")
    assert order.state == "closed" and order.closed_at is not None
    steps = list(
        WorkOrderEvent.objects.filter(work_order=order).values_list("from_state", "to_state")
    )
    assert steps == [
        ("", "new"),
        ("new", "in_progress"),
        ("in_progress", "escalated"),
        ("escalated", "replied"),
        ("replied", "awaiting_callback"),
        ("awaiting_callback", "closed"),
    ]
    updates = ChangeLogEntry.objects.filter(object_id=str(order.pk), action="update")
    assert {e.after["state"] for e in updates} >= {"in_progress", "escalated", "closed"}


def test_two_people_acting_at_once_cannot_both_win(order, people):
    seen_by_first = WorkOrder.objects.get(pk=order.pk)
    seen_by_lead = WorkOrder.objects.get(pk=order.pk)
    do_transition(people["first"], seen_by_first, "accept")
    with pytest.raises(TransitionConflict):
        do_transition(people["lead"], seen_by_lead, "accept")
    assert WorkOrderEvent.objects.filter(work_order=order, action="accept").count() == 1


def test_escalation_needs_a_reason_and_a_back_office_target(order, people):
    order = do_transition(people["first"], order, "accept")
    with pytest.raises(ValidationError):
        do_transition(people["first"], order, "escalate", "", dept("NET"))
    with pytest.raises(ValidationError):
        do_transition(people["first"], order, "escalate", "转营业厅", dept("HALL"))


def test_an_escalated_order_cannot_go_back_to_the_front_line(order, people):
    order = do_transition(people["first"], order, "accept")
    order = do_transition(people["first"], order, "escalate", "需网络部处理", dept("NET"))
    with pytest.raises(ValidationError):
        do_transition(people["first"], order, "accept")
    with pytest.raises(PermissionDenied):  # once escalated the front line no longer replies
        do_transition(people["first"], order, "reply", "已处理")


def test_the_first_responsible_department_keeps_ownership_when_others_are_asked(order, people):
    order = do_transition(people["first"], order, "accept")
    order = do_transition(people["first"], order, "escalate", "需网络部处理", dept("NET"))
    order = do_transition(people["second"], order, "transfer", "请市场部核实套餐", dept("MKT"))
    assert order.department == dept("MKT") and order.first_responsible == dept("NET")


def test_suspension_returns_to_where_it_was(order, people):
    order = do_transition(people["first"], order, "accept")
    order = do_transition(people["first"], order, "escalate", "需网络部处理", dept("NET"))
    order = do_transition(people["second"], order, "suspend", "等待客户在家时上门")
    assert order.state == "suspended" and order.state_before_suspension == "escalated"
    order = do_transition(people["second"], order, "resume")
    assert order.state == "escalated" and order.state_before_suspension == ""


def test_a_dissatisfied_callback_reopens_the_work_order(order, people):
    order = do_transition(people["first"], order, "accept")
    order = do_transition(people["first"], order, "reply", "已远程重启光猫")
    order = do_transition(people["agent"], order, "start_callback")
    order = do_transition(people["agent"], order, "reopen", "客户表示仍然很慢，不满意")
    assert order.state == "reopened"
    order = do_transition(people["first"], order, "escalate", "需网络部处理", dept("NET"))
    assert order.state == "escalated"


def test_roles_without_the_permission_are_refused(order, people):
    with pytest.raises(PermissionDenied):
        do_transition(people["second"], order, "accept")  # second line does not take intake


def test_users_of_another_city_cannot_act(order, people):
    with pytest.raises(PermissionDenied):
        do_transition(people["outsider"], order, "accept")
    assert not WorkOrder.objects.restrict(people["outsider"]).exists()


def test_unknown_actions_are_refused(order, people):
    with pytest.raises(ValidationError):
        do_transition(people["first"], order, "teleport")


def test_it_records_only_for_customers_of_the_users_cities(people):
    suzhou = CustomerFactory(city=city("SZ"))
    with pytest.raises(PermissionDenied):
        open_work_order(
            people["agent"],
            customer=suzhou,
            channel="hotline",
            category=Category.objects.get(code="NQ.BB.01"),
            description="x",
        )


def test_it_refuses_an_unknown_channel(people):
    with pytest.raises(ValidationError):
        open_work_order(
            people["agent"],
            customer=CustomerFactory(),
            channel="pigeon",
            category=Category.objects.get(code="NQ.BB.01"),
            description="x",
        )


def test_two_transfers_from_the_same_view_cannot_both_win(order, people):
    order = do_transition(people["first"], order, "accept")
    order = do_transition(people["first"], order, "escalate", "需网络部处理", dept("NET"))
    stale = WorkOrder.objects.get(pk=order.pk)
    do_transition(people["second"], order, "transfer", "请市场部核实", dept("MKT"))
    with pytest.raises(TransitionConflict):  # the state is still "escalated", the version not
        do_transition(people["second"], stale, "transfer", "请信息技术部核实", dept("IT"))
    assert WorkOrder.objects.get(pk=order.pk).department == dept("MKT")
