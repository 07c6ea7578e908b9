"""`sqm complaints triage`: JSON Lines in, one decision per line out, all or nothing."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from sqm.complaints.services import Intake, triage

KEYS = "unknown key; the keys are topic, demands, dissatisfied, accepted, needs_handover"
TOPICS = "is not one of unsubscribe, resend, block, refund, other"
DEMANDS = (
    "is not one of ask_reason, unknowing_subscription, restore, compensation, apology, "
    "manager, rule_change, other"
)

GOOD = [
    {"topic": "unsubscribe", "accepted": True},
    {"topic": "block", "accepted": True, "demands": ["ask_reason", "apology"]},
    {"topic": "refund", "accepted": True, "demands": ["compensation"], "needs_handover": False},
    {"topic": "other", "accepted": False, "dissatisfied": True, "demands": ["manager"]},
]


def jsonl(*objects: object) -> str:
    return "".join(
        (obj if isinstance(obj, str) else json.dumps(obj, ensure_ascii=False)) + "\n"
        for obj in objects
    )


def run(stdin: str, *args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("complaints", "triage", *args, stdin=io.StringIO(stdin), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def fail(stdin: str, *args: str) -> tuple[str, list[str], str]:
    """Run expecting bad input: (stdout, stderr lines, the final error message)."""
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError) as caught:
        call_command(
            "complaints", "triage", *args, stdin=io.StringIO(stdin), stdout=out, stderr=err
        )
    return out.getvalue(), err.getvalue().splitlines(), str(caught.value)


def test_it_writes_one_decision_per_line_with_stable_keys_in_order():
    out, err = run(jsonl(*GOOD))
    lines = out.splitlines()
    assert len(lines) == len(GOOD) and err == ""
    for line, data in zip(lines, GOOD, strict=True):
        decision = json.loads(line)
        assert list(decision) == ["record_type", "order", "reason"]
        assert decision == triage(Intake(**data)).as_dict()
    assert [json.loads(line)["record_type"] for line in lines] == [
        "service",
        "direct_answer_complaint",
        "complaint_work_order",
        "complaint_work_order",
    ]


def test_it_writes_the_reason_as_readable_chinese():
    out, _ = run(jsonl(GOOD[0]))
    assert out == (
        '{"record_type": "service", "order": "business", '
        '"reason": "客户仅要求退订且接受现场办理，不属于投诉，办理退订业务单。"}\n'
    )


def test_it_skips_empty_lines_and_writes_nothing_for_empty_input():
    out, _ = run("\n" + jsonl(GOOD[0]) + "  \n\n" + jsonl(GOOD[1]))
    assert len(out.splitlines()) == 2
    assert run("") == ("", "")
    assert run("\n \n") == ("", "")


def test_it_decides_nothing_when_any_line_is_bad_and_names_each_bad_line():
    out, errors, summary = fail(
        jsonl(
            GOOD[0],
            {"topic": "other", "accepted": True, "colour": "red"},
            GOOD[1],
            {"topic": "unsub", "accepted": True},
            {"topic": "block", "accepted": True, "demands": ["hug"]},
            {"topic": "block", "accepted": 1, "needs_handover": "yes"},
            '{"topic": "refund", ',
            "",
            GOOD[2],
        )
    )
    assert out == ""
    assert errors == [
        f"stdin:2: colour: {KEYS}",
        f'stdin:4: topic: "unsub" {TOPICS}',
        f'stdin:5: demands: "hug" {DEMANDS}',
        "stdin:6: accepted: must be true or false, got 1",
        'stdin:6: needs_handover: must be true or false, got "yes"',
        "stdin:7: -: not valid JSON: Expecting property name enclosed in double quotes "
        "at column 21",
    ]
    assert summary == "stdin: 5 bad line(s) in 8; nothing was triaged"


@pytest.mark.parametrize(
    "line, message",
    [
        ({"topic": "refund", "accepted": True, "urgent": True}, f"stdin:2: urgent: {KEYS}"),
        ({"topic": "complain", "accepted": True}, f'stdin:2: topic: "complain" {TOPICS}'),
        (
            {"topic": "resend", "accepted": True, "demands": ["ask_reason", "sue"]},
            f'stdin:2: demands: "sue" {DEMANDS}',
        ),
        ({"topic": "other", "accepted": True, "dissatisfied": 0}, None),
        ({"topic": "other", "accepted": "false"}, None),
        ({"topic": "other", "accepted": True, "needs_handover": None}, None),
        ("not json", None),
        ({"accepted": True}, "stdin:2: topic: a value is required"),
    ],
    ids=[
        "unknown key",
        "unknown topic",
        "unknown demand",
        "number flag",
        "string flag",
        "null flag",
        "malformed JSON",
        "missing topic",
    ],
)
def test_it_refuses_a_single_bad_line_among_good_ones(line, message):
    out, errors, _ = fail(jsonl(GOOD[0], line, GOOD[1]))
    assert out == ""
    assert len(errors) == 1 and errors[0].startswith("stdin:2: ")
    if message:
        assert errors == [message]


def test_it_reads_a_file_given_with_input_and_names_it_in_messages(tmp_path: Path):
    good = tmp_path / "intake.jsonl"
    good.write_text(jsonl(*GOOD), encoding="utf-8")
    out, _ = run("this stdin is not read", "--input", str(good))
    assert len(out.splitlines()) == len(GOOD)

    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(b'\xef\xbb\xbf{"topic": "refund", "accepted": true}\n{"topic": 7}\n')
    out, errors, summary = fail("", "--input", str(bad))
    assert out == ""
    assert errors == [
        f"{bad}:2: topic: 7 {TOPICS}",
        f"{bad}:2: accepted: a value is required",
    ]
    assert summary == f"{bad}: 1 bad line(s) in 2; nothing was triaged"


def test_it_says_so_when_the_input_file_does_not_exist(tmp_path: Path):
    with pytest.raises(CommandError, match="no-such.jsonl: no such file"):
        run("", "--input", str(tmp_path / "no-such.jsonl"))


# --- the real console script -----------------------------------------------------------------


def sqm(args: list[str], stdin: bytes, home: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SQM_")}
    env.update(SQM_HOME=str(home), LANGUAGE="en")
    return subprocess.run(
        [sys.executable, "-m", "sqm.cli", *args], input=stdin, env=env, capture_output=True
    )


def test_the_console_script_reads_stdin_and_exits_0(tmp_path: Path):
    result = sqm(["complaints", "triage"], jsonl(*GOOD).encode(), tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.decode("utf-8").splitlines()
    assert [json.loads(line) for line in lines] == [
        triage(Intake(**data)).as_dict() for data in GOOD
    ]


def test_the_console_script_exits_1_on_bad_input_and_writes_nothing(tmp_path: Path):
    stdin = jsonl(GOOD[0], {"topic": "x", "accepted": True}).encode() + b"\xff\n"
    result = sqm(["complaints", "triage"], stdin, tmp_path)
    assert result.returncode == 1
    assert result.stdout == b""
    errors = result.stderr.decode("utf-8").splitlines()
    assert errors[0].startswith('stdin:2: topic: "x" ')
    assert errors[1].startswith("stdin:3: -: ")
    assert len(errors) == 3  # and the summary


@pytest.mark.parametrize(
    "args",
    [["complaints"], ["complaints", "sort"], ["complaints", "triage", "--bogus"]],
    ids=["no action", "unknown action", "unknown option"],
)
def test_the_console_script_exits_2_on_a_usage_error(tmp_path: Path, args):
    result = sqm(args, b"", tmp_path)
    assert result.returncode == 2
    assert result.stdout == b""
    assert b"usage: sqm complaints" in result.stderr


def test_the_console_script_explains_triage_with_help(tmp_path: Path):
    result = sqm(["complaints", "triage", "--help"], b"", tmp_path)
    assert result.returncode == 0
    text = result.stdout.decode("utf-8")
    assert "usage: sqm complaints triage" in text
    for word in ["--input FILE", "record_type", "needs_handover", "complaint-rules.md"]:
        assert word in text
    listing = sqm(["complaints", "--help"], b"", tmp_path)
    assert listing.returncode == 0 and b"triage" in listing.stdout
