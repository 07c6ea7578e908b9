"""Live alarm ingestion: the database store, fault events, outages and the outbox."""

import io
import json
from datetime import datetime

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from sqm.network.alarms import parse_alarm
from sqm.network.choices import AlarmOutcome, FaultState
from sqm.network.ingest import ingest, ingest_objects
from sqm.network.models import Alarm, AlarmEvent, FaultEvent, Outage
from sqm.notify.models import OutboundMessage, SmsTemplate
from sqm.notify.rules import SHANGHAI
from tests.factories import AccountFactory, CustomerFactory, OltFactory, onu, port

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture
def network():
    olt = OltFactory(olt_id="OLT-L", district="玄武区")
    pon_a, pon_b = port(olt, 0, 1, 0), port(olt, 0, 1, 1)
    AccountFactory(account_id="A-1", onu=onu(pon_a, "ONU-1"))
    AccountFactory(account_id="A-2", onu=onu(pon_a, "ONU-2"))
    AccountFactory(account_id="A-3", onu=onu(pon_b, "ONU-3"))
    quiet = CustomerFactory(service_sms_opt_out=True)
    AccountFactory(account_id="A-4", customer=quiet, onu=onu(pon_b, "ONU-4"))
    AccountFactory(account_id="A-5", onu=onu(pon_b, "ONU-5"), status="suspended")
    return olt


def body(alarm_id, event, when, level="pon", port_number=0, **extra):
    data = {"alarm_id": alarm_id, "event": event, "olt_id": "OLT-L", "level": level,
            "frame": 0, "slot": 1, "port": port_number, "type": "LOS",
            "severity": "critical", "occurred_at": when}  # fmt: skip
    data.update(extra)
    return data


def feed(*bodies, now=NOW):
    alarms = []
    for number, data in enumerate(bodies, start=1):
        alarm, errors = parse_alarm(data, number)
        assert not errors, errors
        alarms.append(alarm)
    return ingest(alarms, now=now)


def messages(kind=None):
    rows = OutboundMessage.objects.order_by("send_at", "account__account_id")
    if kind:
        rows = rows.filter(kind=kind)
    return [(m.account.account_id, m.kind, m.state, m.send_at.astimezone(SHANGHAI)) for m in rows]


def at(hour, minute=0, day=22):
    return datetime(2026, 11, day, hour, minute, tzinfo=SHANGHAI)


def test_it_opens_a_fault_event_with_outages_and_schedules_fault_sms(network):
    counts = feed(body("P0", "raise", "2026-11-22T10:00:00+08:00"))
    fault = FaultEvent.objects.get()
    assert (fault.level, fault.state, fault.affected_accounts) == ("pon", "active", 2)
    assert fault.pon_port.port == 0 and fault.city == network.city
    assert Outage.objects.filter(ended_at__isnull=True).count() == 2
    assert messages() == [
        ("A-1", "fault", "scheduled", at(10, 5)),
        ("A-2", "fault", "scheduled", at(10, 5)),
    ]
    assert counts["notices_scheduled"] == 2
    text = OutboundMessage.objects.first().text
    assert "玄武区" in text and "光路中断" in text and "10086" in text and "{" not in text


def test_it_skips_customers_who_opted_out_and_counts_them(network):
    counts = feed(body("P1", "raise", "2026-11-22T10:00:00+08:00", port_number=1))
    assert [m[0] for m in messages()] == ["A-3"]  # A-4 opted out, A-5 suspended
    assert counts["opted_out"] == 1
    assert Outage.objects.count() == 2


def test_a_repeated_alarm_event_changes_nothing(network):
    feed(body("P0", "raise", "2026-11-22T10:00:00+08:00"))
    counts = feed(body("P0", "raise", "2026-11-22T10:00:00+08:00"))
    assert counts["duplicates"] == 1 and counts["raised"] == 0
    assert AlarmEvent.objects.count() == 1 and Outage.objects.count() == 2
    assert OutboundMessage.objects.count() == 2


