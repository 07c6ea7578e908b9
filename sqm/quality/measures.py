"""The facts as the indicators see them, and the measures over them, as Ibis expressions.

`derive` turns the raw fact tables (facts.py: Arrow, times in epoch seconds) into the tables
the definitions name, with their flags and durations (one place says what "in time",
"repeat" or "first-time fix" means); `selected` gives the rows a measure counts and `drill`
the records behind a figure (engine.py aggregates the measures). Everything here is an Ibis
expression, so DuckDB and Spark run the same thing; nothing here knows which engine runs it.
"""

from __future__ import annotations

from dataclasses import dataclass

import ibis
from django.conf import settings

from sqm.quality.facts import FACTS, Month

DAY = 86400
DEDICATED = ("dedicated_voice", "dedicated_data", "dedicated_internet")
CALLBACK_RATED = ("satisfied", "basically_satisfied", "dissatisfied")
CALLBACK_SATISFIED = ("satisfied", "basically_satisfied")


@dataclass(frozen=True)
class Limits:
    """The time limits of the definitions (settings; these are the defaults)."""

    repair_urban_hours: float = 48
    repair_rural_hours: float = 72
    repeat_fault_days: int = 30
    first_fix_days: int = 7
    transfer_seconds: float = 30
    speed_attained_share: float = 0.9

    @classmethod
    def from_settings(cls) -> Limits:
        return cls(**getattr(settings, "SQM_KPI_LIMITS", {}))


def _flag(expr):
    return ibis.coalesce(expr, False)


def _hours(end, start):
    return (end - start).cast("float64") / 3600.0


def _complaints(t, raw, m: Month, limits: Limits):
    return t.mutate(
        product=t.service,
        broadband=_flag(t.service == "broadband"),
        dedicated=_flag(t.service.isin(DEDICATED)),
        work_order=t.record_type == "complaint_work_order",
        direct_answer=t.record_type == "direct_answer_complaint",
        in_time=~_flag(t.untimely),
        fault_linked=t.fault_event.notnull(),
        ordinary=~t.upgraded & ~t.batch,
        callback_rated=_flag(t.callback_outcome.isin(CALLBACK_RATED)),
        callback_satisfied=_flag(t.callback_outcome.isin(CALLBACK_SATISFIED)),
        was_replied=t.replied.notnull(),
        handling_hours=_hours(t.closed, t.created),
        callback_hours=_hours(t.closed, t.replied),
    )


def _repairs(t, raw, m: Month, limits: Limits):
    by_account = ibis.window(group_by=t.account, order_by=[t.reported, t.id])
    previous = t.reported.lag().over(by_account)
    following = t.reported.lead().over(by_account)
    limit = (t.area == "rural").ifelse(limits.repair_rural_hours, limits.repair_urban_hours)
    t = t.mutate(previous_reported=previous, next_reported=following)
    return t.mutate(
        product=t.service,
        broadband=_flag(t.service == "broadband"),
        dedicated=_flag(t.service.isin(DEDICATED)),
        hours=_hours(t.restored, t.reported),
        in_time=_flag((t.restored - t.reported) <= limit * 3600),
        repeat=_flag((t.reported - t.previous_reported) <= limits.repeat_fault_days * DAY),
        first_fix=_flag(
            t.restored.notnull()
            & (
                t.next_reported.isnull()
                | (t.next_reported > t.restored + limits.first_fix_days * DAY)
            )
        ),
        network_fault=_flag(t.network_fault),
    )


def _activations(t, raw, m: Month, limits: Limits):
    return t.mutate(
        product=t.service,
        broadband=_flag(t.service == "broadband"),
        dedicated=_flag(t.service.isin(DEDICATED)),
        on_time=_flag(t.activated <= t.committed),
        visited=t.arrived.notnull(),
        activation_hours=_hours(t.activated, t.ordered),
        business_hours=_hours(t.arrived, t.ordered),
        overdue_at_end=_flag(
            (t.ordered < m.end)
            & (t.committed < m.end)
            & (t.activated.isnull() | (t.activated >= m.end))
        ),
    )


def _visits(t, raw, m: Month, limits: Limits):
    columns = ["id", "ref", "service", "city", "district", "appointment_from"]
    columns += ["appointment_to", "arrived", "rating"]
    repairs = raw["repairs"].select(*columns).mutate(source=ibis.literal("repair"))
    activations = raw["activations"].select(*columns).mutate(source=ibis.literal("activation"))
    t = repairs.union(activations)
    return t.mutate(
        product=t.service,
        broadband=_flag(t.service == "broadband"),
        dedicated=_flag(t.service.isin(DEDICATED)),
        with_appointment=t.appointment_from.notnull() & t.arrived.notnull(),
        punctual=_flag((t.appointment_from <= t.arrived) & (t.arrived <= t.appointment_to)),
        rated=t.rating.notnull(),
    )


