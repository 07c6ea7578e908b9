"""Three analyses of satisfaction survey results, in plain numpy.

1. Fuzzy comprehensive evaluation (模糊综合评价) with the weighted-average operator M(·,+):
   every survey item gets a membership row (the share of respondents in each grade), and a
   tree of weights combines items into elements (business processes) and elements into the
   overall evaluation: B = Σ wᵢ·Rᵢ, with the weights of each group of siblings normalised to
   sum 1. Each node gets a score B·values and its maximum-membership grade.
2. SERVQUAL gap scores: per dimension, mean perception − mean expectation.
3. Importance–performance analysis (IPA): elements placed in four quadrants by cut lines on
   importance and performance; the high-importance, low-performance ones are the short
   boards (短板) to improve first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
from django.utils.translation import gettext as _

# How close to 1 a membership vector must sum to count as normalised, and how close two
# memberships must be to count as a tie for the maximum-membership grade.
SUM_TOLERANCE = 1e-9
TIE_TOLERANCE = 1e-12


# --- 1. Fuzzy comprehensive evaluation ----------------------------------------------------


@dataclass(frozen=True)
class Grades:
    """The evaluation grades (评语集), best first, each with a score value.

    Values must be finite and strictly decreasing, so that the first grade is the best one.
    """

    names: tuple[str, ...] = (
        "very_satisfied",
        "satisfied",
        "neutral",
        "dissatisfied",
        "very_dissatisfied",
    )
    values: tuple[float, ...] = (100.0, 80.0, 60.0, 40.0, 20.0)

    def __post_init__(self) -> None:
        names = tuple(self.names)
        values = tuple(float(v) for v in self.values)
        object.__setattr__(self, "names", names)
        object.__setattr__(self, "values", values)
        if len(names) < 2:
            raise ValueError(
                _("At least two grades are needed, got %(count)d.") % {"count": len(names)}
            )
        if len(values) != len(names):
            raise ValueError(
                _("There are %(names)d grade names but %(values)d grade values.")
                % {"names": len(names), "values": len(values)}
            )
        for name in names:
            if not isinstance(name, str) or not name.strip():
                raise ValueError(
                    _("Grade names must be non-empty strings, got %(name)r.") % {"name": name}
                )
        if len(set(names)) != len(names):
            duplicate = next(n for n in names if names.count(n) > 1)
            raise ValueError(_("The grade name %(name)s is given twice.") % {"name": duplicate})
        if not all(np.isfinite(values)):
            raise ValueError(_("Grade values must be finite numbers."))
        for better, worse, name in zip(values, values[1:], names[1:], strict=False):
            if not worse < better:
                raise ValueError(
                    _(
                        "Grade values must be strictly decreasing (best grade first), "
                        "but %(name)s has %(value)s after %(previous)s."
                    )
                    % {"name": name, "value": worse, "previous": better}
                )

    def __len__(self) -> int:
        return len(self.names)

    @property
    def vector(self) -> np.ndarray:
        """The grade values as a numpy vector."""
        return np.array(self.values)


DEFAULT_GRADES = Grades()


def default_bins(scale_min: int, scale_max: int, count: int) -> list[tuple[int, int]]:
    """Split the integer scale into `count` inclusive (low, high) bins, from the top down.

    Each bin gets ⌊points / count⌋ scale points, counted down from the top of the scale;
    the remainder r (points mod count) adds one point to each of the r lowest bins. The first
    bin (the best grade) holds the highest answers. Examples with five grades:

    - 1–5: 5, 4, 3, 2, 1;
    - 1–10: 9–10, 7–8, 5–6, 3–4, 1–2;
    - 0–10 (11 points): 9–10, 7–8, 5–6, 3–4, 0–2.
    """
    _check_scale(scale_min, scale_max)
    points = scale_max - scale_min + 1
    if points < count:
        raise ValueError(
            _("The scale %(min)d–%(max)d has fewer points than the %(count)d grades.")
            % {"min": scale_min, "max": scale_max, "count": count}
        )
    width, remainder = divmod(points, count)
    bins = []
    high = scale_max
    for index in range(count):
        size = width + (1 if index >= count - remainder else 0)
        bins.append((high - size + 1, high))
        high -= size
    return bins


def membership(
    answers: np.ndarray,
    scale_min: int,
    scale_max: int,
    grades: Grades = DEFAULT_GRADES,
    *,
    reverse: bool = False,
    bins: Sequence[tuple[int, int]] | None = None,
) -> np.ndarray:
    """The membership row of one item: the share of respondents whose answer is in each grade.

    `answers` are integers on the scale scale_min..scale_max; NaN means no answer and is left
    out. `reverse` flips a negatively worded item first (a → min + max − a). `bins` gives the
    inclusive (low, high) answers of each grade, best grade first, and must cover the scale
    without overlap; by default the scale is split as `default_bins` describes.
    """
    _check_scale(scale_min, scale_max)
    if bins is None:
        bins = default_bins(scale_min, scale_max, len(grades))
    grade_of = _bin_lookup(scale_min, scale_max, grades, bins)

    values = np.asarray(answers, dtype=float)
    if values.ndim != 1:
        raise ValueError(_("The answers of one item must be a flat vector."))
    values = values[~np.isnan(values)]
    if values.size == 0:
        raise ValueError(_("The item has no answers (every answer is missing)."))
    bad = values[(values != np.round(values)) | (values < scale_min) | (values > scale_max)]
    if bad.size:
        raise ValueError(
            _("The answer %(value)g is not an integer on the scale %(min)d–%(max)d.")
            % {"value": bad[0], "min": scale_min, "max": scale_max}
        )
    points = values.astype(int)
    if reverse:
        points = scale_min + scale_max - points
    counts = np.bincount(grade_of[points - scale_min], minlength=len(grades))
    return counts / values.size


def _check_scale(scale_min: int, scale_max: int) -> None:
    if int(scale_min) != scale_min or int(scale_max) != scale_max or scale_min >= scale_max:
        raise ValueError(
            _("The scale must run between two integers, lowest first, got %(min)s–%(max)s.")
            % {"min": scale_min, "max": scale_max}
        )


def _bin_lookup(
    scale_min: int, scale_max: int, grades: Grades, bins: Sequence[tuple[int, int]]
) -> np.ndarray:
    """grade index of each scale point (index: point − scale_min), validating `bins`."""
    if len(bins) != len(grades):
        raise ValueError(
            _("There are %(bins)d bins for %(grades)d grades.")
            % {"bins": len(bins), "grades": len(grades)}
        )
    grade_of = np.full(scale_max - scale_min + 1, -1)
    for index, (low, high) in enumerate(bins):
        name = grades.names[index]
        if int(low) != low or int(high) != high or low > high:
            raise ValueError(
                _("The bin of %(grade)s must be two integers, lowest first, got %(low)s–%(high)s.")
                % {"grade": name, "low": low, "high": high}
            )
        if low < scale_min or high > scale_max:
            raise ValueError(
                _("The bin of %(grade)s (%(low)d–%(high)d) leaves the scale %(min)d–%(max)d.")
                % {"grade": name, "low": low, "high": high, "min": scale_min, "max": scale_max}
            )
        for point in range(int(low), int(high) + 1):
            other = grade_of[point - scale_min]
            if other >= 0:
                raise ValueError(
                    _("The answer %(point)d falls in the bins of both %(first)s and %(second)s.")
                    % {"point": point, "first": grades.names[other], "second": name}
                )
            grade_of[point - scale_min] = index
    uncovered = np.flatnonzero(grade_of < 0)
    if uncovered.size:
        raise ValueError(
            _("The answer %(point)d is in no grade's bin.")
            % {"point": int(uncovered[0]) + scale_min}
        )
    return grade_of


@dataclass
class Node:
    """One node of the evaluation tree (overall → elements → items).

    A leaf (an item) carries its membership row; an inner node (an element, or the overall
    evaluation) has children, whose weights are normalised to sum 1 within the group. The
    root's weight is not used.
    """

    name: str
    weight: float
    children: list[Node] | None = None
    membership: np.ndarray | None = None


@dataclass
class NodeResult:
    """The evaluation of one node.

    `membership` is B as the operator gives it (for a leaf, its own row); `score` is
    B·values after normalising B to sum 1 when it does not (`normalised` then says so).
    `grade` is the grade of maximum membership; ties go to the better grade.
    `weight` is the normalised weight within the node's group of siblings (1 for the root),
    `global_weight` the product of the weights from the root down.
    """

    name: str
    path: tuple[str, ...]
    depth: int
    weight: float
    global_weight: float
    membership: np.ndarray
    score: float
    grade: str
    leaf: bool
    normalised: bool


@dataclass
class Evaluation:
    """Every node's evaluation, in walk order (depth first, a parent before its children)."""

    grades: Grades
    nodes: list[NodeResult]

    @property
    def root(self) -> NodeResult:
        return self.nodes[0]

    def __getitem__(self, path: tuple[str, ...]) -> NodeResult:
        for node in self.nodes:
            if node.path == tuple(path):
                return node
        raise KeyError(path)


