"""Fuzzy comprehensive evaluation, SERVQUAL gaps and IPA on small hand-computed examples."""

import numpy as np
import pytest

from sqm.surveys.evaluation import (
    KEEP_UP,
    LOW_PRIORITY,
    OVERKILL,
    SHORT_BOARD,
    Cuts,
    Grades,
    Node,
    default_bins,
    evaluate,
    ipa,
    membership,
    servqual,
)

TOL = 1e-12
NAN = np.nan


# --- fuzzy comprehensive evaluation ---------------------------------------------------


def two_level_tree():
    """Overall ← billing (0.6), repair (0.4); billing ← b1, b2, b3; repair ← r1, r2.

    billing, item weights 0.5 / 0.3 / 0.2:
      0.5 × [0.2, 0.5, 0.2, 0.1, 0.0] = [0.10, 0.25, 0.10, 0.05, 0.00]
      0.3 × [0.1, 0.4, 0.3, 0.1, 0.1] = [0.03, 0.12, 0.09, 0.03, 0.03]
      0.2 × [0.0, 0.3, 0.4, 0.2, 0.1] = [0.00, 0.06, 0.08, 0.04, 0.02]
      B = [0.13, 0.43, 0.27, 0.12, 0.05]
      score = 13 + 34.4 + 16.2 + 4.8 + 1 = 69.4; grade satisfied (0.43)

    repair, item weights 3 / 1, normalised to 0.75 / 0.25:
      0.75 × [0.4, 0.4, 0.1, 0.1, 0.0] = [0.30, 0.30, 0.075, 0.075, 0.00]
      0.25 × [0.0, 0.2, 0.2, 0.4, 0.2] = [0.00, 0.05, 0.050, 0.100, 0.05]
      B = [0.30, 0.35, 0.125, 0.175, 0.05]
      score = 30 + 28 + 7.5 + 7 + 1 = 73.5; grade satisfied (0.35)

    overall, element weights 0.6 / 0.4:
      0.6 × [0.13, 0.43, 0.27, 0.12, 0.05] = [0.078, 0.258, 0.162, 0.072, 0.03]
      0.4 × [0.30, 0.35, 0.125, 0.175, 0.05] = [0.120, 0.140, 0.050, 0.070, 0.02]
      B = [0.198, 0.398, 0.212, 0.142, 0.05]
      score = 19.8 + 31.84 + 12.72 + 5.68 + 1 = 71.04 (= 0.6 × 69.4 + 0.4 × 73.5)
      grade satisfied (0.398)
    """
    billing = Node(
        "billing",
        0.6,
        children=[
            Node("b1", 0.5, membership=np.array([0.2, 0.5, 0.2, 0.1, 0.0])),
            Node("b2", 0.3, membership=np.array([0.1, 0.4, 0.3, 0.1, 0.1])),
            Node("b3", 0.2, membership=np.array([0.0, 0.3, 0.4, 0.2, 0.1])),
        ],
    )
    repair = Node(
        "repair",
        0.4,
        children=[
            Node("r1", 3, membership=np.array([0.4, 0.4, 0.1, 0.1, 0.0])),
            Node("r2", 1, membership=np.array([0.0, 0.2, 0.2, 0.4, 0.2])),
        ],
    )
    return Node("overall", 1.0, children=[billing, repair])


def test_it_combines_a_two_level_tree_with_the_weighted_average_operator():
    result = evaluate(two_level_tree(), Grades())

    billing = result[("overall", "billing")]
    np.testing.assert_allclose(billing.membership, [0.13, 0.43, 0.27, 0.12, 0.05], atol=TOL)
    assert billing.score == pytest.approx(69.4, abs=TOL)
    assert billing.grade == "satisfied"

    repair = result[("overall", "repair")]
    np.testing.assert_allclose(repair.membership, [0.30, 0.35, 0.125, 0.175, 0.05], atol=TOL)
    assert repair.score == pytest.approx(73.5, abs=TOL)
    assert repair.grade == "satisfied"

    overall = result.root
    np.testing.assert_allclose(overall.membership, [0.198, 0.398, 0.212, 0.142, 0.05], atol=TOL)
    assert overall.score == pytest.approx(71.04, abs=TOL)
    assert overall.grade == "satisfied"
    assert not any(node.normalised for node in result.nodes)