def test_a_clear_before_the_notice_cancels_it_and_sends_no_recovery(network):
    feed(body("P0", "raise", "2026-11-22T10:00:00+08:00"))
    counts = feed(body("P0", "clear", "2026-11-22T10:03:00+08:00"), now=at(10, 3))
    assert counts["notices_cancelled"] == 2 and counts["recoveries_scheduled"] == 0
    assert {m[2] for m in messages()} == {"cancelled"}
    fault = FaultEvent.objects.get()
    assert fault.state == FaultState.CLEARED and fault.ended_at == at(10, 3)
    assert not Outage.objects.filter(ended_at__isnull=True).exists()


def test_a_clear_after_the_notice_went_schedules_the_recovery(network):
    feed(body("P0", "raise", "2026-11-22T21:00:00+08:00"))
    OutboundMessage.objects.update(state="sent")
    counts = feed(body("P0", "clear", "2026-11-22T23:30:00+08:00"), now=at(23, 30))
    assert counts["recoveries_scheduled"] == 2
    assert messages("recovery") == [
        ("A-1", "recovery", "scheduled", at(8, 0, day=23)),
        ("A-2", "recovery", "scheduled", at(8, 0, day=23)),
    ]
    assert "已于11月22日23:30修复" in OutboundMessage.objects.filter(kind="recovery")[0].text
    # Clearing again changes nothing.
    again = feed(body("P0", "clear", "2026-11-22T23:30:00+08:00"), now=at(23, 31))
    assert again["duplicates"] == 1 and OutboundMessage.objects.count() == 4


def test_a_night_raise_plans_the_notice_at_eight(network):
    feed(body("P0", "raise", "2026-11-22T23:10:00+08:00"), now=at(23, 10))
    assert {m[3] for m in messages()} == {at(8, 0, day=23)}


@pytest.mark.parametrize(
    "raised, planned",
    [
        ("2026-11-22T21:54:00+08:00", at(21, 59)),
        ("2026-11-22T21:55:00+08:00", at(8, 0, day=23)),  # 22:00 is outside the window
        ("2026-11-22T07:54:00+08:00", at(8, 0)),  # 07:59 is outside
        ("2026-11-22T07:55:00+08:00", at(8, 0)),
        ("2026-11-22T07:56:00+08:00", at(8, 1)),
    ],
)
def test_the_notice_time_follows_hold_down_and_window_edges(network, raised, planned):
    feed(body("P0", "raise", raised), now=at(7, 0))
    assert {m[3] for m in messages()} == {planned}


@pytest.mark.parametrize("olt_first", [True, False])
def test_the_olt_event_absorbs_its_pon_and_onu_alarms_in_either_order(network, olt_first):
    olt = body("O1", "raise", "2026-11-22T10:00:01+08:00", level="olt")
    pon = body("P0", "raise", "2026-11-22T10:00:02+08:00")
    onu_alarm = body("N3", "raise", "2026-11-22T10:00:03+08:00", level="onu", onu_id="ONU-3",
                     port_number=1)  # fmt: skip
    if olt_first:
        for data in (olt, pon, onu_alarm):
            feed(data)
    else:
        for data in (pon, onu_alarm, olt):
            feed(data)
    active = FaultEvent.objects.filter(state=FaultState.ACTIVE).get()
    assert active.level == "olt"
    assert set(Alarm.objects.values_list("fault_event", flat=True)) == {active.pk}
    assert active.affected_accounts == 4  # A-1…A-4 (A-5 is suspended)
    assert Outage.objects.count() == 4
    assert OutboundMessage.objects.filter(kind="fault").count() == 3  # A-4 opted out
    assert set(OutboundMessage.objects.values_list("fault_event", flat=True)) == {active.pk}
    merged = FaultEvent.objects.filter(state=FaultState.MERGED)
    assert merged.count() == (0 if olt_first else 2)


