"""PLS path modelling against R plspm on the ECSI satisfaction data (tests/data/ecsi/)."""

import csv
from pathlib import Path

import numpy as np
import pytest

from sqm.surveys.pls import Construct, Model, ModelError, bootstrap, estimate

DATA = Path(__file__).resolve().parent.parent / "data" / "ecsi"
TOL = 1e-6
BLOCKS = {
    "IMAG": ["imag1", "imag2", "imag3", "imag4", "imag5"],
    "EXPE": ["expe1", "expe2", "expe3", "expe4", "expe5"],
    "QUAL": ["qual1", "qual2", "qual3", "qual4", "qual5"],
    "VAL": ["val1", "val2", "val3", "val4"],
    "SAT": ["sat1", "sat2", "sat3", "sat4"],
    "LOY": ["loy1", "loy2", "loy3", "loy4"],
}
PATHS = [
    ("IMAG", "EXPE"), ("IMAG", "SAT"), ("IMAG", "LOY"), ("EXPE", "QUAL"), ("EXPE", "VAL"),
    ("EXPE", "SAT"), ("QUAL", "VAL"), ("QUAL", "SAT"), ("VAL", "SAT"), ("SAT", "LOY"),
]  # fmt: skip
GOF = 0.609741624338411  # data/ecsi/README: plspm's goodness of fit for this run


def rows(name):
    with open(DATA / f"satisfaction.{name}.csv", newline="") as f:
        return list(csv.DictReader(f))


def ecsi(**settings):
    constructs = tuple(Construct(name, tuple(items)) for name, items in BLOCKS.items())
    return Model(constructs, tuple(PATHS), **{"scheme": "centroid", "scaled": False, **settings})


@pytest.fixture(scope="module")
def survey():
    with open(DATA / "satisfaction.csv", newline="") as f:
        table = list(csv.reader(f))
    columns = table[0][1:-1]  # the row number first, gender last
    return np.array([[float(v) for v in row[1:-1]] for row in table[1:]]), columns


@pytest.fixture(scope="module")
def result(survey):
    return estimate(*survey, ecsi())


def test_it_reproduces_plspm_outer_weights_loadings_communalities_and_redundancies(result):
    position = {item: k for k, item in enumerate(result.items)}
    for row in rows("outer-model"):
        k = position[row["name"]]
        assert result.weights[k] == pytest.approx(float(row["weight"]), abs=TOL)
        assert result.loadings[k] == pytest.approx(float(row["loading"]), abs=TOL)
        assert result.communalities[k] == pytest.approx(float(row["communality"]), abs=TOL)
        assert result.redundancies[k] == pytest.approx(float(row["redundancy"]), abs=TOL)


def test_it_reproduces_plspm_r2_block_communality_redundancy_and_ave(result):
    names = result.model.names
    for row in rows("inner-summary"):
        j = names.index(row[""])
        assert result.r2[j] == pytest.approx(float(row["r_squared"]), abs=TOL)
        assert result.block_communality[j] == pytest.approx(
            float(row["block_communality"]), abs=TOL
        )
        assert result.mean_redundancy[j] == pytest.approx(float(row["mean_redundancy"]), abs=TOL)
        assert result.ave[j] == pytest.approx(float(row["ave"]), abs=TOL)


def test_it_reproduces_plspm_regression_of_satisfaction(result):
    sat = result.regressions["SAT"]
    for row in rows("inner-model"):
        k = sat.predictors.index(row[""])
        assert sat.estimate[k] == pytest.approx(float(row["Estimate"]), abs=TOL)
        assert sat.std_error[k] == pytest.approx(float(row["Std. Error"]), abs=TOL)
        assert sat.t_value[k] == pytest.approx(float(row["t value"]), abs=TOL)
        assert sat.p_value[k] == pytest.approx(float(row["Pr(>|t|)"]), rel=TOL, abs=1e-12)


def test_it_reproduces_plspm_direct_indirect_and_total_effects(result):
    names = result.model.names
    for row in rows("effects"):
        cause, effect = names.index(row["from"]), names.index(row["to"])
        for kind in ("direct", "indirect", "total"):
            assert result.effects[kind][effect, cause] == pytest.approx(float(row[kind]), abs=TOL)


def test_it_reproduces_plspm_scores_and_goodness_of_fit(result):
    reference = rows("scores")
    for n, row in enumerate(reference):
        for j, name in enumerate(result.model.names):
            assert result.scores[n, j] == pytest.approx(float(row[name]), abs=TOL)
    assert result.gof == pytest.approx(GOF, abs=TOL)