def test_it_lists_every_node_in_walk_order_with_depth_path_and_weights():
    result = evaluate(two_level_tree())

    assert [(n.path, n.depth, n.leaf) for n in result.nodes] == [
        (("overall",), 0, False),
        (("overall", "billing"), 1, False),
        (("overall", "billing", "b1"), 2, True),
        (("overall", "billing", "b2"), 2, True),
        (("overall", "billing", "b3"), 2, True),
        (("overall", "repair"), 1, False),
        (("overall", "repair", "r1"), 2, True),
        (("overall", "repair", "r2"), 2, True),
    ]
    r1 = result[("overall", "repair", "r1")]
    assert r1.weight == pytest.approx(0.75, abs=TOL)  # 3 / (3 + 1)
    assert r1.global_weight == pytest.approx(0.3, abs=TOL)  # 0.4 × 0.75
    assert r1.score == pytest.approx(40 + 32 + 6 + 4, abs=TOL)
    assert r1.grade == "very_satisfied"  # 0.4 ties with satisfied: the better grade wins
    with pytest.raises(KeyError):
        result[("overall", "nowhere")]


def test_it_picks_the_grade_with_the_largest_membership():
    leaf = Node("item", 1, membership=np.array([0.1, 0.2, 0.15, 0.5, 0.05]))
    assert evaluate(leaf).root.grade == "dissatisfied"


def test_a_tie_for_the_largest_membership_goes_to_the_better_grade():
    exact = Node("item", 1, membership=np.array([0.0, 0.4, 0.4, 0.2, 0.0]))
    assert evaluate(exact).root.grade == "satisfied"
    # 0.1 + 0.2 is 0.30000000000000004, a rounding error above 0.3: still a tie
    noisy = Node("item", 1, membership=np.array([0.3, 0.1 + 0.2, 0.2, 0.2, 0.0]))
    assert noisy.membership[1] > noisy.membership[0]
    assert evaluate(noisy).root.grade == "very_satisfied"


def test_it_normalises_a_membership_that_does_not_sum_to_one_and_says_so():
    # 0.3 + 0.5 + 0.1 = 0.9: score = (30 + 40 + 6) / 0.9 = 84.444…
    result = evaluate(Node("item", 1, membership=np.array([0.3, 0.5, 0.1, 0.0, 0.0])))
    assert result.root.normalised
    assert result.root.score == pytest.approx(76 / 0.9, abs=TOL)
    np.testing.assert_allclose(result.root.membership, [0.3, 0.5, 0.1, 0.0, 0.0])


def test_it_works_with_any_number_of_grades():
    grades = Grades(("good", "fair", "poor"), (90, 70, 50))
    # B = 0.5 × [1, 0, 0] + 0.5 × [0, 0.5, 0.5] = [0.5, 0.25, 0.25]; 45 + 17.5 + 12.5 = 75
    tree = Node(
        "overall",
        1,
        children=[
            Node("a", 2, membership=np.array([1.0, 0.0, 0.0])),
            Node("b", 2, membership=np.array([0.0, 0.5, 0.5])),
        ],
    )
    result = evaluate(tree, grades)
    np.testing.assert_allclose(result.root.membership, [0.5, 0.25, 0.25], atol=TOL)
    assert result.root.score == pytest.approx(75, abs=TOL)
    assert result.root.grade == "good"


def test_a_zero_weight_leaves_a_child_out():
    tree = Node(
        "overall",
        1,
        children=[
            Node("a", 0, membership=np.array([1.0, 0, 0, 0, 0])),
            Node("b", 5, membership=np.array([0, 0, 0, 0, 1.0])),
        ],
    )
    assert evaluate(tree).root.score == pytest.approx(20, abs=TOL)


def test_it_refuses_a_negative_weight_naming_the_node():
    tree = Node(
        "overall",
        1,
        children=[
            Node("billing", -0.2, membership=np.array([1.0, 0, 0, 0, 0])),
            Node("repair", 1.2, membership=np.array([0, 1.0, 0, 0, 0])),
        ],
    )
    with pytest.raises(ValueError, match="billing under overall"):
        evaluate(tree)


