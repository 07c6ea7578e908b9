"""The complaint history that `sqm generate` writes to complaints.jsonl."""

from __future__ import annotations

import csv
import json
import re
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from itertools import product
from pathlib import Path

import pytest

from sqm.cli import main as sqm_main
from sqm.complaints.province.history import COMPLAINT_KEYS
from sqm.complaints.triage import Intake, triage
from sqm.core.generator import DEFAULT_AS_OF, generate_province
from sqm.core.generator.province import window_start

SEED = 7
CUSTOMERS = 6000
MONTHS = 12
CATEGORIES = Path(__file__).resolve().parents[2] / "sqm/complaints/data/categories.json"
ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00")


def third_level_codes() -> set[str]:
    tree = json.loads(CATEGORIES.read_text(encoding="utf-8"))["categories"]
    seconds = [second for first in tree for second in first["children"]]
    return {third["code"] for second in seconds for third in second["children"]}


def parent_of(code: str) -> str:
    return code.rsplit(".", 1)[0]


def when(value: str) -> datetime:
    return datetime.fromisoformat(value)


def read_lines(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


@pytest.fixture(scope="module")
def history(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("history")
    counts = generate_province(out, customers=CUSTOMERS, seed=SEED, months=MONTHS)
    with (out / "customers.csv").open(encoding="utf-8", newline="") as handle:
        customers = list(csv.DictReader(handle))
    with (out / "accounts.csv").open(encoding="utf-8", newline="") as handle:
        accounts = {row["account_id"]: row for row in csv.DictReader(handle)}
    return {
        "out": out,
        "counts": counts,
        "rows": read_lines(out / "complaints.jsonl"),
        "customers": customers,
        "accounts": accounts,
    }


@pytest.fixture(scope="module")
def work_orders(history) -> list[dict]:
    return [r for r in history["rows"] if r["record_type"] == "complaint_work_order"]


# --- files and determinism -----------------------------------------------------------------


def test_it_writes_the_same_complaint_bytes_for_the_same_seed(tmp_path):
    generate_province(tmp_path / "a", customers=400, seed=3, months=6)
    generate_province(tmp_path / "b", customers=400, seed=3, months=6)
    first = (tmp_path / "a" / "complaints.jsonl").read_bytes()
    assert first and first == (tmp_path / "b" / "complaints.jsonl").read_bytes()
    generate_province(tmp_path / "c", customers=400, seed=4, months=6)
    assert first != (tmp_path / "c" / "complaints.jsonl").read_bytes()


def test_it_starts_a_larger_province_with_the_complaints_of_a_smaller_one(tmp_path):
    generate_province(tmp_path / "small", customers=300, seed=5, months=6)
    generate_province(tmp_path / "large", customers=900, seed=5, months=6)
    small = (tmp_path / "small" / "complaints.jsonl").read_text(encoding="utf-8").splitlines()
    large = (tmp_path / "large" / "complaints.jsonl").read_text(encoding="utf-8").splitlines()
    assert small and large[: len(small)] == small


def test_it_writes_no_complaints_for_zero_months_and_leaves_the_rest_unchanged(tmp_path):
    none = generate_province(tmp_path / "none", customers=200, seed=2, months=0)
    some = generate_province(tmp_path / "some", customers=200, seed=2, months=3)
    assert "complaints" not in none and some["complaints"] > 0
    assert not (tmp_path / "none" / "complaints.jsonl").exists()
    manifest = json.loads((tmp_path / "none" / "manifest.json").read_text(encoding="utf-8"))
    assert "complaints.jsonl" not in manifest["files"]
    for name in ("customers.csv", "accounts.csv", "topology.csv"):
        assert (tmp_path / "none" / name).read_bytes() == (tmp_path / "some" / name).read_bytes()


def test_it_records_the_complaint_count_in_the_manifest(history):
    manifest = json.loads((history["out"] / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["files"]["complaints.jsonl"] == history["counts"]["complaints"]
    assert history["counts"]["complaints"] == len(history["rows"])
    assert not list(history["out"].glob("*.tmp"))


def test_every_line_is_one_object_with_exactly_the_documented_keys(history):
    raw = (history["out"] / "complaints.jsonl").read_bytes()
    assert b"\r" not in raw and raw.endswith(b"\n")
    for row in history["rows"]:
        assert tuple(row) == COMPLAINT_KEYS


def test_the_command_writes_complaints_and_counts_them_in_its_summary(tmp_path, capsys):
    sqm_main(["sqm", "generate", "--out", str(tmp_path), "--customers", "300", "--months", "2"])
    summary = capsys.readouterr().out.strip()
    lines = (tmp_path / "complaints.jsonl").read_text(encoding="utf-8").splitlines()
    assert f"{len(lines)} complaints" in summary


def test_the_command_refuses_negative_months(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        sqm_main(["sqm", "generate", "--out", str(tmp_path), "--customers", "5", "--months", "-1"])
    assert exit_info.value.code == 1
    assert "--months" in capsys.readouterr().err


# --- references and times -----------------------------------------------------------------


def test_every_record_names_a_generated_customer_and_one_of_its_accounts(history):
    customers = {row["customer_id"] for row in history["customers"]}
    accounts = history["accounts"]
    for row in history["rows"]:
        assert row["customer_id"] in customers
        if row["account_id"] is not None:
            account = accounts[row["account_id"]]
            assert account["customer_id"] == row["customer_id"]
            opened = when(account["opened_at"])
            if row["category"] == "NQ.BB.04":  # complaints about an installation in progress
                assert opened <= when(row["created_at"]) + timedelta(days=20)
            else:
                assert opened <= when(row["created_at"])


def test_accounts_match_what_the_category_is_about(history):
    services = {
        "NQ.BB": {"broadband"},
        "NQ.MO": {"mobile"},
        "NQ.TV": {"iptv"},
        "NQ.DL": {"dedicated_internet", "dedicated_data", "dedicated_voice"},
        "WS.FI": {"broadband"},
        "BP.SP": {"mobile"},
        "BP.VA": {"mobile"},
    }
    for row in history["rows"]:
        wanted = services.get(parent_of(row["category"]))
        if wanted:
            assert history["accounts"][row["account_id"]]["service"] in wanted, row


def test_times_lie_in_the_months_before_as_of_and_follow_each_other(history):
    start = datetime.combine(window_start(DEFAULT_AS_OF, MONTHS), datetime.min.time())
    now = datetime.combine(DEFAULT_AS_OF, datetime.min.time())
    for row in history["rows"]:
        created = when(row["created_at"])
        assert ISO.fullmatch(row["created_at"])
        assert start <= created.replace(tzinfo=None) < now
        if row["replied_at"]:
            assert created <= when(row["replied_at"]) and row["reply"]
        if row["closed_at"]:
            assert when(row["closed_at"]) >= when(row["replied_at"] or row["created_at"])
            assert when(row["closed_at"]).replace(tzinfo=None) < now
        assert (row["state"] == "closed") == (row["closed_at"] is not None)


def test_the_window_counts_back_calendar_months():
    assert window_start(date(2026, 6, 30), 12) == date(2025, 6, 30)
    assert window_start(date(2026, 3, 31), 1) == date(2026, 2, 28)
    assert window_start(date(2026, 1, 15), 3) == date(2025, 10, 15)


# --- content --------------------------------------------------------------------------------


def test_every_third_level_category_gets_complaints(history):
    codes = Counter(row["category"] for row in history["rows"])
    assert set(codes) == third_level_codes()
    assert all(count >= 5 for count in codes.values()), codes


def test_descriptions_are_chinese_and_vary_within_a_category(history):
    texts = defaultdict(list)
    for row in history["rows"]:
        assert re.search(r"[\u4e00-\u9fff]{4}", row["description"])
        texts[row["category"]].append(row["description"])
    for code, found in texts.items():
        common = Counter(found).most_common(1)[0][1]
        assert len(set(found)) / len(found) > 0.8, code
        assert common <= max(2, len(found) // 10), code


def test_descriptions_carry_words_of_their_category(history):
    # Learnable: most texts of a category use its words; not trivial: not all of them do.
    words = {
        "NQ.BB": "宽带|光猫|网速|断网|掉线|移机|上网",
        "NQ.MO": "信号|通话|电话|手机|流量|网速",
        "BP.SP": "短信|广告|诈骗",
        "WS.HA": "营业|窗口|排队|排了|等了|工作人员|前台|经理",
    }
    for parent, pattern in words.items():
        found = [r["description"] for r in history["rows"] if parent_of(r["category"]) == parent]
        share = sum(bool(re.search(pattern, text)) for text in found) / len(found)
        assert 0.85 < share, parent


def test_every_record_type_follows_the_entry_rules(history):
    possible = set()
    for row in history["rows"]:
        key = (row["topic"], tuple(row["demands"]), row["record_type"], row["order_kind"])
        if key in possible:
            continue
        decisions = {
            (d.record_type.value, d.order.value if d.order else None)
            for flags in product((True, False), repeat=3)
            for d in [
                triage(
                    Intake(
                        topic=row["topic"],
                        demands=row["demands"],
                        dissatisfied=flags[0],
                        accepted=flags[1],
                        needs_handover=flags[2],
                    )
                )
            ]
        }
        assert (row["record_type"], row["order_kind"]) in decisions, row
        possible.add(key)


# --- proportions ----------------------------------------------------------------------------


def test_about_two_percent_of_customers_complain_each_month(history):
    per_month = defaultdict(set)
    for row in history["rows"]:
        if row["record_type"] != "service":
            per_month[row["created_at"][:7]].add(row["customer_id"])
    full_months = sorted(per_month)[1:-1]  # the window starts and ends mid-month
    for month in full_months:
        assert 0.015 <= len(per_month[month]) / CUSTOMERS <= 0.03, month


def test_the_hotline_dominates_and_upgraded_channels_are_few_and_always_work_orders(history):
    rows = history["rows"]
    channels = Counter(row["channel"] for row in rows)
    assert channels["hotline"] / len(rows) > 0.6
    upgraded = [r for r in rows if r["channel"] in {"regulator", "consumer_association", "media"}]
    assert 0.01 < len(upgraded) / len(rows) < 0.1
    assert all(r["record_type"] == "complaint_work_order" for r in upgraded)


def test_many_complaints_are_answered_directly_and_most_others_are_work_orders(history):
    types = Counter(row["record_type"] for row in history["rows"])
    total = sum(types.values())
    assert 0.15 < types["direct_answer_complaint"] / total < 0.45
    assert types["complaint_work_order"] > 4 * types["service"] > 0
    for row in history["rows"]:
        if row["record_type"] != "complaint_work_order":
            assert row["state"] == "closed" and row["closed_at"] == row["created_at"]
            assert row["department"] is None and row["repeat_of"] is None


def test_work_orders_escalate_and_first_responsibility_is_a_back_office_department(work_orders):
    escalated = [r for r in work_orders if r["department"]]
    assert 0.4 < len(escalated) / len(work_orders) < 0.9
    assert {"NET-2L", "BILL-2L"} <= {r["department"] for r in escalated}
    for row in work_orders:
        assert row["first_responsible"] in {None, "NET", "MKT", "CS", "IT", "GOV"}
        if row["first_responsible"]:
            assert row["department"]


def test_some_closed_work_orders_breach_their_deadline_with_a_reason(work_orders):
    closed = [r for r in work_orders if r["state"] == "closed"]
    untimely = [r for r in closed if r["untimely"]]
    assert 0.04 < len(untimely) / len(closed) < 0.12
    assert sum(bool(r["breach_reason"]) for r in untimely) / len(untimely) > 0.75
    assert all(r["untimely"] for r in closed if r["breach_reason"])
    assert all(r["untimely"] is None for r in work_orders if r["state"] != "closed")


def test_callbacks_mostly_satisfy_and_dissatisfaction_means_remediation(work_orders):
    closed = [r for r in work_orders if r["state"] == "closed"]
    outcomes = Counter(r["callback_outcome"] for r in closed)
    assert outcomes["satisfied"] / len(closed) > 0.6
    assert outcomes["basically_satisfied"] > outcomes["unreachable"] > 0
    remediated = [r for r in work_orders if r["remediation"]]
    assert 0.01 < len(remediated) / len(work_orders) < 0.12
    for row in closed:
        if row["callback_outcome"] == "unreachable":
            assert row["callback_attempts"] == 3
        assert 0 <= row["callback_attempts"] <= 3
    for row in work_orders:
        if row["state"] == "reopened":
            assert row["callback_outcome"] == "dissatisfied" and row["remediation"]


def test_repeats_point_at_an_earlier_record_of_the_same_customer_and_problem(history, work_orders):
    earlier = {}
    repeats = 0
    for row in history["rows"]:
        if row["repeat_of"]:
            repeats += 1
            first = earlier[row["repeat_of"]]  # earlier in the file
            assert first["customer_id"] == row["customer_id"]
            assert parent_of(first["category"]) == parent_of(row["category"])
            assert when(first["created_at"]) < when(row["created_at"])
            if first["closed_at"]:
                assert when(first["closed_at"]) >= when(row["created_at"]) - timedelta(days=30)
        earlier[row["number"]] = row
    assert 0.03 < repeats / len(work_orders) < 0.2


def test_most_orders_are_closed_and_the_open_ones_are_recent_and_in_several_states(work_orders):
    open_ = [r for r in work_orders if r["state"] != "closed"]
    assert 0 < len(open_) < 0.05 * len(work_orders)
    assert len({r["state"] for r in open_}) >= 3
    now = datetime.combine(DEFAULT_AS_OF, datetime.min.time())
    recent = [r for r in open_ if now - when(r["created_at"]).replace(tzinfo=None) < timedelta(7)]
    assert len(recent) > len(open_) / 2
