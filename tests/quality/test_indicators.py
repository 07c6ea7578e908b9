"""The fixed indicators of issue 13, each on a small hand-built data set whose value is
worked out by hand here (never by running the engine twice)."""

from __future__ import annotations

import pytest

from sqm.quality.engine import compute
from sqm.quality.facts import Month
from tests.quality.facts_helpers import (
    account,
    activation,
    complaint,
    operations,
    repair,
    transfer,
)

OCTOBER = Month.parse("2026-10")
pytestmark = pytest.mark.django_db


def value_of(code: str, city: str = "南京", breakdown: str = "city"):
    result = compute(OCTOBER, codes=[code], breakdowns=[breakdown])
    for value in result.values:
        if breakdown == "province" or value.key.get("city") == city:
            return value
    raise AssertionError(f"no value of {code} for {city}")


def test_complaints_per_10k_count_both_complaint_forms_over_open_broadband_accounts():
    accounts = [account() for _ in range(4)]
    account(status="closed")  # not in the base
    account(opened="2026-11-01 00:00")  # opened after October: not in the base
    account(service="mobile")  # not broadband
    complaint(accounts[0], "2026-10-02 10:00")
    complaint(accounts[1], "2026-10-31 23:59", record_type="direct_answer_complaint")
    complaint(accounts[2], "2026-11-01 00:00")  # November in Shanghai
    complaint(accounts[3], "2026-10-05 09:00", record_type="service")  # not a complaint
    value = value_of("BB-COMPLAINTS-PER-10K")
    # 2 complaints over 4 accounts (+ the one opened on 2026-01-01 by the helper's default)
    assert (value.numerator, value.denominator) == (2, 4)
    assert value.value == pytest.approx(2 / 4 * 10_000)


def test_repeat_complaint_share_is_the_share_marked_as_a_repeat():
    a, b = account(), account()
    first = complaint(a, "2026-09-20 10:00", closed="2026-09-21 10:00")
    complaint(a, "2026-10-03 10:00", repeat_of=first)
    complaint(b, "2026-10-04 10:00")
    complaint(b, "2026-10-05 10:00", record_type="direct_answer_complaint")
    value = value_of("BB-REPEAT-COMPLAINTS")
    assert (value.numerator, value.denominator) == (1, 3)
    assert value.value == pytest.approx(1 / 3)


def test_complaint_timeliness_counts_work_orders_closed_in_the_month():
    a = account()
    complaint(a, "2026-09-28 10:00", closed="2026-10-01 09:00", untimely=False)
    complaint(a, "2026-10-02 10:00", closed="2026-10-09 10:00", untimely=True)
    complaint(a, "2026-10-03 10:00", closed="2026-10-04 10:00", untimely=False)
    complaint(a, "2026-10-28 10:00", closed="2026-11-02 10:00", untimely=False)  # November
    complaint(a, "2026-10-03 10:00", record_type="direct_answer_complaint",
              closed="2026-10-03 10:05")  # fmt: skip
    value = value_of("BB-COMPLAINT-TIMELY")
    assert (value.numerator, value.denominator) == (2, 3)
    assert value.status == "missed"  # 0.667 < warning 0.95


def test_faults_per_10k_are_repairs_reported_in_the_month_over_broadband_accounts():
    accounts = [account() for _ in range(5)]
    repair(accounts[0], "2026-10-01 00:00", "2026-10-01 05:00")
    repair(accounts[1], "2026-10-15 12:00", None)  # still open: reported, counts
    repair(accounts[2], "2026-09-30 23:59", "2026-10-01 08:00")  # reported in September
    value = value_of("BB-FAULTS-PER-10K")
    assert (value.numerator, value.denominator) == (2, 5)
    assert value.value == pytest.approx(4000)


def test_repair_timeliness_uses_48_hours_urban_and_72_hours_rural():
    a = account()
    repair(a, "2026-10-01 08:00", "2026-10-03 08:00")  # urban, exactly 48 h: in time
    repair(a, "2026-10-05 08:00", "2026-10-07 08:01")  # urban, 48 h 1 min: late
    repair(a, "2026-10-10 08:00", "2026-10-13 08:00", area="rural")  # 72 h: in time
    repair(a, "2026-10-20 08:00", "2026-10-23 09:00", area="rural")  # 73 h: late
    repair(a, "2026-09-29 08:00", "2026-10-02 08:00")  # restored in October, 72 h urban: late
    repair(a, "2026-10-30 08:00", "2026-11-01 00:00")  # restored in November: not counted
    repair(a, "2026-10-30 09:00", None)  # open: not counted
    value = value_of("BB-REPAIR-TIMELY")
    assert (value.numerator, value.denominator) == (2, 5)
    assert value.value == pytest.approx(0.4)