def test_accounts_stay_down_until_the_last_covering_alarm_clears(network):
    feed(
        body("O1", "raise", "2026-11-22T10:00:00+08:00", level="olt"),
        body("P0", "raise", "2026-11-22T10:01:00+08:00"),
    )
    OutboundMessage.objects.update(state="sent")
    feed(body("O1", "clear", "2026-11-22T11:00:00+08:00", level="olt"), now=at(11))
    down = Outage.objects.filter(ended_at__isnull=True)
    assert sorted(down.values_list("account__account_id", flat=True)) == ["A-1", "A-2"]
    assert sorted(m[0] for m in messages("recovery")) == ["A-3"]
    feed(body("P0", "clear", "2026-11-22T11:30:00+08:00"), now=at(11, 30))
    assert sorted(m[0] for m in messages("recovery")) == ["A-1", "A-2", "A-3"]
    assert not FaultEvent.objects.filter(state=FaultState.ACTIVE).exists()


def test_a_clear_before_its_raise_is_kept_and_applied_when_the_raise_comes(network):
    counts = feed(body("P0", "clear", "2026-11-22T10:30:00+08:00"))
    assert counts["early_clears"] == 1
    assert AlarmEvent.objects.get().outcome == AlarmOutcome.EARLY_CLEAR
    counts = feed(body("P0", "raise", "2026-11-22T10:00:00+08:00"))
    assert counts["early_clears_applied"] == 1
    assert set(AlarmEvent.objects.values_list("outcome", flat=True)) == {"applied"}
    assert not Outage.objects.filter(ended_at__isnull=True).exists()
    assert not OutboundMessage.objects.exists()  # over before we knew of it
    assert Alarm.objects.get().cleared_at == at(10, 30)


def test_a_clear_of_an_already_cleared_alarm_is_recorded_and_ignored(network):
    feed(body("P0", "raise", "2026-11-22T10:00:00+08:00"))
    feed(body("P0", "clear", "2026-11-22T10:30:00+08:00"))
    counts = feed(body("P0", "clear", "2026-11-22T10:40:00+08:00"))
    assert counts["duplicates"] == 1
    AlarmEvent.objects.filter(event="clear").delete()  # as if the first clear was pruned
    counts = feed(body("P0", "clear", "2026-11-22T10:40:00+08:00"))
    assert counts["ignored_clears"] == 1
    assert AlarmEvent.objects.get(event="clear").outcome == AlarmOutcome.IGNORED_CLEAR


def test_alarms_on_unknown_elements_are_kept_as_unmatched(network):
    counts = feed(body("Z1", "raise", "2026-11-22T10:00:00+08:00", olt_id="OLT-NOPE"))
    assert counts["unmatched"] == 1
    assert AlarmEvent.objects.get().outcome == AlarmOutcome.UNMATCHED
    assert not FaultEvent.objects.exists()


def test_a_batch_takes_the_valid_alarms_and_names_each_bad_one(network):
    result = ingest_objects(
        [
            body("P0", "raise", "2026-11-22T10:00:00+08:00"),
            body("P1", "raise", "not a time", port_number=1),
            {"alarm_id": "X", "event": "explode"},
        ],
        now=NOW,
    )
    assert result.counts["raised"] == 1 and result.counts["rejected"] == 2
    problems = {(e.line, e.key) for e in result.errors}
    assert (2, "occurred_at") in problems and (3, "event") in problems
    assert Outage.objects.count() == 2


def test_an_alarm_type_or_severity_longer_than_its_column_is_named_not_stored(network):
    # Up to 64 characters used to pass, then PostgreSQL refused the 32-character column.
    long_type = body("P0", "raise", "2026-11-22T10:00:00+08:00", type="L" * 33)
    long_severity = body("P1", "raise", "2026-11-22T10:00:00+08:00", severity="S" * 17)
    result = ingest_objects([long_type, long_severity], now=NOW)
    assert result.counts["rejected"] == 2
    found = {(e.line, e.key): e.message for e in result.errors}
    assert "32" in found[(1, "type")] and "16" in found[(2, "severity")]
    assert not FaultEvent.objects.exists()


