"""The drill-down: the records behind one figure of an indicator, with a sentence that
says what they are ("broadband repairs restored in 2026-10 that missed the 48/72 h limit"),
the columns that explain the figure and times in Asia/Shanghai. Pages and the API ask here.

Users bound to cities drill into their own cities only: the records of another city, or the
province's (every city's), are not theirs (dashboard.NotVisible, a 404).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from sqm.quality import engine as kpi_engine
from sqm.quality import measures, services
from sqm.quality.dashboard import (
    VIEW_PERMISSION,
    NotVisible,
    all_cities,
    find_city,
    last_complete_month,
)
from sqm.quality.facts import Month
from sqm.quality.models import Indicator
from sqm.quality.registry import definitions_by_code

DRILL_LIMIT = 500

# Nouns of the facts, for the sentence that says what a drill-down lists.
FACT_NOUNS = {
    "complaints": pgettext_lazy("drill-down records", "complaints"),
    "repairs": pgettext_lazy("drill-down records", "repairs"),
    "activations": pgettext_lazy("drill-down records", "activations"),
    "visits": pgettext_lazy("drill-down records", "technician visits"),
    "transfers": pgettext_lazy("drill-down records", "specialist transfers"),
    "speed_tests": pgettext_lazy("drill-down records", "speed tests"),
    "operations": pgettext_lazy("drill-down records", "monthly operations figures"),
    "circuit_outages": pgettext_lazy("drill-down records", "circuit outages"),
    "circuit_months": pgettext_lazy("drill-down records", "dedicated circuits in service"),
    "fault_events": pgettext_lazy("drill-down records", "fault events"),
    "survey_scores": pgettext_lazy("drill-down records", "survey respondents"),
    "accounts": pgettext_lazy("drill-down records", "accounts"),
}
# The time column that puts a record in the month, as a past participle.
WHEN_WORDS = {
    "created": pgettext_lazy("records … in a month", "created"),
    "closed": pgettext_lazy("records … in a month", "closed"),
    "reported": pgettext_lazy("records … in a month", "reported"),
    "restored": pgettext_lazy("records … in a month", "restored"),
    "activated": pgettext_lazy("records … in a month", "activated"),
    "arrived": pgettext_lazy("records … in a month", "visited"),
    "requested": pgettext_lazy("records … in a month", "requested"),
    "measured": pgettext_lazy("records … in a month", "measured"),
    "started": pgettext_lazy("records … in a month", "started"),
}
# The records a share's drill-down lists: (those without the flag, those with it).
FLAG_WORDS = {
    "in_time": (gettext_lazy("that missed the time limit"), gettext_lazy("in time")),
    "on_time": (
        gettext_lazy("completed after the promised time"),
        gettext_lazy("completed by the promised time"),
    ),
    "punctual": (gettext_lazy("outside the appointment"), gettext_lazy("within the appointment")),
    "timely": (
        gettext_lazy("not connected within the limit"),
        gettext_lazy("connected within the limit"),
    ),
    "first_fix": (gettext_lazy("not fixed the first time"), gettext_lazy("fixed the first time")),
    "attained": (
        gettext_lazy("below the attained speed"),
        gettext_lazy("at the attained speed"),
    ),
    "callback_satisfied": (
        gettext_lazy("not satisfied at the callback"),
        gettext_lazy("satisfied at the callback"),
    ),
    "in_contract": (
        gettext_lazy("over the contracted repair time"),
        gettext_lazy("within the contracted repair time"),
    ),
    "meets_contract": (
        gettext_lazy("below the contracted availability"),
        gettext_lazy("meeting the contracted availability"),
    ),
    "sms_first": (
        gettext_lazy("with no fault SMS before the first complaint"),
        gettext_lazy("with a fault SMS before the first complaint"),
    ),
    "repeat": (gettext_lazy("that are not repeats"), gettext_lazy("that are repeats")),
    "network_fault": (
        gettext_lazy("not caused by our network"),
        gettext_lazy("caused by our network"),
    ),
    "lost": (gettext_lazy("that were connected"), gettext_lazy("that were never connected")),
    "direct_answer": (
        gettext_lazy("recorded as work orders"),
        gettext_lazy("answered directly"),
    ),
}
# Flags of `where` that say which records count, as adjectives.
WHERE_WORDS = {
    "broadband": pgettext_lazy("kind of records", "broadband"),
    "dedicated": pgettext_lazy("kind of records", "dedicated-line"),
    "work_order": pgettext_lazy("kind of records", "work-order"),
    "upgraded": pgettext_lazy("kind of records", "upgraded"),
    "batch": pgettext_lazy("kind of records", "batch"),
    "ordinary": pgettext_lazy("kind of records", "ordinary"),
    "overdue_at_end": pgettext_lazy("kind of records", "overdue at the month's end"),
    "user": pgettext_lazy("kind of records", "user-end"),
    "city_level": pgettext_lazy("kind of records", "city-network"),
    "exit_level": pgettext_lazy("kind of records", "provincial-exit"),
}


def describe(code: str, month: Month, filters: dict[str, str]) -> str:
    """What a drill-down lists, in words: "broadband repairs restored in 2026-10 that missed
    the 48/72 h limit · city 南京"."""
    definition = definitions_by_code()[code]
    m = definition.measure
    noun = str(FACT_NOUNS.get(m.fact, m.fact))
    things = noun
    for flag in reversed(m.where):  # "broadband upgraded complaints"
        if flag in WHERE_WORDS:
            things = _("%(kind)s %(things)s") % {"kind": WHERE_WORDS[flag], "things": things}
    if m.when in WHEN_WORDS:
        text = _("%(things)s %(when)s in %(month)s") % {
            "things": things,
            "when": WHEN_WORDS[m.when],
            "month": month.label,
        }
    else:
        text = _("%(things)s of %(month)s") % {"things": things, "month": month.label}
    if m.kind == "ratio" and m.flag:
        missed, kept = FLAG_WORDS.get(m.flag, (m.flag, m.flag))
        which = missed if definition.better == "higher" else kept
        if m.fact == "repairs" and m.flag == "in_time":
            limits = measures.Limits.from_settings()
            which = _("that missed the %(urban)g/%(rural)g h limit") % {
                "urban": limits.repair_urban_hours,
                "rural": limits.repair_rural_hours,
            }
        text = _("%(records)s %(which)s") % {"records": text, "which": which}
    elif m.kind in {"mean", "quantile"} and m.column:
        order = _("longest first") if definition.better == "lower" else _("lowest first")
        text = _("%(records)s, %(order)s") % {"records": text, "order": order}
    if filters:
        shown = ", ".join(f"{FILTER_LABELS.get(k, k)} {v}" for k, v in filters.items())
        text = f"{text} · {shown}"
    return text


