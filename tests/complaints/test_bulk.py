"""Acting on selected rows of a work-order list: assign to a named colleague, escalate,
export. Each order goes through the single action's service function (same checks, a
guarded update, a timeline step, a change-log entry); refused orders are named with the
reason; an outsider's order in the selection is never acted on; POST only, CSRF, and one
confirmation message."""

import io

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from sqm.complaints import bulk
from sqm.complaints.choices import WorkOrderState
from sqm.complaints.models import Department, WorkOrder
from sqm.complaints.workorders import do_transition
from sqm.core.models import AuditEntry, ChangeLogEntry, City
from tests.complaints.helpers import record
from tests.factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english_pages(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


def message_texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def net(people):
    department = Department.objects.get(code="NET")
    department.members.add(people["second"])
    return department


@pytest.fixture
def colleague(people, net):
    """A second member of 网络部 in Nanjing."""
    user = UserFactory(username="c-second-2", roles=["second_line"], city_codes=["NJ"])
    net.members.add(user)
    return user


def escalated(people, department, description="需二线处理"):
    order = record(people["agent"], description=description)
    order = do_transition(people["agent"], order, "accept")
    return do_transition(people["agent"], order, "escalate", "需二线处理", department)


def post_bulk(client, action, ids, **data):
    return client.post(
        reverse("complaints:bulk"),
        {"action": action, "ids": [str(i) for i in ids], "next": "/complaints/pool/", **data},
    )


def test_a_bulk_assignment_gives_each_order_to_the_colleague_through_do_assign(
    client, people, net, colleague
):
    first, second = escalated(people, net), escalated(people, net)
    client.force_login(people["second"])
    response = post_bulk(client, "assign", [first.pk, second.pk], **{"bulk-assignee": colleague.pk})
    assert response.status_code == 302 and response.url == "/complaints/pool/"
    for order in (first, second):
        order.refresh_from_db()
        assert order.assignee == colleague and order.state == WorkOrderState.ESCALATED
        step = order.events.get(action="assign")
        assert step.user == people["second"] and step.assignee == colleague
        assert ChangeLogEntry.objects.filter(object_id=str(order.pk), action="update").exists()
    assert message_texts(response) == ["2 work orders assigned to c-second-2."]


def test_an_outsiders_order_in_the_selection_is_refused_not_acted_on(
    client, people, net, colleague
):
    mine = escalated(people, net)
    suzhou = record(people["outsider"], customer=CustomerFactory(city=City.objects.get(code="SZ")))
    client.force_login(people["second"])
    response = post_bulk(client, "assign", [mine.pk, suzhou.pk], **{"bulk-assignee": colleague.pk})
    suzhou.refresh_from_db()
    assert suzhou.assignee == people["outsider"]  # untouched
    assert not suzhou.events.filter(action="assign").exists()
    (text,) = message_texts(response)
    assert text.startswith("1 work order assigned to c-second-2.")
    assert "1 selected work order is not in your cities and was left alone." in text
    assert suzhou.number not in text  # not the user's to see


def test_orders_the_colleague_may_not_hold_are_named_with_the_reason(
    client, people, net, colleague
):
    ours = escalated(people, net)
    theirs = escalated(people, Department.objects.get(code="MKT"))
    Department.objects.get(code="MKT").members.add(people["lead"])
    closed_record = record(people["agent"])
    WorkOrder.objects.filter(pk=closed_record.pk).update(state=WorkOrderState.CLOSED)
    client.force_login(people["lead"])  # a team lead may assign any order of the city
    response = post_bulk(
        client, "assign", [ours.pk, theirs.pk, closed_record.pk], **{"bulk-assignee": colleague.pk}
    )
    (text,) = message_texts(response)
    assert text.startswith("1 work order assigned to c-second-2. 2 were refused:")
    assert f"{theirs.number}: c-second-2 may not handle this work order" in text
    assert f"{closed_record.number}: A work order that is closed cannot be assigned." in text
    theirs.refresh_from_db()
    assert theirs.assignee is None


def test_only_colleagues_are_offered_and_a_stranger_is_refused(client, people, net, colleague):
    order = escalated(people, net)
    client.force_login(people["second"])
    offered = client.get(reverse("complaints:pool")).context["bulk"]["assign_form"]
    names = {u.username for u in offered.fields["assignee"].queryset}
    assert colleague.username in names and people["outsider"].username not in names
    response = post_bulk(client, "assign", [order.pk], **{"bulk-assignee": people["outsider"].pk})
    order.refresh_from_db()
    assert order.assignee is None
    assert message_texts(response) == ["Choose a colleague to assign the work orders to."]


def test_a_bulk_escalation_goes_through_the_transition_with_its_reason(client, people, net):
    accepted = do_transition(people["agent"], record(people["agent"]), "accept")
    new = record(people["agent"])  # new orders are accepted before they are escalated
    client.force_login(people["agent"])
    response = post_bulk(
        client,
        "escalate",
        [accepted.pk, new.pk],
        **{"bulk-department": net.pk, "bulk-note": "批量转网络部"},
    )
    accepted.refresh_from_db()
    assert accepted.state == WorkOrderState.ESCALATED and accepted.department == net
    assert accepted.events.get(action="escalate").note == "批量转网络部"
    new.refresh_from_db()
    assert new.state == WorkOrderState.NEW
    (text,) = message_texts(response)
    assert text.startswith("1 work order escalated to 网络部. 1 was refused:")
    assert new.number in text and "cannot be" in text


def test_a_bulk_escalation_without_a_reason_changes_nothing(client, people, net):
    order = do_transition(people["agent"], record(people["agent"]), "accept")
    client.force_login(people["agent"])
    response = post_bulk(client, "escalate", [order.pk], **{"bulk-department": net.pk})
    order.refresh_from_db()
    assert order.state == WorkOrderState.IN_PROGRESS
    assert message_texts(response) == ["Choose the department and say why to escalate."]


def test_the_selection_exports_as_a_masked_audited_workbook(client, people):
    customer = CustomerFactory(mobile="13800002222")
    picked = record(people["agent"], customer=customer, description="客户电话13800002222")
    record(people["agent"])  # not selected
    suzhou = record(people["outsider"], customer=CustomerFactory(city=City.objects.get(code="SZ")))
    client.force_login(people["lead"])
    response = post_bulk(client, "export", [picked.pk, suzhou.pk])
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    cells = list(book.active.values)
    assert [row[0] for row in cells[1:]] == [picked.number]
    assert "13800002222" not in str(cells)
    entry = AuditEntry.objects.get(action="export")
    assert entry.details["rows"] == 1 and entry.details["personal_data"] is False


def test_exporting_a_selection_needs_the_export_permission(client, people):
    order = record(people["agent"])
    client.force_login(people["agent"])
    assert post_bulk(client, "export", [order.pk]).status_code == 403


def test_bulk_actions_take_only_a_csrf_checked_post(people, net, colleague):
    order = escalated(people, net)
    client = Client(enforce_csrf_checks=True)
    client.force_login(people["second"])
    assert client.get(reverse("complaints:bulk")).status_code == 405
    response = post_bulk(client, "assign", [order.pk], **{"bulk-assignee": colleague.pk})
    assert response.status_code == 403
    order.refresh_from_db()
    assert order.assignee is None


@pytest.mark.parametrize(
    ("data", "status"),
    [({"action": "delete", "ids": ["1"]}, 400), ({"action": "assign"}, 302)],
)
def test_an_unknown_action_or_an_empty_selection_is_refused(client, people, data, status):
    client.force_login(people["lead"])
    assert client.post(reverse("complaints:bulk"), data).status_code == status


def test_ids_are_parsed_strictly():
    assert bulk.parse_ids(["3", "x", "-1", "3", "١٢", "5", "9" * 30]) == [3, 5]


def test_a_selection_larger_than_the_limit_is_refused(client, people, net, colleague):
    client.force_login(people["lead"])
    ids = range(1, bulk.MAX_SELECTION + 2)
    response = post_bulk(client, "assign", ids, **{"bulk-assignee": colleague.pk})
    assert message_texts(response) == [f"Select at most {bulk.MAX_SELECTION} work orders at once."]