def _transfers(t, raw, m: Month, limits: Limits):
    return t.mutate(
        cause=t.skill,
        timely=_flag((t.connected - t.requested) <= limits.transfer_seconds),
        connected_flag=t.connected.notnull(),
        lost=t.connected.isnull(),
        wait_seconds=(t.connected - t.requested).cast("float64"),
    )


def _speed_tests(t, raw, m: Month, limits: Limits):
    return t.mutate(
        user=t.level == "user",
        city_level=t.level == "city",
        exit_level=t.level == "exit",
        attained=_flag(t.down >= t.subscribed * limits.speed_attained_share),
    )


def _operations(t, raw, m: Month, limits: Limits):
    return t.mutate(
        broadband=t.product == "broadband",
        dedicated=t.product.isin(DEDICATED),
    )


def _accounts(t, raw, m: Month, limits: Limits):
    return t.mutate(
        broadband_base=_flag(
            (t.service == "broadband")
            & (t.status != "closed")
            & (t.opened.isnull() | (t.opened < m.end))
        ),
    )


def _circuit_outages(t, raw, m: Month, limits: Limits):
    by_circuit = ibis.window(group_by=t.circuit, order_by=[t.started, t.id])
    t = t.mutate(previous_started=t.started.lag().over(by_circuit))
    return t.mutate(
        hours=_hours(t.restored, t.started),
        in_contract=_flag((t.restored - t.started) <= t.contract_repair_hours * 3600),
        repeat=_flag((t.started - t.previous_started) <= limits.repeat_fault_days * DAY),
        network_fault=_flag(t.network_fault),
    )


def _circuit_months(t, raw, m: Month, limits: Limits):
    """One row per circuit in service in the month: its time in service, the outage time
    inside the month (an outage not yet restored counts to the month's end)."""
    circuits = raw["circuits"]
    circuits = circuits.filter(circuits.opened < m.end)
    circuits = circuits.mutate(from_=ibis.greatest(circuits.opened, m.start))
    outages = raw["circuit_outages"]
    joined = circuits.left_join(outages, circuits.id == outages.circuit)
    down_from = ibis.greatest(joined.started, joined.from_)
    down_to = ibis.least(ibis.coalesce(joined.restored, m.end), m.end)
    # A circuit without outages has none (GREATEST skips the NULL start on both engines).
    down = (joined.started.notnull() & (down_to > down_from)).ifelse(down_to - down_from, 0)
    joined = joined.mutate(down=ibis.coalesce(down, 0))
    per_circuit = joined.group_by(
        [
            joined.id,
            joined.ref,
            joined.city,
            joined.product,
            joined.contract_availability,
            joined.from_,
        ]  # fmt: skip
    ).aggregate(down_seconds=joined.down.sum())
    service = (m.end - per_circuit.from_).cast("float64")
    per_circuit = per_circuit.mutate(
        service_seconds=service,
        available_seconds=service - per_circuit.down_seconds.cast("float64"),
        down_minutes=per_circuit.down_seconds.cast("float64") / 60.0,
        in_service=ibis.literal(True),
    )
    return per_circuit.mutate(
        meets_contract=(
            per_circuit.available_seconds * 100.0
            >= per_circuit.contract_availability * per_circuit.service_seconds
        )
    )


def _fault_events(t, raw, m: Month, limits: Limits):
    return t.mutate(
        with_contacts=t.first_contact.notnull(),
        sms_first=_flag(t.first_sms < t.first_contact),
    )


def _survey_scores(t, raw, m: Month, limits: Limits):
    return t


# name → (the raw fact it starts from, the derivation)
DERIVED = {
    "accounts": ("accounts", _accounts),
    "complaints": ("complaints", _complaints),
    "repairs": ("repairs", _repairs),
    "activations": ("activations", _activations),
    "visits": ("repairs", _visits),
    "transfers": ("transfers", _transfers),
    "speed_tests": ("speed_tests", _speed_tests),
    "operations": ("operations", _operations),
    "circuit_outages": ("circuit_outages", _circuit_outages),
    "circuit_months": ("circuits", _circuit_months),
    "fault_events": ("fault_events", _fault_events),
    "survey_scores": ("survey_scores", _survey_scores),
}

