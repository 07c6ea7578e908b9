"""bench/pls.py keeps working: a --quick run prints the bootstrap figure, its baseline and
that both ways agree. Timings are not checked here."""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_quick_run_prints_the_figure_its_baseline_and_their_agreement():
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "pls.py"), "--quick"],
        capture_output=True, text=True, check=True, timeout=300,
    )  # fmt: skip
    out = done.stdout
    assert "resamples (covariance)" in out
    assert "baseline: plain loop" in out
    difference = re.search(r"same resamples: ([0-9.e+-]+)", out)
    assert difference and float(difference.group(1)) < 1e-9