def test_repair_time_limits_are_settings(settings):
    settings.SQM_KPI_LIMITS = {"repair_urban_hours": 24}
    a = account()
    repair(a, "2026-10-01 08:00", "2026-10-02 08:00")  # 24 h
    repair(a, "2026-10-05 08:00", "2026-10-06 09:00")  # 25 h
    value = value_of("BB-REPAIR-TIMELY")
    assert (value.numerator, value.denominator) == (1, 2)


def test_a_repeat_fault_had_another_report_of_the_account_in_the_30_days_before():
    a, b, c = account(), account(), account()
    repair(a, "2026-09-05 08:00", "2026-09-05 12:00")
    repair(a, "2026-10-05 08:00", "2026-10-05 12:00")  # 30 days after: repeat
    repair(b, "2026-09-04 08:00", "2026-09-04 12:00")
    repair(b, "2026-10-05 08:01", "2026-10-05 12:00")  # 31 days after: not a repeat
    repair(c, "2026-10-10 08:00", "2026-10-10 12:00")
    repair(c, "2026-10-12 08:00", "2026-10-12 12:00")  # repeat of October 10
    value = value_of("BB-REPEAT-FAULTS")
    assert (value.numerator, value.denominator) == (2, 4)


def test_activation_timeliness_counts_activations_completed_in_the_month():
    a = account()
    activation(a, "2026-10-01 09:00", "2026-10-03 18:00", "2026-10-03 18:00")  # on the dot
    activation(a, "2026-10-01 09:00", "2026-10-03 18:00", "2026-10-03 18:01")  # late
    activation(a, "2026-10-02 09:00", "2026-10-04 18:00", "2026-10-04 10:00")
    activation(a, "2026-10-25 09:00", "2026-10-27 18:00", None)  # pending: not counted
    activation(a, "2026-09-25 09:00", "2026-09-27 18:00", "2026-09-27 10:00")  # September
    mobile = account(service="mobile")
    activation(mobile, "2026-10-01 09:00", "2026-10-02 09:00", "2026-10-05 09:00")
    value = value_of("BB-ACTIVATION-TIMELY")
    assert (value.numerator, value.denominator) == (2, 3)


def test_appointment_punctuality_takes_repair_and_activation_visits_with_an_appointment():
    a = account()
    window = {"appointment_from": "2026-10-02 09:00", "appointment_to": "2026-10-02 11:00"}
    repair(a, "2026-10-01 20:00", "2026-10-02 12:00", **window, arrived_at="2026-10-02 09:00")
    repair(a, "2026-10-01 20:00", "2026-10-02 12:00", **window, arrived_at="2026-10-02 11:00")
    repair(a, "2026-10-01 20:00", "2026-10-02 12:00", **window, arrived_at="2026-10-02 11:01")
    activation(a, "2026-10-01 09:00", "2026-10-03 18:00", "2026-10-02 10:00", **window,
               arrived_at="2026-10-02 08:59")  # fmt: skip
    repair(a, "2026-10-03 20:00", "2026-10-04 12:00", arrived_at="2026-10-04 10:00")  # no window
    repair(a, "2026-09-29 20:00", "2026-09-30 12:00", appointment_from="2026-09-30 09:00",
           appointment_to="2026-09-30 11:00", arrived_at="2026-09-30 10:00")  # fmt: skip
    value = value_of("BB-APPOINTMENT-PUNCTUAL")
    assert (value.numerator, value.denominator) == (2, 4)


def test_transfer_timeliness_is_30_seconds_inclusive_and_counts_unconnected_transfers():
    transfer("NJ", "2026-10-01 09:00:00", "2026-10-01 09:00:30")  # 30 s: in time
    transfer("NJ", "2026-10-01 09:00:00", "2026-10-01 09:00:31")  # 31 s: late
    transfer("NJ", "2026-10-02 09:00:00", None)  # never connected
    transfer("NJ", "2026-10-03 09:00:00", "2026-10-03 09:00:05")
    transfer("WX", "2026-10-03 09:00:00", "2026-10-03 09:00:50")  # another city
    value = value_of("HL-TRANSFER-TIMELY")
    assert (value.numerator, value.denominator) == (2, 4)
    wuxi = value_of("HL-TRANSFER-TIMELY", city="无锡")
    assert (wuxi.numerator, wuxi.denominator, wuxi.value) == (0, 1, 0)


