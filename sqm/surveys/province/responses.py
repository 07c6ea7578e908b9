"""Satisfaction-survey waves for `sqm generate`: questionnaire.yaml and survey.csv.

The answers come from a KNOWN structural model, so tests (and anyone evaluating the survey
analytics) can check that the PLS estimate, the driver analysis and the SERVQUAL gaps
recover what was put in. The model, in standardised latent variables (variance 1 each):

- IMAG (corporate image) and the nine business-process latents P_k (network, roaming, vas,
  bills, payment, outlets, hotline, complaint_handling, information) are exogenous and
  equicorrelated: every pair correlates `EXOGENOUS_CORRELATION` (0.3);
- QUAL = Σ_k TRUE_DRIVERS[k] · P_k + e (only network, hotline, bills and complaint_handling
  drive perceived quality);
- EXPE, VAL, SAT, LOY and COMP follow TRUE_PATHS: each is the weighted sum of its causes
  plus an independent residual whose variance makes its total variance exactly 1
  (`latent_covariance` works these out).

Each item is `x = λ·LV + √(1−λ²)·ε` (λ in TRUE_LOADINGS), mapped to the answer scale by
rounding `centre + spread·x` and clipping to the scale. Reverse-coded items (higher raw
answer = worse) are written as the raw answer, `min + max − answer`; TRUE_LOADINGS is the
loading of the answer as analyses read it, i.e. after flipping a reverse item back. The COMP
items ask about complaining, so read that way they measure the absence of complaints: their
loadings on COMP are negative.

The questionnaire's PLS model is the ECSI-style model over IMAG, EXPE, QUAL, VAL, SAT and
LOY with the paths of TRUE_PATHS among them. QUAL is exogenous there (its causes, the
processes, are not in the PLS model); EXPE → SAT is in the model with a true value of 0.
The process items carry `process:` and no `construct:`, so they feed the driver analysis,
IPA and the fuzzy evaluation, not the PLS model. PLS composites carry measurement error,
so the PLS estimates of the paths are attenuated a little relative to TRUE_PATHS (see
tests/core/test_generator_surveys.py for the measured differences).

Respondents: about 60 % of the own operator (中国移动, with a brand), 20 % each of 中国联通
and 中国电信 (no brand: we do not know competitors' brands), whose process latents are a
little lower on a few processes (COMPETITOR_SHIFTS), so that our-vs-competitor gaps exist.
A share of answers is missing (an empty cell) or "don't know" (the missing code 99).

Determinism: every wave draws from its own numpy generator seeded with the SHA-256 of
`<key>/<wave>`, so one seed gives the same bytes and a wave (say 2026Q2) is the same
whatever number of waves is asked for. Everything is vectorised: 10,000 respondents take
well under a second.
"""

from __future__ import annotations

import csv
import hashlib
import os
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

import numpy as np
import yaml

from sqm.core.province import CITIES
from sqm.surveys.choices import Process

QUESTIONNAIRE_FILE = "questionnaire.yaml"
SURVEY_FILE = "survey.csv"
SURVEY_COLUMNS = ("respondent_id", "operator", "wave", "brand", "city", "product")

OWN_OPERATOR = "中国移动"
OPERATORS = ((OWN_OPERATOR, 0.60), ("中国联通", 0.20), ("中国电信", 0.20))
OWN_BRANDS = (("全球通", 0.15), ("动感地带", 0.35), ("神州行", 0.50))
PRODUCTS = (("手机", 0.50), ("宽带", 0.25), ("融合套餐", 0.25))
MISSING_SHARE = 0.015  # answers left empty
DONT_KNOW_SHARE = 0.004  # answers given as the missing code 99
DONT_KNOW = 99

CONSTRUCTS = ("IMAG", "EXPE", "QUAL", "VAL", "SAT", "LOY", "COMP")
MODEL_CONSTRUCTS = ("IMAG", "EXPE", "QUAL", "VAL", "SAT", "LOY")  # the questionnaire's model
PROCESSES = tuple(Process.values)  # the nine business processes, in the choice set's order
EXOGENOUS_CORRELATION = 0.3  # between any two of IMAG and the nine process latents

