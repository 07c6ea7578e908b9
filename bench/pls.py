"""PLS bootstrap benchmark (issue 5 §5).

    .venv/bin/python bench/pls.py [--respondents 10000] [--resamples 1000] [--seed 1] [--quick]

A survey of `--respondents` respondents × 30 items (six constructs of five items on 0–10
scales: the ECSI model, drawn from known path coefficients) is estimated once, then
bootstrapped with `--resamples` resamples two ways, the same respondents drawn for both:

- measured: `sqm.surveys.pls.bootstrap` (each resample runs on the items' covariance
  matrix weighted by how often each respondent was drawn) — target < 30 s on 2 cores;
- baseline: the plain loop, `estimate` re-run on each resample's rows (`method="rows"`),
  over `--baseline-resamples` resamples (default 100) and extrapolated.

The two must agree (largest difference printed). Figures are wall-clock on this machine;
the load average is printed with them.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqm.surveys.pls import Construct, Model, bootstrap, estimate  # noqa: E402

NAMES = ("IMAG", "EXPE", "QUAL", "VAL", "SAT", "LOY")
# The inner model the data is drawn from: (cause, effect) → coefficient, each construct then
# rescaled to unit variance.
TRUE_PATHS = {
    ("IMAG", "EXPE"): 0.6, ("IMAG", "SAT"): 0.2, ("IMAG", "LOY"): 0.3, ("EXPE", "QUAL"): 0.8,
    ("EXPE", "VAL"): 0.2, ("EXPE", "SAT"): 0.05, ("QUAL", "VAL"): 0.6, ("QUAL", "SAT"): 0.1,
    ("VAL", "SAT"): 0.5, ("SAT", "LOY"): 0.5,
}  # fmt: skip


def survey(respondents: int, seed: int) -> tuple[np.ndarray, list[str], Model]:
    rng = np.random.default_rng(seed)
    scores: dict[str, np.ndarray] = {}
    for name in NAMES:  # causal order
        causes = [(c, b) for (c, e), b in TRUE_PATHS.items() if e == name]
        explained = sum(b * scores[c] for c, b in causes) if causes else 0.0
        scores[name] = explained + rng.normal(size=respondents)
        scores[name] /= scores[name].std()
    columns, values = [], []
    for name in NAMES:
        for k in range(1, 6):
            answer = 6 + 1.6 * (0.8 * scores[name] + 0.6 * rng.normal(size=respondents))
            columns.append(f"{name.lower()}{k}")
            values.append(np.clip(np.round(answer), 0, 10))
    constructs = tuple(
        Construct(name, tuple(f"{name.lower()}{k}" for k in range(1, 6))) for name in NAMES
    )
    return np.column_stack(values), columns, Model(constructs, tuple(TRUE_PATHS), scaled=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--respondents", type=int)
    parser.add_argument("--resamples", type=int)
    parser.add_argument("--baseline-resamples", type=int)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="small sizes for smoke runs")
    args = parser.parse_args()
    respondents = args.respondents or (500 if args.quick else 10_000)
    resamples = args.resamples or (20 if args.quick else 1_000)
    baseline = args.baseline_resamples or (5 if args.quick else 100)
    data, columns, model = survey(respondents, args.seed)
    load = os.getloadavg()[0]

    estimate(data[:50], columns, model)  # imports and first-call costs out of the timings
    start = time.perf_counter()
    result = estimate(data, columns, model)
    once = time.perf_counter() - start
    start = time.perf_counter()
    fast = bootstrap(data, columns, model, resamples, seed=args.seed)
    measured = time.perf_counter() - start
    start = time.perf_counter()
    plain = bootstrap(data, columns, model, baseline, seed=args.seed, method="rows")
    plain_s = time.perf_counter() - start
    extrapolated = plain_s / baseline * resamples
    agree = max(
        float(np.abs(fast.paths[:baseline] - plain.paths).max()),
        float(np.abs(fast.weights[:baseline] - plain.weights).max()),
    )
    print(f"PLS bootstrap: {respondents:,} respondents × {len(columns)} items, "
          f"{os.cpu_count()} CPUs, load average {load:.1f} at the start, "
          f"{os.getloadavg()[0]:.1f} at the end")  # fmt: skip
    print(f"one estimate  {once * 1000:,.0f} ms ({result.iterations} iterations)")
    print(f"bootstrap, {resamples:,} resamples (covariance)  {measured:,.1f} s   "
          f"target < 30 s {'✓' if measured < 30 else '✗'}")  # fmt: skip
    print(f"baseline: plain loop, estimate per resample  {plain_s:,.1f} s for {baseline:,} "
          f"→ {extrapolated:,.1f} s for {resamples:,} (extrapolated)  "
          f"speed-up {extrapolated / measured:,.1f}×")  # fmt: skip
    print(f"largest difference between the two, same resamples: {agree:.1e}")


if __name__ == "__main__":
    main()
