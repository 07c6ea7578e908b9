"""bench/search.py keeps working: a --quick run on SQLite indexes the generated work orders,
times the 50 queries next to the LIKE baseline, judges recall@10 on the labelled set and
counts the LIKE hits the search misses. Timings and scores are not checked here."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CLASSES = ("word", "single character", "phrase", "mixed", "traditional", "terms")


def test_a_quick_run_prints_indexing_latency_recall_and_misses_next_to_the_baseline():
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "search.py"), "--quick", "--runs", "1"]
        + ["--database", "sqlite"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert "5,000 work orders" in out
    for text in (
        "indexing, reindex(['order'])",
        "records/s",
        "50 queries × 1, p50 / p95",
        "ms LIKE scan",
        "p95 < 50 ms",
        "recall@10, labelled phrase",
        "recall@10, labelled two terms",
        "top 10 in the category",
        "Baseline: the same 50 queries as a LIKE scan",
    ):
        assert text in out, f"{text!r} missing from:\n{out}"
    for cls in CLASSES + ("labelled phrase", "labelled two terms"):
        assert f"LIKE hits the search misses, {cls} (" in out, out
    # Every query of the fixed set is listed with its timings.
    listed = [line[5:21].strip() for line in out.splitlines() if line.startswith(" " * 5)]
    assert len([c for c in listed if c in CLASSES]) == 50, out
