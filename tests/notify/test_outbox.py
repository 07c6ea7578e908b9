"""The outbox worker in-process: releasing due messages (guarded), opt-outs, results,
retries, the allowed hours, receipts → delivered/failed, stale `sending` messages, the
console backend and `sqm sms send`. SMPP runs against the loopback SMSC."""

from __future__ import annotations

import io
import json
import os
import threading
from datetime import datetime, timedelta

import pytest
from django.core.management import call_command
from django.db import connection, connections
from django.utils import timezone

from sqm.notify import outbox
from sqm.notify.choices import MessageState
from sqm.notify.models import OutboundMessage
from sqm.notify.rules import SHANGHAI
from sqm.notify.senders import ConsoleSender, SmppSender, get_sender
from sqm.notify.smpp import SmppConfig
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db

LONG = (
    "尊敬的客户：您所在区域的宽带网络因光缆故障中断，我们正在全力抢修，预计今天18:00前恢复。"
    "给您带来不便，敬请谅解。如有疑问请致电10086。【中国移动】"
)
TEN_AM = datetime(2026, 11, 22, 10, 0, tzinfo=SHANGHAI)


def message(i: int, text: str = "您的宽带已恢复。【中国移动】", *, opt_out=False, **fields):
    account = AccountFactory(customer__mobile=f"139{i:08d}", customer__service_sms_opt_out=opt_out)
    fields.setdefault("send_at", TEN_AM - timedelta(minutes=1))
    return OutboundMessage.objects.create(
        key=f"outage-{i}:fault", kind="fault", account=account, text=text, **fields
    )


def states() -> dict[str, str]:
    return dict(OutboundMessage.objects.values_list("key", "state"))


def smpp_sender(smsc, **config) -> SmppSender:
    options = {"rate": 0, "backoff_initial": 0.01, "source_addr": "10086"}
    options.update(config)
    return SmppSender(SmppConfig("127.0.0.1", smsc.port, **options))


def run(sender, **options):
    options.setdefault("clock", lambda: TEN_AM)
    options.setdefault("once", True)
    return outbox.send(sender=sender, **options)


# --- releasing -----------------------------------------------------------------------------


def test_release_takes_due_scheduled_messages_oldest_first_up_to_the_limit():
    late = message(1, send_at=TEN_AM - timedelta(minutes=1))
    early = message(2, send_at=TEN_AM - timedelta(minutes=5))
    message(3, send_at=TEN_AM + timedelta(minutes=1))  # not yet due
    message(4, state=MessageState.CANCELLED)

    taken = outbox.release_due(TEN_AM, limit=1)
    assert [m.pk for m in taken] == [early.pk]
    assert [m.pk for m in outbox.release_due(TEN_AM, limit=10)] == [late.pk]
    assert outbox.release_due(TEN_AM, limit=10) == []
    early.refresh_from_db()
    assert early.state == MessageState.SENDING and early.sent_at == TEN_AM


def test_a_message_another_worker_took_in_between_is_not_taken_again(monkeypatch):
    # Worker A saw three scheduled candidates, but worker B took the second before A's
    # guarded UPDATE … WHERE state='scheduled' ran (as on a database without row locks).
    # A returns only the messages it moved itself.
    first, second, third = message(1), message(2), message(3)
    assert outbox._take([second.pk], TEN_AM) == 1  # worker B
    monkeypatch.setattr(outbox, "_candidates", lambda now, limit: [first.pk, second.pk, third.pk])

    taken_by_a = outbox.release_due(TEN_AM, limit=10)
    assert sorted(m.pk for m in taken_by_a) == [first.pk, third.pk]
    assert states() == dict.fromkeys(
        ["outage-1:fault", "outage-2:fault", "outage-3:fault"], "sending"
    )


# Serialized rollback: a flush after a transactional test would drop the seeded cities.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_releases_never_take_the_same_message():
    if connection.vendor == "sqlite":
        pytest.skip(
            "the in-memory test database is one connection; tests/notify/test_crash.py "
            "runs concurrent senders on a SQLite file"
        )
    for i in range(200):
        message(i)
    taken: list[list[int]] = [[] for _ in range(4)]
    barrier = threading.Barrier(4)

    def worker(n: int) -> None:
        barrier.wait()
        try:
            while batch := outbox.release_due(TEN_AM, limit=7):
                taken[n].extend(m.pk for m in batch)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    everything = [pk for batch in taken for pk in batch]
    assert len(everything) == len(set(everything)) == 200


# --- sending -------------------------------------------------------------------------------