def test_an_inactive_template_sends_no_fault_sms(network):
    SmsTemplate.objects.filter(kind="fault").update(active=False)
    counts = feed(body("P0", "raise", "2026-11-22T10:00:00+08:00"))
    assert not OutboundMessage.objects.exists() and counts["template_off"] == 1


def test_the_command_ingests_a_file_and_names_bad_lines(network, tmp_path):
    path = tmp_path / "alarms.jsonl"
    lines = [
        json.dumps(body("P0", "raise", "2026-11-22T10:00:00+08:00")),
        "{not json",
        json.dumps(body("P1", "raise", "2026-11-22T10:00:00+08:00", port_number=1, level="x")),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError, match="2 bad lines skipped"):
        call_command("alarms", "ingest", str(path), stdout=out, stderr=err)
    assert f"{path}:2: -: not JSON" in err.getvalue()
    assert f"{path}:3: level:" in err.getvalue()
    assert json.loads(out.getvalue())["raised"] == 1
    assert Outage.objects.count() == 2


def test_the_api_takes_one_alarm_or_a_list_and_answers_207_for_a_partly_bad_list(network):
    from tests.api.data import token_client
    from tests.factories import UserFactory

    client = token_client(UserFactory(roles=["network_ops"], city_codes=[network.city.code]))
    one = client.post("/api/v1/alarms/", body("P0", "raise", "2026-11-22T10:00:00"), format="json")
    assert one.status_code == 200 and one.json()["counts"]["raised"] == 1
    mixed = [body("P1", "raise", "2026-11-22T10:01:00", port_number=1), {"alarm_id": "Q"}]
    answer = client.post("/api/v1/alarms/", mixed, format="json")
    assert answer.status_code == 207
    assert answer.json()["counts"]["raised"] == 1
    assert {"line": 2, "key": "event", "message": "必填"} in answer.json()["errors"]
    bad = client.post("/api/v1/alarms/", [{"alarm_id": "Q"}], format="json")
    assert bad.status_code == 400
    unmatched = client.get("/api/v1/alarms/?outcome=unmatched").json()
    assert unmatched["count"] == 0
    assert client.get("/api/v1/alarms/?alarm_id=P1").json()["results"][0]["outcome"] == "applied"


def test_a_flap_within_one_batch_keeps_two_outages_and_notifies_only_the_open_one(network):
    counts = feed(
        body("P0a", "raise", "2026-11-22T10:00:00+08:00"),
        body("P0a", "clear", "2026-11-22T10:02:00+08:00"),
        body("P0b", "raise", "2026-11-22T10:03:00+08:00"),
    )
    assert counts["outages_started"] == 4 and counts["ended_before_notice"] == 2
    assert Outage.objects.filter(ended_at__isnull=True).count() == 2
    assert messages() == [
        ("A-1", "fault", "scheduled", at(10, 8)),
        ("A-2", "fault", "scheduled", at(10, 8)),
    ]
    states = sorted(FaultEvent.objects.values_list("state", flat=True))
    assert states == ["active", "cleared"]


def test_a_late_raise_after_its_clear_in_another_batch_notifies_nothing(network):
    feed(body("P0", "clear", "2026-11-22T10:20:00+08:00"), now=at(10, 21))
    feed(body("P0", "raise", "2026-11-22T10:00:00+08:00"), now=at(10, 22))
    assert Outage.objects.get(account__account_id="A-1").ended_at == at(10, 20)
    assert not OutboundMessage.objects.exists()
    assert FaultEvent.objects.get().state == FaultState.CLEARED