def test_it_refuses_a_group_whose_weights_are_all_zero_naming_the_node():
    tree = Node(
        "overall",
        1,
        children=[
            Node(
                "billing",
                1,
                children=[
                    Node("b1", 0, membership=np.array([1.0, 0, 0, 0, 0])),
                    Node("b2", 0.0, membership=np.array([0, 1.0, 0, 0, 0])),
                ],
            )
        ],
    )
    with pytest.raises(ValueError, match="children of overall / billing are all zero"):
        evaluate(tree)


@pytest.mark.parametrize(
    ("node", "message"),
    [
        (Node("x", 1), "neither children nor a membership"),
        (
            Node("x", 1, children=[Node("y", 1)], membership=np.ones(5) / 5),
            "both children and a membership",
        ),
        (Node("x", 1, children=[]), "empty list of children"),
        (Node("x", 1, membership=np.ones(4) / 4), "4 values for 5 grades"),
        (Node("x", 1, membership=np.array([0.5, 0.6, -0.1, 0, 0])), "finite values"),
        (Node("x", 1, membership=np.zeros(5)), "all zero"),
        (
            Node(
                "x",
                1,
                children=[Node("y", 1, membership=np.ones(5)), Node("y", 1, membership=np.ones(5))],
            ),
            "two children named y",
        ),
    ],
)
def test_it_refuses_a_malformed_tree(node, message):
    with pytest.raises(ValueError, match=message):
        evaluate(node)


def test_it_refuses_a_tree_that_contains_itself():
    loop = Node("loop", 1, children=[])
    loop.children.append(loop)
    with pytest.raises(ValueError, match="contains itself"):
        evaluate(loop)


@pytest.mark.parametrize(
    ("names", "values", "message"),
    [
        (("only",), (100,), "At least two grades"),
        (("good", "bad"), (100, 50, 0), "2 grade names but 3 grade values"),
        (("good", "good"), (100, 50), "good is given twice"),
        (("good", ""), (100, 50), "non-empty strings"),
        (("good", "bad"), (50, 100), "strictly decreasing"),
        (("good", "same", "bad"), (100, 50, 50), "strictly decreasing"),
        (("good", "bad"), (100, np.nan), "finite"),
    ],
)
def test_it_refuses_bad_grades(names, values, message):
    with pytest.raises(ValueError, match=message):
        Grades(names, values)


def test_the_default_grades_are_five_from_very_satisfied_to_very_dissatisfied():
    grades = Grades()
    assert grades.names == (
        "very_satisfied",
        "satisfied",
        "neutral",
        "dissatisfied",
        "very_dissatisfied",
    )
    assert grades.values == (100, 80, 60, 40, 20)


# --- membership -----------------------------------------------------------------------


def test_it_counts_the_share_of_answers_in_each_grade_ignoring_missing_ones():
    answers = np.array([5, 4, 4, NAN, 3, 1, 5, 4])
    # 7 answers: 5 ×2, 4 ×3, 3 ×1, 2 ×0, 1 ×1
    np.testing.assert_allclose(
        membership(answers, 1, 5, Grades()), np.array([2, 3, 1, 0, 1]) / 7, atol=TOL
    )


def test_a_reverse_coded_item_is_flipped_before_counting():
    answers = np.array([5, 4, 4, NAN, 3, 1, 5, 4])
    # flipped: 1 ×2, 2 ×3, 3 ×1, 5 ×1 → 5 ×1, 4 ×0, 3 ×1, 2 ×3, 1 ×2
    np.testing.assert_allclose(
        membership(answers, 1, 5, Grades(), reverse=True),
        np.array([1, 0, 1, 3, 2]) / 7,
        atol=TOL,
    )


@pytest.mark.parametrize(
    ("scale_min", "scale_max", "count", "bins"),
    [
        (1, 5, 5, [(5, 5), (4, 4), (3, 3), (2, 2), (1, 1)]),
        (1, 10, 5, [(9, 10), (7, 8), (5, 6), (3, 4), (1, 2)]),
        (0, 10, 5, [(9, 10), (7, 8), (5, 6), (3, 4), (0, 2)]),
        (1, 5, 3, [(5, 5), (3, 4), (1, 2)]),
        (1, 7, 5, [(7, 7), (6, 6), (5, 5), (3, 4), (1, 2)]),
    ],
)
def test_the_default_bins_split_the_scale_from_the_top(scale_min, scale_max, count, bins):
    assert default_bins(scale_min, scale_max, count) == bins


