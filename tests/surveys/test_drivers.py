"""Driver analysis (sqm.surveys.drivers): stepwise OLS, VIF and LMG relative importance."""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import numpy as np
import pytest
from scipy import stats

from sqm.surveys.choices import Process
from sqm.surveys.drivers import lmg, stepwise, vif

PROCESSES = list(Process.values)
DRIVERS = {"network": 0.5, "hotline": 0.3, "bills": 0.2, "complaint_handling": 0.15}


def r2_of(X, y):
    """R² of the OLS of y on an intercept and the columns of X, refitted with lstsq."""
    design = np.column_stack([np.ones(len(y)), X])
    solution = np.linalg.lstsq(design, y, rcond=None)[0]
    residuals = y - design @ solution
    return 1 - residuals @ residuals / np.sum((y - y.mean()) ** 2)


@pytest.fixture(scope="module")
def processes():
    """9 business-process scores sharing a common factor (correlation ~0.3) and an outcome
    driven by four of them."""
    rng = np.random.default_rng(7)
    n = 2000
    factor = rng.standard_normal(n)
    X = np.sqrt(0.3) * factor[:, None] + np.sqrt(0.7) * rng.standard_normal((n, len(PROCESSES)))
    y = rng.standard_normal(n)
    for name, weight in DRIVERS.items():
        y += weight * X[:, PROCESSES.index(name)]
    return X, y


# LMG


def test_lmg_two_predictors_match_the_closed_formula_computed_by_hand():
    # Centred, each column has squared length 8, and the dot products are y·x1 = 4,
    # y·x2 = 2, x1·x2 = 2, so r1 = 1/2, r2 = 1/4, r12 = 1/4 exactly (the offsets 7, 5 and 6
    # change nothing). Then
    #   R² = (r1² + r2² - 2 r1 r2 r12) / (1 - r12²) = (1/4 + 1/16 - 1/16) / (15/16) = 4/15,
    #   share_1 = (r1² + (R² - r2²)) / 2 = (1/4 + 4/15 - 1/16) / 2 = 109/480,
    #   share_2 = (r2² + (R² - r1²)) / 2 = (1/16 + 4/15 - 1/4) / 2 = 19/480.
    y = np.array([2, 1, -1, -1, -1, 0]) + 7.0
    x1 = np.array([0, 1, -1, -1, -1, 2]) + 5.0
    x2 = np.array([1, -1, -2, 0, 1, 1]) + 6.0
    r1, r2, r12 = Fraction(1, 2), Fraction(1, 4), Fraction(1, 4)
    full = (r1**2 + r2**2 - 2 * r1 * r2 * r12) / (1 - r12**2)
    assert full == Fraction(4, 15)
    expected_1 = (r1**2 + (full - r2**2)) / 2
    expected_2 = (r2**2 + (full - r1**2)) / 2
    assert (expected_1, expected_2) == (Fraction(109, 480), Fraction(19, 480))

    result = lmg(np.column_stack([x1, x2]), y, ["x1", "x2"])

    assert result.r2 == pytest.approx(4 / 15, abs=1e-12)
    assert result.shares["x1"] == pytest.approx(109 / 480, abs=1e-12)
    assert result.shares["x2"] == pytest.approx(19 / 480, abs=1e-12)
    assert (result.n, result.dropped) == (6, 0)


def test_lmg_three_predictors_match_a_brute_force_average_over_all_orderings():
    rng = np.random.default_rng(11)
    n = 40
    base = rng.standard_normal((n, 3))
    X = base @ np.array([[1.0, 0.4, 0.2], [0.0, 1.0, 0.5], [0.0, 0.0, 1.0]])  # correlated
    y = 1.0 * X[:, 0] - 0.5 * X[:, 1] + 0.8 * X[:, 2] + rng.standard_normal(n)
    names = ["a", "b", "c"]

    gains = dict.fromkeys(range(3), 0.0)
    orderings = list(itertools.permutations(range(3)))
    assert len(orderings) == 6
    for ordering in orderings:
        before = 0.0
        for position, j in enumerate(ordering):
            after = r2_of(X[:, list(ordering[: position + 1])], y)
            gains[j] += after - before
            before = after
    expected = {names[j]: gain / len(orderings) for j, gain in gains.items()}

    result = lmg(X, y, names)

    for name in names:
        assert result.shares[name] == pytest.approx(expected[name], abs=1e-12)
    assert result.r2 == pytest.approx(r2_of(X, y), abs=1e-12)