def test_sent_messages_record_their_smsc_ids_parts_and_attempts(smsc_factory):
    smsc = smsc_factory(receipts=False)
    short, long = message(1), message(2, LONG)
    worker = run(smpp_sender(smsc, bind="transmitter"))

    assert worker.summary.sent == 2 and worker.summary.taken == 2
    short.refresh_from_db()
    long.refresh_from_db()
    assert short.state == long.state == MessageState.SENT
    assert (short.parts, long.parts) == (1, 2)
    assert long.smsc_ids.split(",") == [p.message_id for p in smsc.received()[1:]]
    assert short.attempts == long.attempts == 1
    assert short.sent_at == TEN_AM and short.mobile == "13900000001"  # filled from the customer


def test_customers_who_opted_out_are_cancelled_not_sent(smsc_factory):
    smsc = smsc_factory(receipts=False)
    message(1)
    message(2, opt_out=True)
    worker = run(smpp_sender(smsc))

    assert states() == {"outage-1:fault": "sent", "outage-2:fault": "cancelled"}
    assert worker.summary.cancelled == 1
    assert [p.destination for p in smsc.received()] == ["13900000001"]


def test_a_mobile_already_on_the_message_is_used(smsc_factory):
    smsc = smsc_factory(receipts=False)
    message(1, mobile="13811112222")
    run(smpp_sender(smsc))
    assert [p.destination for p in smsc.received()] == ["13811112222"]


def test_receipts_move_messages_to_delivered_or_failed(smsc_factory):
    smsc = smsc_factory(fail={"13900000002"})
    message(1)
    message(2)
    message(3, LONG)  # delivered only when both parts are
    worker = run(smpp_sender(smsc, bind="transceiver"), receipt_wait=5)

    assert states() == {
        "outage-1:fault": "delivered",
        "outage-2:fault": "failed",
        "outage-3:fault": "delivered",
    }
    failed = OutboundMessage.objects.get(key="outage-2:fault")
    assert failed.last_error == "receipt stat:UNDELIV err:001" and failed.done_at == TEN_AM
    assert worker.summary.delivered == 2 and worker.summary.undelivered == 1


def test_a_long_message_waits_for_the_receipts_of_all_its_parts():
    msg = message(1, LONG, state=MessageState.SENT, smsc_ids="a1,a2", parts=2)
    delivered = outbox.Receipt(smsc_id="a2", stat="DELIVRD")
    assert outbox.apply_receipts([delivered], TEN_AM)["delivered"] == 0
    msg.refresh_from_db()
    assert msg.state == MessageState.SENT and msg.smsc_ids == "a1,a2+"
    outbox.apply_receipts([outbox.Receipt(smsc_id="a1", stat="DELIVRD")], TEN_AM)
    msg.refresh_from_db()
    assert msg.state == MessageState.DELIVERED and msg.done_at == TEN_AM


def test_receipts_match_whole_ids_only_and_unknown_ones_are_counted():
    message(1, state=MessageState.SENT, smsc_ids="12", parts=1)
    counts = outbox.apply_receipts(
        [outbox.Receipt(smsc_id="1", stat="DELIVRD"), outbox.Receipt("99", "ENROUTE")], TEN_AM
    )
    assert counts == {"receipts": 1, "delivered": 0, "undelivered": 0, "unmatched": 1}
    assert states() == {"outage-1:fault": "sent"}


def test_a_refused_message_is_retried_with_back_off_then_failed(smsc_factory, settings):
    settings.SQM_SMS_MAX_ATTEMPTS = 3
    settings.SQM_SMS_RETRY_SECONDS = 60
    smsc = smsc_factory(reject={"13900000001"})
    msg = message(1)
    sender = smpp_sender(smsc)

    now = TEN_AM
    for attempt, expected in [(1, "scheduled"), (2, "scheduled"), (3, "failed")]:
        run(sender, clock=lambda now=now: now)
        msg.refresh_from_db()
        assert (msg.attempts, msg.state) == (attempt, expected)
        if expected == "scheduled":
            assert msg.send_at == now + timedelta(seconds=60 * 2 ** (attempt - 1))
            assert "0x00000045" in msg.last_error
            assert run(sender, clock=lambda now=now: now).summary.taken == 0  # not yet
            now = msg.send_at
    assert msg.done_at is not None and len(smsc.received()) == 3


def test_a_retry_that_would_fall_at_night_waits_for_the_morning(settings):
    settings.SQM_SMS_RETRY_SECONDS = 120
    worker = outbox.Worker(ConsoleSender(stream=io.StringIO()))
    late = datetime(2026, 11, 22, 21, 59, tzinfo=SHANGHAI)
    assert worker.retry_at(late, 1) == datetime(2026, 11, 23, 8, 0, tzinfo=SHANGHAI)