def test_a_ten_point_scale_pairs_answers_into_five_grades():
    answers = np.array([10, 9, 8, 7, 6, 5, 4, 3, 2, 1, NAN, 10])
    # 9–10: 10, 9, 10; 7–8: 8, 7; 5–6: 6, 5; 3–4: 4, 3; 1–2: 2, 1 — 11 answers
    np.testing.assert_allclose(
        membership(answers, 1, 10, Grades()), np.array([3, 2, 2, 2, 2]) / 11, atol=TOL
    )


def test_an_eleven_point_scale_puts_zero_to_two_in_the_lowest_grade():
    answers = np.array([0, 1, 2, 3, 9, 10])
    np.testing.assert_allclose(
        membership(answers, 0, 10, Grades()), np.array([2, 0, 0, 1, 3]) / 6, atol=TOL
    )


def test_explicit_bins_override_the_default_split():
    bins = [(10, 10), (8, 9), (5, 7), (3, 4), (1, 2)]
    answers = np.array([10, 9, 8, 7, 1])
    np.testing.assert_allclose(
        membership(answers, 1, 10, Grades(), bins=bins), [0.2, 0.4, 0.2, 0.0, 0.2], atol=TOL
    )


@pytest.mark.parametrize(
    ("bins", "message"),
    [
        ([(4, 5), (3, 4), (2, 2), (1, 1), (1, 1)], "answer 4 falls in the bins of both"),
        ([(5, 5), (4, 4), (3, 3), (2, 2)], "4 bins for 5 grades"),
        ([(5, 5), (4, 4), (3, 3), (2, 2), (2, 2)], "answer 2 falls in"),
        ([(5, 6), (4, 4), (3, 3), (2, 2), (1, 1)], "leaves the scale"),
        ([(5, 5), (4, 4), (3, 3), (2, 2), (0, 0)], "leaves the scale"),
        ([(5, 5), (4, 4), (3, 3), (2, 2), (2, 1)], "lowest first"),
    ],
)
def test_it_refuses_bins_that_overlap_or_miss_the_scale(bins, message):
    with pytest.raises(ValueError, match=message):
        membership(np.array([1, 2, 3]), 1, 5, Grades(), bins=bins)


def test_it_refuses_bins_with_a_gap():
    with pytest.raises(ValueError, match="answer 3 is in no grade"):
        membership(np.array([1]), 1, 6, Grades(), bins=[(6, 6), (5, 5), (4, 4), (2, 2), (1, 1)])


@pytest.mark.parametrize(
    ("answers", "scale", "message"),
    [
        ([NAN, NAN], (1, 5), "no answers"),
        ([], (1, 5), "no answers"),
        ([1, 6], (1, 5), "answer 6 is not an integer on the scale 1–5"),
        ([1, 2.5], (1, 5), "2.5 is not an integer"),
        ([1, 2], (5, 1), "lowest first"),
        ([1, 2], (1, 3), "fewer points than the 5 grades"),
    ],
)
def test_it_refuses_answers_it_cannot_count(answers, scale, message):
    with pytest.raises(ValueError, match=message):
        membership(np.array(answers, dtype=float), *scale, Grades())


def test_memberships_from_answers_feed_the_evaluation():
    # q1: 5, 4 → [0.5, 0.5, 0, 0, 0]; q2 reversed: 4, 3 → 2, 3 → [0, 0, 0.5, 0.5, 0]
    # B = [0.25, 0.25, 0.25, 0.25, 0]
    # score = 25 + 20 + 15 + 10 = 70
    tree = Node(
        "overall",
        1,
        children=[
            Node("q1", 1, membership=membership(np.array([5, 4, NAN]), 1, 5)),
            Node("q2", 1, membership=membership(np.array([4, 3]), 1, 5, reverse=True)),
        ],
    )
    assert evaluate(tree).root.score == pytest.approx(70, abs=TOL)


# --- SERVQUAL -------------------------------------------------------------------------