FILTER_LABELS = {
    "city": pgettext_lazy("breakdown", "city"),
    "district": pgettext_lazy("breakdown", "district"),
    "product": pgettext_lazy("breakdown", "product"),
    "channel": pgettext_lazy("breakdown", "channel"),
    "cause": pgettext_lazy("breakdown", "cause"),
}
FILTER_KEYS = tuple(FILTER_LABELS)
MAX_FILTER_LENGTH = 100

# Columns holding epoch seconds (facts.py): shown as Asia/Shanghai times.
TIME_COLUMNS = {
    "created", "closed", "replied", "reported", "restored", "appointment_from",
    "appointment_to", "arrived", "ordered", "committed", "activated", "requested",
    "connected", "measured", "opened", "started", "previous_reported", "next_reported",
    "previous_started", "first_sms", "first_contact", "from_",
}  # fmt: skip
# Columns a person reads, per fact, in order (others are internal: ids, windows).
DRILL_COLUMNS = {
    "complaints": ["ref", "record_type", "city", "district", "channel", "cause", "created",
                   "replied", "closed", "handling_hours", "in_time", "repeat", "upgraded",
                   "callback_outcome"],
    "repairs": ["ref", "city", "district", "area", "reported", "restored", "hours", "in_time",
                "cause", "network_fault", "repeat", "first_fix"],
    "activations": ["ref", "city", "district", "ordered", "committed", "activated",
                    "activation_hours", "on_time", "arrived"],
    "visits": ["ref", "source", "city", "district", "appointment_from", "appointment_to",
               "arrived", "punctual", "rating"],
    "transfers": ["ref", "city", "cause", "requested", "connected", "wait_seconds", "timely"],
    "speed_tests": ["ref", "city", "level", "measured", "down", "up", "subscribed", "attained"],
    "operations": ["city", "product", "revenue", "billed", "ports_built", "ports_in_use"],
    "circuit_outages": ["ref", "city", "product", "started", "restored", "hours",
                        "contract_repair_hours", "in_contract", "cause", "network_fault",
                        "repeat"],
    "circuit_months": ["ref", "city", "product", "contract_availability", "down_minutes",
                       "meets_contract"],
    "fault_events": ["id", "city", "started", "accounts", "first_sms", "first_contact",
                     "sms_first"],
    "survey_scores": ["id", "city", "score"],
}  # fmt: skip
COLUMN_LABELS = {
    "ref": pgettext_lazy("drill-down column", "reference"),
    "id": pgettext_lazy("drill-down column", "ID"),
    "record_type": pgettext_lazy("drill-down column", "record type"),
    "city": pgettext_lazy("breakdown", "city"),
    "district": pgettext_lazy("breakdown", "district"),
    "channel": pgettext_lazy("breakdown", "channel"),
    "cause": pgettext_lazy("breakdown", "cause"),
    "product": pgettext_lazy("breakdown", "product"),
    "created": pgettext_lazy("drill-down column", "created"),
    "replied": pgettext_lazy("drill-down column", "replied"),
    "closed": pgettext_lazy("time of", "closed"),
    "handling_hours": pgettext_lazy("drill-down column", "handling (h)"),
    "in_time": pgettext_lazy("drill-down column", "in time"),
    "repeat": pgettext_lazy("drill-down column", "repeat"),
    "upgraded": pgettext_lazy("drill-down column", "upgraded"),
    "callback_outcome": pgettext_lazy("drill-down column", "callback"),
    "area": pgettext_lazy("drill-down column", "area"),
    "reported": pgettext_lazy("drill-down column", "reported"),
    "restored": pgettext_lazy("drill-down column", "restored"),
    "hours": pgettext_lazy("drill-down column", "duration (h)"),
    "network_fault": pgettext_lazy("drill-down column", "our network"),
    "first_fix": pgettext_lazy("drill-down column", "fixed first time"),
    "ordered": pgettext_lazy("drill-down column", "ordered"),
    "committed": pgettext_lazy("drill-down column", "promised"),
    "activated": pgettext_lazy("drill-down column", "activated"),
    "activation_hours": pgettext_lazy("drill-down column", "activation (h)"),
    "on_time": pgettext_lazy("drill-down column", "on time"),
    "arrived": pgettext_lazy("drill-down column", "arrived"),
    "source": pgettext_lazy("drill-down column", "order kind"),
    "appointment_from": pgettext_lazy("drill-down column", "appointment from"),
    "appointment_to": pgettext_lazy("drill-down column", "appointment to"),
    "punctual": pgettext_lazy("drill-down column", "punctual"),
    "rating": pgettext_lazy("drill-down column", "rating"),
    "requested": pgettext_lazy("drill-down column", "requested"),
    "connected": pgettext_lazy("drill-down column", "connected"),
    "wait_seconds": pgettext_lazy("drill-down column", "wait (s)"),
    "timely": pgettext_lazy("drill-down column", "in time"),
    "level": pgettext_lazy("drill-down column", "level"),
    "measured": pgettext_lazy("drill-down column", "measured"),
    "down": pgettext_lazy("drill-down column", "download (Mbit/s)"),
    "up": pgettext_lazy("drill-down column", "upload (Mbit/s)"),
    "subscribed": pgettext_lazy("drill-down column", "subscribed (Mbit/s)"),
    "attained": pgettext_lazy("drill-down column", "attained"),
    "revenue": pgettext_lazy("drill-down column", "revenue (yuan)"),
    "billed": pgettext_lazy("drill-down column", "billed accounts"),
    "ports_built": pgettext_lazy("drill-down column", "ports built"),
    "ports_in_use": pgettext_lazy("drill-down column", "ports in use"),
    "started": pgettext_lazy("drill-down column", "started"),
    "contract_repair_hours": pgettext_lazy("drill-down column", "contracted repair (h)"),
    "in_contract": pgettext_lazy("drill-down column", "within contract"),
    "contract_availability": pgettext_lazy("drill-down column", "contracted availability (%)"),
    "down_minutes": pgettext_lazy("drill-down column", "down (min)"),
    "meets_contract": pgettext_lazy("drill-down column", "meets contract"),
    "accounts": pgettext_lazy("drill-down column", "accounts cut off"),
    "first_sms": pgettext_lazy("drill-down column", "first fault SMS"),
    "first_contact": pgettext_lazy("drill-down column", "first complaint"),
    "sms_first": pgettext_lazy("drill-down column", "SMS first"),
    "score": pgettext_lazy("drill-down column", "score"),
}