def evaluate(root: Node, grades: Grades = DEFAULT_GRADES) -> Evaluation:
    """Fuzzy comprehensive evaluation of the tree under `root` with M(·,+).

    An inner node's B is Σ wᵢ·Bᵢ over its children, weights normalised to sum 1 (they must be
    ≥ 0 and not all zero). Each node's score is B·values (B normalised first if it does not
    sum to 1), and its grade the one of largest membership, the better grade on a tie.
    """
    results: list[NodeResult | None] = []
    _walk(root, grades, (), 1.0, 1.0, results, set())
    return Evaluation(grades, [r for r in results if r is not None])


def _walk(
    node: Node,
    grades: Grades,
    parent_path: tuple[str, ...],
    weight: float,
    global_weight: float,
    results: list[NodeResult | None],
    ancestors: set[int],
) -> np.ndarray:
    """Evaluate `node` and its subtree into `results` (walk order); return the node's B."""
    path = (*parent_path, node.name)
    label = " / ".join(str(p) for p in path)
    if id(node) in ancestors:
        raise ValueError(_("The node %(node)s contains itself.") % {"node": label})
    order = len(results)
    results.append(None)  # the node's place in walk order, filled once its children are done
    if node.children is not None and node.membership is not None:
        raise ValueError(
            _("The node %(node)s has both children and a membership row.") % {"node": label}
        )
    if node.children is not None:
        if not node.children:
            raise ValueError(
                _("The node %(node)s has an empty list of children.") % {"node": label}
            )
        weights = _child_weights(node, label)
        names = [child.name for child in node.children]
        if len(set(names)) != len(names):
            duplicate = next(n for n in names if names.count(n) > 1)
            raise ValueError(
                _("The node %(node)s has two children named %(child)s.")
                % {"node": label, "child": duplicate}
            )
        b = np.zeros(len(grades))
        for child, w in zip(node.children, weights, strict=True):
            b = b + w * _walk(
                child, grades, path, w, global_weight * w, results, ancestors | {id(node)}
            )
        leaf = False
    elif node.membership is not None:
        b = np.asarray(node.membership, dtype=float)
        if b.shape != (len(grades),):
            raise ValueError(
                _("The membership row of %(node)s has %(got)s values for %(count)d grades.")
                % {"node": label, "got": b.size, "count": len(grades)}
            )
        if not np.all(np.isfinite(b)) or np.any(b < 0):
            raise ValueError(
                _("The membership row of %(node)s must hold finite values ≥ 0.") % {"node": label}
            )
        leaf = True
    else:
        raise ValueError(
            _("The node %(node)s has neither children nor a membership row.") % {"node": label}
        )

    total = float(b.sum())
    if total <= 0:
        raise ValueError(_("The membership of %(node)s is all zero.") % {"node": label})
    normalised = abs(total - 1.0) > SUM_TOLERANCE
    shares = b / total if normalised else b
    result = NodeResult(
        name=node.name,
        path=path,
        depth=len(parent_path),
        weight=weight,
        global_weight=global_weight,
        membership=b,
        score=float(shares @ grades.vector),
        grade=grades.names[_best_grade(b)],
        leaf=leaf,
        normalised=normalised,
    )
    results[order] = result
    return b


