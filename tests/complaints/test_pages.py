"""The work-order pages through Django's test client: intake, queue, detail actions, lists,
team-lead overview, export, attachments, breach reasons, batch causes."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from sqm.complaints import idempotency
from sqm.complaints.choices import RecordType, WorkOrderState
from sqm.complaints.models import Category, ComplaintCause, Department, WorkOrder
from sqm.core.models import AuditEntry, City
from tests.complaints.helpers import record
from tests.factories import AccountFactory, CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english_pages(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


def _intake(client, customer, **overrides):
    data = {
        "customer": customer.pk,
        "channel": "hotline",
        "topic": "other",
        "dissatisfied": "on",
        "demands": ["restore"],
        "description": "家里宽带网速很慢，晚上看视频一直卡",
        "category": Category.objects.get(code="NQ.BB.01").pk,
        "submission_key": idempotency.new_key(),
    }
    data.update(overrides)
    return client.post(reverse("complaints:intake"), data)


def test_it_records_a_work_order_from_the_intake_page(client, people):
    customer = CustomerFactory()
    client.force_login(people["agent"])
    response = _intake(client, customer)
    order = WorkOrder.objects.get(customer=customer)
    assert response.status_code == 302
    assert response.url == reverse("complaints:order", args=[order.pk])
    assert order.record_type == RecordType.COMPLAINT_WORK_ORDER
    assert order.topic == "other" and order.demands == ["restore"]
    assert order.triage_reason
    assert order.assignee == people["agent"]
    assert order.resolve_due is not None


def test_it_records_an_accepted_answer_as_a_closed_direct_answer_complaint(client, people):
    customer = CustomerFactory()
    client.force_login(people["agent"])
    _intake(client, customer, accepted="on")
    order = WorkOrder.objects.get(customer=customer)
    assert order.record_type == RecordType.DIRECT_ANSWER_COMPLAINT
    assert order.state == WorkOrderState.CLOSED
    assert order.resolve_due is None
    assert [e.action for e in order.events.all()] == ["open", "close"]


def test_it_keeps_the_form_and_says_why_when_no_customer_was_found(client, people):
    client.force_login(people["agent"])
    response = client.post(
        reverse("complaints:intake"),
        {"customer": 999999, "channel": "hotline", "topic": "other", "description": "x",
         "category": Category.objects.get(code="NQ.BB.01").pk,
         "submission_key": idempotency.new_key()},
    )  # fmt: skip
    assert response.status_code == 200
    assert "Find the customer first." in response.content.decode()
    assert not WorkOrder.objects.exists()


def test_it_finds_the_customer_by_mobile_number_with_accounts(client, people):
    customer = CustomerFactory(mobile="13912345678")
    AccountFactory(customer=customer)
    client.force_login(people["agent"])
    response = client.get(reverse("complaints:intake_customer"), {"lookup": "13912345678"})
    body = response.content.decode()
    assert f'name="customer" value="{customer.pk}"' in body
    assert "139****5678" in body and "13912345678" not in body
    assert 'name="account"' in body


def test_it_does_not_find_customers_of_other_cities(client, people):
    CustomerFactory(mobile="13912345679", city=City.objects.get(code="SZ"))
    client.force_login(people["agent"])
    response = client.get(reverse("complaints:intake_customer"), {"lookup": "13912345679"})
    assert "No customer found" in response.content.decode()


def test_it_previews_the_triage_decision(client, people):
    client.force_login(people["agent"])
    response = client.get(
        reverse("complaints:intake_triage"), {"topic": "refund", "accepted": "on"}
    )
    body = response.content.decode()
    assert "triage-direct_answer_complaint" in body
    assert "退费" in body


def test_my_queue_lists_my_orders_by_deadline_with_sla_colours(client, people):
    first = record(people["agent"])
    second = record(people["agent"], channel="regulator")  # upgraded: earlier deadline
    record(people["lead"])  # someone else's
    client.force_login(people["agent"])
    body = client.get(reverse("complaints:queue")).content.decode()
    assert body.index(second.number) < body.index(first.number)
    assert "sla-ontime" in body
    assert body.count('data-number="') == 2


def test_an_escalated_order_shows_in_the_department_members_queue(client, people):
    order = record(people["agent"])
    department = Department.objects.get(code="NET")
    department.members.add(people["second"])
    client.force_login(people["agent"])
    client.post(reverse("complaints:order_action", args=[order.pk, "accept"]))
    client.post(
        reverse("complaints:order_action", args=[order.pk, "escalate"]),
        {"note": "需要网络部排查", "department": department.pk},
    )
    client.force_login(people["second"])
    assert order.number in client.get(reverse("complaints:queue")).content.decode()
    client.post(reverse("complaints:order_action", args=[order.pk, "claim"]))
    order.refresh_from_db()
    assert order.assignee == people["second"]
    assert order.first_responsible == department


def test_a_refused_action_shows_the_reason_and_changes_nothing(client, people):
    order = record(people["agent"])
    client.force_login(people["agent"])
    client.post(reverse("complaints:order_action", args=[order.pk, "accept"]))
    response = client.post(reverse("complaints:order_action", args=[order.pk, "escalate"]))
    assert response.status_code == 400
    assert "Say why" in response.content.decode()
    order.refresh_from_db()
    assert order.state == WorkOrderState.IN_PROGRESS


def test_a_stale_page_loses_to_the_first_click(client, people):
    order = record(people["agent"])
    client.force_login(people["agent"])
    client.post(reverse("complaints:order_action", args=[order.pk, "accept"]), {"version": 0})
    client.post(
        reverse("complaints:order_action", args=[order.pk, "suspend"]),
        {"version": 0, "note": "等客户回电"},
    )
    order.refresh_from_db()
    assert order.state == WorkOrderState.IN_PROGRESS


@pytest.mark.parametrize("version", ["²", "١٢", "abc", ""])
def test_an_unreadable_version_is_no_conflict_and_no_server_error(people, version):
    # "²".isdigit() is true but int("²") raised; an unreadable version counts as none sent.
    from django.test import Client

    order = record(people["agent"])
    client = Client(raise_request_exception=True, HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(people["agent"])
    note = client.post(
        reverse("complaints:order_note", args=[order.pk]),
        {"version": version, "internal-note": "客户说晚上更慢"},
    )
    assert note.status_code == 302
    accept = client.post(
        reverse("complaints:order_action", args=[order.pk, "accept"]), {"version": version}
    )
    assert accept.status_code == 302
    order.refresh_from_db()
    assert order.state == WorkOrderState.IN_PROGRESS
    assert order.events.filter(note="客户说晚上更慢").exists()


def test_the_detail_page_shows_the_timeline_and_only_allowed_actions(client, people):
    order = record(people["agent"])
    client.force_login(people["agent"])
    body = client.get(reverse("complaints:order", args=[order.pk])).content.decode()
    assert 'id="timeline"' in body and "event-open" in body
    assert 'id="do-accept"' in body
    assert 'id="do-reply"' not in body
    client.force_login(people["outsider"])
    assert client.get(reverse("complaints:order", args=[order.pk])).status_code == 404


def test_a_dissatisfied_callback_reopens_for_remediation(client, people):
    order = record(people["agent"])
    client.force_login(people["agent"])
    for action, note in (("accept", ""), ("reply", "已处理"), ("start_callback", "")):
        client.post(reverse("complaints:order_action", args=[order.pk, action]), {"note": note})
    response = client.post(
        reverse("complaints:order_callback", args=[order.pk]),
        {"outcome": "dissatisfied", "note": "客户仍不满意"},
    )
    assert response.status_code == 400  # no follow-up owner named
    client.post(
        reverse("complaints:order_callback", args=[order.pk]),
        {"outcome": "dissatisfied", "note": "客户仍不满意", "remediation_owner": people["lead"].pk},
    )
    order.refresh_from_db()
    assert order.state == WorkOrderState.REOPENED
    assert order.remediation and order.remediation_owner == people["lead"]


def test_attachments_are_checked_stored_and_downloaded_in_scope(client, people, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    order = record(people["agent"])
    client.force_login(people["agent"])
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 100
    client.post(
        reverse("complaints:order_attach", args=[order.pk]),
        {"file": SimpleUploadedFile("截图.png", png, content_type="image/png")},
    )
    attachment = order.attachments.get()
    assert attachment.original_name == "截图.png" and attachment.size == len(png)
    assert (tmp_path / attachment.file.name).read_bytes() == png
    response = client.get(reverse("complaints:attachment", args=[attachment.pk]))
    assert b"".join(response.streaming_content) == png
    client.force_login(people["outsider"])
    assert client.get(reverse("complaints:attachment", args=[attachment.pk])).status_code == 404


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("tool.exe", b"MZ\x90\x00", "not accepted"),
        ("photo.png", b"MZ\x90\x00 not a png", "does not look like"),
        ("empty.pdf", b"", "empty"),
    ],
)
def test_it_refuses_bad_attachments_and_stores_nothing(
    client, people, settings, tmp_path, name, content, message
):
    settings.MEDIA_ROOT = tmp_path
    order = record(people["agent"])
    client.force_login(people["agent"])
    response = client.post(
        reverse("complaints:order_attach", args=[order.pk]),
        {"file": SimpleUploadedFile(name, content)},
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not order.attachments.exists()
    assert not any(tmp_path.rglob("*.*"))


def test_it_refuses_attachments_over_the_size_limit(client, people, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.SQM_ATTACHMENT_MAX_BYTES = 1000
    order = record(people["agent"])
    client.force_login(people["agent"])
    response = client.post(
        reverse("complaints:order_attach", args=[order.pk]),
        {"file": SimpleUploadedFile("big.txt", b"a" * 2000)},
    )
    assert response.status_code == 400
    assert not order.attachments.exists()


def test_the_list_filters_by_state_city_and_upgraded(client, people):
    plain = record(people["agent"])
    upgraded = record(people["agent"], channel="media")
    client.force_login(people["lead"])
    body = client.get(reverse("complaints:orders"), {"upgraded": "1"}).content.decode()
    assert upgraded.number in body and plain.number not in body
    body = client.get(reverse("complaints:orders"), {"q": plain.number}).content.decode()
    assert plain.number in body and upgraded.number not in body
    body = client.get(reverse("complaints:orders"), {"state": "closed"}).content.decode()
    assert plain.number not in body


def test_the_team_lead_overview_counts_overdue_orders(client, people):
    order = record(people["agent"])
    WorkOrder.objects.filter(pk=order.pk).update(
        resolve_due="2020-01-01T00:00:00+08:00", warn_at="2019-12-31T00:00:00+08:00"
    )
    record(people["agent"])
    client.force_login(people["lead"])
    response = client.get(reverse("complaints:overview"))
    assert response.context["summary"].overdue == 1
    assert response.context["summary"].open == 2
    assert order.number in response.content.decode()


def test_the_export_is_an_audited_workbook_without_personal_data(client, people):
    customer = CustomerFactory(mobile="13800001111")
    order = record(people["agent"], customer=customer)
    client.force_login(people["lead"])
    response = client.get(reverse("complaints:order_export"), {"open": "1"})
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(book.active.values)
    assert rows[1][0] == order.number
    assert "13800001111" not in str(rows)
    assert AuditEntry.objects.filter(action="export").exists()


def test_a_breach_reason_is_recorded_only_after_a_breach(client, people):
    order = record(people["agent"])
    client.force_login(people["lead"])
    response = client.post(
        reverse("complaints:order_breach", args=[order.pk]), {"reason": "客户不在家"}
    )
    assert response.status_code == 400
    WorkOrder.objects.filter(pk=order.pk).update(resolve_due="2020-01-01T00:00:00+08:00")
    client.post(reverse("complaints:order_breach", args=[order.pk]), {"reason": "客户不在家"})
    order.refresh_from_db()
    assert order.breach_reason == "客户不在家"
    assert order.events.filter(action="breach_reason").exists()


def test_work_orders_link_to_a_batch_cause(client, people):
    client.force_login(people["lead"])
    client.post(
        reverse("complaints:causes"),
        {"kind": "network_fault", "title": "鼓楼区OLT掉电", "started_at": "2026-11-20T08:00"},
    )
    cause = ComplaintCause.objects.get()
    order = record(people["agent"])
    client.post(reverse("complaints:order_cause", args=[order.pk]), {"cause": cause.pk})
    order.refresh_from_db()
    assert order.cause == cause
    body = client.get(reverse("complaints:cause", args=[cause.pk])).content.decode()
    assert order.number in body


def test_an_action_the_role_may_not_take_is_forbidden(client, people):
    order = record(people["agent"])
    client.force_login(people["second"])  # back office: the front line accepts
    response = client.post(reverse("complaints:order_action", args=[order.pk, "accept"]))
    assert response.status_code == 403
    order.refresh_from_db()
    assert order.state == WorkOrderState.NEW


def test_far_off_dates_in_the_filters_are_refused_not_a_crash(client, people):
    client.force_login(people["lead"])
    response = client.get(reverse("complaints:orders"), {"created_to": "9999-12-31"})
    assert response.status_code == 200
    assert "YYYY-MM-DD" in response.content.decode()


def test_changes_made_from_a_page_carry_the_request_id(client, people):
    from sqm.core.models import ChangeLogEntry

    order = record(people["agent"])
    client.force_login(people["agent"])
    client.post(
        reverse("complaints:order_action", args=[order.pk, "accept"]),
        HTTP_X_REQUEST_ID="req-accept-1",
    )
    assert ChangeLogEntry.objects.filter(request_id="req-accept-1").exists()
