"""One work order's page: take it or assign it to a named colleague who may hold it; an
internal note apart from the reply to the customer (never in the reply, nor in the API's
`reply`); a confirmation after each action; the remediation owners are only people who may
own remediation in the order's city."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from rest_framework.test import APIClient

from sqm.complaints import workorders
from sqm.complaints.choices import WorkOrderState
from sqm.complaints.forms import CallbackForm
from sqm.complaints.models import Department
from sqm.complaints.workorders import do_transition
from tests.complaints.helpers import record
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english_pages(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


def message_texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def page(client, order):
    return client.get(reverse("complaints:order", args=[order.pk]))


def test_a_front_liner_takes_a_colleagues_order_and_is_told_so(client, people):
    order = record(people["agent"])
    client.force_login(people["first"])
    detail = page(client, order)
    assert 'id="take"' in detail.content.decode()
    response = client.post(
        reverse("complaints:order_assign", args=[order.pk]),
        {"assignee": people["first"].pk, "version": order.version},
        follow=True,
    )
    order.refresh_from_db()
    assert order.assignee == people["first"] and order.state == WorkOrderState.NEW
    assert f"Work order {order.number} is now assigned to c-first." in message_texts(response)
    assert order.events.filter(action="assign", assignee=people["first"]).exists()


def test_the_assign_list_holds_only_people_who_may_hold_the_order(client, people):
    order = record(people["agent"])
    network_ops = UserFactory(username="c-noc", roles=["network_ops"], city_codes=["NJ"])
    client.force_login(people["lead"])
    offered = page(client, order).context["assign_form"].fields["assignee"].queryset
    names = {u.username for u in offered}
    assert {"c-first", "c-lead"} <= names
    assert not names & {"c-outsider", "c-second", network_ops.username, "c-agent"}
    # Escalated to a department with members: only its members who handle escalated orders.
    net = Department.objects.get(code="NET")
    net.members.add(people["second"])
    order = do_transition(people["agent"], order, "accept")
    order = do_transition(people["agent"], order, "escalate", "二线", net)
    offered = page(client, order).context["assign_form"].fields["assignee"].queryset
    assert [u.username for u in offered] == ["c-second"]


def test_assigning_to_someone_outside_the_city_is_refused(client, people):
    order = record(people["agent"])
    client.force_login(people["lead"])
    response = client.post(
        reverse("complaints:order_assign", args=[order.pk]), {"assignee": people["outsider"].pk}
    )
    order.refresh_from_db()
    assert order.assignee == people["agent"]
    assert message_texts(response) == ["Choose someone who may handle this work order."]
    with pytest.raises(Exception, match="may not handle"):
        workorders.do_assign(people["lead"], order, people["outsider"])


def test_a_front_liner_may_not_reassign_a_colleagues_order(people):
    order = record(people["agent"])
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        workorders.do_assign(people["first"], order, people["lead"])


def test_an_internal_note_and_a_reply_are_two_separate_steps(client, people):
    order = do_transition(people["agent"], record(people["agent"]), "accept")
    client.force_login(people["agent"])
    body = page(client, order).content.decode()
    assert 'id="note-card"' in body and 'id="reply-card"' in body
    assert 'id="do-reply"' in body and body.count('id="do-reply"') == 1
    noted = client.post(
        reverse("complaints:order_note", args=[order.pk]),
        {"internal-note": "内部：客户脾气急，先安抚"},
        follow=True,
    )
    assert any("the customer does not see it" in m for m in message_texts(noted))
    replied = client.post(
        reverse("complaints:order_action", args=[order.pk, "reply"]),
        {"note": "您好，已为您处理", "version": order.version},
        follow=True,
    )
    assert any(m.startswith("Reply sent to the customer") for m in message_texts(replied))
    order.refresh_from_db()
    assert order.state == WorkOrderState.REPLIED
    assert order.reply == "您好，已为您处理" and "内部" not in order.reply
    steps = [(e.action, e.note) for e in order.events.all()]
    assert ("note", "内部：客户脾气急，先安抚") in steps and ("reply", "您好，已为您处理") in steps
    body = page(client, order).content.decode()
    assert 'class="event-note internal"' in body and 'class="tag to-customer"' in body


def test_the_note_never_reaches_the_customer_facing_reply_field_of_the_api(people):
    order = do_transition(people["agent"], record(people["agent"]), "accept")
    workorders.do_note(people["agent"], order, "内部备注：不要告诉客户")
    do_transition(people["agent"], order, "reply", "已修复")
    api = APIClient()
    api.force_authenticate(people["agent"])
    data = api.get(f"/api/v1/work-orders/{order.number}/").json()
    assert data["reply"] == "已修复"
    assert "不要告诉客户" not in data["reply"]


def test_a_note_does_not_make_an_open_page_stale(client, people):
    order = record(people["agent"])
    workorders.do_note(people["lead"], order, "看一下")
    client.force_login(people["agent"])
    client.post(
        reverse("complaints:order_action", args=[order.pk, "accept"]), {"version": order.version}
    )
    order.refresh_from_db()
    assert order.state == WorkOrderState.IN_PROGRESS


def test_an_empty_note_is_refused_on_the_page(client, people):
    order = record(people["agent"])
    client.force_login(people["agent"])
    response = client.post(reverse("complaints:order_note", args=[order.pk]), {"internal-note": ""})
    assert response.status_code == 400
    assert not order.events.filter(action="note").exists()


def test_every_action_is_confirmed(client, people):
    order = record(people["agent"])
    client.force_login(people["agent"])
    response = client.post(reverse("complaints:order_action", args=[order.pk, "accept"]))
    assert message_texts(response) == [
        f"accept: work order {order.number} is now in progress (first line)."
    ]


def test_the_remediation_owner_list_holds_only_who_may_own_remediation_in_the_city(people):
    auditor = UserFactory(username="c-auditor", roles=["auditor"], city_codes=["NJ"])
    noc = UserFactory(username="c-noc", roles=["network_ops"], city_codes=["NJ"])
    order = record(people["agent"])
    owners = {u.username for u in CallbackForm(order=order).fields["remediation_owner"].queryset}
    assert {"c-agent", "c-first", "c-second", "c-lead"} <= owners
    assert not owners & {auditor.username, noc.username, "c-outsider", "c-sz-lead"}


def test_an_owner_outside_the_list_is_refused_by_the_service_too(people):
    order = record(people["agent"])
    for action, note in (("accept", ""), ("reply", "已处理"), ("start_callback", "")):
        order = do_transition(people["agent"], order, action, note)
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="may not follow up"):
        workorders.record_callback(
            people["agent"], order, "dissatisfied", "不满意", people["outsider"]
        )
    order.refresh_from_db()
    assert order.state == WorkOrderState.AWAITING_CALLBACK


def test_the_administrator_is_not_offered_as_an_assignee_unless_given_a_handling_role(
    client, people, admin
):
    order = record(people["agent"])
    assert "admin" not in {u.username for u in workorders.holders(order)}
    assert "admin" not in {u.username for u in workorders.colleagues(people["lead"])}
    handler = UserFactory(
        username="admin2", roles=["administrator", "first_line"], is_superuser=True,
        city_codes=["NJ"],
    )  # fmt: skip
    assert handler.username in {u.username for u in workorders.holders(order)}
