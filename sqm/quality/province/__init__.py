"""The quality side's part of the generated province: the operational facts from the other
systems (repairs, activations, transfers, speed tests, operations figures, circuits and their
outages), in the columns of their `sqm import` kinds (sqm/quality/importers.py).

The per-account facts are drawn as each customer is written (`accounts.AccountFacts`
listens to "customer", to the alarm stream's service-cutting ONU outages, "onu_outage", and
to the complaint history's records, "complaint"), so repairs come where the outages and the
fault complaints are; the per-city facts are written when the customers are done
(`citywide.py`). The facts cover `fact_months` complete months before `as_of` and the
current month up to it. Registered by QualityConfig.ready; see docs/generator.md ("Quality
facts").
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from django.utils.translation import gettext as _

from sqm.core.generator.parts import ProvincePart, register_part
from sqm.core.generator.province import Generation, window_start

# kind → file; the demo imports them in this order (circuits before their outages).
FILES = {
    "repairs": "repairs.csv",
    "activations": "activations.csv",
    "transfers": "transfers.csv",
    "speed_tests": "speed_tests.csv",
    "operations": "operations.csv",
    "circuits": "circuits.csv",
    "circuit_outages": "circuit_outages.csv",
}
# The demo: a year of facts whatever its history window, so the report has its 12 months.
DEMO_FACT_MONTHS = 12


def check(options: Mapping[str, Any]) -> None:
    months = options["fact_months"]
    if months is not None and months < 0:
        raise ValueError(_("The number of fact months must not be negative."))
    scale = options["repair_scale"]
    if not (isinstance(scale, int | float) and math.isfinite(scale) and 0 <= scale <= 10_000):
        raise ValueError(_("The repair scale must be a number from 0 to 10,000."))


def fact_months(generation: Generation) -> int:
    months = generation.options["fact_months"]
    return generation.months if months is None else months


def history_gaps(generation: Generation, start: int, end: int) -> tuple:
    """The parts of the facts' window [START, END) (local seconds) before the complaint
    history and before the alarms begin (all of it when there are none)."""
    day = 86400
    as_of = generation.as_of
    months, alarm_days = generation.months, generation.options.get("alarm_days")
    complaints_from = window_start(as_of, months).toordinal() * day if months else end
    if alarm_days is None:
        alarms_from = complaints_from
    else:
        alarms_from = (as_of - timedelta(days=alarm_days)).toordinal() * day if alarm_days else end
    return (
        (start, min(max(complaints_from, start), end), "complaints"),
        (start, min(max(alarms_from, start), end), "outages"),
    )


def generate(generation: Generation) -> None:
    from sqm.core.importing import registry
    from sqm.core.province import CITIES
    from sqm.quality import importers  # noqa: F401  (registers the seven kinds)
    from sqm.quality.province.accounts import AccountFacts
    from sqm.quality.province.citywide import write_operations, write_probes, write_transfers
    from sqm.quality.province.profiles import LocalClock, draw_profiles, weaknesses

    months = fact_months(generation)
    generation.manifest["fact_months"] = months
    if not months:  # no facts asked for: none of the seven files
        return
    writers = {kind: generation.csv(kind, registry[kind].required) for kind in FILES}
    clock = LocalClock(generation.as_of, months)
    codes = [city[0] for city in CITIES]
    profiles = draw_profiles(generation.stream("quality-cities"), codes)
    generation.manifest["weak_cities"] = weaknesses(generation.stream("quality-cities"), codes)
    facts = AccountFacts(
        generation.stream("quality"),
        clock,
        profiles,
        writers,
        float(generation.options["repair_scale"]),
        gaps=history_gaps(generation, clock.start, clock.end),
    )
    generation.listeners("customer").append(facts.customer)
    generation.listeners("onu_outage").append(facts.onu_outage)
    generation.listeners("complaint").append(facts.complaint)

    def citywide() -> None:
        write_transfers(
            generation.stream("quality-transfers"),
            clock,
            facts.customers_per_city,
            profiles,
            writers["transfers"].writerow,
        )
        write_probes(
            generation.stream("quality-probes"), clock, profiles, writers["speed_tests"].writerow
        )
        write_operations(
            generation.stream("quality-operations"),
            clock,
            facts.billed,
            profiles,
            writers["operations"].writerow,
        )

    generation.finish(citywide)


def load_demo(load) -> None:
    from sqm.quality.province.demo import load_facts

    load_facts(load)


def register() -> None:
    register_part(
        ProvincePart(
            name="quality",
            # customers: the accounts; alarms: their outages; complaints: the fault complaints
            depends_on=("customers", "alarms", "complaints"),
            files=FILES,
            options={"fact_months": None, "repair_scale": 1.0},
            demo_options={"fact_months": DEMO_FACT_MONTHS},
            check=check,
            generate=generate,
            load_demo=load_demo,
        )
    )