# Standardised structural coefficients (cause, effect): ECSI-like magnitudes.
TRUE_PATHS: dict[tuple[str, str], float] = {
    ("IMAG", "EXPE"): 0.50,
    ("IMAG", "SAT"): 0.25,
    ("IMAG", "LOY"): 0.20,
    ("EXPE", "VAL"): 0.15,
    ("EXPE", "SAT"): 0.0,  # in the PLS model, so its estimate should be near zero
    ("QUAL", "VAL"): 0.55,
    ("QUAL", "SAT"): 0.25,
    ("VAL", "SAT"): 0.40,
    ("SAT", "LOY"): 0.55,
    ("SAT", "COMP"): -0.45,  # not in the questionnaire's model
}
# QUAL = Σ TRUE_DRIVERS[k]·P_k + e: the business processes that drive perceived quality.
TRUE_DRIVERS: dict[str, float] = {
    "network": 0.35,
    "roaming": 0.0,
    "vas": 0.0,
    "bills": 0.20,
    "payment": 0.0,
    "outlets": 0.0,
    "hotline": 0.25,
    "complaint_handling": 0.15,
    "information": 0.0,
}
# Competitors' process latent means relative to the own operator's (0), in standard units.
COMPETITOR_SHIFTS: dict[str, dict[str, float]] = {
    "中国联通": {"network": -0.30, "outlets": -0.25, "information": -0.20},
    "中国电信": {"hotline": -0.25, "bills": -0.20, "roaming": -0.25},
}

# The latent variables in causal order: exogenous first.
LATENTS = ("IMAG", *PROCESSES, "EXPE", "QUAL", "VAL", "SAT", "LOY", "COMP")
EXOGENOUS = ("IMAG", *PROCESSES)


@dataclass(frozen=True)
class Item:
    code: str
    text: str
    latent: str  # the latent variable the answer (as analyses read it) loads on
    loading: float  # λ of the answer as analyses read it (reverse items flipped back)
    centre: float  # answer = round(centre + spread·x), clipped to the scale
    spread: float = 1.6
    construct: str | None = None
    process: str | None = None
    servqual: tuple[str, str] | None = None  # (dimension, expectation|perception)
    reverse: bool = False
    scale: tuple[int, int] = (1, 10)


def _construct(code, text, latent, loading, centre, **more) -> Item:
    return Item(code, text, latent, loading, centre, construct=latent, **more)


def _process(code, text, process, loading, centre, **more) -> Item:
    return Item(code, text, process, loading, centre, process=process, **more)


def _servqual(dimension, short, text, process, perception_centre) -> tuple[Item, Item]:
    expectation = Item(f"se_{short}1", text, "EXPE", 0.60, 8.3, spread=1.2,
                       servqual=(dimension, "expectation"))  # fmt: skip
    perception = Item(f"sp_{short}1", text, process, 0.80, perception_centre,
                      servqual=(dimension, "perception"))  # fmt: skip
    return expectation, perception


