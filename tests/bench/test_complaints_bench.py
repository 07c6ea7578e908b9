"""The work-order benchmark (bench/complaints.py) keeps working: a tiny --quick run completes
and prints every figure next to its baseline. Timings are not checked here."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIGURES = (
    "intake, record_contact × 20",
    "per contact p50 / p95",
    "CPU of the process per contact",
    "my queue, first 50, p50 / p95",
    "lead: department, overdue",
    "lead: city, escalated",
    "lead: overview",
    "intake, 2 processes at once",
    "SLA job, first run (1 min back",
    "SLA job, 5 runs 60 s apart, mean / max",
    "crossed per run",
    "SLA job, first run ever (24 h back",
    "home page, ",
    "SQL statements per page",
)
BASELINES = (
    "/s on the empty table",
    "without the indexes",
    "naive scan",
    "without the trend indexes",
)


@pytest.mark.parametrize("database", ["sqlite", "postgres"])
def test_a_tiny_quick_run_prints_every_figure_and_its_baseline(database):
    env = dict(os.environ)
    if database == "postgres" and not env.get("SQM_DATABASE_URL"):
        pytest.skip("PostgreSQL runs need SQM_DATABASE_URL")
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "complaints.py"),
            "--quick",
            "--database",
            database,
            "--orders",
            "2000",
            "--customers",
            "300",
            "--intake",
            "20",
            "--users",
            "40",
            "--intake-workers",
            "2",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert "2,000 work orders" in out
    for text in FIGURES + BASELINES:
        assert text in out, f"{text!r} missing from:\n{out}"
    assert "target" in out and "≥ 300 /s" in out and "p95 < 100 ms" in out and "< 1 s" in out
