"""The satisfaction analysis (`sqm survey csi`): ACSI indices, composite, gaps against
competitors, drivers, short boards, fuzzy evaluation and SERVQUAL on a generated survey
whose true drivers are known (sqm/surveys/province/responses.py)."""

from __future__ import annotations

import json
from datetime import date
from io import StringIO

import numpy as np
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from sqm.surveys.csi import ItemInfo, SurveyData, _index_weights, _scores, analyse
from sqm.surveys.province import responses as generated
from sqm.surveys.services import import_survey, run_csi, survey_data

TRUE_DRIVERS = {p for p, beta in generated.TRUE_DRIVERS.items() if beta}


@pytest.fixture
def survey(db, tmp_path):
    for pending in generated.write_surveys(tmp_path, 1, 2500, date(2026, 6, 30), key="csi"):
        pending.commit()
    questionnaire, result = import_survey(
        tmp_path / "survey.csv", str(tmp_path / "questionnaire.yaml")
    )
    assert result.ok, result.error_lines()[:5]
    return questionnaire


@pytest.fixture
def analysis(survey):
    return run_csi(survey)


def test_the_stepwise_drivers_include_every_true_driver(analysis):
    drivers = analysis["drivers"]
    assert TRUE_DRIVERS <= set(drivers["selected"])
    shares = drivers["lmg"]["shares"]
    assert sum(shares.values()) == pytest.approx(drivers["lmg"]["r2"], abs=1e-12)
    ranked = sorted(shares, key=shares.get, reverse=True)
    assert set(ranked[:3]) <= TRUE_DRIVERS  # the strongest three are true drivers
    for row in drivers["coefficients"][1:]:
        assert row["vif"] >= 1


def test_the_composite_is_the_questionnaires_weighted_sum_in_every_segment(analysis):
    assert analysis["composite"] == {"VAL": 0.7, "IMAG": 0.3}
    for row in analysis["segments"]:
        scores = row["scores"]
        assert scores["composite"] == pytest.approx(0.7 * scores["VAL"] + 0.3 * scores["IMAG"])
        assert all(0 <= v <= 100 for v in scores.values() if v is not None)
    kinds = {row["segment"] for row in analysis["segments"]}
    assert kinds == {"operator", "competitor", "brand", "city", "product", "wave"}


def test_the_gap_table_is_our_score_minus_each_competitors(analysis):
    competitors = {
        r["value"]: r["scores"] for r in analysis["segments"] if r["segment"] == "competitor"
    }
    assert set(competitors) == {"中国联通", "中国电信"}
    ours = analysis["segments"][0]["scores"]
    for row in analysis["gaps"]:
        for operator, theirs in row["competitors"].items():
            assert theirs["gap"] == pytest.approx(
                ours[row["element"]] - competitors[operator][row["element"]]
            )
    network = next(r for r in analysis["gaps"] if r["element"] == "network")
    assert network["competitors"]["中国联通"]["gap"] > 0  # 联通 trails on network (generator)


def test_short_boards_are_important_processes_below_the_performance_cut(analysis):
    ipa = analysis["ipa"]
    cuts = ipa["cuts"]
    boards = [b["element"] for b in ipa["short_boards"]]
    assert boards
    for element in ipa["elements"]:
        short = (
            element["importance"] >= cuts["importance"]
            and element["performance"] < cuts["performance"]
        )
        assert (element["name"] in boards) == short
    for board in ipa["short_boards"]:
        scores = [i["score"] for i in board["items"]]
        assert scores == sorted(scores) and board["items"]


def test_the_fuzzy_evaluation_weights_processes_by_their_lmg_share(analysis):
    fuzzy = analysis["fuzzy"]
    root = fuzzy["nodes"][0]
    assert root["path"] == ["overall"] and sum(root["membership"]) == pytest.approx(1)
    relative = analysis["drivers"]["lmg"]["relative"]
    processes = [n for n in fuzzy["nodes"] if n["depth"] == 1]
    # M(·,+) is linear: the overall score is the weighted sum of the processes' scores.
    assert root["score"] == pytest.approx(sum(relative[n["name"]] * n["score"] for n in processes))
    assert root["grade"] in {g["name"] for g in fuzzy["grades"]}