COMP_SCALE = (1, 5)
ITEMS: tuple[Item, ...] = (
    _construct("imag1", "企业形象总体评价", "IMAG", 0.86, 7.6),
    _construct("imag2", "企业值得信赖", "IMAG", 0.84, 7.5),
    _construct("imag3", "企业积极承担社会责任", "IMAG", 0.80, 7.7),
    _construct("imag4", "企业具有创新精神", "IMAG", 0.82, 7.3),
    _construct("expe1", "使用前对总体质量的期望", "EXPE", 0.84, 8.0),
    _construct("expe2", "使用前对满足个人需求的期望", "EXPE", 0.82, 7.9),
    _construct("expe3", "使用前对服务可靠性的期望", "EXPE", 0.80, 8.1),
    _construct("qual1", "总体质量评价", "QUAL", 0.90, 7.4),
    _construct("qual2", "服务满足个人需求的程度", "QUAL", 0.86, 7.3),
    _construct("qual3", "服务的可靠性", "QUAL", 0.88, 7.5),
    _construct("val1", "在所付价格下对质量的评价", "VAL", 0.90, 6.9),
    _construct("val2", "在所得质量下对价格的评价", "VAL", 0.86, 6.7),
    _construct("val3", "资费的合理程度", "VAL", 0.84, 6.8),
    _construct("sat1", "总体满意度", "SAT", 0.92, 7.3),
    _construct("sat2", "与使用前的期望相比", "SAT", 0.86, 7.1),
    _construct("sat3", "与理想中的运营商相比", "SAT", 0.88, 7.0),
    _construct("loy1", "继续使用的可能性", "LOY", 0.88, 7.6),
    _construct("loy2", "向亲友推荐的可能性", "LOY", 0.90, 7.2),
    _construct("loy3", "资费上涨10%后仍继续使用的可能性", "LOY", 0.82, 6.6),
    # Complaints: higher raw answer = more complaining = worse, hence reverse.
    _construct(
        "comp1",
        "过去一年投诉的次数多",
        "COMP",
        -0.85,
        3.9,
        spread=0.8,
        reverse=True,
        scale=COMP_SCALE,
    ),  # fmt: skip
    _construct(
        "comp2", "常向亲友抱怨服务", "COMP", -0.82, 3.8, spread=0.8, reverse=True, scale=COMP_SCALE
    ),  # fmt: skip
    _construct(
        "comp3", "考虑向工信部申诉", "COMP", -0.80, 4.2, spread=0.8, reverse=True, scale=COMP_SCALE
    ),  # fmt: skip
    _process("qnet1", "网络覆盖", "network", 0.88, 7.6),
    _process("qnet2", "通话与上网质量", "network", 0.85, 7.4),
    _process("qroam1", "漫游通话与上网质量", "roaming", 0.86, 7.2),
    _process("qroam2", "漫游资费清楚透明", "roaming", 0.82, 7.0),
    _process("qvas1", "增值业务丰富", "vas", 0.84, 6.9),
    _process("qvas2", "增值业务好用", "vas", 0.82, 6.8),
    _process("qbill1", "账单清晰准确", "bills", 0.88, 7.1),
    _process("qbill2", "账单中有看不懂的收费", "bills", 0.84, 7.0, reverse=True),
    _process("qpay1", "缴费方便", "payment", 0.86, 8.1),
    _process("qpay2", "缴费渠道多样", "payment", 0.82, 8.0),
    _process("qoutl1", "营业厅环境", "outlets", 0.85, 7.7),
    _process("qoutl2", "营业员服务态度", "outlets", 0.84, 7.6),
    _process("qhot1", "客服热线解决问题的能力", "hotline", 0.88, 6.9),
    _process("qhot2", "客服热线接通等待时间长", "hotline", 0.84, 6.7, reverse=True),
    _process("qcomh1", "投诉处理及时", "complaint_handling", 0.88, 6.3),
    _process("qcomh2", "投诉处理结果", "complaint_handling", 0.86, 6.2),
    _process("qinfo1", "资费信息公开透明", "information", 0.84, 6.9),
    _process("qinfo2", "业务变更及时告知", "information", 0.82, 6.8),
    # SERVQUAL: expectations load on EXPE, perceptions on a process; the largest gap is on
    # responsiveness (expectation centre 8.3 against perception centres 7.8 … 6.7).
    *_servqual("tangibles", "tan", "营业厅设施与形象", "outlets", 7.8),
    *_servqual("reliability", "rel", "按承诺可靠地提供服务", "network", 7.5),
    *_servqual("responsiveness", "res", "及时响应客户需求", "hotline", 6.7),
    *_servqual("assurance", "ass", "员工专业、值得信赖", "complaint_handling", 7.4),
    *_servqual("empathy", "emp", "关注客户的个性化需求", "information", 7.0),
)
TRUE_LOADINGS: dict[str, float] = {item.code: item.loading for item in ITEMS}
COMPOSITE = {"VAL": 0.7, "IMAG": 0.3}


def model_paths() -> list[tuple[str, str]]:
    """The paths of the questionnaire's PLS model: TRUE_PATHS among MODEL_CONSTRUCTS."""
    return [
        (source, target)
        for (source, target) in TRUE_PATHS
        if source in MODEL_CONSTRUCTS and target in MODEL_CONSTRUCTS
    ]


def _structure() -> np.ndarray:
    """B[effect, cause]: the structural coefficients over LATENTS."""
    index = {name: i for i, name in enumerate(LATENTS)}
    b = np.zeros((len(LATENTS), len(LATENTS)))
    for (source, target), value in TRUE_PATHS.items():
        b[index[target], index[source]] = value
    for process, value in TRUE_DRIVERS.items():
        b[index["QUAL"], index[process]] = value
    return b