EXPECTATION = {
    # respondent means 4.5, 4.0; the third answered nothing → 4.25 (n = 2)
    "tangibles": np.array([[5, 4], [4, 4], [NAN, NAN]]),
    # respondent means 5.0, 4.5 → 4.75 (n = 2)
    "reliability": np.array([[5, 5, 5], [4, 5, NAN]]),
}
PERCEPTION = {
    # respondent means 3.5, 4.0, 3.0 → 3.5 (n = 3; the mean of all cells would be 3.4)
    "tangibles": np.array([[4, 3], [4, NAN], [3, 3]]),
    # respondent means 13/3, 3.0 → 11/3 (n = 2)
    "reliability": np.array([[4, 4, 5], [3, 4, 2]]),
}


def test_it_computes_the_gap_between_perception_and_expectation_per_dimension():
    result = servqual(EXPECTATION, PERCEPTION)

    tangibles = result["tangibles"]
    assert tangibles.expectation == pytest.approx(4.25, abs=TOL)
    assert tangibles.perception == pytest.approx(3.5, abs=TOL)
    assert tangibles.gap == pytest.approx(-0.75, abs=TOL)
    assert (tangibles.n_expectation, tangibles.n_perception) == (2, 3)

    reliability = result["reliability"]
    assert reliability.expectation == pytest.approx(4.75, abs=TOL)
    assert reliability.perception == pytest.approx(11 / 3, abs=TOL)
    # 11/3 − 19/4 = 44/12 − 57/12 = −13/12
    assert reliability.gap == pytest.approx(-13 / 12, abs=TOL)
    assert (reliability.n_expectation, reliability.n_perception) == (2, 2)

    # (−9/12 − 13/12) / 2 = −11/12
    assert result.gap == pytest.approx(-11 / 12, abs=TOL)
    assert result.weighted_gap is None
    assert [d.name for d in result.dimensions] == ["tangibles", "reliability"]


def test_it_weights_the_overall_gap_when_weights_are_given():
    result = servqual(EXPECTATION, PERCEPTION, {"tangibles": 1, "reliability": 3})
    # 0.25 × (−0.75) + 0.75 × (−13/12) = −0.1875 − 0.8125 = −1
    assert result.weighted_gap == pytest.approx(-1.0, abs=TOL)
    assert result.weights == pytest.approx({"tangibles": 0.25, "reliability": 0.75})
    assert result.gap == pytest.approx(-11 / 12, abs=TOL)


def test_it_accepts_any_dimension_names_and_a_single_item_vector():
    result = servqual({"网络覆盖": np.array([4, NAN, 5])}, {"网络覆盖": np.array([3, 3, NAN])})
    assert result["网络覆盖"].gap == pytest.approx(3 - 4.5, abs=TOL)
    assert (result["网络覆盖"].n_expectation, result["网络覆盖"].n_perception) == (2, 2)


def test_it_refuses_a_dimension_present_on_one_side_only():
    perception = {**PERCEPTION, "empathy": np.array([[4, 4]])}
    with pytest.raises(ValueError, match="empathy has perceptions but no expectations"):
        servqual(EXPECTATION, perception)
    expectation = {**EXPECTATION, "assurance": np.array([[4, 4]])}
    with pytest.raises(ValueError, match="assurance has expectations but no perceptions"):
        servqual(expectation, PERCEPTION)


def test_it_refuses_a_dimension_nobody_answered():
    perception = {**PERCEPTION, "tangibles": np.full((3, 2), NAN)}
    with pytest.raises(ValueError, match="Nobody answered the perceptions of tangibles"):
        servqual(EXPECTATION, perception)


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ({"tangibles": 1}, "reliability has no weight"),
        ({"tangibles": 1, "reliability": 1, "empathy": 1}, "empathy, which is not a dimension"),
        ({"tangibles": -1, "reliability": 2}, "weight of tangibles must be a number ≥ 0"),
        ({"tangibles": 0, "reliability": 0}, "all zero"),
    ],
)
def test_it_refuses_bad_dimension_weights(weights, message):
    with pytest.raises(ValueError, match=message):
        servqual(EXPECTATION, PERCEPTION, weights)


# --- importance–performance analysis -----------------------------------------------------

