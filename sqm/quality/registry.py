"""The indicator registry: the shipped definitions (data/indicators.yaml), kept in the
`Indicator` table, with targets per year and city.

A definition names a measure over a fact (measures.py); `load_definitions` checks every one
against the facts it names, so a mistake in the file fails at start-up and in the tests, not
in a monthly run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

from sqm.quality.choices import Better, Breakdown, IndicatorProduct, Phase, Status, Unit

DEFINITIONS = Path(__file__).parent / "data" / "indicators.yaml"
MEASURE_KINDS = {"ratio", "per", "count", "mean", "quantile", "sum_ratio"}


@dataclass(frozen=True)
class Measure:
    kind: str
    fact: str
    when: str | None = None
    where: tuple[str, ...] = ()
    flag: str | None = None
    column: str | None = None
    q: float | None = None
    base: str | None = None
    scale: float = 1.0
    numerator: str | None = None
    denominator: str | None = None


@dataclass(frozen=True)
class Definition:
    code: str
    name_zh: str
    name_en: str
    product: str
    phase: str
    unit: str
    better: str
    definition_zh: str
    definition_en: str
    measure: Measure
    breakdowns: tuple[str, ...] = ()
    source: str = ""
    target: float | None = None
    warning: float | None = None
    headline: bool = False
    position: int = 0
    extra: dict = field(default_factory=dict, compare=False)


class DefinitionError(ValueError):
    pass


def _check(code: str, value, allowed, what: str) -> None:
    if value not in allowed:
        raise DefinitionError(f"{code}: {what} {value!r} is not one of {sorted(allowed)}")


@cache
def load_definitions(path: Path = DEFINITIONS) -> tuple[Definition, ...]:
    from sqm.quality import measures

    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    seen: set[str] = set()
    out = []
    for position, item in enumerate(raw):
        code = item["code"]
        if code in seen:
            raise DefinitionError(f"{code}: defined twice")
        seen.add(code)
        spec = dict(item["measure"])
        spec["where"] = tuple(spec.get("where", ()))
        measure = Measure(**spec)
        _check(code, measure.kind, MEASURE_KINDS, "measure kind")
        _check(code, item["product"], set(IndicatorProduct.values), "product")
        _check(code, item["phase"], set(Phase.values), "phase")
        _check(code, item["unit"], set(Unit.values), "unit")
        _check(code, item["better"], set(Better.values), "better")
        breakdowns = tuple(item.get("breakdowns", ()))
        for breakdown in breakdowns:
            _check(code, breakdown, set(Breakdown.values) - {Breakdown.PROVINCE}, "breakdown")
        measures.check_measure(code, measure, breakdowns)
        out.append(
            Definition(
                code=code,
                name_zh=item["name_zh"],
                name_en=item["name_en"],
                product=item["product"],
                phase=item["phase"],
                unit=item["unit"],
                better=item["better"],
                definition_zh=item["definition_zh"],
                definition_en=item["definition_en"],
                measure=measure,
                breakdowns=breakdowns,
                source=item.get("source", ""),
                target=item.get("target"),
                warning=item.get("warning"),
                headline=bool(item.get("headline", False)),
                position=position,
            )
        )
    return tuple(out)


def definitions_by_code() -> dict[str, Definition]:
    return {d.code: d for d in load_definitions()}


def sync() -> int:
    """Make the Indicator table equal to the shipped definitions (targets set by users are
    kept; an indicator no longer shipped is left, so old runs keep their values)."""
    from sqm.quality.models import Indicator

    count = 0
    for d in load_definitions():
        Indicator.objects.update_or_create(
            code=d.code,
            defaults={
                "name_zh": d.name_zh,
                "name_en": d.name_en,
                "product": d.product,
                "phase": d.phase,
                "unit": d.unit,
                "better": d.better,
                "definition_zh": d.definition_zh,
                "definition_en": d.definition_en,
                "source": d.source,
                "breakdowns": list(d.breakdowns),
                "default_target": d.target,
                "default_warning": d.warning,
                "headline": d.headline,
                "position": d.position,
            },
        )
        count += 1
    return count


def sync_after_migrate(**kwargs) -> None:
    sync()


class Targets:
    """Targets of one year, looked up per indicator and city: the city's own, else the
    province's of the year, else the shipped default."""

    def __init__(self, year: int) -> None:
        from sqm.quality.models import Indicator, IndicatorTarget

        self.defaults = {
            code: (target, warning)
            for code, target, warning in Indicator.objects.values_list(
                "code", "default_target", "default_warning"
            )
        }
        self.set: dict[tuple[str, str | None], tuple[float, float | None]] = {}
        rows = IndicatorTarget.objects.filter(year=year).values_list(
            "indicator__code", "city__name", "target", "warning"
        )
        for code, city, target, warning in rows:
            self.set[(code, city)] = (target, warning)

    def __call__(self, code: str, city: str | None = None) -> tuple[float | None, float | None]:
        if city and (code, city) in self.set:
            return self.set[(code, city)]
        if (code, None) in self.set:
            return self.set[(code, None)]
        return self.defaults.get(code, (None, None))


