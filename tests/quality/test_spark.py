"""The whole indicator set gives the same results on DuckDB and on Spark (local mode).

Spark starts once per test session (it takes seconds); these tests share one xdist group so
one worker starts it. Java comes from the project's set-up (scripts/system-deps.sh)."""

from __future__ import annotations

import math
import random
import shutil

import pytest

from sqm.quality.engine import compute, spark_session
from sqm.quality.facts import Month
from tests.quality.facts_helpers import (
    account,
    activation,
    circuit,
    circuit_outage,
    complaint,
    operations,
    repair,
    speed_test,
    transfer,
)

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.xdist_group("spark"),
    pytest.mark.skipif(shutil.which("java") is None, reason="no Java: run `make system-deps`"),
]
OCTOBER = Month.parse("2026-10")
BREAKDOWNS = ["province", "city", "district", "product", "channel", "cause"]


@pytest.fixture(scope="session")
def spark():
    return spark_session()


def _stamp(rng: random.Random, day_from: int = 1, day_to: int = 31) -> str:
    month, day = (
        (9, rng.randint(1, 30)) if rng.random() < 0.2 else (10, rng.randint(day_from, day_to))
    )
    return f"2026-{month:02d}-{day:02d} {rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}"


def _later(text: str, hours: float) -> str:
    from datetime import datetime, timedelta

    return (datetime.fromisoformat(text) + timedelta(hours=hours)).strftime("%Y-%m-%d %H:%M:%S")


def build_province(seed: int = 7) -> None:
    rng = random.Random(seed)
    cities = ["NJ", "WX", "SZ"]
    districts = ["一区", "二区"]
    accounts = [
        account(
            rng.choice(cities),
            district=rng.choice(districts),
            service=rng.choice(["broadband"] * 4 + ["dedicated_data", "mobile"]),
            status=rng.choice(["active"] * 5 + ["closed"]),
        )  # fmt: skip
        for _ in range(40)
    ]
    for acct in accounts:
        for _ in range(rng.randint(0, 3)):
            reported = _stamp(rng)
            restored = None if rng.random() < 0.1 else _later(reported, rng.uniform(1, 90))
            window = {}
            if rng.random() < 0.6:
                start = _later(reported, 10)
                window = {"appointment_from": start, "appointment_to": _later(start, 2),
                          "arrived_at": _later(start, rng.uniform(-1, 3))}  # fmt: skip
            repair(acct, reported, restored, area=rng.choice(["urban", "rural"]),
                   cause=rng.choice(["光猫", "光缆", "用户侧"]), network_fault=rng.random() < 0.5,
                   visit_rating=rng.choice([None, 3, 4, 5]), **window)  # fmt: skip
        if rng.random() < 0.5:
            ordered = _stamp(rng)
            activated = None if rng.random() < 0.2 else _later(ordered, rng.uniform(5, 80))
            activation(acct, ordered, _later(ordered, 48), activated,
                       appointment_from=_later(ordered, 20), appointment_to=_later(ordered, 22),
                       arrived_at=_later(ordered, rng.uniform(19, 24)))  # fmt: skip
        previous = None
        for _ in range(rng.randint(0, 2)):
            created = _stamp(rng)
            closed = None if rng.random() < 0.3 else _later(created, rng.uniform(1, 100))
            previous = complaint(
                acct, created, closed=closed, untimely=rng.choice([True, False, None]),
                repeat_of=previous if rng.random() < 0.5 else None,
                upgraded=rng.random() < 0.1, channel=rng.choice(["hotline", "app"]),
                record_type=rng.choice(["complaint_work_order", "direct_answer_complaint"]),
                callback=rng.choice(["", "satisfied", "dissatisfied", "unreachable"]),
                replied=_later(created, 0.5) if closed else None,
            )  # fmt: skip
    for code in cities:
        for _ in range(15):
            requested = _stamp(rng)
            connected = None if rng.random() < 0.1 else _later(requested, rng.uniform(0, 60) / 3600)
            transfer(code, requested, connected, skill=rng.choice(["宽带", "专线"]))
        for level in ("user", "city", "exit"):
            for _ in range(5):
                speed_test(code, level, _stamp(rng), rng.uniform(50, 1000),
                           subscribed=500 if level == "user" else None)  # fmt: skip
        operations(code, "2026-10", "broadband", rng.randint(10_000, 99_999), 1_000, 5_000, 2_600)
        operations(code, "2026-10", "dedicated_data", rng.randint(10_000, 99_999), 20, 60, 40)
        for _ in range(3):
            line = circuit(code, "2026-03-01 00:00", availability="99.9", repair_hours=4,
                           product=rng.choice(["dedicated_data", "dedicated_voice"]))  # fmt: skip
            for _ in range(rng.randint(0, 3)):
                started = _stamp(rng)
                restored = None if rng.random() < 0.1 else _later(started, rng.uniform(0.5, 9))
                circuit_outage(line, started, restored, network_fault=rng.random() < 0.5)


def _table(values):
    return {(v.indicator, v.breakdown, tuple(v.key.items())): v for v in values}


def test_every_indicator_gives_the_same_figures_on_duckdb_and_on_spark(spark):
    build_province()
    duck = _table(compute(OCTOBER, engine="duckdb", breakdowns=BREAKDOWNS).values)
    sparked = _table(compute(OCTOBER, engine="spark", breakdowns=BREAKDOWNS).values)
    assert duck.keys() == sparked.keys()
    assert len(duck) > 300  # every indicator, every breakdown value
    counted = {v.indicator for v in duck.values() if v.denominator or v.numerator}
    assert len(counted) >= 50  # the data set reaches nearly every indicator
    for key, a in duck.items():
        b = sparked[key]
        assert (a.numerator is None) == (b.numerator is None), key
        assert (a.denominator, a.status) == (b.denominator, b.status), key
        if a.numerator is not None:
            assert math.isclose(a.numerator, b.numerator, rel_tol=1e-9, abs_tol=1e-9), key
        if a.value is None:
            assert b.value is None, key
        else:
            assert math.isclose(a.value, b.value, rel_tol=1e-9, abs_tol=1e-12), key
