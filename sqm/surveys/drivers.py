"""Driver analysis: which business processes drive overall customer satisfaction.

Two complementary views of the regression of satisfaction `y` on the process scores `X`
(network, roaming, value-added services, bills, payment, outlets, hotline, ...):

- `stepwise`: classic bidirectional stepwise OLS (with intercept). It picks a small set of
  processes that each add significantly to the explained variance, and reports the final
  model with standardised betas and variance inflation factors (the process scores are
  correlated, so VIF tells how much each coefficient's variance is inflated by the others).
- `lmg`: relative importance by the LMG decomposition (Lindeman, Merenda and Gold; the
  Shapley value of R²). Each predictor's share is its increase in R² when it is added,
  averaged over all orderings of the predictors, so the shares add up to the full model's
  R² however correlated the predictors are. It is exact: all 2^p subsets, p <= 15.

Both drop rows with a NaN anywhere (listwise deletion) and report how many they dropped.
Our own implementation on numpy and scipy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from django.utils.translation import gettext as _
from scipy import linalg, stats

INTERCEPT = "(intercept)"
LMG_MAX_PREDICTORS = 15
# A column whose residual on the columns before it is shorter than this fraction of its own
# length is treated as a linear combination of them (tolerance 1 - R²_j below ~1e-16).
_COLLINEAR = 1e-8


class Step(NamedTuple):
    """One move of the stepwise search: `action` is 'enter' or 'remove'."""

    action: str
    name: str
    p_value: float


@dataclass(frozen=True)
class Coefficient:
    """One row of the final model; `beta` and `vif` are None for the intercept."""

    name: str
    estimate: float
    std_error: float
    t: float
    p: float
    beta: float | None
    vif: float | None


@dataclass(frozen=True)
class Stepwise:
    """The stepwise search and its final model.

    `selected` lists the predictors in the model in order of entry; `excluded` gives, for
    every other predictor, the p-value it would have on entering the final model (NaN when
    it is a linear combination of the selected ones). `f` and `f_p` (the overall F test) are
    None when nothing was selected. `converged` is False when `max_steps` cut the search.
    """

    steps: list[Step]
    selected: list[str]
    coefficients: list[Coefficient]
    r2: float
    adjusted_r2: float
    f: float | None
    f_p: float | None
    n: int
    dropped: int
    excluded: list[tuple[str, float]]
    converged: bool = True


@dataclass(frozen=True)
class Lmg:
    """LMG shares of R² (summing to `r2`) and the same as fractions of it (summing to 1)."""

    shares: dict[str, float]
    relative: dict[str, float]
    r2: float
    n: int
    dropped: int


@dataclass(frozen=True)
class _Fit:
    estimates: np.ndarray  # intercept first
    std_errors: np.ndarray
    t: np.ndarray
    p: np.ndarray
    r2: float
    df_residual: int


class _Collinear(Exception):
    """The design matrix is (numerically) rank deficient."""


def _prepare(
    X: np.ndarray, y: np.ndarray | None, names: list[str]
) -> tuple[np.ndarray, np.ndarray | None, int]:
    """Validate the inputs and drop rows with a NaN listwise; return X, y and the drop count."""
    X = np.asarray(X, dtype=float)
    if X.ndim != 2:
        raise ValueError(_("X must be a two-dimensional array (rows × predictors)."))
    names = list(names)
    if len(names) != X.shape[1]:
        raise ValueError(
            _("There are %(names)d names for %(columns)d predictor columns.")
            % {"names": len(names), "columns": X.shape[1]}
        )
    if len(set(names)) != len(names):
        raise ValueError(_("Predictor names must be unique."))
    if not names:
        raise ValueError(_("At least one predictor is needed."))
    if y is not None:
        y = np.asarray(y, dtype=float)
        if y.ndim != 1 or len(y) != len(X):
            raise ValueError(_("y must be one-dimensional with one value per row of X."))
    if np.isinf(X).any() or (y is not None and np.isinf(y).any()):
        raise ValueError(_("The data contain infinite values."))
    missing = np.isnan(X).any(axis=1)
    if y is not None:
        missing |= np.isnan(y)
    X = X[~missing]
    y = y[~missing] if y is not None else None
    for name, column in zip(names, X.T, strict=True):
        if len(column) < 2 or np.ptp(column) == 0:
            raise ValueError(_("The predictor %(name)s has no variance.") % {"name": name})
    if y is not None and (len(y) < 2 or np.ptp(y) == 0):
        raise ValueError(_("The outcome has no variance."))
    return X, y, int(missing.sum())


def _require_rows(n: int, p: int) -> None:
    """A model with all p predictors needs residual degrees of freedom."""
    if n < p + 2:
        raise ValueError(
            _("%(n)d complete rows are too few for %(p)d predictors (at least %(needed)d).")
            % {"n": n, "p": p, "needed": p + 2}
        )


def _ols(X: np.ndarray, y: np.ndarray) -> _Fit:
    """OLS of y on an intercept and the columns of X, through the QR decomposition.

    Raises _Collinear when a column is a linear combination of the intercept and the
    columns before it.
    """
    n = len(y)
    design = np.column_stack([np.ones(n), X])
    q, r = np.linalg.qr(design, mode="reduced")
    lengths = np.linalg.norm(design, axis=0)
    if np.any(np.abs(np.diag(r)) <= _COLLINEAR * lengths):
        raise _Collinear
    estimates = linalg.solve_triangular(r, q.T @ y)
    residuals = y - design @ estimates
    df = n - design.shape[1]
    sse = float(residuals @ residuals)
    sst = float(np.sum((y - y.mean()) ** 2))
    sigma2 = sse / df
    # (X'X)^-1 = R^-1 R^-T, whose diagonal is the row sums of squares of R^-1.
    r_inv = linalg.solve_triangular(r, np.eye(r.shape[0]))
    std_errors = np.sqrt(sigma2 * np.sum(r_inv**2, axis=1))
    with np.errstate(divide="ignore", invalid="ignore"):
        t = estimates / std_errors
    p = 2 * stats.t.sf(np.abs(t), df)
    return _Fit(estimates, std_errors, t, p, 1 - sse / sst, df)


def _r2_on_others(X: np.ndarray, j: int) -> float:
    """R² of column j regressed (with intercept) on the other columns of X."""
    target = X[:, j]
    others = np.column_stack([np.ones(len(X)), np.delete(X, j, axis=1)])
    solution = np.linalg.lstsq(others, target, rcond=None)[0]
    residuals = target - others @ solution
    centred = target - target.mean()
    return 1 - float(residuals @ residuals) / float(centred @ centred)


def _vif(X: np.ndarray, names: list[str]) -> dict[str, float]:
    if X.shape[1] == 1:
        return {names[0]: 1.0}
    result = {}
    for j, name in enumerate(names):
        tolerance = 1 - _r2_on_others(X, j)
        result[name] = math.inf if tolerance <= 0 else 1 / tolerance
    return result


def vif(X: np.ndarray, names: list[str]) -> dict[str, float]:
    """Variance inflation factor of each predictor: 1 / (1 - R²_j).

    R²_j is that of regressing predictor j (with intercept) on all the other columns of X;
    a single predictor has VIF 1, an exact linear combination of the others infinity. It
    says how much correlation among the predictors inflates the variance of j's
    coefficient. Rows with a NaN are dropped listwise.
    """
    X, _y, _dropped = _prepare(X, None, names)
    return _vif(X, list(names))


def _entry_p(X: np.ndarray, y: np.ndarray, model: list[int], candidate: int) -> float:
    """p-value of the candidate's t test (= partial F test) when added to the model."""
    try:
        fit = _ols(X[:, [*model, candidate]], y)
    except _Collinear:
        return math.nan
    return float(fit.p[-1])