def test_lmg_shares_sum_to_r2_and_relative_shares_to_one(processes):
    X, y = processes

    result = lmg(X, y, PROCESSES)

    assert math.fsum(result.shares.values()) == pytest.approx(result.r2, abs=1e-12)
    assert math.fsum(result.relative.values()) == pytest.approx(1, abs=1e-12)
    assert result.r2 == pytest.approx(r2_of(X, y), abs=1e-12)
    ranking = sorted(result.shares, key=result.shares.__getitem__, reverse=True)
    assert ranking[:4] == ["network", "hotline", "bills", "complaint_handling"]


def test_lmg_orthogonal_predictors_get_their_squared_correlation():
    # Centred, mutually orthogonal columns (a Hadamard design): no shared variance to split.
    X = np.array(
        [
            [1, 1, 1],
            [1, 1, -1],
            [1, -1, 1],
            [1, -1, -1],
            [-1, 1, 1],
            [-1, 1, -1],
            [-1, -1, 1],
            [-1, -1, -1],
        ],
        dtype=float,
    )
    y = np.array([3.0, 5.0, 2.0, 4.0, 1.0, 6.0, 2.5, 0.5])

    result = lmg(X, y, ["p", "q", "s"])

    for j, name in enumerate(["p", "q", "s"]):
        r = np.corrcoef(X[:, j], y)[0, 1]
        assert result.shares[name] == pytest.approx(r**2, abs=1e-12)
    assert math.fsum(result.shares.values()) == pytest.approx(result.r2, abs=1e-12)


def test_lmg_refuses_more_than_fifteen_predictors():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((100, 16))

    with pytest.raises(ValueError, match="15"):
        lmg(X, rng.standard_normal(100), [f"x{j}" for j in range(16)])


def test_lmg_drops_rows_with_nan_and_counts_them():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((50, 2))
    y = X[:, 0] + rng.standard_normal(50)
    clean = lmg(X, y, ["a", "b"])
    X_missing = np.vstack([X, [[np.nan, 1.0], [0.5, 0.2]]])
    y_missing = np.r_[y, 1.0, np.nan]

    result = lmg(X_missing, y_missing, ["a", "b"])

    assert (result.n, result.dropped) == (50, 2)
    assert result.shares == pytest.approx(clean.shares, abs=1e-12)


# Stepwise


def test_stepwise_selects_exactly_the_known_drivers(processes):
    X, y = processes

    result = stepwise(X, y, PROCESSES)

    assert set(result.selected) == set(DRIVERS)
    assert result.selected == ["network", "hotline", "bills", "complaint_handling"]
    assert [step.action for step in result.steps] == ["enter"] * 4
    assert result.converged
    assert result.coefficients[0].name == "(intercept)"
    assert result.coefficients[0].beta is None and result.coefficients[0].vif is None
    truth = {"(intercept)": 0.0, **DRIVERS}
    for row in result.coefficients:
        assert abs(row.estimate - truth[row.name]) < 4 * row.std_error, row
    assert {name for name, _p in result.excluded} == set(PROCESSES) - set(DRIVERS)
    assert all(p >= 0.05 for _name, p in result.excluded)
    assert result.n == 2000 and result.dropped == 0


def test_stepwise_vif_exceeds_one_and_matches_an_independent_regression(processes):
    X, y = processes

    result = stepwise(X, y, PROCESSES)

    chosen = X[:, [PROCESSES.index(name) for name in result.selected]]
    for j, row in enumerate(result.coefficients[1:]):
        others = np.delete(chosen, j, axis=1)
        expected = 1 / (1 - r2_of(others, chosen[:, j]))
        assert row.vif > 1
        assert row.vif == pytest.approx(expected, rel=1e-10)
    assert vif(chosen, result.selected) == pytest.approx(
        {row.name: row.vif for row in result.coefficients[1:]}, rel=1e-12
    )