def _child_weights(node: Node, label: str) -> np.ndarray:
    weights = []
    for child in node.children or []:
        w = float(child.weight)
        if not np.isfinite(w) or w < 0:
            raise ValueError(
                _("The weight of %(child)s under %(node)s must be a number ≥ 0, got %(weight)s.")
                % {"child": child.name, "node": label, "weight": child.weight}
            )
        weights.append(w)
    total = sum(weights)
    if total == 0:
        raise ValueError(
            _("The weights of the children of %(node)s are all zero.") % {"node": label}
        )
    return np.array(weights) / total


def _best_grade(b: np.ndarray) -> int:
    """Index of the largest membership; on a tie (within TIE_TOLERANCE) the better grade."""
    return int(np.flatnonzero(b >= b.max() - TIE_TOLERANCE)[0])


# --- 2. SERVQUAL gaps -----------------------------------------------------------------


@dataclass
class DimensionGap:
    """One SERVQUAL dimension: mean expectation, mean perception and the gap P − E.

    `n_expectation` and `n_perception` count the respondents with at least one answer in the
    dimension (the others are left out of its mean).
    """

    name: str
    expectation: float
    perception: float
    gap: float
    n_expectation: int
    n_perception: int


@dataclass
class Servqual:
    """Gaps per dimension, their unweighted mean, and the weighted one when weights were given
    (`weights` then holds them normalised to sum 1)."""

    dimensions: list[DimensionGap]
    gap: float
    weighted_gap: float | None = None
    weights: dict[str, float] | None = field(default=None)

    def __getitem__(self, name: str) -> DimensionGap:
        for dimension in self.dimensions:
            if dimension.name == name:
                return dimension
        raise KeyError(name)