def stepwise(
    X: np.ndarray,
    y: np.ndarray,
    names: list[str],
    *,
    enter: float = 0.05,
    remove: float = 0.10,
    max_steps: int = 100,
) -> Stepwise:
    """Bidirectional stepwise OLS (with intercept) of y on the columns of X.

    Each step adds the predictor outside the model whose t test (partial F) has the
    smallest p-value, when that p is below `enter`; then removes, one at a time and largest
    p first, every predictor in the model whose p exceeds `remove`. The search stops when
    nothing enters. `enter` must be below `remove`, otherwise a predictor could enter and
    leave forever; `max_steps` bounds the number of moves all the same.
    """
    if not 0 < enter < remove <= 1:
        raise ValueError(
            _(
                "The thresholds must satisfy 0 < enter < remove <= 1 (got enter = %(enter)s, "
                "remove = %(remove)s), otherwise the search could cycle."
            )
            % {"enter": enter, "remove": remove}
        )
    if max_steps < 1:
        raise ValueError(_("max_steps must be at least 1."))
    names = list(names)
    X, y, dropped = _prepare(X, y, names)
    n, p = X.shape
    _require_rows(n, p)

    model: list[int] = []
    steps: list[Step] = []
    converged = True
    while True:
        candidates = {j: _entry_p(X, y, model, j) for j in range(p) if j not in model}
        eligible = {j: pj for j, pj in candidates.items() if not math.isnan(pj)}
        if not eligible:
            break
        best = min(eligible, key=eligible.__getitem__)
        if eligible[best] >= enter:
            break
        if len(steps) >= max_steps:
            converged = False
            break
        model.append(best)
        steps.append(Step("enter", names[best], eligible[best]))
        while True:
            fit = _ols(X[:, model], y)
            slopes_p = fit.p[1:]
            worst = int(np.argmax(slopes_p))
            if slopes_p[worst] <= remove:
                break
            if len(steps) >= max_steps:
                converged = False
                break
            steps.append(Step("remove", names[model[worst]], float(slopes_p[worst])))
            del model[worst]
        if not converged:
            break

    fit = _ols(X[:, model], y)
    k = len(model)
    selected = [names[j] for j in model]
    vifs = _vif(X[:, model], selected) if model else {}
    sd_y = float(np.std(y, ddof=1))
    coefficients = [
        Coefficient(
            INTERCEPT,
            float(fit.estimates[0]),
            float(fit.std_errors[0]),
            float(fit.t[0]),
            float(fit.p[0]),
            None,
            None,
        )
    ]
    for i, (j, name) in enumerate(zip(model, selected, strict=True), start=1):
        coefficients.append(
            Coefficient(
                name,
                float(fit.estimates[i]),
                float(fit.std_errors[i]),
                float(fit.t[i]),
                float(fit.p[i]),
                float(fit.estimates[i] * np.std(X[:, j], ddof=1) / sd_y),
                vifs[name],
            )
        )
    r2 = fit.r2 if k else 0.0
    adjusted_r2 = 1 - (1 - r2) * (n - 1) / fit.df_residual
    if k:
        f = (r2 / k) / ((1 - r2) / fit.df_residual) if r2 < 1 else math.inf
        f_p = float(stats.f.sf(f, k, fit.df_residual))
    else:
        f = f_p = None
    excluded = [(names[j], _entry_p(X, y, model, j)) for j in range(p) if j not in model]
    return Stepwise(
        steps=steps,
        selected=selected,
        coefficients=coefficients,
        r2=float(r2),
        adjusted_r2=float(adjusted_r2),
        f=f,
        f_p=f_p,
        n=n,
        dropped=dropped,
        excluded=excluded,
        converged=converged,
    )