@cache
def latent_covariance() -> tuple[np.ndarray, np.ndarray]:
    """(Σ, residual standard deviations) of LATENTS, for the own operator (no shifts).

    Σ is the correlation matrix the model implies (every latent has variance 1); an
    endogenous latent's residual variance is 1 − bᵀ Σ_causes b (0 for exogenous ones)."""
    b = _structure()
    k = len(LATENTS)
    sigma = np.zeros((k, k))
    m = len(EXOGENOUS)
    sigma[:m, :m] = EXOGENOUS_CORRELATION
    np.fill_diagonal(sigma[:m, :m], 1.0)
    residual_sd = np.zeros(k)
    for i in range(m, k):
        # Its causes come earlier, so cov(η_i, η_j) = Σ_s b_is cov(η_s, η_j) for j < i.
        sigma[i, :i] = b[i, :i] @ sigma[:i, :i]
        sigma[:i, i] = sigma[i, :i]
        explained = float(b[i, :i] @ sigma[:i, :i] @ b[i, :i])
        if explained >= 1:
            raise ValueError(f"{LATENTS[i]}: its causes explain more than its variance")
        residual_sd[i] = np.sqrt(1 - explained)
        sigma[i, i] = 1.0
    return sigma, residual_sd


def item_covariance(items: tuple[Item, ...] = ITEMS) -> np.ndarray:
    """The covariance of the items' continuous values x (as analyses read them) that the
    model implies for the own operator: λλᵀ ∘ Σ_latents + diag(1 − λ²)."""
    sigma, _sd = latent_covariance()
    index = {name: i for i, name in enumerate(LATENTS)}
    lam = np.array([item.loading for item in items])
    where = [index[item.latent] for item in items]
    s = np.outer(lam, lam) * sigma[np.ix_(where, where)]
    np.fill_diagonal(s, 1.0)
    return s


def wave_labels(waves: int, as_of: date) -> list[str]:
    """The WAVES quarters up to and including the quarter of AS_OF, oldest first."""
    last = as_of.year * 4 + (as_of.month - 1) // 3
    return [f"{q // 4}Q{q % 4 + 1}" for q in range(last - waves + 1, last + 1)]


