"""PLS path modelling (Wold / Lohmöller), our own implementation in numpy (issue 5 §2).

A model is a set of constructs (latent variables), each measured by a block of items
(manifest variables), and directed paths between constructs (an acyclic inner model). The
estimate follows the Lohmöller algorithm as R's plspm does, so its figures reproduce plspm's
(tests/surveys/test_pls.py checks the ECSI reference to 1e-6):

1. Items are centred, and standardised when `scaled` (population standard deviation).
2. Outer weights start at 1 for every item of a block, scaled so that each construct's
   score has unit variance. Then, until the weights change by less than `tol` (sum of the
   squared changes of their absolute values) or `max_iter`:
   - outer estimate Y: the standardised block composites X W;
   - inner weights E from the inner scheme over the neighbours in the path graph (both
     directions): centroid = sign of the correlation, factorial = the correlation, path =
     regression coefficients for the predecessors and correlations for the successors;
   - inner estimate Z = Y E;
   - new outer weights: mode A (reflective) cov(item, Z)/…, i.e. X_jᵀ Z_j / n; mode B
     (formative) the least-squares regression of Z_j on the block's items.
3. Scores are the standardised composites; loadings are correlations of items with their
   construct; path coefficients are OLS regressions of each endogenous construct on its
   predecessors.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

SCHEMES = ("centroid", "factorial", "path")
MODES = ("A", "B")


class ModelError(ValueError):
    """The model cannot be estimated as given (names the construct or item at fault)."""


@dataclass(frozen=True)
class Construct:
    name: str
    items: tuple[str, ...]
    mode: str = "A"


@dataclass(frozen=True)
class Model:
    constructs: tuple[Construct, ...]
    paths: tuple[tuple[str, str], ...]  # (from, to)
    scheme: str = "centroid"
    scaled: bool = True
    tol: float = 1e-6
    max_iter: int = 100

    def __post_init__(self) -> None:
        names = [c.name for c in self.constructs]
        if len(set(names)) != len(names):
            raise ModelError("construct names must be unique")
        if self.scheme not in SCHEMES:
            raise ModelError(f"scheme must be one of {', '.join(SCHEMES)}, not {self.scheme!r}")
        for c in self.constructs:
            if c.mode not in MODES:
                raise ModelError(f"{c.name}: mode must be A or B, not {c.mode!r}")
            if not c.items:
                raise ModelError(f"{c.name}: a construct needs at least one item")
        for source, target in self.paths:
            for end in (source, target):
                if end not in names:
                    raise ModelError(f"path {source} -> {target}: no construct named {end}")
            if source == target:
                raise ModelError(f"path {source} -> {target}: a construct cannot cause itself")
        _order(names, self.paths)  # raises on a cycle

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.constructs]

    def path_matrix(self) -> np.ndarray:
        """P[i, j] = 1 when construct j → construct i (rows: effects; columns: causes)."""
        index = {name: i for i, name in enumerate(self.names)}
        matrix = np.zeros((len(self.constructs), len(self.constructs)))
        for source, target in self.paths:
            matrix[index[target], index[source]] = 1.0
        return matrix


@dataclass
class Regression:
    """OLS of one endogenous construct on its predecessors (with an intercept)."""

    target: str
    predictors: list[str]
    estimate: np.ndarray
    std_error: np.ndarray
    t_value: np.ndarray
    p_value: np.ndarray
    r2: float


@dataclass(frozen=True)
class Reliability:
    """Block unidimensionality, as plspm reports it (on the standardised items)."""

    cronbach_alpha: float
    dillon_goldstein_rho: float
    eigenvalue_1: float
    eigenvalue_2: float  # nan for a one-item block


def reliability(x: np.ndarray) -> Reliability:
    """Cronbach's α and Dillon-Goldstein's ρ of one block (respondents × items).

    Both are computed on the correlation matrix, whatever the model's `scaled`: α =
    p/(p−1) · (1 − p/ΣR); ρ = (Σλ)² / ((Σλ)² + Σ(1 − λ²)) with λ the items' correlations
    with the block's first principal component, the convention of plspm and the ECSI
    literature. A block needs ρ and α above 0.7 to be read as one construct.
    """
    p = x.shape[1]
    if p == 1:
        return Reliability(1.0, 1.0, 1.0, float("nan"))
    corr = np.corrcoef(x, rowvar=False)
    alpha = p / (p - 1) * (1 - p / corr.sum())
    values, vectors = np.linalg.eigh(corr)  # ascending
    lam = np.abs(vectors[:, -1]) * np.sqrt(values[-1])  # correlations with the 1st component
    rho = lam.sum() ** 2 / (lam.sum() ** 2 + (1 - lam**2).sum())
    return Reliability(float(alpha), float(rho), float(values[-1]), float(values[-2]))


@dataclass
class Result:
    model: Model
    items: list[str]  # every item, block by block
    block_of: list[int]  # construct index of each item
    weights: np.ndarray  # per item
    loadings: np.ndarray  # per item
    scores: np.ndarray  # n × constructs, standardised
    paths: np.ndarray  # P[i, j]: coefficient of j in the regression of i
    regressions: dict[str, Regression]
    r2: np.ndarray  # per construct (0 for exogenous)
    iterations: int
    effects: dict[str, np.ndarray] = field(default_factory=dict)  # direct, indirect, total
    reliability: dict[str, Reliability] = field(default_factory=dict)  # per construct

    @property
    def communalities(self) -> np.ndarray:
        return self.loadings**2

    @property
    def redundancies(self) -> np.ndarray:
        return self.communalities * self.r2[self.block_of]

    def block_mean(self, values: np.ndarray) -> np.ndarray:
        block = np.asarray(self.block_of)
        return np.array([values[block == j].mean() for j in range(len(self.model.constructs))])

    @property
    def block_communality(self) -> np.ndarray:
        return self.block_mean(self.communalities)

    @property
    def mean_redundancy(self) -> np.ndarray:
        return self.block_mean(self.redundancies)

    @property
    def ave(self) -> np.ndarray:
        """Average variance extracted: Σλ² / (Σλ² + Σ(1 − λ²)) per block."""
        lam2 = self.communalities
        block = np.asarray(self.block_of)
        out = []
        for j in range(len(self.model.constructs)):
            s = lam2[block == j].sum()
            out.append(s / (s + (1 - lam2[block == j]).sum()))
        return np.array(out)

    @property
    def gof(self) -> float:
        """√(mean communality of the items in blocks of two or more × mean R² of the
        endogenous constructs), as plspm computes it."""
        block = np.asarray(self.block_of)
        sizes = np.bincount(block, minlength=len(self.model.constructs))
        multi = sizes[block] > 1
        endogenous = self.model.path_matrix().sum(axis=1) > 0
        return float(np.sqrt(self.communalities[multi].mean() * self.r2[endogenous].mean()))


def estimate(data: np.ndarray, columns: list[str], model: Model) -> Result:
    """Estimate MODEL on DATA (respondents × columns, no missing values)."""
    index = {name: i for i, name in enumerate(columns)}
    items, block_of = [], []
    for j, construct in enumerate(model.constructs):
        for item in construct.items:
            if item not in index:
                raise ModelError(f"{construct.name}: no column named {item!r} in the data")
            items.append(item)
            block_of.append(j)
    x = np.asarray(data, dtype=float)[:, [index[i] for i in items]]
    if np.isnan(x).any():
        raise ModelError("the data has missing values: drop or impute them first")
    n = x.shape[0]
    if n < 3:
        raise ModelError("at least three respondents are needed")
    x = x - x.mean(axis=0)
    sd = x.std(axis=0)  # population standard deviation, as plspm's correction gives
    if (sd == 0).any():
        constant = [items[k] for k in np.flatnonzero(sd == 0)]
        raise ModelError(f"items without variance: {', '.join(constant)}")
    if model.scaled:
        x = x / sd
    block = np.asarray(block_of)
    lvs = len(model.constructs)
    odm = np.zeros((len(items), lvs))  # outer design: item k belongs to construct j
    odm[np.arange(len(items)), block] = 1.0
    paths = model.path_matrix()
    adjacency = paths + paths.T

    w = odm / (x @ odm).std(axis=0)
    w_old = w.sum(axis=1)
    iterations = 1
    while True:
        y = _standardise(x @ w)
        inner = _inner_weights(model.scheme, np.corrcoef(y, rowvar=False), paths, adjacency)
        z = y @ inner
        for j, construct in enumerate(model.constructs):
            members = block == j
            if construct.mode == "A":
                w[members, j] = z[:, j] @ x[:, members] / n
            else:
                w[members, j] = np.linalg.lstsq(x[:, members], z[:, j], rcond=None)[0]
        w_new = w.sum(axis=1)
        change = float(((np.abs(w_old) - np.abs(w_new)) ** 2).sum())
        if change < model.tol:
            break
        if iterations == model.max_iter:
            raise ModelError(
                f"the outer weights did not converge in {model.max_iter} iterations "
                f"(last change {change:.3g}, tolerance {model.tol:g})"
            )
        w_old = w_new
        iterations += 1
    w = w / (x @ w).std(axis=0)
    scores = x @ w
    weights = w.sum(axis=1)
    loadings = np.array([_corr(x[:, k], scores[:, block[k]]) for k in range(len(items))])
    coefficients, regressions, r2 = _inner_model(model, scores, paths)
    result = Result(model, items, block_of, weights, loadings, scores, coefficients,
                    regressions, r2, iterations)  # fmt: skip
    result.effects = _effects(coefficients)
    result.reliability = {
        c.name: reliability(x[:, block == j]) for j, c in enumerate(model.constructs)
    }
    return result


def _standardise(y: np.ndarray) -> np.ndarray:
    return (y - y.mean(axis=0)) / y.std(axis=0)


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a, b)[0, 1])


def _inner_model(model: Model, scores: np.ndarray, paths: np.ndarray):
    from scipy import stats

    n = scores.shape[0]
    coefficients = np.zeros_like(paths)
    regressions: dict[str, Regression] = {}
    r2 = np.zeros(paths.shape[0])
    names = model.names
    for i in range(paths.shape[0]):
        predecessors = np.flatnonzero(paths[i])
        if not predecessors.size:
            continue
        design = np.column_stack([np.ones(n), scores[:, predecessors]])
        beta, *_ = np.linalg.lstsq(design, scores[:, i], rcond=None)
        residual = scores[:, i] - design @ beta
        df = n - design.shape[1]
        sigma2 = residual @ residual / df
        cov = sigma2 * np.linalg.inv(design.T @ design)
        se = np.sqrt(np.diag(cov))[1:]
        t = beta[1:] / se
        p = 2 * stats.t.sf(np.abs(t), df)
        total = scores[:, i] - scores[:, i].mean()
        r2[i] = 1 - (residual @ residual) / (total @ total)
        coefficients[i, predecessors] = beta[1:]
        regressions[names[i]] = Regression(
            names[i], [names[k] for k in predecessors], beta[1:], se, t, p, float(r2[i])
        )
    return coefficients, regressions, r2


def _effects(coefficients: np.ndarray) -> dict[str, np.ndarray]:
    """Direct, indirect and total effects: total = B + B² + … (B is nilpotent: no cycles)."""
    total = np.zeros_like(coefficients)
    power = coefficients.copy()
    while np.abs(power).sum() > 0:
        total += power
        power = power @ coefficients
    return {"direct": coefficients, "indirect": total - coefficients, "total": total}


def _order(names: list[str], paths) -> list[str]:
    """The constructs in causal order; raises ModelError on a cycle."""
    incoming = {name: set() for name in names}
    for source, target in paths:
        incoming[target].add(source)
    ordered: list[str] = []
    ready = [name for name in names if not incoming[name]]
    while ready:
        name = ready.pop(0)
        ordered.append(name)
        for other in names:
            if name in incoming[other]:
                incoming[other].discard(name)
                if not incoming[other] and other not in ordered and other not in ready:
                    ready.append(other)
    if len(ordered) != len(names):
        cycle = sorted(n for n in names if n not in ordered)
        raise ModelError(f"the paths form a cycle through {', '.join(cycle)}")
    return ordered


@dataclass
class Bootstrap:
    """Bootstrap distribution of the path coefficients, outer weights and loadings."""

    resamples: int
    paths: np.ndarray  # resamples × constructs × constructs
    weights: np.ndarray  # resamples × items
    loadings: np.ndarray  # resamples × items

    @staticmethod
    def summary(values: np.ndarray, level: float = 0.95) -> dict[str, np.ndarray]:
        """Mean, standard error and percentile interval over the resamples (axis 0)."""
        tail = (1 - level) / 2 * 100
        return {
            "mean": values.mean(axis=0),
            "std_error": values.std(axis=0, ddof=1),
            "low": np.percentile(values, tail, axis=0),
            "high": np.percentile(values, 100 - tail, axis=0),
        }


def bootstrap(
    data: np.ndarray,
    columns: list[str],
    model: Model,
    resamples: int,
    seed: int = 1,
    method: str = "covariance",
) -> Bootstrap:
    """Re-estimate MODEL on RESAMPLES samples of the respondents drawn with replacement.

    `covariance` (the default) runs each resample on the items' covariance matrix, weighted
    by how often each respondent was drawn: the algorithm needs nothing else, so a resample
    costs one p × p product instead of iterations over all rows. `rows` re-runs `estimate`
    on the drawn rows (the plain loop, kept as bench/pls.py's baseline). Both draw the same
    respondents for the same seed and give the same estimates. A resample that cannot be
    estimated (an item without variance in it, no convergence) is drawn again."""
    if resamples < 2:
        raise ModelError("the bootstrap needs at least two resamples")
    if method not in ("covariance", "rows"):
        raise ModelError(f"unknown bootstrap method {method!r}")
    rng = np.random.default_rng(seed)
    x, block = _items(np.asarray(data, dtype=float), columns, model)
    n = x.shape[0]
    paths, weights, loadings = [], [], []
    failures = 0
    while len(paths) < resamples:
        drawn = rng.integers(0, n, size=n)
        try:
            if method == "rows":
                result = estimate(data[drawn], columns, model)
                found = (result.paths, result.weights, result.loadings)
            else:
                counts = np.bincount(drawn, minlength=n).astype(float)
                found = _estimate_cov(_weighted_cov(x, counts), model, block)
        except ModelError:
            failures += 1
            if failures > resamples:
                raise ModelError("most bootstrap resamples cannot be estimated") from None
            continue
        paths.append(found[0])
        weights.append(found[1])
        loadings.append(found[2])
    return Bootstrap(resamples, np.array(paths), np.array(weights), np.array(loadings))


def _items(data: np.ndarray, columns: list[str], model: Model) -> tuple[np.ndarray, np.ndarray]:
    index = {name: i for i, name in enumerate(columns)}
    picked, block = [], []
    for j, construct in enumerate(model.constructs):
        for item in construct.items:
            if item not in index:
                raise ModelError(f"{construct.name}: no column named {item!r} in the data")
            picked.append(index[item])
            block.append(j)
    return data[:, picked], np.asarray(block)


def _weighted_cov(x: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """The population covariance of the rows of X repeated COUNTS times."""
    n = counts.sum()
    mean = counts @ x / n
    return (x * counts[:, None]).T @ x / n - np.outer(mean, mean)


def _estimate_cov(s: np.ndarray, model: Model, block: np.ndarray):
    """The Lohmöller iteration on the items' covariance matrix S alone: (paths, weights,
    loadings), equal to `estimate` on the data S came from."""
    sd = np.sqrt(np.clip(np.diag(s), 0, None))
    if (sd < 1e-12).any():
        raise ModelError("an item has no variance in this sample")
    if model.scaled:
        s = s / np.outer(sd, sd)
        sd = np.ones_like(sd)
    lvs = len(model.constructs)
    odm = np.zeros((len(block), lvs))
    odm[np.arange(len(block)), block] = 1.0
    paths = model.path_matrix()
    adjacency = paths + paths.T
    w = odm / np.sqrt(np.diag(odm.T @ s @ odm))
    w_old = w.sum(axis=1)
    for _iteration in range(model.max_iter):
        unit = w / np.sqrt(np.diag(w.T @ s @ w))  # Y = X unit has unit variance
        corr = unit.T @ s @ unit
        inner = _inner_weights(model.scheme, corr, paths, adjacency)
        cov_xz = s @ unit @ inner
        for j, construct in enumerate(model.constructs):
            members = block == j
            if construct.mode == "A":
                w[members, j] = cov_xz[members, j]
            else:
                w[members, j] = np.linalg.solve(s[np.ix_(members, members)], cov_xz[members, j])
        w_new = w.sum(axis=1)
        if float(((np.abs(w_old) - np.abs(w_new)) ** 2).sum()) < model.tol:
            break
        w_old = w_new
    else:
        raise ModelError(f"the outer weights did not converge in {model.max_iter} iterations")
    w = w / np.sqrt(np.diag(w.T @ s @ w))
    corr = w.T @ s @ w
    coefficients = np.zeros_like(paths)
    for i in range(lvs):
        predecessors = np.flatnonzero(paths[i])
        if predecessors.size:
            coefficients[i, predecessors] = np.linalg.solve(
                corr[np.ix_(predecessors, predecessors)], corr[predecessors, i]
            )
    loadings = (s @ w)[np.arange(len(block)), block] / sd
    return coefficients, w.sum(axis=1), loadings


def _inner_weights(scheme: str, corr: np.ndarray, paths: np.ndarray, adjacency: np.ndarray):
    """Inner weights from the constructs' correlations: centroid = their signs, factorial =
    the correlations, path = each construct's regression on its predecessors (for them) and
    the correlations with its successors."""
    if scheme == "centroid":
        return np.sign(corr * adjacency)
    if scheme == "factorial":
        return corr * adjacency
    e = np.zeros_like(corr)
    for j in range(paths.shape[0]):
        successors = np.flatnonzero(paths[:, j])
        e[successors, j] = corr[successors, j]
        predecessors = np.flatnonzero(paths[j, :])
        if predecessors.size:
            e[predecessors, j] = np.linalg.solve(
                corr[np.ix_(predecessors, predecessors)], corr[predecessors, j]
            )
    return e