def lmg(X: np.ndarray, y: np.ndarray, names: list[str]) -> Lmg:
    """Relative importance of the predictors by the LMG (Shapley) decomposition of R².

    share_j = Σ over subsets S not holding j of |S|! (p - |S| - 1)! / p! · (R²(S ∪ j) - R²(S)),
    the average over all orderings of j's increase in R². R² of a subset comes from the
    correlation matrix: R²(S) = r_S' R_SS⁻¹ r_S. That takes 2^p small solves, hence the
    limit of 15 predictors.
    """
    names = list(names)
    X = np.asarray(X, dtype=float)
    if X.ndim == 2 and X.shape[1] > LMG_MAX_PREDICTORS:
        raise ValueError(
            _("LMG needs all 2^p subsets of the predictors: at most %(limit)d, got %(p)d.")
            % {"limit": LMG_MAX_PREDICTORS, "p": X.shape[1]}
        )
    X, y, dropped = _prepare(X, y, names)
    n, p = X.shape
    _require_rows(n, p)

    standardised = (np.column_stack([X, y]) - np.r_[X.mean(axis=0), y.mean()]) / np.r_[
        X.std(axis=0, ddof=1), y.std(ddof=1)
    ]
    correlations = standardised.T @ standardised / (n - 1)
    r_xx, r_xy = correlations[:p, :p], correlations[:p, p]

    subsets = 1 << p
    r2_of = np.zeros(subsets)
    for mask in range(1, subsets):
        members = [j for j in range(p) if mask >> j & 1]
        r_s = r_xy[members]
        # lstsq rather than solve: with collinear predictors R_SS is singular, but r_S lies
        # in its column space and the minimum-norm solution still gives the projection's R².
        solution = np.linalg.lstsq(r_xx[np.ix_(members, members)], r_s, rcond=None)[0]
        r2_of[mask] = float(r_s @ solution)

    masks = np.arange(subsets)
    sizes = np.array([bin(mask).count("1") for mask in range(subsets)])
    weights = np.array(
        [math.factorial(s) * math.factorial(p - s - 1) / math.factorial(p) for s in range(p)]
    )
    shares = {}
    for j, name in enumerate(names):
        without = masks[(masks >> j) & 1 == 0]
        gains = weights[sizes[without]] * (r2_of[without | (1 << j)] - r2_of[without])
        shares[name] = math.fsum(gains)
    r2 = float(r2_of[-1])
    relative = {name: share / r2 if r2 > 0 else math.nan for name, share in shares.items()}
    return Lmg(shares=shares, relative=relative, r2=r2, n=n, dropped=dropped)