NAMES = ["network", "billing", "hotline", "repair", "stores"]
# importance: (4.5 + 4.0 + 3.0 + 3.5 + 2.5) / 5 = 17.5 / 5 = 3.5
IMPORTANCE = np.array([4.5, 4.0, 3.0, 3.5, 2.5])
# performance: (4.0 + 2.5 + 3.25 + 4.25 + 3.5) / 5 = 17.5 / 5 = 3.5
PERFORMANCE = np.array([4.0, 2.5, 3.25, 4.25, 3.5])


def test_it_places_each_element_in_a_quadrant_around_the_means():
    result = ipa(NAMES, IMPORTANCE, PERFORMANCE)
    assert result.cuts == Cuts(3.5, 3.5)
    assert [(e.name, e.quadrant) for e in result.elements] == [
        ("network", KEEP_UP),  # 4.5, 4.0
        ("billing", SHORT_BOARD),  # 4.0, 2.5
        ("hotline", LOW_PRIORITY),  # 3.0, 3.25
        ("repair", KEEP_UP),  # importance 3.5 is on the cut: high
        ("stores", OVERKILL),  # performance 3.5 is on the cut: high
    ]
    assert result.short_boards == ["billing"]
    assert result.quadrant(KEEP_UP) == ["network", "repair"]
    assert result["stores"].performance == 3.5


def test_a_value_on_the_cut_counts_as_high():
    result = ipa(["a", "b"], np.array([2.0, 4.0]), np.array([3.0, 1.0]), importance_cut=4.0)
    assert result["b"].quadrant == SHORT_BOARD  # importance 4.0 = cut; 1.0 < cut 2.0
    assert result["a"].quadrant == OVERKILL  # performance 3.0 ≥ mean 2.0


# importance: mean (9 + 4 + 3 + 2 + 1) / 5 = 3.8, median 3; performance: mean = median = 3
SKEWED = (["e1", "e2", "e3", "e4", "e5"], np.array([9, 4, 3, 2, 1]), np.array([1, 2, 3, 4, 5]))


def test_the_median_split_moves_the_importance_cut():
    by_mean = ipa(*SKEWED)
    assert by_mean.cuts == Cuts(3.8, 3.0)
    assert by_mean["e3"].quadrant == OVERKILL  # 3 < 3.8

    by_median = ipa(*SKEWED, split="median")
    assert by_median.cuts == Cuts(3.0, 3.0)
    assert by_median["e3"].quadrant == KEEP_UP  # 3 ≥ 3
    assert [e.quadrant for e in by_median.elements] == [
        SHORT_BOARD,
        SHORT_BOARD,
        KEEP_UP,
        OVERKILL,
        OVERKILL,
    ]


def test_explicit_cuts_replace_the_computed_ones():
    result = ipa(*SKEWED, importance_cut=5, performance_cut=1.5)
    assert result.cuts == Cuts(5.0, 1.5)
    assert [e.quadrant for e in result.elements] == [
        SHORT_BOARD,
        OVERKILL,
        OVERKILL,
        OVERKILL,
        OVERKILL,
    ]
    only_performance = ipa(*SKEWED, split="median", performance_cut=4)
    assert only_performance.cuts == Cuts(3.0, 4.0)


def test_short_boards_come_most_important_first_then_lowest_performance_first():
    result = ipa(
        ["x1", "x2", "x3", "x4", "x5"],
        np.array([4.0, 4.8, 4.0, 4.5, 5.0]),
        np.array([2.0, 3.0, 1.5, 2.5, 4.0]),
        importance_cut=4.0,
        performance_cut=3.5,
    )
    assert result["x5"].quadrant == KEEP_UP
    assert result.short_boards == ["x2", "x4", "x3", "x1"]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: ipa(["a", "b"], np.array([1.0]), np.array([1.0, 2.0])), "one importance value"),
        (lambda: ipa(["a", "a"], np.array([1, 2]), np.array([1, 2])), "a is given twice"),
        (lambda: ipa([], np.array([]), np.array([])), "At least one element"),
        (lambda: ipa(["a"], np.array([1]), np.array([1]), split="mode"), "mean or median"),
        (lambda: ipa(["a"], np.array([1]), np.array([NAN])), "performance values must be finite"),
    ],
)
def test_it_refuses_bad_ipa_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()