def test_a_minor_alarm_is_recorded_but_cuts_no_service(network):
    hot = body("H1", "raise", "2026-11-22T10:00:00+08:00", level="olt", type="high-temperature",
               severity="minor")  # fmt: skip
    counts = feed(hot, {**hot, "event": "clear", "occurred_at": "2026-11-22T11:00:00+08:00"})
    assert counts["no_service_impact"] == 2
    assert set(AlarmEvent.objects.values_list("outcome", flat=True)) == {"no_impact"}
    assert not FaultEvent.objects.exists() and not Outage.objects.exists()


def test_an_onu_alarm_placing_the_onu_elsewhere_is_unmatched(network):
    wrong = body("N9", "raise", "2026-11-22T10:00:00+08:00", level="onu", onu_id="ONU-1")
    wrong.update(frame=0, slot=1, port=7)  # ONU-1 hangs on port 0
    right = body("N8", "raise", "2026-11-22T10:00:00+08:00", level="onu", onu_id="ONU-2")
    counts = feed(wrong, right)
    assert counts["unmatched"] == 1 and counts["raised"] == 1
    assert AlarmEvent.objects.get(alarm_id="N9").outcome == AlarmOutcome.UNMATCHED
    assert [o.account.account_id for o in Outage.objects.all()] == ["A-2"]


def test_an_olt_event_stays_active_while_any_of_its_alarms_on_any_port_does(network):
    # Each event in its own batch: the store reads back only what each one needs.
    feed(body("O1", "raise", "2026-11-22T10:00:00+08:00", level="olt"))
    feed(body("N1", "raise", "2026-11-22T10:00:05+08:00", level="onu", onu_id="ONU-1"))
    feed(body("N3", "raise", "2026-11-22T10:00:06+08:00", level="onu", onu_id="ONU-3",
              port_number=1))  # fmt: skip
    fault = FaultEvent.objects.get()
    feed(body("N1", "clear", "2026-11-22T10:30:00+08:00", level="onu", onu_id="ONU-1"))
    feed(body("O1", "clear", "2026-11-22T10:40:00+08:00", level="olt"))
    fault.refresh_from_db()
    assert fault.state == FaultState.ACTIVE  # N3 is still up on the other port
    down = Outage.objects.filter(ended_at__isnull=True)
    assert list(down.values_list("account__account_id", flat=True)) == ["A-3"]
    feed(body("N3", "clear", "2026-11-22T10:50:00+08:00", level="onu", onu_id="ONU-3",
              port_number=1))  # fmt: skip
    fault.refresh_from_db()
    assert (fault.state, fault.ended_at) == (FaultState.CLEARED, at(10, 50))
    assert not Outage.objects.filter(ended_at__isnull=True).exists()


def test_fault_events_opened_merged_and_closed_are_change_logged(network):
    from sqm.core.models import ChangeLogEntry

    feed(body("N1", "raise", "2026-11-22T10:00:00+08:00", level="onu", onu_id="ONU-1"))
    feed(body("P0", "raise", "2026-11-22T10:00:03+08:00"))
    child = FaultEvent.objects.get(state=FaultState.MERGED)
    parent = FaultEvent.objects.get(state=FaultState.ACTIVE)
    assert child.merged_into == parent
    assert parent.started_at == at(10)  # the earliest of what it absorbed
    feed(body("P0", "clear", "2026-11-22T10:20:00+08:00"),
         body("N1", "clear", "2026-11-22T10:20:00+08:00", level="onu", onu_id="ONU-1"))  # fmt: skip
    parent.refresh_from_db()
    assert parent.state == FaultState.CLEARED

    def log(fault):
        rows = ChangeLogEntry.objects.filter(
            content_type__model="faultevent", object_id=str(fault.pk)
        ).order_by("pk")
        return [(e.action, (e.after or {}).get("state")) for e in rows]

    assert log(child) == [("create", "active"), ("update", "merged")]
    assert log(parent)[0] == ("create", "active")
    assert log(parent)[-1] == ("update", "cleared")