def test_nothing_is_released_outside_the_allowed_hours_unless_asked():
    message(1, send_at=datetime(2026, 11, 22, 21, 55, tzinfo=SHANGHAI))
    night = datetime(2026, 11, 22, 22, 5, tzinfo=SHANGHAI)
    stream = io.StringIO()
    assert run(ConsoleSender(stream=stream), clock=lambda: night).summary.taken == 0
    assert states() == {"outage-1:fault": "scheduled"}
    assert run(ConsoleSender(stream=stream), clock=lambda: night, any_time=True).summary.sent == 1


def test_messages_left_sending_by_a_stopped_sender_are_requeued_and_counted():
    old = message(1, state=MessageState.SENDING, sent_at=TEN_AM - timedelta(minutes=10))
    message(2, state=MessageState.SENDING, sent_at=TEN_AM - timedelta(seconds=30))
    keys = outbox.requeue_stale(TEN_AM, timedelta(minutes=5))
    assert keys == ["outage-1:fault"]
    old.refresh_from_db()
    assert old.state == MessageState.SCHEDULED and old.attempts == 1
    assert "sent twice" in old.last_error
    assert states()["outage-2:fault"] == "sending"


# --- console backend and the command -----------------------------------------------------


def test_the_console_backend_writes_one_json_line_per_sms(tmp_path, settings):
    settings.SQM_SMS_BACKEND = "console"
    settings.SQM_SMS_FILE = str(tmp_path / "sms.jsonl")
    message(1)
    message(2, LONG)
    out = io.StringIO()
    call_command("sms", "send", "--once", "--any-time", "--json", stdout=out)

    summary = json.loads(out.getvalue())
    assert summary["sent"] == 2 and summary["delivered"] == 2 and summary["backend"] == "console"
    lines = [json.loads(line) for line in (tmp_path / "sms.jsonl").read_text().splitlines()]
    assert [line["mobile"] for line in lines] == ["139****0001", "139****0002"]
    assert [line["parts"] for line in lines] == [1, 2]
    assert lines[1]["text"] == LONG
    assert states() == {"outage-1:fault": "delivered", "outage-2:fault": "delivered"}


def test_the_console_backend_writes_to_stdout_without_a_file(settings, capsys):
    settings.SQM_SMS_FILE = None
    sender = get_sender("console")
    sender.open()
    assert sender.submit(outbox.Outgoing(ref=5, mobile="13900000005", text="测试")) == [
        "console-5-1"
    ]
    line = json.loads(capsys.readouterr().out)
    assert line["mobile"] == "139****0005" and line["text"] == "测试"


def test_sms_send_summarises_in_words(settings):
    settings.SQM_SMS_FILE = os.devnull
    message(1)
    out = io.StringIO()
    call_command("sms", "send", "--once", "--any-time", stdout=out)
    assert "sent 1" in out.getvalue()
    assert timezone.now()  # the real clock was used


def test_a_running_worker_sends_what_becomes_due_between_passes(smsc_factory):
    smsc = smsc_factory(receipts=False)
    now = [TEN_AM]
    message(1)
    message(2, send_at=TEN_AM + timedelta(minutes=1))
    passes = []

    def after_pass(worker):
        passes.append(worker.summary.sent)
        now[0] += timedelta(minutes=1)  # the clock moves on between passes

    worker = outbox.send(
        sender=smpp_sender(smsc),
        clock=lambda: now[0],
        idle_seconds=0,
        on_pass=after_pass,
        stop=lambda: len(passes) >= 3,
    )
    assert passes == [1, 2, 2]
    assert worker.summary.sent == 2 and states() == dict.fromkeys(states(), "sent")


def test_the_every_minute_job_sends_only_when_jobs_send(settings, tmp_path):
    from sqm.notify.tasks import send_due_sms

    local = timezone.now().astimezone(SHANGHAI)
    settings.SQM_SMS_WINDOW = (
        f"{local - timedelta(hours=1):%H:%M}-{local + timedelta(hours=1):%H:%M}"
    )
    settings.SQM_SMS_FILE = str(tmp_path / "sms.jsonl")
    message(1, send_at=timezone.now() - timedelta(minutes=1))

    settings.SQM_SMS_SEND_IN_JOBS = False
    assert send_due_sms.call_local() is None
    assert states() == {"outage-1:fault": "scheduled"}

    settings.SQM_SMS_SEND_IN_JOBS = True
    assert send_due_sms.call_local()["sent"] == 1
    assert states() == {"outage-1:fault": "delivered"}  # the console delivers at once