def test_vif_of_a_single_predictor_is_one():
    assert vif(np.array([[1.0], [2.0], [4.0]]), ["only"]) == {"only": 1.0}


def redundant_sum():
    """x3 is a noisy sum of x1 and x2, so it correlates best with y = x1 + x2 + e and enters
    first. Its noise leaves room for x1 and x2 to enter after it; once both are in, x3 adds
    nothing."""
    rng = np.random.default_rng(5)
    n = 500
    x1, x2 = rng.standard_normal(n), rng.standard_normal(n)
    x3 = x1 + x2 + 0.7 * rng.standard_normal(n)
    y = x1 + x2 + rng.standard_normal(n)
    return np.column_stack([x1, x2, x3]), y


def test_stepwise_removes_a_predictor_that_entered_first_and_became_redundant():
    X, y = redundant_sum()

    result = stepwise(X, y, ["x1", "x2", "x3"])

    assert result.steps[0][:2] == ("enter", "x3")
    removals = [step for step in result.steps if step.action == "remove"]
    assert [step.name for step in removals] == ["x3"]
    assert removals[0].p_value > 0.10
    assert sorted(result.selected) == ["x1", "x2"]
    assert [name for name, _p in result.excluded] == ["x3"]


def test_stepwise_looser_entry_threshold_admits_more_predictors(processes):
    X, y = processes
    strict = stepwise(X, y, PROCESSES)
    closest, p_closest = min(strict.excluded, key=lambda item: item[1])

    loose = stepwise(X, y, PROCESSES, enter=p_closest + 0.01, remove=0.99)

    assert closest in loose.selected
    assert set(strict.selected) < set(loose.selected)


def test_stepwise_removal_threshold_is_configurable():
    X, y = redundant_sum()

    # No p-value exceeds 1, so with remove = 1 nothing ever leaves: x3 stays.
    result = stepwise(X, y, ["x1", "x2", "x3"], remove=1.0)

    assert [step.action for step in result.steps] == ["enter"] * 3
    assert result.selected == ["x3", "x1", "x2"]


def test_stepwise_stricter_entry_threshold_keeps_weaker_drivers_out(processes):
    X, y = processes

    # complaint_handling enters at p ~ 3e-11, the other three far below.
    result = stepwise(X, y, PROCESSES, enter=1e-12, remove=1e-11)

    assert result.selected == ["network", "hotline", "bills"]


def test_stepwise_never_enters_an_exact_linear_combination_of_the_model():
    rng = np.random.default_rng(8)
    X = rng.standard_normal((100, 2))
    X = np.column_stack([X, X[:, 0] + X[:, 1]])
    y = X[:, 0] + rng.standard_normal(100)

    result = stepwise(X, y, ["a", "b", "c"], enter=0.99, remove=0.999)

    assert len(result.selected) == 2
    ((name, p),) = result.excluded
    assert name not in result.selected and math.isnan(p)
    assert vif(X, ["a", "b", "c"])["c"] > 1e10


@pytest.mark.parametrize("enter, remove", [(0.10, 0.10), (0.10, 0.05)])
def test_stepwise_refuses_an_entry_threshold_not_below_the_removal_one(enter, remove):
    X = np.random.default_rng(1).standard_normal((30, 2))

    with pytest.raises(ValueError, match="enter < remove"):
        stepwise(X, X[:, 0], ["a", "b"], enter=enter, remove=remove)


def test_stepwise_refuses_a_constant_predictor_naming_it():
    rng = np.random.default_rng(2)
    X = np.column_stack([rng.standard_normal(30), np.full(30, 4.0)])

    with pytest.raises(ValueError, match="outlets"):
        stepwise(X, rng.standard_normal(30), ["network", "outlets"])
    with pytest.raises(ValueError, match="outlets"):
        lmg(X, rng.standard_normal(30), ["network", "outlets"])