def _rng(key: str, wave: str) -> np.random.Generator:
    digest = hashlib.sha256(f"{key}/{wave}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:16], "big"))


def _choose(rng: np.random.Generator, options: tuple[tuple[str, float], ...], n: int):
    names = np.array([name for name, _share in options], dtype=object)
    shares = np.array([share for _name, share in options])
    return names[rng.choice(len(options), size=n, p=shares / shares.sum())]


def _answers(rng: np.random.Generator, n: int, operators: np.ndarray) -> np.ndarray:
    """n × items raw answers (ints); -1 for a missing answer, DONT_KNOW for "don't know"."""
    sigma, residual_sd = latent_covariance()
    b = _structure()
    m = len(EXOGENOUS)
    latents = np.zeros((n, len(LATENTS)))
    latents[:, :m] = rng.standard_normal((n, m)) @ np.linalg.cholesky(sigma[:m, :m]).T
    index = {name: i for i, name in enumerate(LATENTS)}
    for operator, shifts in COMPETITOR_SHIFTS.items():
        theirs = operators == operator
        for process, shift in shifts.items():
            latents[theirs, index[process]] += shift
    for i in range(m, len(LATENTS)):
        latents[:, i] = latents[:, :i] @ b[i, :i] + residual_sd[i] * rng.standard_normal(n)

    lam = np.array([item.loading for item in ITEMS])
    x = latents[:, [index[item.latent] for item in ITEMS]] * lam + rng.standard_normal(
        (n, len(ITEMS))
    ) * np.sqrt(1 - lam**2)
    centre = np.array([item.centre for item in ITEMS])
    spread = np.array([item.spread for item in ITEMS])
    low = np.array([item.scale[0] for item in ITEMS])
    high = np.array([item.scale[1] for item in ITEMS])
    answers = np.clip(np.rint(centre + spread * x), low, high).astype(np.int64)
    reverse = np.array([item.reverse for item in ITEMS])
    answers[:, reverse] = (low + high - answers)[:, reverse]
    u = rng.random((n, len(ITEMS)))
    answers[u < MISSING_SHARE] = -1
    answers[(u >= MISSING_SHARE) & (u < MISSING_SHARE + DONT_KNOW_SHARE)] = DONT_KNOW
    return answers


class PendingFile:
    """A file written under a temporary name, moved into place by commit()."""

    def __init__(self, path: Path, rows: int) -> None:
        self.path = path
        self.tmp = path.with_name(path.name + ".tmp")
        self.rows = rows

    def commit(self) -> None:
        os.replace(self.tmp, self.path)

    def discard(self) -> None:
        self.tmp.unlink(missing_ok=True)


def questionnaire_text(waves: list[str]) -> str:
    """questionnaire.yaml (the format of docs/formats.md), one flow mapping per item."""

    def flow(value) -> str:
        return yaml.safe_dump(
            value, allow_unicode=True, sort_keys=False, default_flow_style=True, width=1 << 30
        ).strip()

    year = waves[-1][:4] if waves else "2026"
    lines = [
        f"code: csi-{year}",
        f"name: {year}年客户满意度测评（合成数据）",
        f"own_operator: {OWN_OPERATOR}",
        "scale: {min: 1, max: 10}",
        f'missing_codes: ["{DONT_KNOW}"]',
        "items:",
    ]
    for item in ITEMS:
        entry: dict = {"code": item.code, "text": item.text}
        if item.construct:
            entry["construct"] = item.construct
        if item.process:
            entry["process"] = item.process
        if item.servqual:
            entry["servqual"] = {"dimension": item.servqual[0], "kind": item.servqual[1]}
        if item.reverse:
            entry["reverse"] = True
        if item.scale != (1, 10):
            entry["scale"] = {"min": item.scale[0], "max": item.scale[1]}
        lines.append(f"  - {flow(entry)}")
    lines += ["model:", "  constructs:"]
    lines += [f"    {name}: {{mode: A}}" for name in MODEL_CONSTRUCTS]
    lines.append(f"  paths: {flow([list(pair) for pair in model_paths()])}")
    lines += ["  scheme: path", "  scaled: true", f"composite: {flow(COMPOSITE)}"]
    return "\n".join(lines) + "\n"


def write_surveys(
    out: Path,
    waves: int,
    respondents: int,
    as_of: date,
    key: str = "sqm-generator/surveys",
    city_weights: dict[str, int] | None = None,
) -> tuple[PendingFile, PendingFile]:
    """Write questionnaire.yaml and survey.csv (WAVES quarters up to AS_OF's, RESPONDENTS
    per wave) under temporary names; returns them as (survey, questionnaire) with commit()
    and discard() and `rows` (respondents; items).

    KEY seeds the waves' generators; CITY_WEIGHTS (by city code) spreads the respondents
    over the province's cities (equally when not given)."""
    if waves < 1:
        raise ValueError("the number of survey waves must be at least 1")
    if respondents < 1:
        raise ValueError("the number of survey respondents must be at least 1")
    labels = wave_labels(waves, as_of)
    cities = np.array([city for _code, city, _div, _ds in CITIES], dtype=object)
    weights = np.array([(city_weights or {}).get(code, 1) for code, *_rest in CITIES], dtype=float)
    weights /= weights.sum()
    cells = np.array([""] + [str(v) for v in range(DONT_KNOW + 1)], dtype=object)

    survey = PendingFile(out / SURVEY_FILE, waves * respondents)
    questionnaire = PendingFile(out / QUESTIONNAIRE_FILE, len(ITEMS))
    try:
        with open(survey.tmp, "w", encoding="utf-8", newline="", buffering=1 << 20) as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow([*SURVEY_COLUMNS, *(item.code for item in ITEMS)])
            for wave in labels:
                rng = _rng(key, wave)
                operators = _choose(rng, OPERATORS, respondents)
                own = operators == OWN_OPERATOR
                brands = np.full(respondents, "", dtype=object)
                brands[own] = _choose(rng, OWN_BRANDS, int(own.sum()))
                where = cities[rng.choice(len(cities), size=respondents, p=weights)]
                products = _choose(rng, PRODUCTS, respondents)
                answers = cells[_answers(rng, respondents, operators) + 1]
                ids = [f"S{wave}-{i:06d}" for i in range(1, respondents + 1)]
                writer.writerows(
                    [ident, operator, wave, brand, city, product, *row]
                    for ident, operator, brand, city, product, row in zip(
                        ids, operators, brands, where, products, answers.tolist(), strict=True
                    )
                )
        questionnaire.tmp.write_text(questionnaire_text(labels), encoding="utf-8")
    except BaseException:
        survey.discard()
        questionnaire.discard()
        raise
    return survey, questionnaire
