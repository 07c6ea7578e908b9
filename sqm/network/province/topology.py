"""The access network, grown on demand: OLTs per district, filled port by port with ONUs.

Each district has its own plant. When a broadband account appears, the plant hands out the
next free ONU position (OLT / frame / slot / PON port) and the caller writes the ONU's
topology row at once, so the network never has to be held in memory: a district keeps only
the OLT and port it is currently filling.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass

from sqm.core.generator.names import road

PORTS_PER_BOARD = 16  # PON ports 0–15 on each board
MAX_ONUS_PER_PORT = 64  # a 1:64 split
PORT_FILL = (30, 60)  # ports are filled to a random level in this range, never all the way
FRAME_CHOICES = ((1, 0.85), (2, 0.15))  # most OLTs have frame 0 only
SLOT_CHOICES = (4, 6, 8, 12, 16)  # service boards per frame, in slots 1..n
VENDORS: tuple[tuple[str, float], ...] = (("华为", 0.50), ("中兴", 0.35), ("烽火", 0.15))
_VENDOR_CUM = [0.50, 0.85, 1.0]

# Management addresses 10.<city octet>.<hi>.<lo>: one /16 per city, lo in 1..250.
_FIRST_CITY_OCTET = 32
_HOSTS_PER_BLOCK = 250
MAX_OLTS_PER_CITY = 256 * _HOSTS_PER_BLOCK

from sqm.core.formats import TOPOLOGY_COLUMNS  # noqa: E402, F401 - the row layout


@dataclass(slots=True)
class _CityCounters:
    index: int
    code: str
    olts: int = 0
    onus: int = 0


class AccessNetwork:
    """All district plants of the province; writes one topology row per ONU it hands out."""

    def __init__(self, rng: random.Random, write_row: Callable[[list], object]) -> None:
        self._rng = rng
        self._write_row = write_row
        self._cities: dict[str, _CityCounters] = {}
        self._plants: dict[tuple[str, str], _DistrictPlant] = {}
        self.olts = 0
        self.onus = 0

    def allocate_onu(self, city_index: int, city_code: str, city: str, district: str) -> str:
        """Place a new ONU in the district, write its topology row, return its onu_id."""
        key = (city_code, district)
        plant = self._plants.get(key)
        if plant is None:
            counters = self._cities.setdefault(city_code, _CityCounters(city_index, city_code))
            plant = self._plants[key] = _DistrictPlant(self, counters, city, district)
        return plant.allocate()

    def _new_olt(self, counters: _CityCounters, city: str, district: str, ordinal: int) -> list:
        rng = self._rng
        if counters.olts >= MAX_OLTS_PER_CITY:
            raise ValueError(f"more than {MAX_OLTS_PER_CITY} OLTs in one city")
        counters.olts += 1
        self.olts += 1
        hi, lo = divmod(counters.olts - 1, _HOSTS_PER_BLOCK)
        ip = f"10.{_FIRST_CITY_OCTET + counters.index}.{hi}.{lo + 1}"
        olt_id = f"OLT-{counters.code}-{counters.olts:04d}"
        name = f"{city}{district}-{road(rng)}-OLT{ordinal:02d}"
        vendor = VENDORS[bisect_right(_VENDOR_CUM, rng.random())][0]
        return [olt_id, name, ip, vendor, city, district]

    def _new_onu_id(self, counters: _CityCounters) -> str:
        counters.onus += 1
        self.onus += 1
        return f"ONU-{counters.code}-{counters.onus:06d}"


class _DistrictPlant:
    """The OLT and PON port a district is currently filling."""

    __slots__ = (
        "_network",
        "_counters",
        "_city",
        "_district",
        "_olt_count",
        "_olt",
        "_frames",
        "_slots",
        "_frame",
        "_slot",
        "_port",
        "_used",
        "_target",
    )

    def __init__(
        self, network: AccessNetwork, counters: _CityCounters, city: str, district: str
    ) -> None:
        self._network = network
        self._counters = counters
        self._city = city
        self._district = district
        self._olt_count = 0
        self._open_olt()

    def _open_olt(self) -> None:
        rng = self._network._rng
        self._olt_count += 1
        self._olt = self._network._new_olt(
            self._counters, self._city, self._district, self._olt_count
        )
        self._frames = 2 if rng.random() >= FRAME_CHOICES[0][1] else 1
        self._slots = SLOT_CHOICES[int(rng.random() * len(SLOT_CHOICES))]
        self._frame, self._slot, self._port = 0, 1, 0
        self._start_port()

    def _start_port(self) -> None:
        low, high = PORT_FILL
        self._used = 0
        self._target = self._network._rng.randint(low, high)

    def _next_port(self) -> None:
        self._port += 1
        if self._port == PORTS_PER_BOARD:
            self._port = 0
            self._slot += 1
            if self._slot > self._slots:
                self._slot = 1
                self._frame += 1
                if self._frame == self._frames:
                    self._open_olt()
                    return
        self._start_port()

    def allocate(self) -> str:
        if self._used >= self._target:
            self._next_port()
        self._used += 1
        onu_id = self._network._new_onu_id(self._counters)
        self._network._write_row([*self._olt, self._frame, self._slot, self._port, onu_id])
        return onu_id
