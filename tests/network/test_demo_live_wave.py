"""The demo's live fault is still sending when someone opens the demo (issue 12 §5, "a demo
province in motion"): the walk-through found all of its SMS settled at load time — 176
delivered, 14 `sent` waiting for receipts that no sender of the demo would ever send, none
left to go. Now the first part is delivered and the rest is planned over the next hour, for
the worker `sqm demo` serves with."""

from __future__ import annotations

import io
from datetime import datetime

import pytest
from django.utils import timezone

from sqm.core import demo
from sqm.network.models import FaultEvent
from sqm.network.province.demo import LIVE_SPREAD, raise_live_fault
from sqm.notify.models import OutboundMessage
from sqm.notify.rules import SHANGHAI, current_rules
from tests.factories import AccountFactory, OltFactory, onu, port

pytestmark = pytest.mark.django_db


def at(hour, minute=0, day=2):
    return datetime(2026, 12, day, hour, minute, tzinfo=SHANGHAI)


def olt_with(accounts: int) -> None:
    olt = OltFactory(olt_id="OLT-NJ-0002", name="南京江宁区-工农南路-OLT01", district="江宁区")
    pon = port(olt, 0, 1, 0)
    for n in range(accounts):
        AccountFactory(account_id=f"L-{n:03d}", onu=onu(pon, f"ONU-L{n:03d}"))


def wave(fault: FaultEvent):
    return OutboundMessage.objects.filter(fault_event=fault, kind="fault")


def test_the_live_wave_is_partly_delivered_and_the_rest_planned_over_the_next_hour():
    olt_with(40)
    now = at(10, 30)
    fault = raise_live_fault(current_rules(), now)
    messages = wave(fault)
    assert set(messages.values_list("state", flat=True)) == {"delivered", "scheduled"}
    for sent_at, done_at in messages.filter(state="delivered").values_list("sent_at", "done_at"):
        assert fault.started_at < sent_at < done_at <= now
    planned = sorted(messages.filter(state="scheduled").values_list("send_at", flat=True))
    assert len(planned) >= 10
    assert now < planned[0] and planned[-1] <= now + LIVE_SPREAD
    assert len(set(planned)) == len(planned)  # one after the other, not one burst


def test_no_live_sms_is_left_sent_waiting_for_a_receipt_no_sender_will_send():
    olt_with(40)
    fault = raise_live_fault(current_rules(), at(10, 30))
    assert not wave(fault).filter(state="sent").exists()


def test_the_part_of_the_wave_that_falls_after_22_00_waits_for_the_morning():
    olt_with(40)
    now = at(21, 40)
    fault = raise_live_fault(current_rules(), now)
    planned = list(wave(fault).filter(state="scheduled").values_list("send_at", flat=True))
    evening = [t for t in planned if t < at(22, 0)]
    morning = [t for t in planned if t >= at(22, 0)]
    assert evening and all(t > now for t in evening)
    assert morning and all(t == at(8, 0, day=3) for t in morning)


def test_at_night_the_rest_of_the_wave_waits_for_the_window_to_open():
    olt_with(40)
    fault = raise_live_fault(current_rules(), at(23, 30))
    planned = set(wave(fault).filter(state="scheduled").values_list("send_at", flat=True))
    assert planned and all(t < at(22, 0) for t in planned)  # due: they go at 08:00
    assert not wave(fault).filter(state="sent").exists()


def test_after_loading_the_demo_the_live_event_still_has_sms_to_send(settings, tmp_path):
    settings.SQM_HOME = tmp_path
    demo.ensure_users()
    demo.load_province(3_000, 2026, lambda text: None, months=1, only={"topology", "customers",
                       "alarms"})  # fmt: skip
    now = timezone.now()
    live = FaultEvent.objects.get(alarms__alarm_id__startswith="DEMO-")
    messages = wave(live)
    assert messages.filter(state="delivered").exists()
    assert messages.filter(state="scheduled", send_at__gt=now).exists()
    assert not messages.filter(state="sent").exists()


def test_the_demos_every_minute_job_sends_the_paced_wave_at_its_times(settings):
    """What `sqm demo` serves with: `sqm serve`'s Huey consumer runs notify's every-minute
    job, which sends with the console sender when SQM_SMS_SEND_IN_JOBS is on (the default
    with it); each pass sends what is due by then and its receipts deliver it."""
    from huey.contrib.djhuey import HUEY

    from sqm.notify import outbox, tasks  # noqa: F401 - tasks registers the job
    from sqm.notify.senders import ConsoleSender

    assert settings.SQM_SMS_BACKEND == "console" and settings.SQM_SMS_SEND_IN_JOBS
    due_each_minute = {task.name for task in HUEY.read_periodic(datetime(2026, 12, 2, 10, 31))}
    assert any(name.endswith("send_due_sms") for name in due_each_minute)
    olt_with(40)
    now = at(10, 30)
    fault = raise_live_fault(current_rules(), now)
    planned = sorted(wave(fault).filter(state="scheduled").values_list("send_at", flat=True))
    half = planned[len(planned) // 2]
    sink = io.StringIO()
    outbox.send(sender=ConsoleSender(stream=sink), once=True, clock=lambda: half)
    messages = wave(fault)
    assert messages.filter(state="delivered", sent_at__gt=now).count() == len(
        [t for t in planned if t <= half]
    )
    assert all(t > half for t in messages.filter(state="scheduled").values_list(
        "send_at", flat=True))  # fmt: skip


def test_sqm_demo_serves_with_the_worker_that_runs_the_sms_job(monkeypatch):
    """`sqm demo` ends in `sqm serve`, which starts the Huey consumer next to gunicorn (the
    every-minute SMS job runs there): nothing set up by the demo turns the worker off."""
    from django.core.management import call_command

    from sqm.core.management.commands import demo as demo_command
    from sqm.core.management.commands import serve

    # The test database is migrated already, inside this test's transaction (where SQLite's
    # schema editor may not run): only the migrate step is skipped.
    def call_command_but_migrate(name, *args, **kwargs):
        if name != "migrate":
            return call_command(name, *args, **kwargs)

    monkeypatch.setattr(demo_command, "call_command", call_command_but_migrate)
    monkeypatch.setattr(demo, "ensure_users", lambda: [])
    monkeypatch.setattr(demo, "load_province", lambda *args, **kwargs: [])
    started: list[list[str]] = []

    class Ended:
        returncode = 0

        def __init__(self, args, **kwargs):
            started.append([str(arg) for arg in args])

        def poll(self):
            return 0

        def wait(self, timeout=None):
            return 0

    monkeypatch.setattr(serve.subprocess, "Popen", Ended)
    monkeypatch.setattr(serve.signal, "signal", lambda *args: None)  # keep pytest's handlers
    call_command("demo", port=8799, stdout=io.StringIO())
    assert any("gunicorn" in command for command in started)
    assert any("run_huey" in command for command in started)
