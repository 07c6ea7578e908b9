"""The SMPP benchmark (bench/smpp.py) keeps working: a --quick run completes and prints
both windows for each latency and end to end. Its figures are not checked here."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_quick_run_prints_the_windowed_figure_and_its_baseline():
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "smpp.py"),
            "--quick",
            "--latency-ms",
            "0,1",
            "--outbox",
            "100",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert out.count("window 10:") == 3 and out.count("window  1:") == 3
    assert "messages/s" in out and "baseline" in out and "speed-up" in out
    assert "End to end" in out and out.count("(100 delivered)") == 2