class DrillError(ValueError):
    """A drill-down request that cannot be read (bad month, filter value): a 400."""


@dataclass
class Drill:
    indicator: Indicator
    month: Month
    filters: dict[str, str]
    fact: str
    rows: list[dict]
    more: bool  # more records than shown
    description: str

    @property
    def columns(self) -> list[str]:
        wanted = DRILL_COLUMNS.get(self.fact)
        present = list(self.rows[0]) if self.rows else (wanted or [])
        if wanted is None:
            return present
        return [c for c in wanted if not self.rows or c in self.rows[0]]

    def column_labels(self) -> list[tuple[str, str]]:
        return [(c, str(COLUMN_LABELS.get(c, c))) for c in self.columns]


def local_time(seconds: int | None) -> dt.datetime | None:
    if seconds is None:
        return None
    return dt.datetime.fromtimestamp(seconds, ZoneInfo(settings.TIME_ZONE))


def allowed_filters(indicator: Indicator) -> set[str]:
    """The breakdown columns the indicator's drill-down may be cut by."""
    keys = set()
    for breakdown in indicator.breakdowns:
        keys.update(measures.BREAKDOWN_COLUMNS.get(breakdown, ()))
    return keys & set(FILTER_KEYS)


def drill(user, code: str, month_text: str | None, query) -> Drill:
    """The records behind the figure of indicator CODE in the month, cut by the breakdown
    keys of QUERY (city by code or name, district, product, channel, cause) the indicator
    allows. Raises NotVisible (no such indicator, or a city not the user's) and DrillError
    (a month or a value it cannot read)."""
    definitions = definitions_by_code()
    indicator = Indicator.objects.filter(code=code).first() if code in definitions else None
    if indicator is None or not user.has_perm(VIEW_PERMISSION):
        raise NotVisible(code)
    try:
        month = services.parse_month(month_text or last_complete_month().label)
    except services.InputError as exc:
        raise DrillError(str(exc)) from None
    filters: dict[str, str] = {}
    for key in FILTER_KEYS:
        value = query.get(key)
        if value is None or value == "" or key not in allowed_filters(indicator):
            continue
        if len(value) > MAX_FILTER_LENGTH or not value.isprintable():
            raise DrillError(_("%(key)s: not a value to filter by") % {"key": key})
        filters[key] = value
    shown = dict(filters)
    if "city" in filters:
        city = find_city(filters["city"])
        if city is None:
            raise NotVisible(filters["city"])
        filters["city"], shown["city"] = city.name, city.name
    else:
        city = None
    if not all_cities(user):
        # Users bound to cities drill into their own cities only (never the province's).
        if city is None or city.pk not in user.city_ids():
            raise NotVisible(filters.get("city", ""))
    fact, rows = kpi_engine.drill_down(month, code, filters, limit=DRILL_LIMIT + 1)
    more = len(rows) > DRILL_LIMIT
    rows = rows[:DRILL_LIMIT]
    return Drill(
        indicator=indicator,
        month=month,
        filters=shown,
        fact=fact,
        rows=rows,
        more=more,
        description=describe(code, month, shown),
    )