def test_servqual_gaps_show_responsiveness_short_of_expectation(analysis):
    dimensions = {d["name"]: d for d in analysis["servqual"]["dimensions"]}
    assert set(dimensions) == {"tangibles", "reliability", "responsiveness", "assurance", "empathy"}
    worst = min(dimensions.values(), key=lambda d: d["gap"])
    assert worst["name"] == "responsiveness" and worst["gap"] < 0


def test_reverse_coded_items_are_flipped_before_analysis(survey):
    data = survey_data(survey)
    item = survey.items.get(reverse=True, code="qhot2")
    k = data.column("qhot2")
    raw = [r.answers["qhot2"] for r in survey.responses.order_by("pk")[:50]]
    flipped = [item.scale_min + item.scale_max - v if v is not None else np.nan for v in raw]
    np.testing.assert_array_equal(data.answers[:50, k], flipped)


def test_the_index_is_the_weighted_mean_of_rescaled_item_means():
    # Two SAT items: a (1–10) and b (1–5); PLS weights on the items' own scale 0.2 and 0.5.
    items = [ItemInfo("a", "", 1, 10, "SAT"), ItemInfo("b", "", 1, 5, "SAT")]
    answers = np.array([[10, 5], [7, 3], [4, np.nan]], dtype=float)
    data = SurveyData(items, answers, np.array(["m"] * 3), np.ones(3, dtype=bool))
    weights = _index_weights(data, {"SAT": ([0, 1], np.array([0.2, 0.5]))})
    # Weights on 0–100 answers: 0.2 × 9 = 1.8 and 0.5 × 4 = 2.0, normalised 1.8/3.8, 2/3.8.
    np.testing.assert_allclose(weights["SAT"][1], [1.8 / 3.8, 2.0 / 3.8])
    elements = [("SAT", "construct", [0, 1], weights["SAT"][1])]
    # Means of the rescaled answers: a (100 + 66.67 + 33.33)/3 = 66.67; b (100 + 50)/2 = 75.
    expected = (1.8 * (200 / 3) + 2.0 * 75) / 3.8
    assert _scores(data.rescaled(), elements, {})["SAT"] == pytest.approx(expected)


def test_the_analysis_reports_progress_in_order(survey):
    stages = []
    run_csi(survey, progress=lambda fraction, stage: stages.append(fraction))
    assert stages == sorted(stages) and stages[-1] == 1.0


def test_the_command_prints_json_lines_and_names_a_missing_questionnaire(survey):
    out = StringIO()
    call_command("survey", "csi", "--questionnaire", survey.code, "--json", stdout=out)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    types = {line["type"] for line in lines}
    assert {"path", "construct", "index", "gap", "driver", "lmg", "ipa", "short_board",
            "fuzzy", "servqual", "fit"} <= types  # fmt: skip
    assert lines[-1]["type"] == "fit" and lines[-1]["gof"] > 0
    with pytest.raises(CommandError, match="no questionnaire with code nope"):
        call_command("survey", "csi", "--questionnaire", "nope")


def test_a_wave_without_own_respondents_is_refused_clearly(survey):
    from sqm.surveys.services import InputError

    with pytest.raises(InputError, match="no responses from 中国移动 customers"):
        run_csi(survey, wave="1999Q1")


def test_analyse_needs_no_database():
    rng = np.random.default_rng(3)
    latent = rng.normal(size=(300, 1))
    answers = np.clip(np.rint(6 + 1.5 * (latent + 0.5 * rng.normal(size=(300, 4)))), 1, 10)
    items = [ItemInfo("i1", "", 1, 10, "IMAG"), ItemInfo("i2", "", 1, 10, "IMAG"),
             ItemInfo("s1", "", 1, 10, "SAT"), ItemInfo("s2", "", 1, 10, "SAT")]  # fmt: skip
    data = SurveyData(items, answers, np.array(["m"] * 300), np.ones(300, dtype=bool))
    spec = {"constructs": {"IMAG": {"items": ["i1", "i2"]}, "SAT": {"items": ["s1", "s2"]}},
            "paths": [["IMAG", "SAT"]]}  # fmt: skip
    out = analyse(data, spec)
    assert out["drivers"] is None and out["ipa"] is None and out["fuzzy"] is None
    assert out["pls"]["paths"][0]["estimate"] > 0.5