# The base a `per` measure divides by: (derived fact, the flag of the rows counted).
BASES = {
    "broadband_accounts": ("accounts", "broadband_base"),
    "circuits_in_service": ("circuit_months", "in_service"),
}

# The columns a breakdown groups by (district is within its city).
BREAKDOWN_COLUMNS = {
    "province": (),
    "city": ("city",),
    "district": ("city", "district"),
    "product": ("product",),
    "channel": ("channel",),
    "cause": ("cause",),
}


def derive(raw: dict, month: Month, limits: Limits | None = None) -> dict:
    """The derived fact tables over RAW (name → Ibis table of the raw facts)."""
    limits = limits or Limits.from_settings()
    return {
        name: derivation(raw[source], raw, month, limits)
        for name, (source, derivation) in DERIVED.items()
    }


def _unbound() -> dict:
    import ibis.expr.schema as sch

    return {
        name: ibis.table(sch.Schema.from_pyarrow(spec.schema), name=name)
        for name, spec in FACTS.items()
    }


_columns_cache: dict[str, set[str]] = {}


def derived_columns(name: str) -> set[str]:
    if not _columns_cache:
        month = Month.parse("2026-01")
        for fact, table in derive(_unbound(), month, Limits()).items():
            _columns_cache[fact] = set(table.columns)
    return _columns_cache[name]


def check_measure(code: str, measure, breakdowns) -> None:
    """Refuse a definition naming a fact, column, flag or breakdown that does not exist."""
    from sqm.quality.registry import DefinitionError

    if measure.fact not in DERIVED:
        raise DefinitionError(f"{code}: unknown fact {measure.fact!r}")
    columns = derived_columns(measure.fact)
    named = [measure.when, measure.flag, measure.column, measure.numerator, measure.denominator]
    named += [flag.removeprefix("!") for flag in measure.where]
    for column in named:
        if column is not None and column not in columns:
            raise DefinitionError(f"{code}: fact {measure.fact} has no column {column!r}")
    needs = {"ratio": ["flag"], "mean": ["column"], "quantile": ["column", "q"]}
    needs |= {"per": ["base"], "sum_ratio": ["numerator", "denominator"]}
    for attribute in needs.get(measure.kind, []):
        if getattr(measure, attribute) is None:
            raise DefinitionError(f"{code}: a {measure.kind} measure needs {attribute!r}")
    if measure.kind == "per":
        if measure.base not in BASES:
            raise DefinitionError(f"{code}: unknown base {measure.base!r}")
        base_columns = derived_columns(BASES[measure.base][0])
    for breakdown in breakdowns:
        for column in BREAKDOWN_COLUMNS[breakdown]:
            if column not in columns:
                raise DefinitionError(
                    f"{code}: fact {measure.fact} cannot break down by {breakdown}"
                )
            if measure.kind == "per" and column not in base_columns:
                raise DefinitionError(
                    f"{code}: base {measure.base} cannot break down by {breakdown}"
                )


def counted(table, measure, month: Month):
    """The condition of the rows a measure counts: in the month by its time column, with its
    flags (the engine's aggregates filter by it; `selected` keeps those rows)."""
    condition = ibis.literal(True)
    if measure.when is not None:
        column = table[measure.when]
        condition &= (column >= month.start) & (column < month.end)
    for flag in measure.where:
        condition &= ~table[flag[1:]] if flag.startswith("!") else table[flag]
    return condition


def selected(table, measure, month: Month):
    """The rows a measure counts."""
    return table.filter(counted(table, measure, month))


def drill(derived: dict, measure, better: str, month: Month, filters: dict):
    """The records behind a figure: for a share, those that missed it (the denominator's rows
    without the flag when higher is better, the flag's rows when lower is better); for a
    count or rate, the rows counted; for a duration, the rows, longest first."""
    table = selected(derived[measure.fact], measure, month)
    for column, value in filters.items():
        table = table.filter(table[column] == value)
    if measure.kind == "ratio":
        wanted = table[measure.flag]
        table = table.filter(~wanted if better == "higher" else wanted)
    if measure.kind in {"mean", "quantile"}:
        table = table.filter(table[measure.column].notnull())
        descending = better == "lower"
        order = table[measure.column].desc() if descending else table[measure.column].asc()
        table = table.order_by([order, table.id])
    else:
        table = table.order_by(table.id)
    return table
