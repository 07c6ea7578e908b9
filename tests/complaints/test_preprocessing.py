"""Pre-processing for the hotline (投诉预处理): the fault situation of a customer's accounts,
batch answers from a known fault, work orders during a fault linked as batch complaints,
and the interception rate — as services, on the pages and through the API."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from sqm.complaints import preprocessing
from sqm.complaints.choices import RecordType, WorkOrderState
from sqm.complaints.models import Category, WorkOrder
from sqm.complaints.preprocessing import do_batch_answer, fault_situation, interception_counts
from sqm.complaints.services import Intake, record_contact
from sqm.core.models import ChangeLogEntry
from sqm.network.alarms import parse_alarm
from sqm.network.choices import FaultState
from sqm.network.ingest import ingest
from sqm.network.models import FaultEvent
from sqm.notify.models import OutboundMessage
from sqm.notify.rules import SHANGHAI
from tests.api.data import token_client
from tests.factories import AccountFactory, CustomerFactory, OltFactory, city, onu, port

pytestmark = pytest.mark.django_db

STARTED = datetime(2026, 11, 22, 10, 0, tzinfo=SHANGHAI)
WORK_ORDER_FACTS = Intake(topic="other", accepted=False, demands=["restore"], dissatisfied=True)
ACCEPTED_FACTS = Intake(topic="other", accepted=True, demands=["restore"], dissatisfied=True)


class Net:
    """One OLT (玄武区) with two PON ports; the customer has an account on each, and a
    neighbour shares the first port."""

    def __init__(self) -> None:
        self.olt = OltFactory(olt_id="OLT-P", name="南京玄武OLT01", district="玄武区")
        self.pon_a, self.pon_b = port(self.olt, 0, 1, 0), port(self.olt, 0, 1, 1)
        self.customer = CustomerFactory(customer_id="C-PRE", mobile="13900001111")
        self.account = AccountFactory(
            account_id="B-1", customer=self.customer, onu=onu(self.pon_a, "ONU-1")
        )
        self.other = AccountFactory(
            account_id="B-2", customer=self.customer, onu=onu(self.pon_b, "ONU-2")
        )
        self.neighbour = AccountFactory(account_id="B-3", onu=onu(self.pon_a, "ONU-3"))

    def accounts(self):
        return list(self.customer.accounts.select_related("onu").order_by("account_id"))


@pytest.fixture
def net(db):
    return Net()


def alarm(alarm_id, event, when, level="pon", port_number=0, **extra):
    data = {"alarm_id": alarm_id, "event": event, "olt_id": "OLT-P", "level": level,
            "frame": 0, "slot": 1, "port": port_number, "type": "LOS",
            "severity": "critical", "occurred_at": when.isoformat()}  # fmt: skip
    data.update(extra)
    return data


def feed(*bodies, now):
    alarms = []
    for number, data in enumerate(bodies, start=1):
        parsed, errors = parse_alarm(data, number)
        assert not errors, errors
        alarms.append(parsed)
    return ingest(alarms, now=now)


def pon_down(started=STARTED, port_number=0, alarm_id="P0") -> FaultEvent:
    feed(alarm(alarm_id, "raise", started, port_number=port_number), now=started)
    return FaultEvent.objects.get(state=FaultState.ACTIVE, pon_port__port=port_number)


def category(code="NQ.BB.01"):
    return Category.objects.get(code=code)


# --- the fault situation ----------------------------------------------------------------------


def test_it_shows_the_outage_covering_the_customers_account(net, people):
    fault = pon_down()
    situation = fault_situation(people["agent"], net.accounts(), now=STARTED)

    assert situation.relevant
    [view] = situation.faults
    assert view.fault == fault and view.active
    assert view.element == "南京玄武OLT01 0/1/0"
    assert [a.account_id for a in view.accounts] == ["B-1"]  # not B-2, on the other port
    assert view.started_at == STARTED and view.down_since == STARTED
    assert view.estimated_recovery is None
    assert view.type_name == "光路中断"
    assert "玄武区" in view.script and "11月22日10:00起" in view.script
    assert "请您耐心等待" in view.script and "{" not in view.script


def test_the_script_gives_the_estimated_recovery_once_known(net, people):
    fault = pon_down()
    FaultEvent.objects.filter(pk=fault.pk).update(
        estimated_recovery=datetime(2026, 11, 22, 18, 30, tzinfo=SHANGHAI)
    )
    [view] = fault_situation(people["agent"], net.accounts(), now=STARTED).faults
    assert view.estimated_recovery is not None
    assert "预计11月22日18:30前恢复" in view.script


@pytest.mark.parametrize(
    "level, extra, states",
    [
        ("onu", {"onu_id": "ONU-1"}, {"onu": "down", "pon": "normal", "olt": "normal"}),
        ("pon", {}, {"onu": "down", "pon": "down", "olt": "normal"}),
        ("board", {}, {"onu": "down", "pon": "down", "olt": "normal"}),
        ("olt", {}, {"onu": "down", "pon": "down", "olt": "down"}),
    ],
)
def test_element_states_follow_the_alarm_on_the_onu_its_port_its_board_or_its_olt(
    net, people, level, extra, states
):
    feed(alarm("X1", "raise", STARTED, level=level, **extra), now=STARTED)
    by_account = {
        a.account.account_id: a for a in fault_situation(people["agent"], net.accounts()).accounts
    }
    mine = {e.kind: e.state for e in by_account["B-1"].elements}
    assert mine == states
    onu_state = by_account["B-1"].elements[0]
    assert (onu_state.alarm_type, onu_state.since) == ("LOS", STARTED)
    assert (onu_state.cause == "") == (level == "onu")  # a wider element's alarm is named
    other = {e.kind: e.state for e in by_account["B-2"].elements}
    expected_other = "down" if level in ("board", "olt") else "normal"
    assert other["onu"] == expected_other


def test_nothing_is_relevant_while_the_network_is_fine(net, people):
    feed(alarm("P1", "raise", STARTED, port_number=1), now=STARTED)
    feed(alarm("P1", "clear", STARTED + timedelta(minutes=1), port_number=1), now=STARTED)
    situation = fault_situation(people["agent"], net.accounts(), now=STARTED)
    assert not situation.relevant
    assert {e.state for a in situation.accounts for e in a.elements} == {"normal"}


def test_it_shows_the_sms_of_the_last_seven_days_but_never_the_mobile_number(net, people):
    pon_down()
    message = OutboundMessage.objects.get(account=net.account)
    OutboundMessage.objects.filter(pk=message.pk).update(state="sent", sent_at=STARTED)
    message.refresh_from_db()
    message.mobile = "13900001111"
    message.save(update_fields=["mobile", "pii_key_id"])
    old = OutboundMessage.objects.create(
        key="old", kind="fault", account=net.other, text="上周的短信",
        send_at=STARTED - timedelta(days=8),
    )  # fmt: skip

    [sms] = fault_situation(people["agent"], net.accounts(), now=STARTED).messages
    assert (sms.account_id, sms.kind, sms.state, sms.sent_at) == ("B-1", "fault", "sent", STARTED)
    assert "光路中断" in sms.text and sms.text != old.text
    assert not hasattr(sms, "mobile")


def test_it_needs_the_same_few_queries_for_one_account_or_many(net, people):
    feed(
        alarm("P0", "raise", STARTED),
        alarm("P1", "raise", STARTED, port_number=1),
        alarm("N1", "raise", STARTED, level="onu", onu_id="ONU-1"),
        now=STARTED,
    )
    user = people["agent"]
    user.city_ids()  # permissions and cities are read once per request anyway
    user.has_perm("network.view_faultevent")

    def count(accounts) -> int:
        with CaptureQueriesContext(connection) as queries:
            situation = fault_situation(user, accounts, now=STARTED)
        assert situation.faults
        return len(queries)

    one = count(net.accounts()[:1])
    for n in range(4):
        AccountFactory(customer=net.customer, onu=onu(net.pon_b, f"ONU-X{n}"))
    many = count(net.accounts())
    assert one == many <= 7  # faults, scripts, alarms, SMS; the open orders about the faults


def test_each_part_needs_its_permission(net, people, auditor):
    pon_down()
    assert not fault_situation(auditor, net.accounts()).relevant


# --- batch answers ------------------------------------------------------------------------


def test_a_batch_answer_records_a_direct_answer_linked_to_the_fault(net, people):
    fault = pon_down()
    agent = people["agent"]
    order = do_batch_answer(agent, net.customer, None, fault, description="宽带上不了网")

    order.refresh_from_db()
    assert order.record_type == RecordType.DIRECT_ANSWER_COMPLAINT
    assert order.state == WorkOrderState.CLOSED and order.closed_at is not None
    assert order.resolve_due is None and order.assignee is None  # never in a queue
    assert order.fault_event == fault
    assert order.account == net.account  # the account the fault covers
    assert order.category.code == preprocessing.BATCH_ANSWER_CATEGORY
    assert order.description == "宽带上不了网"
    assert "已知网络故障" in order.triage_reason and f"故障事件{fault.pk}" in order.triage_reason
    assert [e.action for e in order.events.all()] == ["open", "close"]
    assert order.events.get(action="close").note == order.triage_reason
    logged = ChangeLogEntry.objects.filter(object_id=str(order.pk), user=agent)
    assert logged.get().action == "create"  # the link is written with the record
    assert logged.get().after["fault_event"] == fault.pk
    assert not WorkOrder.objects.filter(record_type=RecordType.COMPLAINT_WORK_ORDER).exists()


def test_a_batch_answer_without_a_description_gets_a_standard_one(net, people):
    fault = pon_down()
    order = do_batch_answer(people["agent"], net.customer, net.account, fault)
    assert "光路中断" in order.description


def test_a_batch_answer_is_refused_when_the_fault_is_over(net, people):
    fault = pon_down()
    feed(alarm("P0", "clear", STARTED + timedelta(hours=1)), now=STARTED + timedelta(hours=1))
    fault.refresh_from_db()
    with pytest.raises(ValidationError, match="no longer active"):
        do_batch_answer(people["agent"], net.customer, net.account, fault)
    assert not WorkOrder.objects.exists()


def test_a_batch_answer_is_refused_for_an_account_the_fault_does_not_cover(net, people):
    fault = pon_down()
    with pytest.raises(ValidationError, match="does not cover account B-2"):
        do_batch_answer(people["agent"], net.customer, net.other, fault)
    stranger = CustomerFactory()
    AccountFactory(customer=stranger, onu=onu(net.pon_b, "ONU-9"))
    with pytest.raises(ValidationError, match="covers none of this customer"):
        do_batch_answer(people["agent"], stranger, None, fault)
    with pytest.raises(ValidationError, match="another customer"):
        do_batch_answer(people["agent"], stranger, net.account, fault)
    assert not WorkOrder.objects.exists()


@pytest.mark.parametrize("who", ["second", "outsider"])
def test_a_batch_answer_needs_the_right_to_record_in_the_customers_city(net, people, who):
    fault = pon_down()
    with pytest.raises(PermissionDenied):
        do_batch_answer(people[who], net.customer, net.account, fault)
    assert not WorkOrder.objects.exists()


# --- batch complaints ----------------------------------------------------------------------


def test_a_work_order_during_a_fault_is_linked_as_a_batch_complaint(net, people):
    fault = pon_down()
    agent = people["agent"]

    def contact(account, intake=WORK_ORDER_FACTS):
        order, _decision = record_contact(
            agent, customer=net.customer, account=account, category=category(),
            channel="hotline", description="断网了", intake=intake,
        )  # fmt: skip
        order.refresh_from_db()
        return order

    on_the_account = contact(net.account)
    assert on_the_account.record_type == RecordType.COMPLAINT_WORK_ORDER
    assert on_the_account.fault_event == fault
    assert on_the_account.triage_reason  # the entry rule's own reason
    assert "已知网络故障" not in on_the_account.triage_reason
    assert contact(None).fault_event == fault  # no account chosen: any of theirs
    assert contact(net.other).fault_event is None  # that account is fine
    assert contact(net.account, ACCEPTED_FACTS).fault_event is None  # not a work order

    feed(alarm("P0", "clear", STARTED + timedelta(hours=1)), now=STARTED + timedelta(hours=1))
    assert contact(net.account).fault_event is None  # the outage is over


def test_linking_a_work_order_costs_intake_one_indexed_query(net, people):
    pon_down()
    with CaptureQueriesContext(connection) as queries:
        assert preprocessing.covering_fault(net.customer, net.account) is not None
    assert len(queries) == 1
    assert "ended_at" in queries[0]["sql"]


# --- the interception rate -------------------------------------------------------------------


def test_the_interception_rate_counts_both(net, people):
    fault = pon_down()
    agent = people["agent"]
    do_batch_answer(agent, net.customer, None, fault)
    do_batch_answer(agent, net.customer, net.account, fault)
    record_contact(
        agent, customer=net.customer, account=net.account, category=category(),
        channel="hotline", description="断网了", intake=WORK_ORDER_FACTS,
    )  # fmt: skip
    record_contact(  # a work order with no fault: neither
        agent, customer=CustomerFactory(), category=category(), channel="hotline",
        description="网速慢", intake=WORK_ORDER_FACTS,
    )  # fmt: skip
    now = timezone.now()
    week = (now - timedelta(days=7), now + timedelta(seconds=1))

    counts = interception_counts(people["lead"], *week)
    assert (counts.intercepted, counts.batch_complaints) == (2, 1)
    assert counts.rate == pytest.approx(2 / 3) and counts.percent == 66.7
    assert interception_counts(people["lead"], *week, city="NJ").intercepted == 2
    assert interception_counts(people["lead"], *week, city=city("SZ")).intercepted == 0
    assert interception_counts(people["sz_lead"], *week).batch_complaints == 0
    earlier = interception_counts(people["lead"], now - timedelta(days=14), now - timedelta(days=7))
    assert (earlier.intercepted, earlier.batch_complaints, earlier.rate) == (0, 0, None)


# --- pages -------------------------------------------------------------------------------


@pytest.fixture
def live_fault(net):
    """A PON fault that started an hour ago (so its SMS count as recent)."""
    started = timezone.now().replace(microsecond=0) - timedelta(hours=1)
    return pon_down(started)


def test_the_intake_look_up_shows_the_fault_panel_with_the_batch_answer_button(
    client, net, people, live_fault
):
    client.force_login(people["agent"])
    response = client.get(reverse("complaints:intake_customer"), {"lookup": "C-PRE"})
    html = response.content.decode()
    assert 'id="preprocessing"' in html
    assert "南京玄武OLT01 0/1/0" in html and "玄武区" in html
    assert f'id="batch-answer-{live_fault.pk}"' in html
    assert 'data-state="down"' in html
    assert "13900001111" not in html


def test_the_intake_look_up_shows_no_panel_while_the_network_is_fine(client, net, people):
    client.force_login(people["agent"])
    response = client.get(reverse("complaints:intake_customer"), {"lookup": "C-PRE"})
    assert 'id="preprocessing"' not in response.content.decode()


def test_the_batch_answer_button_of_the_intake_page_answers_with_the_record_number(
    client, net, people, live_fault
):
    client.force_login(people["agent"])
    response = client.post(
        reverse("complaints:batch_answer"),
        {"customer": net.customer.pk, "account": "", "fault_event": live_fault.pk,
         "channel": "hotline", "description": "上不了网", "category": "", "topic": "other"},
        HTTP_HX_REQUEST="true",
    )  # fmt: skip
    order = WorkOrder.objects.get()
    assert response.status_code == 200
    assert response["HX-Trigger-After-Settle"] == "sqm:batch-answered"
    assert order.number in response.content.decode()
    assert (order.fault_event, order.description) == (live_fault, "上不了网")


def test_a_refused_batch_answer_says_why(client, net, people, live_fault):
    client.force_login(people["agent"])
    response = client.post(
        reverse("complaints:batch_answer"),
        {"customer": net.customer.pk, "account": net.other.pk, "fault_event": live_fault.pk},
        HTTP_HX_REQUEST="true",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert "does not cover account B-2" in response.content.decode()
    assert not WorkOrder.objects.exists()


def test_a_fault_of_another_city_is_not_found(client, net, people, live_fault):
    client.force_login(people["outsider"])
    response = client.post(
        reverse("complaints:batch_answer"),
        {"customer": net.customer.pk, "fault_event": live_fault.pk},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert not WorkOrder.objects.exists()


def test_the_customer_and_account_pages_show_the_panel_and_answer_from_the_fault(
    client, net, people, live_fault
):
    client.force_login(people["agent"])
    customer_page = client.get(reverse("customers:customer", args=[net.customer.pk]))
    html = customer_page.content.decode()
    assert 'id="preprocessing"' in html and f'id="batch-answer-{live_fault.pk}"' in html
    account_page = client.get(reverse("customers:account", args=[net.account.pk]))
    assert "南京玄武OLT01 0/1/0" in account_page.content.decode()
    fine_account = client.get(reverse("customers:account", args=[net.other.pk]))
    assert 'id="preprocessing"' not in fine_account.content.decode()

    response = client.post(
        reverse("complaints:batch_answer"),
        {"customer": net.customer.pk, "account": net.account.pk, "fault_event": live_fault.pk,
         "next": reverse("customers:customer", args=[net.customer.pk])},
    )  # fmt: skip
    order = WorkOrder.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("complaints:order", args=[order.pk])
    assert order.record_type == RecordType.DIRECT_ANSWER_COMPLAINT


def test_the_network_operations_see_the_panel_without_the_button(client, net, live_fault):
    from tests.factories import UserFactory

    noc = UserFactory(username="noc", roles=["network_ops"], city_codes=["NJ"])
    client.force_login(noc)
    html = client.get(reverse("customers:account", args=[net.account.pk])).content.decode()
    assert 'id="preprocessing"' in html and "batch-answer-" not in html


def test_the_team_overview_shows_the_interception_rate(client, net, people, live_fault):
    do_batch_answer(people["agent"], net.customer, None, live_fault)
    client.force_login(people["lead"])
    html = client.get(reverse("complaints:overview")).content.decode()
    assert 'id="intercepted-count">1<' in html
    assert 'id="batch-complaint-count">0<' in html
    assert 'id="interception-rate">100%<' in html


# --- API ---------------------------------------------------------------------------------


def test_the_api_records_a_batch_answer(net, people, live_fault):
    api = token_client(people["agent"])
    response = api.post(
        "/api/v1/work-orders/batch-answer/",
        {"customer": "C-PRE", "fault_event": live_fault.pk, "description": "断网"},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["record_type"] == "direct_answer_complaint" and body["state"] == "closed"
    assert body["fault_event"] == live_fault.pk and body["account"] == "B-1"
    assert "已知网络故障" in body["triage_reason"]


def test_the_api_refuses_a_batch_answer_the_fault_does_not_cover(net, people, live_fault):
    api = token_client(people["agent"])
    response = api.post(
        "/api/v1/work-orders/batch-answer/",
        {"customer": "C-PRE", "account": "B-2", "fault_event": live_fault.pk},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert "does not cover account B-2" in str(response.json())
    unknown = api.post(
        "/api/v1/work-orders/batch-answer/",
        {"customer": "C-PRE", "fault_event": live_fault.pk + 1000},
        format="json",
    )
    assert unknown.status_code == 400 and set(unknown.json()) == {"fault_event"}
    assert (
        token_client(people["second"])
        .post("/api/v1/work-orders/batch-answer/", {}, format="json")
        .status_code
        == 403
    )
    assert not WorkOrder.objects.exists()


def test_the_api_overview_gives_the_interception_counts(net, people, live_fault):
    do_batch_answer(people["agent"], net.customer, None, live_fault)
    body = token_client(people["lead"]).get("/api/v1/work-orders/overview/").json()
    assert body["interception"]["intercepted"] == 1
    assert body["interception"]["batch_complaints"] == 0
    assert body["interception"]["rate"] == 1.0
