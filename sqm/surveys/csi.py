"""The satisfaction analysis of one survey (issue 5 §3): PLS model, satisfaction indices by
segment and against competitors, drivers among business processes, importance–performance
short boards, fuzzy comprehensive evaluation and SERVQUAL gaps.

Pure numpy over a `SurveyData` (answers already recoded so that higher is better); the
services load it from the database and the pages, the API and `sqm survey csi` show the
`Analysis` this returns (plain JSON-ready dicts and lists). docs/surveys.md explains each
choice (pooled weights, available-case means, minimum segment size, …).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from django.utils.translation import gettext as _

from sqm.surveys import drivers, evaluation, pls
from sqm.surveys.choices import Process
from sqm.surveys.questionnaire import ItemSpec as ItemInfo  # an item as the analysis sees it
from sqm.surveys.questionnaire import model_of

MIN_SEGMENT = 30  # respondents below which a segment's figures are flagged as unreliable


@dataclass
class SurveyData:
    items: list[ItemInfo]
    answers: np.ndarray  # respondents × items, recoded (reverse items flipped), NaN = missing
    operator: np.ndarray  # per respondent
    is_own: np.ndarray  # bool per respondent
    segments: dict[str, np.ndarray] = field(default_factory=dict)  # brand, city, product, wave

    def column(self, code: str) -> int:
        return [i.code for i in self.items].index(code)

    def rescaled(self) -> np.ndarray:
        """Answers on 0–100: (answer − min) / (max − min) × 100."""
        low = np.array([i.scale_min for i in self.items], dtype=float)
        high = np.array([i.scale_max for i in self.items], dtype=float)
        return (self.answers - low) / (high - low) * 100


@dataclass
class Options:
    bootstrap: int = 0
    seed: int = 1
    target: str = "SAT"  # the construct the drivers explain
    enter: float = 0.05
    remove: float = 0.10
    split: str = "mean"  # IPA cut lines
    grades: list[tuple[str, float]] | None = None  # fuzzy grades, best first
    min_segment: int = MIN_SEGMENT


Progress = Callable[[float, str], None]
GRADE_NAMES = ("very_satisfied", "satisfied", "neutral", "dissatisfied", "very_dissatisfied")


def grades_from_values(text: str) -> list[tuple[str, float]]:
    """Fuzzy grades from their values, best first ("100,80,60,40,20"). Five values take the
    usual names (very satisfied … very dissatisfied); another count is named grade_1 …"""
    try:
        values = [float(v) for v in text.replace("，", ",").split(",") if v.strip()]
    except ValueError:
        raise ValueError(_("grade values must be numbers separated by commas")) from None
    names = GRADE_NAMES if len(values) == 5 else [f"grade_{n}" for n in range(1, len(values) + 1)]
    evaluation.Grades(tuple(names), tuple(values))  # raises when not 2+ decreasing values
    return list(zip(names, values, strict=True))


def analyse(
    data: SurveyData,
    model_spec: dict,
    composite: dict[str, float] | None = None,
    options: Options | None = None,
    progress: Progress | None = None,
) -> dict:
    """The whole analysis as a JSON-ready dict (see docs/surveys.md for its keys)."""
    options = options or Options()
    report = progress or (lambda fraction, stage: None)
    composite = composite or {}
    rescaled = data.rescaled()

    report(0.05, _("estimating the PLS model"))
    model = model_of(model_spec)
    out: dict = {"respondents": int(len(data.answers)), "own": int(data.is_own.sum())}
    out["pls"], weights = _pls(data, model, options, report)

    report(0.55, _("computing the indices"))
    index_weights = _index_weights(data, weights)
    out["index_weights"] = [
        {"construct": c, "item": data.items[k].code, "weight": float(w), "source": source}
        for c, (members, ws, source) in index_weights.items()
        for k, w in zip(members, ws, strict=True)
    ]
    elements = _elements(data, index_weights, composite)
    out["elements"] = [{"key": key, "kind": kind} for key, kind, _cols, _ws in elements]
    out["segments"] = _segments(data, rescaled, elements, composite, options.min_segment)
    out["gaps"] = _gaps(out["segments"], [key for key, kind, *_r in elements if kind != "item"])

    report(0.7, _("finding the drivers"))
    own = data.is_own
    processes = [p for p in Process.values if any(i.process == p for i in data.items)]
    target = index_weights.get(options.target)
    process_scores = (
        np.column_stack(
            [_respondent_index(rescaled[own], _members(data, process=p), None) for p in processes]
        )
        if processes
        else np.empty((int(own.sum()), 0))
    )
    out["drivers"] = None
    relative: dict[str, float] = {}
    if target is not None and len(processes) >= 2:
        y = _respondent_index(rescaled[own], target[0], target[1])
        out["drivers"] = _drivers(process_scores, y, processes, options)
        relative = out["drivers"]["lmg"]["relative"]

    report(0.8, _("importance and performance"))
    own_row = out["segments"][0]
    performance = {p: own_row["scores"][p] for p in processes}
    out["ipa"] = None
    if relative:
        out["ipa"] = _ipa(data, rescaled, processes, relative, performance, options)
    out["ipa_constructs"] = _construct_ipa(out["pls"], own_row, options)

    report(0.9, _("fuzzy comprehensive evaluation"))
    out["fuzzy"] = _fuzzy(data, processes, relative, options) if processes else None
    out["servqual"] = _servqual(data)
    report(1.0, _("done"))
    return out


# PLS and index weights --------------------------------------------------------------------


def _pls(data: SurveyData, model: pls.Model, options: Options, report: Progress):
    """Estimate on every respondent (own and competitors') who answered all the model's
    items: one measurement model for all, so the indices compare."""
    items = [i for c in model.constructs for i in c.items]
    columns = [data.column(i) for i in items]
    x = data.answers[:, columns]
    complete = ~np.isnan(x).any(axis=1)
    x = x[complete]
    result = pls.estimate(x, items, model)
    boot = None
    if options.bootstrap:
        report(0.15, _("bootstrap"))
        boot = pls.bootstrap(x, items, model, options.bootstrap, options.seed)
    names = model.names
    summary = pls.Bootstrap.summary(boot.paths) if boot else None
    paths = []
    for source, target in model.paths:
        i, j = names.index(target), names.index(source)
        regression = result.regressions[target]
        at = regression.predictors.index(source)
        row = {
            "from": source,
            "to": target,
            "estimate": float(result.paths[i, j]),
            "std_error": float(regression.std_error[at]),
            "t": float(regression.t_value[at]),
            "p": float(regression.p_value[at]),
        }
        if summary:
            row.update(
                boot_std_error=float(summary["std_error"][i, j]),
                ci_low=float(summary["low"][i, j]),
                ci_high=float(summary["high"][i, j]),
            )
        paths.append(row)
    total = result.effects["total"]
    constructs = []
    for j, name in enumerate(names):
        unidim = result.reliability[name]
        constructs.append(
            {
                "name": name,
                "r2": float(result.r2[j]),
                "ave": float(result.ave[j]),
                "cronbach_alpha": unidim.cronbach_alpha,
                "dg_rho": unidim.dillon_goldstein_rho,
                "total_effects": {
                    names[i]: float(total[i, j]) for i in range(len(names)) if total[i, j] != 0
                },
            }
        )
    outer = [
        {
            "construct": names[result.block_of[k]],
            "item": item,
            "weight": float(result.weights[k]),
            "loading": float(result.loadings[k]),
        }
        for k, item in enumerate(result.items)
    ]
    # Weights on the items' own scale: a scaled model's weights apply to standardised items.
    sd = x.std(axis=0)
    raw = result.weights / sd if model.scaled else result.weights
    weights = {}
    for j, name in enumerate(names):
        members = [k for k in range(len(items)) if result.block_of[k] == j]
        weights[name] = ([columns[k] for k in members], raw[members])
    fit = {
        "gof": result.gof,
        "respondents": int(complete.sum()),
        "dropped": int((~complete).sum()),
        "iterations": result.iterations,
        "resamples": options.bootstrap,
        "scheme": model.scheme,
        "scaled": model.scaled,
    }
    return {"paths": paths, "constructs": constructs, "outer": outer, "fit": fit}, weights


def _index_weights(data: SurveyData, weights: dict) -> dict[str, tuple[list[int], np.ndarray, str]]:
    """Per construct: its items and their weights on the 0–100 rescaled answers (ACSI:
    the unstandardised PLS weight × the item's range, normalised to sum 1). Constructs
    outside the model get equal weights."""
    out = {}
    for name, (columns, raw) in weights.items():
        span = np.array([data.items[c].scale_max - data.items[c].scale_min for c in columns])
        w = raw * span
        out[name] = (columns, w / w.sum(), "pls")
    for construct in dict.fromkeys(i.construct for i in data.items if i.construct):
        if construct not in out:
            members = _members(data, construct=construct)
            out[construct] = (members, np.full(len(members), 1 / len(members)), "equal")
    return out


def _members(data: SurveyData, **where) -> list[int]:
    return [
        k for k, i in enumerate(data.items) if all(getattr(i, a) == v for a, v in where.items())
    ]


def _respondent_index(rescaled: np.ndarray, members: list[int], weights) -> np.ndarray:
    """Each respondent's weighted mean of the members' rescaled answers over the items they
    answered (weights renormalised); NaN when they answered none."""
    x = rescaled[:, members]
    w = np.full(len(members), 1 / len(members)) if weights is None else np.asarray(weights)
    answered = ~np.isnan(x)
    total = (answered * w).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, np.nansum(x * w, axis=1) / total, np.nan)


# Indices by segment and the gap table -----------------------------------------------------


def _elements(data: SurveyData, index_weights: dict, composite: dict[str, float]):
    """(key, kind, columns, weights) of everything scored 0–100: the composite, the
    constructs, the business processes."""
    out = []
    if composite and all(c in index_weights for c in composite):
        out.append(("composite", "composite", None, None))
    for name, (members, w, _source) in index_weights.items():
        out.append((name, "construct", members, w))
    for process in Process.values:
        members = _members(data, process=process)
        if members:
            out.append((process, "process", members, np.full(len(members), 1 / len(members))))
    for k, item in enumerate(data.items):
        out.append((item.code, "item", [k], np.ones(1)))
    return out


def _scores(rescaled: np.ndarray, elements, composite: dict[str, float]) -> dict[str, float | None]:
    """ACSI: an element's score is the weighted mean of its items' mean rescaled answers (each
    item's mean over those who answered it)."""
    means = _item_means(rescaled)
    scores: dict[str, float | None] = {}
    for key, kind, columns, w in elements:
        if kind == "composite":
            continue
        m = means[columns]
        keep = ~np.isnan(m)
        scores[key] = float((m[keep] * w[keep]).sum() / w[keep].sum()) if keep.any() else None
    if elements and elements[0][1] == "composite":
        parts = [scores.get(c) for c in composite]
        scores["composite"] = (
            None
            if any(p is None for p in parts)
            else float(sum(weight * p for weight, p in zip(composite.values(), parts, strict=True)))
        )
    return scores


def _item_means(x: np.ndarray) -> np.ndarray:
    """Each column's mean over its answered (non-NaN) cells; NaN where nobody answered."""
    answered = (~np.isnan(x)).sum(axis=0)
    return np.nansum(x, axis=0) / np.where(answered, answered, np.nan)


def _segments(data: SurveyData, rescaled: np.ndarray, elements, composite, min_segment: int):
    """Scores for our respondents, each competitor, and our respondents by brand, city,
    product and wave. The first row is always our whole sample."""
    rows = []

    def add(kind: str, value: str, mask: np.ndarray) -> None:
        n = int(mask.sum())
        rows.append(
            {
                "segment": kind,
                "value": value,
                "n": n,
                "small": n < min_segment,
                "scores": _scores(rescaled[mask], elements, composite),
            }
        )

    own = data.is_own
    add("operator", _own_label(data), own)
    for operator in sorted(set(data.operator[~own].tolist())):
        add("competitor", operator, data.operator == operator)
    for kind in ("brand", "city", "product", "wave"):
        values = data.segments.get(kind)
        if values is None:
            continue
        for value in sorted(set(values[own].tolist()) - {""}):
            add(kind, value, own & (values == value))
    return rows


def _own_label(data: SurveyData) -> str:
    own = data.operator[data.is_own]
    return str(own[0]) if len(own) else ""


def _gaps(segments: list[dict], keys: list[str]) -> list[dict]:
    """Per element: our score, each competitor's and the gap (ours − theirs)."""
    ours = segments[0]["scores"]
    competitors = [s for s in segments if s["segment"] == "competitor"]
    rows = []
    for key in keys:
        row = {"element": key, "own": ours.get(key), "competitors": {}}
        for c in competitors:
            theirs = c["scores"].get(key)
            gap = None if theirs is None or ours.get(key) is None else ours[key] - theirs
            row["competitors"][c["value"]] = {"score": theirs, "gap": gap}
        rows.append(row)
    return rows


# Drivers, importance–performance, fuzzy evaluation, SERVQUAL ------------------------------


def _drivers(x: np.ndarray, y: np.ndarray, processes: list[str], options: Options) -> dict:
    step = drivers.stepwise(x, y, processes, enter=options.enter, remove=options.remove)
    shares = drivers.lmg(x, y, processes)
    return {
        "target": options.target,
        "n": step.n,
        "dropped": step.dropped,
        "r2": step.r2,
        "adjusted_r2": step.adjusted_r2,
        "f": step.f,
        "f_p": step.f_p,
        "enter": options.enter,
        "remove": options.remove,
        "steps": [{"action": s.action, "name": s.name, "p": s.p_value} for s in step.steps],
        "selected": step.selected,
        "coefficients": [
            {
                "name": c.name,
                "estimate": c.estimate,
                "std_error": c.std_error,
                "t": c.t,
                "p": c.p,
                "beta": c.beta,
                "vif": c.vif,
            }
            for c in step.coefficients
        ],
        "excluded": [{"name": name, "p": p} for name, p in step.excluded],
        "lmg": {"r2": shares.r2, "shares": shares.shares, "relative": shares.relative},
    }


def _ipa(data, rescaled, processes, relative, performance, options) -> dict:
    names = [p for p in processes if performance.get(p) is not None]
    result = evaluation.ipa(
        names,
        np.array([relative[p] for p in names]),
        np.array([performance[p] for p in names]),
        split=options.split,
    )
    own = rescaled[data.is_own]
    item_means = _item_means(own)
    boards = []
    for name in result.short_boards:
        members = _members(data, process=name)
        items = sorted(
            (
                {
                    "item": data.items[k].code,
                    "text": data.items[k].text,
                    "score": float(item_means[k]),
                }
                for k in members
            ),
            key=lambda i: i["score"],
        )
        boards.append(
            {
                "element": name,
                "importance": relative[name],
                "performance": performance[name],
                "items": items,
            }
        )
    return {
        "importance": "lmg",
        "cuts": {"importance": result.cuts.importance, "performance": result.cuts.performance},
        "elements": [
            {
                "name": e.name,
                "importance": e.importance,
                "performance": e.performance,
                "quadrant": e.quadrant,
            }
            for e in result.elements
        ],
        "short_boards": boards,
    }


def _construct_ipa(pls_out: dict, own_row: dict, options: Options) -> dict | None:
    """Constructs against the target: importance = total effect in the PLS model."""
    target = next((c for c in pls_out["constructs"] if c["name"] == options.target), None)
    if target is None:
        return None
    names, importance, performance = [], [], []
    for c in pls_out["constructs"]:
        effect = c["total_effects"].get(options.target)
        score = own_row["scores"].get(c["name"])
        if effect is not None and score is not None:
            names.append(c["name"])
            importance.append(effect)
            performance.append(score)
    if len(names) < 2:
        return None
    result = evaluation.ipa(names, np.array(importance), np.array(performance), split=options.split)
    return {
        "importance": "total_effect",
        "cuts": {"importance": result.cuts.importance, "performance": result.cuts.performance},
        "elements": [
            {
                "name": e.name,
                "importance": e.importance,
                "performance": e.performance,
                "quadrant": e.quadrant,
            }
            for e in result.elements
        ],
        "short_boards": [{"element": n} for n in result.short_boards],
    }


def _fuzzy(data: SurveyData, processes: list[str], relative: dict[str, float], options) -> dict:
    """Overall → business processes (weighted by their LMG share, equal without drivers) →
    items (equal weights), memberships from our respondents' answers."""
    grades = (
        evaluation.Grades(
            tuple(n for n, _v in options.grades), tuple(v for _n, v in options.grades)
        )
        if options.grades
        else evaluation.DEFAULT_GRADES
    )
    own = data.answers[data.is_own]
    children = []
    for process in processes:
        leaves = []
        for k in _members(data, process=process):
            item = data.items[k]
            if np.isnan(own[:, k]).all():
                continue
            row = evaluation.membership(own[:, k], item.scale_min, item.scale_max, grades)
            leaves.append(evaluation.Node(item.code, 1.0, membership=row))
        if leaves:
            weight = relative.get(process, 1.0) if relative else 1.0
            children.append(evaluation.Node(process, weight, children=leaves))
    if not children or sum(c.weight for c in children) <= 0:
        return None
    result = evaluation.evaluate(evaluation.Node("overall", 1.0, children=children), grades)
    return {
        "grades": [
            {"name": n, "value": v} for n, v in zip(grades.names, grades.values, strict=True)
        ],
        "weights": "lmg" if relative else "equal",
        "nodes": [
            {
                "path": list(n.path),
                "name": n.name,
                "depth": n.depth,
                "weight": n.weight,
                "membership": [float(v) for v in n.membership],
                "score": n.score,
                "grade": n.grade,
            }
            for n in result.nodes
        ],
    }


def _servqual(data: SurveyData) -> dict | None:
    own = data.answers[data.is_own]
    sides: dict[str, dict[str, list[int]]] = {"expectation": {}, "perception": {}}
    for k, item in enumerate(data.items):
        if item.servqual_dimension:
            sides[item.servqual_kind].setdefault(item.servqual_dimension, []).append(k)
    if not sides["expectation"] and not sides["perception"]:
        return None
    result = evaluation.servqual(
        {d: own[:, cols] for d, cols in sides["expectation"].items()},
        {d: own[:, cols] for d, cols in sides["perception"].items()},
    )
    return {
        "gap": result.gap,
        "dimensions": [
            {
                "name": d.name,
                "expectation": d.expectation,
                "perception": d.perception,
                "gap": d.gap,
                "n": min(d.n_expectation, d.n_perception),
            }
            for d in result.dimensions
        ],
    }
