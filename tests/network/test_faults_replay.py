"""`sqm faults replay`: the SMS an alarm file would cause, over the loaded topology."""

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.factories import AccountFactory, CustomerFactory, OltFactory, onu, port

pytestmark = pytest.mark.django_db


@pytest.fixture
def network():
    olt = OltFactory(olt_id="OLT-R")
    pon_a, pon_b = port(olt, 0, 1, 0), port(olt, 0, 1, 1)
    AccountFactory(account_id="A-1", onu=onu(pon_a, "ONU-1"))
    AccountFactory(account_id="A-2", onu=onu(pon_a, "ONU-2"))
    AccountFactory(account_id="A-3", onu=onu(pon_b, "ONU-3"))
    quiet = CustomerFactory(service_sms_opt_out=True)
    AccountFactory(account_id="A-4", customer=quiet, onu=onu(pon_b, "ONU-4"))
    AccountFactory(account_id="A-5", onu=onu(pon_b, "ONU-5"), status="suspended")
    return olt


def alarm(alarm_id, event, when, level="pon", port_number=0, **extra):
    body = {"alarm_id": alarm_id, "event": event, "olt_id": "OLT-R", "level": level,
            "frame": 0, "slot": 1, "port": port_number, "onu_id": None, "type": "LOS",
            "severity": "critical", "occurred_at": when}  # fmt: skip
    body.update(extra)
    return json.dumps(body, ensure_ascii=False)


def run(tmp_path, lines, *args):
    path = tmp_path / "alarms.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    call_command("faults", "replay", str(path), *args, stdout=out, stderr=err)
    return [json.loads(line) for line in out.getvalue().splitlines()], err.getvalue()


def test_a_night_fault_cleared_at_nine_sends_at_eight_and_nine(network, tmp_path):
    messages, _ = run(tmp_path, [
        alarm("X1", "raise", "2026-11-21T23:10:00+08:00"),
        alarm("X1", "clear", "2026-11-22T09:00:00"),  # naive: Asia/Shanghai
    ])  # fmt: skip
    assert messages == [
        {"account_id": "A-1", "kind": "fault", "send_at": "2026-11-22T08:00:00+08:00"},
        {"account_id": "A-2", "kind": "fault", "send_at": "2026-11-22T08:00:00+08:00"},
        {"account_id": "A-1", "kind": "recovery", "send_at": "2026-11-22T09:00:00+08:00"},
        {"account_id": "A-2", "kind": "recovery", "send_at": "2026-11-22T09:00:00+08:00"},
    ]


def test_a_night_fault_cleared_before_eight_sends_nothing(network, tmp_path):
    messages, err = run(tmp_path, [
        alarm("X1", "raise", "2026-11-21T23:10:00+08:00"),
        alarm("X1", "clear", "2026-11-22T06:30:00+08:00"),
    ])  # fmt: skip
    assert messages == []
    assert "outages 2" in err


def test_an_olt_storm_sends_one_sms_per_account_and_skips_opted_out_and_suspended(
    network, tmp_path
):
    messages, err = run(tmp_path, [
        alarm("P0", "raise", "2026-11-22T10:00:00+08:00"),
        alarm("O1", "raise", "2026-11-22T10:00:05+08:00", level="olt"),
        alarm("P1", "raise", "2026-11-22T10:00:07+08:00", port_number=1),
        alarm("P0", "raise", "2026-11-22T10:00:08+08:00"),  # duplicate
        alarm("O1", "clear", "2026-11-22T11:00:00+08:00", level="olt"),
        alarm("P1", "clear", "2026-11-22T11:30:00+08:00", port_number=1),
        alarm("P0", "clear", "2026-11-22T10:30:00+08:00"),  # out of file order
    ])  # fmt: skip
    faults = [m for m in messages if m["kind"] == "fault"]
    assert sorted(m["account_id"] for m in faults) == ["A-1", "A-2", "A-3"]
    assert {m["account_id"]: m["send_at"] for m in faults} == {
        "A-1": "2026-11-22T10:05:00+08:00",  # down since the PON alarm
        "A-2": "2026-11-22T10:05:00+08:00",
        "A-3": "2026-11-22T10:05:05+08:00",  # down since the OLT alarm
    }
    recovery = {m["account_id"]: m["send_at"] for m in messages if m["kind"] == "recovery"}
    assert recovery == {
        "A-1": "2026-11-22T11:00:00+08:00",
        "A-2": "2026-11-22T11:00:00+08:00",
        "A-3": "2026-11-22T11:30:00+08:00",
    }
    assert "duplicates 1" in err and "opted_out 1" in err


def test_an_outage_open_at_the_end_lists_its_fault_sms_only(network, tmp_path):
    messages, _ = run(tmp_path, [alarm("X1", "raise", "2026-11-22T12:00:00+08:00")])
    assert {m["kind"] for m in messages} == {"fault"}


def test_the_hold_down_and_window_options_change_the_plan(network, tmp_path):
    messages, _ = run(
        tmp_path,
        [alarm("X1", "raise", "2026-11-22T07:00:00+08:00")],
        "--hold-down", "0", "--window", "07:00-21:00",
    )  # fmt: skip
    assert {m["send_at"] for m in messages} == {"2026-11-22T07:00:00+08:00"}


def test_unknown_elements_are_counted_as_unmatched(network, tmp_path):
    messages, err = run(tmp_path, [
        alarm("U1", "raise", "2026-11-22T12:00:00+08:00", olt_id="OLT-NOPE"),
    ])  # fmt: skip
    assert messages == [] and "unmatched 1" in err


def test_a_bad_line_names_its_line_and_key_and_nothing_is_replayed(network, tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text(
        alarm("X1", "raise", "2026-11-22T12:00:00+08:00") + "\n"
        + alarm("X2", "explode", "yesterday") + "\n", encoding="utf-8"
    )  # fmt: skip
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("faults", "replay", str(path), stdout=io.StringIO(), stderr=err)
    assert f"{path}:2: event:" in err.getvalue()
    assert f"{path}:2: occurred_at:" in err.getvalue()


def test_a_minor_alarm_sends_nothing(network, tmp_path):
    messages, err = run(tmp_path, [
        alarm("T1", "raise", "2026-11-22T10:00:00+08:00", level="olt", type="high-temperature",
              severity="minor"),
    ])  # fmt: skip
    assert messages == []
    assert "no_service_impact 1" in err
