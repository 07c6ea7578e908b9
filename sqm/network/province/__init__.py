"""The network's parts of the generated province: topology.csv and alarms.jsonl.

- "topology": the access network grows as the customers part asks for ONUs (the
  "allocate_onu" service, `topology.AccessNetwork`); every ONU row is written at once and
  shown to the parts listening to "onu". The demo imports it first: accounts name their ONU.
- "alarms": the alarm stream of the history window (`alarms.AlarmStream`) sees each ONU row
  as it is written. The demo takes the alarm history through live ingestion
  (`demo.load_alarm_history`).

Registered by `NetworkConfig.ready`; see docs/generator.md and docs/faults.md ("Demo").
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from django.utils.translation import gettext as _

from sqm.core.formats import TOPOLOGY_COLUMNS
from sqm.core.generator.parts import ProvincePart, register_part
from sqm.core.generator.province import Generation, window_start
from sqm.network.province.alarms import AlarmStream
from sqm.network.province.topology import AccessNetwork


def generate_topology(generation: Generation) -> None:
    topology = generation.csv("topology", TOPOLOGY_COLUMNS)
    listening = generation.listeners("onu")

    def start() -> None:
        # Set up after every part, so that all listeners to "onu" are known.
        write = topology.writerow
        if listening:

            def write(row: list) -> None:
                topology.writerow(row)
                for listen in listening:
                    listen(row)

        network = AccessNetwork(generation.stream("network"), write)
        generation.provide("allocate_onu", network.allocate_onu)
        generation.finish(lambda: generation.manifest.update(olts=network.olts))

    generation.run(start)


def check_alarm_options(options: Mapping[str, Any]) -> None:
    days = options["alarm_days"]
    if days is not None and days < 0:
        raise ValueError(_("The number of alarm days must not be negative."))


def generate_alarms(generation: Generation) -> None:
    """The alarms of the history window (or of the last `alarm_days` days)."""
    as_of, days = generation.as_of, generation.options["alarm_days"]
    since = window_start(as_of, generation.months) if days is None else as_of - timedelta(days)
    generation.manifest["alarm_days"] = max((as_of - since).days, 0)
    if since >= as_of:
        return
    stream = AlarmStream(generation.stream("alarms"), generation.path("alarms"), since, as_of)
    generation.add_file("alarms", stream)
    stream.outage_listeners = generation.listeners("onu_outage")
    generation.listeners("onu").append(stream.onu)
    generation.finish(stream.finish)  # sorts the alarm lines into their file


def load_topology(load) -> None:
    load.import_file("topology")


def load_alarms(load) -> None:
    from sqm.network.province import demo

    demo.load_alarm_history(load)


def register() -> None:
    register_part(
        ProvincePart(
            name="topology",
            files={"topology": "topology.csv"},
            generate=generate_topology,
            load_demo=load_topology,
            legacy_marker=".imported",
        )
    )
    register_part(
        ProvincePart(
            name="alarms",
            depends_on=("topology", "customers"),
            files={"alarms": "alarms.jsonl"},
            options={"alarm_days": None},
            check=check_alarm_options,
            generate=generate_alarms,
            load_demo=load_alarms,
            legacy_marker=".alarms-ingested",
        )
    )