def test_installed_rate_and_arpu_come_from_the_broadband_rows_of_the_month():
    operations("NJ", "2026-10", "broadband", "450000.50", 10_000, 40_000, 22_000)
    operations("NJ", "2026-10", "dedicated_data", "900000", 300, 1_000, 900)
    operations("NJ", "2026-09", "broadband", "1", 1, 10, 1)
    installed = value_of("BB-INSTALLED-RATE")
    assert (installed.numerator, installed.denominator) == (22_000, 40_000)
    assert installed.value == pytest.approx(0.55)
    assert installed.status == "met"  # target 0.55, reached exactly
    arpu = value_of("BB-ARPU")
    assert arpu.value == pytest.approx(450000.50 / 10_000)


def test_a_value_is_null_when_its_denominator_is_zero():
    account()
    value = value_of("BB-REPAIR-TIMELY", breakdown="province")
    assert value.denominator == 0
    assert value.value is None
    assert value.status == ""


def test_cities_are_kept_apart_and_the_province_adds_them_up():
    nanjing, wuxi = account("NJ"), account("WX")
    repair(nanjing, "2026-10-01 08:00", "2026-10-01 09:00")
    repair(wuxi, "2026-10-01 08:00", "2026-10-05 09:00")
    repair(wuxi, "2026-10-02 08:00", "2026-10-02 09:00")
    result = compute(OCTOBER, codes=["BB-REPAIR-TIMELY"], breakdowns=["province", "city"])
    by_key = {v.key.get("city", "province"): (v.numerator, v.denominator) for v in result.values}
    assert by_key == {"province": (2, 3), "南京": (1, 1), "无锡": (1, 2)}


def test_circuit_availability_counts_each_outage_inside_the_month_and_circuits_from_opening():
    from tests.quality.facts_helpers import circuit, circuit_outage

    month_seconds = 31 * 86400
    a = circuit("NJ", "2026-01-01 00:00", repair_hours=3)
    circuit("NJ", "2026-10-16 00:00")  # b: in service for the last 16 days, no outage
    c = circuit("NJ", "2026-01-01 00:00", availability="99.0")
    d = circuit("NJ", "2026-01-01 00:00")
    circuit("NJ", "2026-11-02 00:00")  # opened after October: not in service
    circuit_outage(a, "2026-10-10 08:00", "2026-10-10 12:00")  # 4 h, contract 3 h
    circuit_outage(c, "2026-09-30 22:00", "2026-10-01 02:00")  # 2 h of it in October
    circuit_outage(d, "2026-10-31 20:00", None)  # open: 4 h to the month's end
    service = 3 * month_seconds + 16 * 86400
    down = 4 * 3600 + 2 * 3600 + 4 * 3600
    availability = value_of("DL-AVAILABILITY")
    assert (availability.numerator, availability.denominator) == (service - down, service)
    # b is always up, c's 2 h keep it above its 99.0 %; a and d are below 99.9 %
    contract = value_of("DL-AVAILABILITY-CONTRACT")
    assert (contract.numerator, contract.denominator) == (2, 4)
    # restored in October: a (4 h > 3 h) and c (4 h ≤ 4 h); d is not restored
    repairs = value_of("DL-REPAIR-CONTRACT")
    assert (repairs.numerator, repairs.denominator) == (1, 2)
    per_100 = value_of("DL-OUTAGES-PER-100")  # started in October: a and d
    assert (per_100.numerator, per_100.denominator, per_100.value) == (2, 4, 50)
    minutes = value_of("DL-OUTAGE-MINUTES-MEAN")
    assert minutes.value == pytest.approx(down / 60 / 4)


def test_a_first_time_fix_has_no_new_report_of_the_account_within_7_days_of_restoration():
    a, b, c = account(), account(), account()
    repair(a, "2026-10-01 08:00", "2026-10-01 12:00")
    repair(a, "2026-10-08 12:00", "2026-10-08 13:00")  # 7 days after: the first did not hold
    repair(b, "2026-10-01 08:00", "2026-10-01 12:00")
    repair(b, "2026-10-08 12:01", "2026-10-08 13:00")  # 7 days and a minute: it held
    repair(c, "2026-10-30 08:00", "2026-10-30 12:00")
    repair(c, "2026-11-03 08:00", "2026-11-03 12:00")  # in November, still within 7 days
    value = value_of("BB-FIRST-TIME-FIX")
    # restored in October: a1 (no), a2, b1, b2, c1 (no)
    assert (value.numerator, value.denominator) == (3, 5)


