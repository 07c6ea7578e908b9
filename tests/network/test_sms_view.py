"""The NOC's SMS view (issue 12 §4): why each fault SMS waits (hold-down, outside the
sending window, worker not running, sender failing), resending failed ones and cancelling an
event's scheduled batch, with refusals for other roles and cities."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from sqm.core.models import ChangeLogEntry
from sqm.network.alarms import parse_alarm
from sqm.network.ingest import ingest
from sqm.network.models import FaultEvent, Outage
from sqm.network.sms_services import (
    Pipeline,
    SmsFilters,
    cancel_scheduled,
    fault_messages,
    resend_failed,
    waiting_reason,
)
from sqm.notify import outbox
from sqm.notify.choices import MessageState
from sqm.notify.models import OutboundMessage, WorkerHeartbeat
from sqm.notify.rules import SHANGHAI
from sqm.notify.senders import Sender, SubmitError
from tests.factories import AccountFactory, OltFactory, UserFactory, onu, port

pytestmark = pytest.mark.django_db


def at(hour, minute=0, day=22):
    return datetime(2026, 11, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture
def noc(db):
    return UserFactory(username="noc", roles=["network_ops"], city_codes=["NJ"])


@pytest.fixture
def noc_suzhou(db):
    return UserFactory(username="noc-sz", roles=["network_ops"], city_codes=["SZ"])


def plant(accounts: int = 2) -> None:
    olt = OltFactory(olt_id="OLT-Q", name="南京玄武OLT09", district="玄武区")
    pon = port(olt, 0, 1, 0)
    for n in range(accounts):
        AccountFactory(account_id=f"Q-{n}", onu=onu(pon, f"ONU-Q{n}"))


def raise_at(when: datetime, alarm_id: str = "Q1") -> FaultEvent:
    body = {"alarm_id": alarm_id, "event": "raise", "olt_id": "OLT-Q", "level": "pon",
            "frame": 0, "slot": 1, "port": 0, "type": "LOS", "severity": "critical",
            "occurred_at": when.isoformat()}  # fmt: skip
    alarm, errors = parse_alarm(body, 1)
    assert not errors
    ingest([alarm], now=when)
    return FaultEvent.objects.get(alarms__alarm_id=alarm_id)


def beat(seen: datetime, **values) -> None:
    WorkerHeartbeat.objects.update_or_create(sender="console", defaults={"seen_at": seen, **values})


def reason_of(message: OutboundMessage, now: datetime):
    return waiting_reason(OutboundMessage.objects.get(pk=message.pk), Pipeline.read(now))


# --- why it waits ------------------------------------------------------------------------


def test_a_fault_sms_in_its_hold_down_says_so_and_until_when():
    plant(1)
    raise_at(at(10, 0))
    message = OutboundMessage.objects.get()
    beat(at(10, 1))
    reason = reason_of(message, at(10, 2))
    assert reason.code == "hold_down"
    assert reason.until == at(10, 5)
    assert "10:05" in reason.text


def test_a_fault_sms_planned_at_night_waits_for_the_window_to_open():
    plant(1)
    raise_at(at(23, 0))
    message = OutboundMessage.objects.get()
    beat(at(23, 9))
    reason = reason_of(message, at(23, 10))
    assert reason.code == "window"
    assert reason.until == at(8, 0, day=23)
    assert "08:00" in reason.text


def test_a_due_sms_outside_the_window_names_the_next_opening():
    plant(1)
    raise_at(at(21, 0))
    message = OutboundMessage.objects.get()
    beat(at(22, 30))
    reason = reason_of(message, at(22, 30))
    assert reason.code == "window" and reason.until == at(8, 0, day=23)


def test_a_simply_planned_sms_does_not_repeat_its_planned_time_as_its_reason():
    plant(1)
    raise_at(at(10, 0))
    message = OutboundMessage.objects.get()
    OutboundMessage.objects.filter(pk=message.pk).update(send_at=at(11, 0))
    beat(at(10, 30))
    reason = reason_of(message, at(10, 30))
    assert reason.code == "planned" and reason.until == at(11, 0)
    assert "11:00" not in reason.text and "Planned for" not in reason.text


def test_a_due_sms_with_no_worker_heartbeat_waits_for_a_worker():
    plant(1)
    raise_at(at(10, 0))
    message = OutboundMessage.objects.get()
    assert reason_of(message, at(11, 0)).code == "worker"
    beat(at(10, 0))  # an hour ago: the worker stopped
    reason = reason_of(message, at(11, 0))
    assert reason.code == "worker" and "10:00" in reason.text
    beat(at(10, 59))
    assert reason_of(message, at(11, 0)).code == "due"


def test_a_due_sms_whose_sender_keeps_failing_says_sender_failing():
    plant(1)
    raise_at(at(10, 0))
    message = OutboundMessage.objects.get()
    beat(at(10, 59), last_error="connection refused", last_error_at=at(10, 59))
    reason = reason_of(message, at(11, 0))
    assert reason.code == "sender" and "connection refused" in reason.text
    beat(
        at(10, 59),
        last_ok_at=at(
            10,
            59,
        ),
    )  # it sent since: no longer failing
    assert reason_of(message, at(11, 0)).code == "due"


class Refusing(Sender):
    name = "console"

    def submit(self, message):
        raise SubmitError("ESME_RTHROTTLED")


def test_a_refused_sms_waits_for_its_next_try_and_the_worker_records_the_failure():
    plant(1)
    raise_at(at(10, 0))
    outbox.send(sender=Refusing(), once=True, clock=lambda: at(10, 10))
    message = OutboundMessage.objects.get()
    assert message.state == MessageState.SCHEDULED and message.attempts == 1
    reason = reason_of(
        message,
        at(
            10,
            10,
        ),
    )
    assert reason.code == "sender" and "ESME_RTHROTTLED" in reason.text
    assert reason.until == message.send_at
    heartbeat = WorkerHeartbeat.objects.get(sender="console")
    assert heartbeat.seen_at == at(10, 10) and "ESME_RTHROTTLED" in heartbeat.last_error


def test_a_worker_pass_writes_its_heartbeat_and_last_success():
    plant(1)
    raise_at(at(10, 0))

    class Accepting(Sender):
        name = "console"

        def submit(self, message):
            return ["smsc-1"]

    outbox.send(sender=Accepting(), once=True, clock=lambda: at(10, 10))
    heartbeat = WorkerHeartbeat.objects.get()
    assert heartbeat.seen_at == at(10, 10) and heartbeat.last_ok_at == at(10, 10)
    # Sent: no longer waiting for the worker, only for its delivery receipt.
    assert reason_of(OutboundMessage.objects.get(), at(10, 11)).code == "receipt"


# --- the list ----------------------------------------------------------------------------


def test_the_list_shows_only_the_events_of_the_users_cities_newest_first(noc, noc_suzhou):
    plant(2)
    first = raise_at(at(9, 0))
    assert fault_messages(noc_suzhou, SmsFilters()).count() == 0
    listed = list(fault_messages(noc, SmsFilters(fault=first.pk)))
    assert len(listed) == 2
    assert listed == sorted(listed, key=lambda m: (m.send_at, m.pk), reverse=True)
    assert not fault_messages(noc, SmsFilters(state=MessageState.FAILED)).exists()


# --- resend and cancel -------------------------------------------------------------------


def logged(pk: int):
    """The change-log entries of outbox message PK."""
    return ChangeLogEntry.objects.filter(
        content_type__app_label="notify", content_type__model="outboundmessage", object_id=str(pk)
    )


def fail_all() -> None:
    OutboundMessage.objects.update(
        state=MessageState.FAILED, attempts=3, last_error="receipt stat:UNDELIV err:001"
    )


def test_resending_puts_failed_sms_back_due_now_and_logs_who_did_it(noc):
    plant(2)
    raise_at(at(10, 0))
    fail_all()
    ids = list(OutboundMessage.objects.values_list("pk", flat=True))
    result = resend_failed(noc, ids[:1], now=at(12, 0))
    assert result.resent == 1
    again = OutboundMessage.objects.get(pk=ids[0])
    assert again.state == MessageState.SCHEDULED and again.attempts == 0
    assert again.send_at == at(12, 0) and not again.mobile
    assert OutboundMessage.objects.get(pk=ids[1]).state == MessageState.FAILED
    entry = logged(ids[0]).get()
    assert entry.user == noc
    assert entry.before["state"] == "failed" and entry.after["state"] == "scheduled"
    # Guarded: a second resend of the same message changes nothing.
    assert resend_failed(noc, ids[:1], now=at(12, 1)).resent == 0


def test_a_fault_sms_of_an_outage_that_is_over_is_never_resent(noc):
    plant(1)
    raise_at(at(10, 0))
    fail_all()
    Outage.objects.update(ended_at=at(11, 0))
    result = resend_failed(noc, list(OutboundMessage.objects.values_list("pk", flat=True)))
    assert result.resent == 0 and result.skipped_ended == 1
    assert OutboundMessage.objects.get().state == MessageState.FAILED


def test_cancelling_a_batch_cancels_only_the_events_still_scheduled_sms(noc):
    plant(3)
    fault = raise_at(at(10, 0))
    taken, sent, waiting = OutboundMessage.objects.order_by("pk")
    OutboundMessage.objects.filter(pk=taken.pk).update(state=MessageState.SENDING)
    OutboundMessage.objects.filter(pk=sent.pk).update(state=MessageState.SENT)
    assert cancel_scheduled(noc, fault, now=at(10, 3)) == 1
    states = dict(OutboundMessage.objects.values_list("pk", "state"))
    assert states == {
        taken.pk: MessageState.SENDING,
        sent.pk: MessageState.SENT,
        waiting.pk: MessageState.CANCELLED,
    }
    assert "noc" in OutboundMessage.objects.get(pk=waiting.pk).last_error
    assert logged(waiting.pk).filter(user=noc).exists()


def test_other_roles_and_other_cities_may_not_resend_or_cancel(noc_suzhou, agent):
    plant(1)
    fault = raise_at(at(10, 0))
    for user in (agent,):
        with pytest.raises(PermissionDenied):
            cancel_scheduled(user, fault)
        with pytest.raises(PermissionDenied):
            resend_failed(user, [OutboundMessage.objects.get().pk])
    with pytest.raises(PermissionDenied):
        cancel_scheduled(noc_suzhou, fault)
    fail_all()
    assert resend_failed(noc_suzhou, [OutboundMessage.objects.get().pk]).resent == 0
    assert OutboundMessage.objects.get().state == MessageState.FAILED


# --- the page ----------------------------------------------------------------------------


def test_the_page_shows_each_sms_with_its_reason_in_chinese_and_the_actions_work(client, noc):
    plant(2)
    fault = raise_at(timezone.now() - timedelta(hours=1))
    client.force_login(noc)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    html = client.get(f"/network/sms/?fault={fault.pk}").content.decode()
    assert 'id="sms-list"' in html and "Q-0" in html
    assert 'data-reason="' in html and 'id="cancel-batch"' in html
    response = client.post(f"/network/faults/{fault.pk}/sms/cancel/", {"confirm": "yes"})
    assert response.status_code == 302
    assert set(OutboundMessage.objects.values_list("state", flat=True)) == {"cancelled"}


def test_the_page_shows_when_a_delivered_sms_was_delivered(client, noc):
    plant(2)
    fault = raise_at(timezone.now() - timedelta(hours=1))
    first, second = OutboundMessage.objects.order_by("pk")
    done = datetime(2026, 11, 22, 10, 7, tzinfo=SHANGHAI)
    # One with its parts known, one delivered with no part count (as the demo's are).
    OutboundMessage.objects.filter(pk=first.pk).update(
        state="delivered", parts=2, smsc_ids="a1,a2", done_at=done
    )
    OutboundMessage.objects.filter(pk=second.pk).update(state="delivered", done_at=done)
    client.force_login(noc)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    html = client.get(f"/network/sms/?fault={fault.pk}").content.decode()

    def receipts_of(pk: int) -> str:
        row = html.split(f'data-message="{pk}"', 1)[1].split("</tr>", 1)[0]
        return row.split('class="receipts">', 1)[1].split("</td>", 1)[0]

    assert receipts_of(first.pk) == "2 of 2 parts delivered · 11-22 10:07"
    assert receipts_of(second.pk) == "delivered 11-22 10:07"


def test_the_page_refuses_the_actions_to_an_agent(client, agent):
    plant(1)
    fault = raise_at(timezone.now() - timedelta(hours=1))
    client.force_login(agent)
    assert client.get("/network/sms/").status_code == 200
    assert (
        client.post(f"/network/faults/{fault.pk}/sms/cancel/", {"confirm": "yes"}).status_code
        == 403
    )
    assert OutboundMessage.objects.get().state == MessageState.SCHEDULED


def test_the_page_offers_resend_only_for_failed_sms_and_resends_the_selected(client, noc):
    plant(2)
    fault = raise_at(timezone.now() - timedelta(hours=1))
    client.force_login(noc)
    assert 'id="resend-button"' not in client.get("/network/sms/").content.decode()
    fail_all()
    html = client.get(f"/network/sms/?fault={fault.pk}&state=failed").content.decode()
    assert html.count('name="message"') == 2
    chosen = OutboundMessage.objects.order_by("pk").first()
    next_url = f"/network/sms/?fault={fault.pk}"
    response = client.post("/network/sms/resend/", {"message": [chosen.pk], "next": next_url})
    assert response.status_code == 302 and response["Location"] == next_url
    assert OutboundMessage.objects.get(pk=chosen.pk).state == MessageState.SCHEDULED
    assert OutboundMessage.objects.exclude(pk=chosen.pk).get().state == MessageState.FAILED


def test_the_api_lists_fault_sms_with_their_waiting_reason_and_masked_numbers(client, noc):
    plant(1)
    fault = raise_at(timezone.now() - timedelta(hours=1))
    client.force_login(noc)
    body = client.get(f"/api/v1/fault-sms/?fault={fault.pk}").json()
    assert body["count"] == 1
    row = body["results"][0]
    assert row["fault_event"] == fault.pk and row["account"] == "Q-0"
    assert "****" in row["mobile"] and row["state"] == "scheduled"
    assert row["waiting_reason"]["code"] in {"hold_down", "window", "worker", "due", "planned"}


def test_a_message_refused_for_good_does_not_mark_the_sender_as_failing():
    plant(1)
    raise_at(at(10, 0))

    class BadNumber(Sender):
        name = "console"

        def submit(self, message):
            raise SubmitError("invalid destination", permanent=True)

    outbox.send(sender=BadNumber(), once=True, clock=lambda: at(10, 10))
    assert OutboundMessage.objects.get().state == MessageState.FAILED
    assert not WorkerHeartbeat.objects.get().last_error
    assert Pipeline.read(at(10, 11)).sender_failing is False


# --- hostile input -------------------------------------------------------------------------


@pytest.mark.parametrize("fault", ["²", "١٢", "-1", "99999999999999999999"])
def test_a_fault_filter_of_non_ascii_digits_is_left_out_as_not_understood(fault):
    # "²".isdigit() is true but int("²") raises; int("١٢") is 12, which nobody typed.
    filters = SmsFilters.from_query({"fault": fault})
    assert filters.fault is None and filters.errors == {"fault": fault}


@pytest.mark.parametrize("fault", ["²", "١٢"])
def test_the_page_and_the_api_answer_a_non_ascii_fault_filter_without_a_server_error(noc, fault):
    from django.test import Client

    plant(1)
    raise_at(timezone.now() - timedelta(hours=1))
    client = Client(raise_request_exception=True)
    client.force_login(noc)
    page = client.get("/network/sms/", {"fault": fault})
    assert page.status_code == 200 and page.context["filters"].errors == {"fault": fault}
    assert page.context["fault"] is None
    api = client.get("/api/v1/fault-sms/", {"fault": fault})
    assert api.status_code == 200 and api.json()["count"] == 1  # the filter is left out


def test_resending_with_non_ascii_digits_as_ids_resends_nothing(noc):
    from django.test import Client

    plant(1)
    raise_at(timezone.now() - timedelta(hours=1))
    fail_all()
    failed = OutboundMessage.objects.get()
    client = Client(raise_request_exception=True)
    client.force_login(noc)
    response = client.post("/network/sms/resend/", {"message": ["²", "١٢"]})
    assert response.status_code == 302
    assert OutboundMessage.objects.get(pk=failed.pk).state == MessageState.FAILED


@pytest.mark.parametrize("next_url", ["-1", "abc", "https://evil.example/", "//evil.example/"])
def test_an_action_whose_next_is_not_a_path_of_this_site_returns_to_the_list(noc, next_url):
    from django.test import Client

    plant(1)
    fault = raise_at(timezone.now() - timedelta(hours=1))
    client = Client(raise_request_exception=True)
    client.force_login(noc)
    response = client.post(
        f"/network/faults/{fault.pk}/sms/cancel/", {"confirm": "no", "next": next_url}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/network/sms/?fault={fault.pk}"
