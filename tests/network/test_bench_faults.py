"""The fault benchmark (bench/faults.py) keeps working: a tiny --quick run on SQLite completes
and prints every figure next to its baseline and target. Its timings are not checked here."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIGURES = (
    "1. OLT alarm → fault + 400 outages + 400 scheduled SMS",
    "its clear before the notices: 400 SMS cancelled",
    "2. storm: ",
    "first / last fifth of the stream",
    "SQL statements per batch",
    "3. replay: a day of ",
    "4. SMPP",
    "SmppClient.send, window 10, 200 messages",
)
BASELINES = (
    "per-row ORM (400 SMS)",
    "per-row save() (400)",
    "events/s one per call",
    "without the account cache",
    "window 1",
)
TARGETS = ("< 1 s", "≥ 2,000/s", "< 30 s", "≥ 1,000/s")


def test_a_tiny_quick_run_prints_every_figure_with_its_baseline_and_target():
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "faults.py"),
            "--quick",
            "--database",
            "sqlite",
            "--customers",
            "2000",
            "--olt-accounts",
            "400",
            "--storm-events",
            "1000",
            "--baseline-events",
            "50",
            "--replay-alarms",
            "100",
            "--smpp-messages",
            "200",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert "== sqlite" in out
    for text in FIGURES + BASELINES + TARGETS:
        assert text in out, text