def test_stepwise_drops_rows_with_nan_and_counts_them(processes):
    X, y = processes
    X_missing, y_missing = X.copy(), y.copy()
    X_missing[3, 2] = np.nan
    X_missing[10, 0] = np.nan
    y_missing[10] = np.nan
    y_missing[20] = np.nan
    keep = np.ones(len(y), dtype=bool)
    keep[[3, 10, 20]] = False

    result = stepwise(X_missing, y_missing, PROCESSES)
    clean = stepwise(X[keep], y[keep], PROCESSES)

    assert (result.n, result.dropped) == (1997, 3)
    assert result.coefficients == clean.coefficients


def test_stepwise_stops_after_max_steps():
    rng = np.random.default_rng(4)
    X = rng.standard_normal((200, 3))
    y = X @ np.array([1.0, 0.8, 0.6]) + rng.standard_normal(200)

    result = stepwise(X, y, ["a", "b", "c"], max_steps=2)

    assert len(result.steps) == 2
    assert not result.converged
    assert len(result.selected) == 2


def test_stepwise_with_nothing_selected_reports_the_intercept_only_model():
    rng = np.random.default_rng(6)
    X = rng.standard_normal((100, 2))
    y = rng.standard_normal(100)

    result = stepwise(X, y, ["a", "b"], enter=1e-6, remove=1e-5)

    assert result.selected == [] and result.steps == []
    assert [row.name for row in result.coefficients] == ["(intercept)"]
    assert result.coefficients[0].estimate == pytest.approx(y.mean(), abs=1e-12)
    assert result.r2 == pytest.approx(0, abs=1e-12)
    assert result.f is None and result.f_p is None
    assert len(result.excluded) == 2


def test_stepwise_ols_matches_the_normal_equations():
    rng = np.random.default_rng(9)
    n, k = 120, 3
    X = rng.standard_normal((n, k)) + np.array([5.0, -2.0, 10.0])
    y = 2.0 + X @ np.array([1.5, -1.0, 0.7]) + rng.standard_normal(n)

    result = stepwise(X, y, ["a", "b", "c"])

    assert sorted(result.selected) == ["a", "b", "c"]
    order = [["a", "b", "c"].index(name) for name in result.selected]
    design = np.column_stack([np.ones(n), X[:, order]])
    xtx_inv = np.linalg.inv(design.T @ design)
    estimates = xtx_inv @ design.T @ y
    residuals = y - design @ estimates
    sigma2 = residuals @ residuals / (n - k - 1)
    std_errors = np.sqrt(sigma2 * np.diag(xtx_inv))
    t = estimates / std_errors
    p = 2 * stats.t.sf(np.abs(t), n - k - 1)
    r2 = 1 - residuals @ residuals / np.sum((y - y.mean()) ** 2)
    f = (r2 / k) / ((1 - r2) / (n - k - 1))
    for i, row in enumerate(result.coefficients):
        assert row.estimate == pytest.approx(estimates[i], rel=1e-9)
        assert row.std_error == pytest.approx(std_errors[i], rel=1e-9)
        assert row.t == pytest.approx(t[i], rel=1e-9)
        assert row.p == pytest.approx(p[i], rel=1e-6, abs=1e-300)
    for i, row in enumerate(result.coefficients[1:], start=1):
        expected_beta = estimates[i] * design[:, i].std(ddof=1) / y.std(ddof=1)
        assert row.beta == pytest.approx(expected_beta, rel=1e-9)
    assert result.r2 == pytest.approx(r2, rel=1e-12)
    assert result.adjusted_r2 == pytest.approx(1 - (1 - r2) * (n - 1) / (n - k - 1), rel=1e-12)
    assert result.f == pytest.approx(f, rel=1e-9)
    assert result.f_p == pytest.approx(stats.f.sf(f, k, n - k - 1), rel=1e-6, abs=1e-300)


def test_stepwise_entry_p_is_the_partial_f_test(processes):
    X, y = processes
    result = stepwise(X, y, PROCESSES)
    chosen = [PROCESSES.index(name) for name in result.selected]
    n, k = len(y), len(chosen)

    for name, p in result.excluded:
        reduced = r2_of(X[:, chosen], y)
        full = r2_of(X[:, [*chosen, PROCESSES.index(name)]], y)
        partial_f = (full - reduced) / ((1 - full) / (n - k - 2))
        assert p == pytest.approx(stats.f.sf(partial_f, 1, n - k - 2), rel=1e-8)
