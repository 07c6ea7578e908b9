"""The network alarm stream that `sqm generate` writes to alarms.jsonl."""

from __future__ import annotations

import csv
import json
import re
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from sqm.cli import main as sqm_main
from sqm.core.generator import DEFAULT_AS_OF, generate_province
from sqm.network.province import alarms as alarm_module
from sqm.network.province.alarms import ALARM_KEYS, EVENTS, LEVELS, SEVERITY, TYPES, cuts_service

SEED = 7
CUSTOMERS = 20_000
DAYS = 365
ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00")
UNKNOWN_OLT = re.compile(r"OLT-[A-Z]+-N\d{3}")
# The keys each level fills; the others are null.
FILLED = {
    "olt": set(),
    "board": {"frame", "slot"},
    "pon": {"frame", "slot", "port"},
    "onu": {"frame", "slot", "port", "onu_id"},
}
END = datetime(DEFAULT_AS_OF.year, DEFAULT_AS_OF.month, DEFAULT_AS_OF.day)


def read_lines(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def when(row: dict) -> datetime:
    return datetime.fromisoformat(row["occurred_at"]).replace(tzinfo=None)


def element(row: dict) -> tuple:
    return tuple(row[key] for key in ("olt_id", "level", "frame", "slot", "port", "onu_id"))


@pytest.fixture(scope="module")
def stream(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("alarms")
    # Alarms only (no complaint history): a year of them over a mid-sized province.
    counts = generate_province(out, customers=CUSTOMERS, seed=SEED, months=0, alarm_days=DAYS)
    with (out / "topology.csv").open(encoding="utf-8", newline="") as handle:
        topology = list(csv.DictReader(handle))
    rows = read_lines(out / "alarms.jsonl")
    alarms: dict[str, dict[str, tuple[int, dict]]] = {}
    for index, row in enumerate(rows):
        alarms.setdefault(row["alarm_id"], {}).setdefault(row["event"], (index, row))
    return {"out": out, "counts": counts, "rows": rows, "topology": topology, "alarms": alarms}


# --- files, determinism, window ----------------------------------------------------------------


def test_the_same_seed_writes_the_same_alarm_bytes_and_another_seed_does_not(tmp_path):
    generate_province(tmp_path / "a", customers=1500, seed=3, months=3)
    generate_province(tmp_path / "b", customers=1500, seed=3, months=3)
    generate_province(tmp_path / "c", customers=1500, seed=4, months=3)
    first = (tmp_path / "a" / "alarms.jsonl").read_bytes()
    assert first and first == (tmp_path / "b" / "alarms.jsonl").read_bytes()
    assert first != (tmp_path / "c" / "alarms.jsonl").read_bytes()


def test_sorting_through_temporary_files_gives_the_same_bytes(tmp_path, monkeypatch):
    generate_province(tmp_path / "memory", customers=1500, seed=3, months=3)
    monkeypatch.setattr(alarm_module, "CHUNK", 50)  # dozens of sorted runs, merged
    generate_province(tmp_path / "spilled", customers=1500, seed=3, months=3)
    memory = (tmp_path / "memory" / "alarms.jsonl").read_bytes()
    assert memory == (tmp_path / "spilled" / "alarms.jsonl").read_bytes()
    assert not list((tmp_path / "spilled").glob("*.tmp"))


def test_a_larger_province_keeps_every_alarm_line_of_a_smaller_one(tmp_path):
    generate_province(tmp_path / "small", customers=800, seed=5, months=3)
    generate_province(tmp_path / "large", customers=2400, seed=5, months=3)
    small = Counter((tmp_path / "small" / "alarms.jsonl").read_text("utf-8").splitlines())
    large = Counter((tmp_path / "large" / "alarms.jsonl").read_text("utf-8").splitlines())
    assert small and not small - large and len(large) > len(small)


def test_the_alarm_stream_changes_no_other_file(tmp_path):
    generate_province(tmp_path / "with", customers=600, seed=2, months=2)
    generate_province(tmp_path / "without", customers=600, seed=2, months=2, alarm_days=0)
    assert (tmp_path / "with" / "alarms.jsonl").exists()
    assert not (tmp_path / "without" / "alarms.jsonl").exists()
    for name in ("customers.csv", "accounts.csv", "topology.csv", "complaints.jsonl"):
        assert (tmp_path / "with" / name).read_bytes() == (tmp_path / "without" / name).read_bytes()


def test_zero_months_writes_no_alarms_and_no_manifest_entry(tmp_path):
    counts = generate_province(tmp_path, customers=300, seed=2, months=0)
    assert "alarms" not in counts
    assert not (tmp_path / "alarms.jsonl").exists()
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert "alarms.jsonl" not in manifest["files"] and manifest["alarm_days"] == 0


def test_alarms_cover_the_months_before_as_of_by_default(tmp_path):
    as_of = date(2026, 3, 31)
    generate_province(tmp_path, customers=3000, seed=2, months=2, as_of=as_of)
    rows = read_lines(tmp_path / "alarms.jsonl")
    start, end = datetime(2026, 1, 31), datetime(2026, 3, 31)
    assert rows and all(start <= when(row) < end for row in rows)
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["alarm_days"] == (as_of - date(2026, 1, 31)).days


def test_alarm_days_replaces_the_months_window_for_the_alarms_only(tmp_path):
    counts = generate_province(tmp_path, customers=3000, seed=2, months=6, alarm_days=3)
    rows = read_lines(tmp_path / "alarms.jsonl")
    assert rows and all(END - timedelta(days=3) <= when(row) < END for row in rows)
    assert counts["alarms"] == len(rows) and counts["complaints"] > 0
    with pytest.raises(ValueError, match="must not be negative"):
        generate_province(tmp_path / "bad", customers=10, seed=1, alarm_days=-1)


def test_the_manifest_counts_the_alarm_lines(stream):
    manifest = json.loads((stream["out"] / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["files"]["alarms.jsonl"] == stream["counts"]["alarms"] == len(stream["rows"])
    assert manifest["alarm_days"] == DAYS and manifest["months"] == 0
    assert not list(stream["out"].glob("*.tmp"))


def test_a_mid_sized_province_gets_thousands_of_lines_not_millions(stream):
    # 20,000 customers: roughly 8,000–9,000 lines per half year.
    assert 8_000 < len(stream["rows"]) < 40_000


# --- the lines -------------------------------------------------------------------------------


def test_every_line_has_exactly_the_documented_keys_and_values(stream):
    raw = (stream["out"] / "alarms.jsonl").read_bytes()
    assert b"\r" not in raw and raw.endswith(b"\n")
    for row in stream["rows"]:
        assert tuple(row) == ALARM_KEYS
        assert row["event"] in EVENTS and row["level"] in LEVELS and row["type"] in TYPES
        assert row["severity"] == SEVERITY[(row["level"], row["type"])]
        assert ISO.fullmatch(row["occurred_at"])
        filled = {key for key in ("frame", "slot", "port", "onu_id") if row[key] is not None}
        assert filled == FILLED[row["level"]]
        for key in ("frame", "slot", "port"):
            assert row[key] is None or (type(row[key]) is int and row[key] >= 0)
        assert row["alarm_id"].startswith(f"NMS-{row['olt_id']}-")


def test_only_high_temperature_alarms_leave_the_service_up(stream):
    kept = {row["type"] for row in stream["rows"] if not cuts_service(row["severity"])}
    assert kept == {"high-temperature"}
    assert {row["severity"] for row in stream["rows"]} == {"critical", "major", "minor"}


def test_every_level_and_every_type_appears(stream):
    pairs = {(row["level"], row["type"]) for row in stream["rows"]}
    assert pairs == set(SEVERITY)


def test_onu_failures_are_by_far_the_most_frequent(stream):
    levels = Counter(a["raise"][1]["level"] for a in stream["alarms"].values())
    assert levels["onu"] > 0.9 * sum(levels.values())
    assert levels["pon"] > levels["olt"] > 0 and levels["board"] > 0


def test_every_alarm_names_an_element_of_the_topology_except_the_unknown_ones(stream):
    olts, boards, ports, onus = set(), set(), set(), {}
    for row in stream["topology"]:
        olt = row["olt_id"]
        frame, slot, port = int(row["frame"]), int(row["slot"]), int(row["port"])
        olts.add(olt)
        boards.add((olt, frame, slot))
        ports.add((olt, frame, slot, port))
        onus[row["onu_id"]] = (olt, frame, slot, port)
    unknown = 0
    for row in stream["rows"]:
        olt = row["olt_id"]
        if olt not in olts:
            assert UNKNOWN_OLT.fullmatch(olt)
            assert row["onu_id"] is None or row["onu_id"] not in onus
            unknown += 1
        elif row["level"] == "board":
            assert (olt, row["frame"], row["slot"]) in boards
        elif row["level"] == "pon":
            assert (olt, row["frame"], row["slot"], row["port"]) in ports
        elif row["level"] == "onu":
            assert onus[row["onu_id"]] == (olt, row["frame"], row["slot"], row["port"])
    assert 0 < unknown < 0.02 * len(stream["rows"])


def test_each_alarm_is_raised_once_and_cleared_at_most_once_after_its_raise(stream):
    lines: dict[tuple[str, str], set[str]] = defaultdict(set)
    for row in stream["rows"]:
        lines[(row["alarm_id"], row["event"])].add(json.dumps(row))
    assert all(len(copies) == 1 for copies in lines.values())  # duplicates are identical
    for alarm in stream["alarms"].values():
        assert "raise" in alarm
        if "clear" in alarm:
            raised, cleared = alarm["raise"][1], alarm["clear"][1]
            assert when(raised) <= when(cleared) < END
            assert element(raised) == element(cleared) and raised["type"] == cleared["type"]


def test_all_events_fall_inside_the_window(stream):
    start = END - timedelta(days=DAYS)
    assert all(start <= when(row) < END for row in stream["rows"])


# --- realism -----------------------------------------------------------------------------------


def test_storms_raise_a_hundred_alarms_in_a_minute_under_one_failed_element(stream):
    raises = defaultdict(list)
    for alarm in stream["alarms"].values():
        row = alarm["raise"][1]
        raises[row["olt_id"]].append((when(row), row["level"]))
    storms = []
    for rows in raises.values():
        rows.sort()
        for first, level in rows:
            if level not in ("olt", "board"):
                continue
            # the failed element's raise and what its children raised around it
            around = [r for r in rows if abs((r[0] - first).total_seconds()) <= 60]
            if len(around) >= 100:
                storms.append((first, around))
    assert storms
    # children come before and after their parent's raise
    assert any(any(r[0] < first for r in around) for first, around in storms)
    assert any(any(r[0] > first for r in around) for first, around in storms)
    assert any(level == "pon" for _f, around in storms for _t, level in around)


def test_some_elements_flap_raise_clear_raise_within_minutes(stream):
    by_element = defaultdict(list)
    for alarm in stream["alarms"].values():
        if "clear" in alarm:
            raised, cleared = alarm["raise"][1], alarm["clear"][1]
            by_element[element(raised)].append((when(raised), when(cleared)))
    flapping = 0
    for spans in by_element.values():
        spans.sort()
        for (r1, c1), (r2, _c2) in zip(spans, spans[1:], strict=False):
            if (c1 - r1) <= timedelta(minutes=2) and timedelta(0) < r2 - c1 <= timedelta(minutes=5):
                flapping += 1
                break
    assert flapping >= 20


def test_some_lines_are_sent_twice(stream):
    counts = Counter((row["alarm_id"], row["event"]) for row in stream["rows"])
    twice = sum(1 for n in counts.values() if n == 2)
    assert 0.002 * len(counts) < twice < 0.03 * len(counts)


def test_the_file_is_in_time_order_except_for_deliberately_late_lines(stream):
    alarms = stream["alarms"].values()
    clear_first = [a for a in alarms if "clear" in a and a["clear"][0] < a["raise"][0]]
    assert len(clear_first) >= 10
    late, latest = 0, None
    for row in stream["rows"]:
        moment = when(row)
        if latest is not None and latest - moment > timedelta(minutes=5):
            late += 1
        latest = moment if latest is None else max(latest, moment)
    assert 10 <= late < 0.02 * len(stream["rows"])


def test_night_outages_wait_for_the_morning_crew_on_both_sides_of_eight(stream):
    before_eight = after_eight = 0
    for alarm in stream["alarms"].values():
        if "clear" not in alarm:
            continue
        raised, cleared = when(alarm["raise"][1]), when(alarm["clear"][1])
        night = raised.hour >= 22 or raised.hour < 6
        morning = cleared.date() == (raised + timedelta(hours=10)).date() and 7 <= cleared.hour < 11
        if night and morning:
            if cleared.hour < 8:
                before_eight += 1
            else:
                after_eight += 1
    assert before_eight >= 20 and after_eight >= 100


def test_some_alarms_are_still_active_at_as_of(stream):
    active = [a for a in stream["alarms"].values() if "clear" not in a]
    assert 10 <= len(active) < 0.02 * len(stream["alarms"])
    # most outages end: the long ones are the few still running
    assert any(when(a["raise"][1]) < END - timedelta(days=7) for a in active)


# --- the command ---------------------------------------------------------------------------------


def test_the_command_writes_alarms_for_alarm_days_and_counts_them(tmp_path, capsys):
    sqm_main(
        [
            "sqm",
            "generate",
            "--out",
            str(tmp_path),
            "--customers",
            "3000",
            "--months",
            "0",
            "--alarm-days",
            "20",
        ]
    )
    summary = capsys.readouterr().out.strip()
    lines = (tmp_path / "alarms.jsonl").read_text(encoding="utf-8").splitlines()
    assert lines and f"{len(lines):,} alarm events" in summary
    assert not (tmp_path / "complaints.jsonl").exists()


def test_the_command_refuses_negative_alarm_days(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        sqm_main(
            ["sqm", "generate", "--out", str(tmp_path), "--customers", "5", "--alarm-days", "-1"]
        )
    assert exit_info.value.code == 1
    assert "--alarm-days" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_the_command_explains_alarm_days_in_help(capsys):
    with pytest.raises(SystemExit):
        sqm_main(["sqm", "generate", "--help"])
    assert "--alarm-days" in capsys.readouterr().out