def test_callback_satisfaction_leaves_unreachable_callbacks_out():
    a = account()
    for outcome in ("satisfied", "basically_satisfied", "dissatisfied", "unreachable"):
        complaint(a, "2026-10-02 10:00", closed="2026-10-04 10:00", callback=outcome,
                  replied="2026-10-03 10:00")  # fmt: skip
    value = value_of("BB-CALLBACK-SATISFACTION")
    assert (value.numerator, value.denominator) == (2, 3)
    hours = value_of("BB-CALLBACK-HOURS-MEAN")
    assert hours.value == pytest.approx(24)


def test_interception_and_fault_sms_first_follow_the_contacts_linked_to_a_fault_event():
    from sqm.complaints.models import WorkOrder
    from sqm.network.models import FaultEvent
    from sqm.notify.models import OutboundMessage
    from tests.factories import OltFactory
    from tests.quality.facts_helpers import at

    olt = OltFactory()
    fault = {"level": "olt", "olt": olt, "city": olt.city, "type": "power", "severity": "critical"}
    early = FaultEvent.objects.create(**fault, started_at=at("2026-10-05 08:00"))
    late = FaultEvent.objects.create(**fault, started_at=at("2026-10-06 08:00"))
    a = account()
    contacts = [
        complaint(a, "2026-10-05 08:30", record_type="direct_answer_complaint"),
        complaint(a, "2026-10-05 08:40", record_type="direct_answer_complaint"),
        complaint(a, "2026-10-05 09:00"),
        complaint(a, "2026-10-06 08:10", record_type="direct_answer_complaint"),
    ]
    for order, event in zip(contacts, (early, early, early, late), strict=True):
        WorkOrder.objects.filter(pk=order.pk).update(fault_event=event)
    complaint(a, "2026-10-07 08:10", record_type="direct_answer_complaint")  # no fault
    for event, sent in ((early, "2026-10-05 08:20"), (late, "2026-10-06 08:15")):
        OutboundMessage.objects.create(
            key=f"k{event.pk}", kind="fault", account=a, fault_event=event, text="故障",
            send_at=at(sent), sent_at=at(sent),
        )  # fmt: skip
    interception = value_of("BB-INTERCEPTION-RATE")
    assert (interception.numerator, interception.denominator) == (3, 4)
    sms_first = value_of("BB-FAULT-SMS-FIRST")
    # early: SMS 08:20 before the first contact 08:30; late: SMS 08:15 after 08:10
    assert (sms_first.numerator, sms_first.denominator) == (1, 2)


def test_speed_attainment_is_90_percent_of_the_subscribed_speed_at_the_user_end():
    from tests.quality.facts_helpers import speed_test

    a = account()
    speed_test("NJ", "user", "2026-10-01 20:00", 450, subscribed=500, acct=a)  # exactly 90 %
    speed_test("NJ", "user", "2026-10-02 20:00", 449, subscribed=500, acct=a)
    speed_test("NJ", "city", "2026-10-02 20:00", 100)  # not a user-end test
    value = value_of("BB-SPEED-USER-ATTAIN")
    assert (value.numerator, value.denominator) == (1, 2)
    assert value_of("BB-SPEED-USER-MEAN").value == pytest.approx(449.5)


def test_a_count_by_city_is_zero_in_a_city_where_nothing_happened():
    complaint(account("NJ"), "2026-10-02 10:00", upgraded=True)
    result = compute(OCTOBER, codes=["BB-UPGRADED-COMPLAINTS"], breakdowns=["city"])
    by_city = {v.key["city"]: (v.value, v.status) for v in result.values}
    assert by_city["南京"] == (1.0, "met")  # target 2
    assert by_city["无锡"] == (0.0, "met")
    from sqm.core.models import City

    assert set(by_city) == set(City.objects.values_list("name", flat=True))


def test_a_month_before_a_facts_first_record_has_no_value_rather_than_a_met_zero():
    a = account()
    complaint(a, "2026-11-03 10:00")  # the complaint history begins in November
    before = compute(OCTOBER, codes=["BB-COMPLAINTS", "BB-COMPLAINTS-PER-10K"],
                     breakdowns=["province"])  # fmt: skip
    assert [(v.value, v.status) for v in before.values] == [(None, ""), (None, "")]
    november = compute(Month.parse("2026-11"), codes=["BB-COMPLAINTS"], breakdowns=["province"])
    assert november.values[0].value == 1