@pytest.mark.parametrize("scheme", ["centroid", "factorial", "path"])
def test_every_inner_scheme_converges_to_standardised_scores(survey, scheme):
    result = estimate(*survey, ecsi(scheme=scheme, scaled=True))
    assert np.allclose(result.scores.mean(axis=0), 0, atol=1e-12)
    assert np.allclose(result.scores.std(axis=0), 1)
    assert 0 < result.gof < 1


def test_a_formative_block_takes_regression_weights(survey):
    model = ecsi()
    constructs = tuple(
        Construct(c.name, c.items, "B" if c.name == "QUAL" else "A") for c in model.constructs
    )
    formative = estimate(*survey, Model(constructs, model.paths, scaled=False))
    reflective = estimate(*survey, model)
    qual = [k for k, j in enumerate(formative.block_of) if j == 2]
    assert not np.allclose(formative.weights[qual], reflective.weights[qual], atol=1e-3)
    assert np.allclose(formative.scores.std(axis=0), 1)


def test_a_cycle_or_an_unknown_item_is_refused_by_name(survey):
    with pytest.raises(ModelError, match="cycle"):
        Model(ecsi().constructs, (*PATHS, ("LOY", "IMAG")))
    bad = (*ecsi().constructs[:-1], Construct("LOY", ("loy1", "loyalty9")))
    with pytest.raises(ModelError, match="LOY: no column named 'loyalty9'"):
        estimate(*survey, Model(bad, tuple(PATHS)))


@pytest.mark.parametrize("scheme", ["centroid", "factorial", "path"])
@pytest.mark.parametrize("scaled", [True, False])
def test_the_covariance_bootstrap_gives_what_re_estimating_each_resample_gives(
    survey, scheme, scaled
):
    constructs = tuple(
        Construct(c.name, c.items, "B" if c.name == "QUAL" else "A") for c in ecsi().constructs
    )
    model = Model(constructs, tuple(PATHS), scheme=scheme, scaled=scaled)
    fast = bootstrap(*survey, model, 4, seed=7)
    plain = bootstrap(*survey, model, 4, seed=7, method="rows")
    assert np.allclose(fast.paths, plain.paths, atol=1e-10)
    assert np.allclose(fast.weights, plain.weights, atol=1e-10)
    assert np.allclose(fast.loadings, plain.loadings, atol=1e-10)
    assert not np.allclose(fast.paths[0], fast.paths[1])  # the resamples differ


def test_block_reliability_follows_the_variance_and_principal_component_formulas(survey, result):
    data, columns = survey
    for name, items in BLOCKS.items():
        x = data[:, [columns.index(i) for i in items]]
        z = (x - x.mean(axis=0)) / x.std(axis=0)
        p = len(items)
        # Cronbach's α from variances: p/(p−1) · (1 − Σ var(item) / var(Σ items)).
        alpha = p / (p - 1) * (1 - z.var(axis=0).sum() / z.sum(axis=1).var())
        # Dillon-Goldstein's ρ from the items' correlations with the first principal component.
        u, s, vt = np.linalg.svd(z, full_matrices=False)
        lam = np.abs([np.corrcoef(z[:, k], u[:, 0])[0, 1] for k in range(p)])
        rho = lam.sum() ** 2 / (lam.sum() ** 2 + (1 - lam**2).sum())
        got = result.reliability[name]
        assert got.cronbach_alpha == pytest.approx(alpha, abs=1e-12)
        assert got.dillon_goldstein_rho == pytest.approx(rho, abs=1e-12)
        assert got.eigenvalue_1 == pytest.approx(s[0] ** 2 / len(z), abs=1e-10)
        assert got.eigenvalue_1 > 1 > got.eigenvalue_2
        assert got.cronbach_alpha > 0.7 and got.dillon_goldstein_rho > 0.7  # ECSI blocks hold


def test_two_identical_items_are_perfectly_reliable():
    from sqm.surveys.pls import reliability

    x = np.array([[1.0, 1.0], [2.0, 2.0], [4.0, 4.0], [3.0, 3.0]])
    got = reliability(x)
    assert got.cronbach_alpha == pytest.approx(1.0)
    assert got.dillon_goldstein_rho == pytest.approx(1.0)
    assert got.eigenvalue_2 == pytest.approx(0.0, abs=1e-12)