def servqual(
    expectation: Mapping[str, np.ndarray],
    perception: Mapping[str, np.ndarray],
    weights: Mapping[str, float] | None = None,
) -> Servqual:
    """SERVQUAL gap scores (perception − expectation) per dimension and overall.

    Each dimension (tangibles, reliability, responsiveness, assurance, empathy, or any other
    names) maps to a respondents × items matrix; NaN is a missing answer. A dimension's mean is
    the mean over respondents of each respondent's mean over the items they answered;
    respondents without any answer in the dimension are left out. The gap is mean perception −
    mean expectation; the overall gap is the plain mean of the dimension gaps, and the
    weighted gap uses `weights` (one per dimension, ≥ 0, normalised to sum 1).
    """
    for name in expectation:
        if name not in perception:
            raise ValueError(
                _("The dimension %(name)s has expectations but no perceptions.") % {"name": name}
            )
    for name in perception:
        if name not in expectation:
            raise ValueError(
                _("The dimension %(name)s has perceptions but no expectations.") % {"name": name}
            )
    if not expectation:
        raise ValueError(_("At least one dimension is needed."))

    dimensions = []
    for name in expectation:
        e_mean, e_n = _dimension_mean(expectation[name], name, _("expectations"))
        p_mean, p_n = _dimension_mean(perception[name], name, _("perceptions"))
        dimensions.append(DimensionGap(name, e_mean, p_mean, p_mean - e_mean, e_n, p_n))
    gaps = np.array([d.gap for d in dimensions])
    result = Servqual(dimensions, float(gaps.mean()))

    if weights is not None:
        for name in weights:
            if name not in expectation:
                raise ValueError(
                    _("There is a weight for %(name)s, which is not a dimension.") % {"name": name}
                )
        raw = []
        for d in dimensions:
            if d.name not in weights:
                raise ValueError(_("The dimension %(name)s has no weight.") % {"name": d.name})
            w = float(weights[d.name])
            if not np.isfinite(w) or w < 0:
                raise ValueError(
                    _("The weight of %(name)s must be a number ≥ 0, got %(weight)s.")
                    % {"name": d.name, "weight": weights[d.name]}
                )
            raw.append(w)
        total = sum(raw)
        if total == 0:
            raise ValueError(_("The dimension weights are all zero."))
        normalised = np.array(raw) / total
        result.weights = {d.name: float(w) for d, w in zip(dimensions, normalised, strict=True)}
        result.weighted_gap = float(normalised @ gaps)
    return result


def _dimension_mean(matrix: np.ndarray, name: str, side: str) -> tuple[float, int]:
    """Mean over respondents of their mean item answer, and how many respondents answered."""
    values = np.asarray(matrix, dtype=float)
    if values.ndim == 1:
        values = values[:, np.newaxis]  # a single item
    if values.ndim != 2:
        raise ValueError(
            _("The %(side)s of %(name)s must be a respondents × items matrix.")
            % {"side": side, "name": name}
        )
    if np.any(np.isinf(values)):
        raise ValueError(
            _("The %(side)s of %(name)s hold an infinite value.") % {"side": side, "name": name}
        )
    answered = ~np.isnan(values)
    counts = answered.sum(axis=1)
    keep = counts > 0
    if not keep.any():
        raise ValueError(
            _("Nobody answered the %(side)s of %(name)s.") % {"side": side, "name": name}
        )
    per_respondent = np.where(answered, values, 0.0).sum(axis=1)[keep] / counts[keep]
    return float(per_respondent.mean()), int(keep.sum())