def status(value: float | None, target: float | None, warning: float | None, better: str) -> str:
    """met when the target is reached, warning when only the warning threshold is, else
    missed; empty when there is no value or no target."""
    if value is None or target is None:
        return ""
    sign = 1 if better == Better.HIGHER else -1
    if sign * value >= sign * target:
        return Status.MET.value
    if warning is not None and sign * value >= sign * warning:
        return Status.WARNING.value
    return Status.MISSED.value


UNIT_TEXT = {
    "ratio": "share (0–1, shown as %)",
    "per_10k": "per 10,000 broadband accounts",
    "per_100": "per 100 circuits",
    "count": "count",
    "hours": "hours",
    "minutes": "minutes",
    "seconds": "seconds",
    "mbps": "Mbit/s",
    "yuan": "yuan",
    "score": "score",
}
PHASE_TEXT = {"before": "事前 before", "during": "事中 during", "after": "事后 after"}
PRODUCT_TEXT = {"broadband": "Broadband", "dedicated": "Dedicated lines", "all": "All products"}


def definitions_markdown() -> str:
    """The indicator part of docs/kpi.md, made from the shipped definitions (a test keeps
    the document equal to it: `sqm kpi list --markdown` prints it)."""
    lines: list[str] = []
    definitions = load_definitions()
    for product in ("broadband", "dedicated", "all"):
        chosen = [d for d in definitions if d.product == product]
        lines += [f"### {PRODUCT_TEXT[product]} ({len(chosen)})", ""]
        lines += ["| code | 名称 | name | phase | unit | better | target / warning | breakdowns |"]
        lines += ["|---|---|---|---|---|---|---|---|"]
        for d in chosen:
            target = "—" if d.target is None else f"{d.target:g} / {d.warning:g}"
            lines.append(
                f"| `{d.code}` | {d.name_zh} | {d.name_en} | {PHASE_TEXT[d.phase]} | "
                f"{UNIT_TEXT[d.unit]} | {d.better} | {target} | {', '.join(d.breakdowns)} |"
            )
        lines.append("")
        for d in chosen:
            m = d.measure
            parts = [f"kind `{m.kind}`", f"fact `{m.fact}`"]
            if m.when:
                parts.append(f"in the month by `{m.when}`")
            if m.where:
                parts.append("where " + ", ".join(f"`{w}`" for w in m.where))
            for name in ("flag", "column", "q", "base", "numerator", "denominator"):
                if getattr(m, name) is not None:
                    parts.append(f"{name} `{getattr(m, name)}`")
            lines += [
                f"**`{d.code}` {d.name_zh}** — {d.definition_en}",
                "",
                f"- 定义：{d.definition_zh}",
                f"- Measure: {'; '.join(parts)}.",
                f"- Source: {d.source}",
                "",
            ]
    return "\n".join(lines).rstrip() + "\n"