def choice_labels() -> dict[str, dict[str, str]]:
    """Coded columns and the labels of their codes (in the active language)."""
    from sqm.complaints.choices import CallbackOutcome, Channel, RecordType
    from sqm.customers.choices import Service
    from sqm.quality.choices import Area, SpeedLevel

    sources = {
        "repair": pgettext_lazy("visit source", "repair"),
        "activation": pgettext_lazy("visit source", "activation"),
    }
    coded = {"record_type": RecordType, "channel": Channel, "callback_outcome": CallbackOutcome,
             "area": Area, "level": SpeedLevel, "product": Service}  # fmt: skip
    out = {column: {k: str(v) for k, v in choices.choices} for column, choices in coded.items()}
    out["source"] = {k: str(v) for k, v in sources.items()}
    return out


def row_cells(drill_result: Drill, row: dict, labels: dict | None = None) -> list[object]:
    """ROW's values in the drill's columns: times as local datetimes, codes as their
    labels (LABELS: choice_labels(), read once for many rows), fractions rounded."""
    labels = labels if labels is not None else choice_labels()
    out = []
    for column in drill_result.columns:
        value = row.get(column)
        if column in TIME_COLUMNS and isinstance(value, int):
            value = local_time(value)
        elif isinstance(value, float):
            value = f"{value:.2f}"  # one width per column: 0.00 and 21.81, not 0.0 and 21.81
        elif isinstance(value, str) and column in labels:
            value = labels[column].get(value, value)
        out.append(value)
    return out


def row_json(row: dict) -> dict:
    """ROW for the API: times as ISO 8601 with the Asia/Shanghai offset."""
    out = {}
    for column, value in row.items():
        if column in TIME_COLUMNS and isinstance(value, int):
            value = local_time(value).isoformat()
        out[column] = value
    return out