# --- 3. Importance–performance analysis -----------------------------------------------

KEEP_UP = "keep_up"  # high importance, high performance: 继续保持
SHORT_BOARD = "short_board"  # high importance, low performance: 重点改进（短板）
LOW_PRIORITY = "low_priority"  # low importance, low performance: 次要改进
OVERKILL = "overkill"  # low importance, high performance: 过度投入
SPLITS = ("mean", "median")


class Cuts(NamedTuple):
    """The cut lines of the IPA grid; a value on a cut counts as high."""

    importance: float
    performance: float


@dataclass
class IpaElement:
    name: str
    importance: float
    performance: float
    quadrant: str


@dataclass
class Ipa:
    """Every element with its quadrant, in the order given, and the cut lines used."""

    elements: list[IpaElement]
    cuts: Cuts

    def __getitem__(self, name: str) -> IpaElement:
        for element in self.elements:
            if element.name == name:
                return element
        raise KeyError(name)

    def quadrant(self, quadrant: str) -> list[str]:
        """Names of the elements in `quadrant`, in the order given."""
        return [e.name for e in self.elements if e.quadrant == quadrant]

    @property
    def short_boards(self) -> list[str]:
        """The short boards, most important first (on a tie, the lower performance first)."""
        boards = [e for e in self.elements if e.quadrant == SHORT_BOARD]
        boards.sort(key=lambda e: (-e.importance, e.performance))
        return [e.name for e in boards]


def ipa(
    elements: Sequence[str],
    importance: np.ndarray,
    performance: np.ndarray,
    *,
    split: str = "mean",
    importance_cut: float | None = None,
    performance_cut: float | None = None,
) -> Ipa:
    """Importance–performance analysis: place each element in a quadrant.

    The cut lines are the mean (or the median, with split="median") of importance and of
    performance over the elements, unless given. A value equal to its cut counts as high.
    """
    if split not in SPLITS:
        raise ValueError(_("The split must be mean or median, not %(split)s.") % {"split": split})
    names = list(elements)
    if not names:
        raise ValueError(_("At least one element is needed."))
    if len(set(names)) != len(names):
        duplicate = next(n for n in names if names.count(n) > 1)
        raise ValueError(_("The element %(name)s is given twice.") % {"name": duplicate})
    imp = _ipa_vector(importance, len(names), _("importance"))
    perf = _ipa_vector(performance, len(names), _("performance"))
    centre = np.mean if split == "mean" else np.median
    cuts = Cuts(
        _ipa_cut(importance_cut, imp, centre, _("importance")),
        _ipa_cut(performance_cut, perf, centre, _("performance")),
    )
    placed = []
    for name, i, p in zip(names, imp, perf, strict=True):
        high_i, high_p = i >= cuts.importance, p >= cuts.performance
        if high_i:
            quadrant = KEEP_UP if high_p else SHORT_BOARD
        else:
            quadrant = OVERKILL if high_p else LOW_PRIORITY
        placed.append(IpaElement(name, float(i), float(p), quadrant))
    return Ipa(placed, cuts)


def _ipa_vector(values: np.ndarray, count: int, what: str) -> np.ndarray:
    vector = np.asarray(values, dtype=float)
    if vector.shape != (count,):
        raise ValueError(
            _("There must be one %(what)s value per element (%(count)d), got shape %(shape)s.")
            % {"what": what, "count": count, "shape": vector.shape}
        )
    if not np.all(np.isfinite(vector)):
        raise ValueError(_("The %(what)s values must be finite numbers.") % {"what": what})
    return vector


def _ipa_cut(given: float | None, values: np.ndarray, centre, what: str) -> float:
    if given is None:
        return float(centre(values))
    if not np.isfinite(given):
        raise ValueError(_("The %(what)s cut must be a finite number.") % {"what": what})
    return float(given)
