"""The network alarm stream of `sqm generate`: alarms.jsonl, one alarm event per line.

The province generator shows every topology row (one ONU) to `AlarmStream.onu` as it writes
it. A district's plant fills one OLT, board and PON port at a time, so the stream keeps, per
district, only the current OLT, board and port with their drawn incidents: when an element
first appears its incidents over the window are drawn (a Poisson count per element and
month, by kind), its own alarm is emitted, and every ONU or port that appears under it later
adds its alarm to the storm. Alarms on elements that are not in the topology (the "unmatched"
ones) are drawn per PON port. Nothing is held beyond the current elements of each district.

Each alarm becomes a raise line and, when it cleared before "now" (`as_of` 00:00 +08:00), a
clear line; a few lines are sent twice, delivered late, or a raise after its own clear, as
real network management systems do. The lines are sorted by their delivery time with a
bounded external sort: up to CHUNK lines are sorted in memory, spilled to temporary files and
merged at the end, so memory stays flat for any province and window.

All draws come from one `random.Random` stream ("alarms") in topology order, so one seed
gives the same bytes, other files never change, and every line of a smaller province (same
seed and window) is also in a larger one. See docs/generator.md and docs/formats.md
("alarms (JSON Lines)").
"""

from __future__ import annotations

import heapq
import json
import math
import os
import random
from bisect import bisect_right
from datetime import date
from pathlib import Path

# The keys of one line, in the order they are written (docs/formats.md).
ALARM_KEYS = (
    "alarm_id",
    "event",
    "olt_id",
    "level",
    "frame",
    "slot",
    "port",
    "onu_id",
    "type",
    "severity",
    "occurred_at",
)
EVENTS = ("raise", "clear")
LEVELS = ("olt", "board", "pon", "onu")
TYPES = ("LOS", "power-off", "link-down", "board-fault", "high-temperature")
SEVERITIES = ("critical", "major", "minor")
# The types each level raises and their severity (fixed per type, as in the NMS).
SEVERITY: dict[tuple[str, str], str] = {
    ("olt", "power-off"): "critical",  # the site lost power
    ("olt", "link-down"): "critical",  # the uplink to the metro/core network is down
    ("olt", "high-temperature"): "minor",  # machine-room air conditioning
    ("board", "board-fault"): "critical",
    ("board", "high-temperature"): "minor",
    ("pon", "LOS"): "critical",  # feeder fibre cut: every ONU on the port loses light
    ("onu", "LOS"): "major",  # drop fibre or connector
    ("onu", "power-off"): "major",  # dying gasp: mains power lost at the customer's
    ("onu", "high-temperature"): "minor",
}
# Critical and major alarms cut the service of every account under the element; minor ones
# (high-temperature) do not.
SERVICE_CUTTING = frozenset({"critical", "major"})


def cuts_service(severity: str) -> bool:
    return severity in SERVICE_CUTTING


DAY = 86400
HOUR = 3600
DAYS_PER_MONTH = 30.44
CHUNK = 100_000  # lines sorted in memory before a spill to a temporary file

# --- how often (incidents per element and month) --------------------------------------------
ONU_RATES = (("onu-los", 0.012), ("onu-power", 0.02), ("onu-heat", 0.001))
PORT_RATES = (("fibre-cut", 0.008), ("mains", 0.012))
BOARD_RATES = (("board-fault", 0.004), ("board-heat", 0.003))
OLT_RATES = (("olt-power", 0.004), ("olt-link", 0.004), ("olt-heat", 0.003))
UNKNOWN_RATE = 0.02  # per PON port and month: an alarm on an element not in the topology
UNKNOWN_OLTS = 3  # per city: OLT-NJ-N001 … N003, known to the NMS, not to the inventory
UNKNOWN_LEVELS = (  # mostly ONUs; an unknown OLT fails as rarely as a known one
    (0.900, "onu", ("LOS", "power-off")),
    (0.995, "pon", ("LOS",)),
    (1.000, "olt", ("power-off", "link-down")),
)

# --- what each incident kind raises ----------------------------------------------------------
# kind: (level, type, hours profile, durations, waits for the morning crew at night)
# Durations: (cumulative share, shortest, longest seconds), log-uniform inside a band.
KINDS: dict[str, tuple[str, str, str, tuple[tuple[float, int, int], ...], bool]] = {
    "onu-los": (
        "onu",
        "LOS",
        "work",
        (
            (0.3, 60, 15 * 60),
            (0.78, HOUR, 8 * HOUR),
            (0.97, 8 * HOUR, 48 * HOUR),
            (1.0, 3 * DAY, 60 * DAY),  # a line nobody reports: weeks
        ),
        True,
    ),
    "onu-power": (
        "onu",
        "power-off",
        "evening",
        ((0.6, 60, 30 * 60), (0.9, 30 * 60, 6 * HOUR), (1.0, DAY, 30 * DAY)),
        False,
    ),
    "onu-heat": ("onu", "high-temperature", "afternoon", ((1.0, 30 * 60, 6 * HOUR),), False),
    "fibre-cut": (
        "pon",
        "LOS",
        "work",
        ((0.1, 120, 20 * 60), (1.0, 2 * HOUR, 8 * HOUR)),
        True,
    ),
    "mains": ("onu", "power-off", "evening", ((1.0, 10 * 60, 4 * HOUR),), False),
    "board-fault": ("board", "board-fault", "flat", ((1.0, 20 * 60, 4 * HOUR),), True),
    "board-heat": ("board", "high-temperature", "afternoon", ((1.0, 30 * 60, 6 * HOUR),), False),
    "olt-power": ("olt", "power-off", "flat", ((1.0, 10 * 60, 3 * HOUR),), False),
    "olt-link": (
        "olt",
        "link-down",
        "flat",
        ((0.5, 120, 20 * 60), (1.0, 20 * 60, 2 * HOUR)),
        False,
    ),
    "olt-heat": ("olt", "high-temperature", "afternoon", ((1.0, 30 * 60, 8 * HOUR),), False),
}
# Relative incident weight per hour of the day (0–23).
HOURS: dict[str, tuple[float, ...]] = {
    # fibre is cut by construction crews by day, but also at night
    "work": (
        0.4, 0.3, 0.3, 0.3, 0.3, 0.4, 0.6, 0.9, 1.4, 1.8, 1.8, 1.6, 1.2, 1.4, 1.8, 1.8, 1.6,
        1.3, 1.0, 0.8, 0.7, 0.6, 0.5, 0.5,
    ),
    # power cuts: the evening peak load, storms, works at night
    "evening": (
        0.7, 0.6, 0.5, 0.5, 0.5, 0.6, 0.8, 0.9, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.1,
        1.2, 1.4, 1.5, 1.5, 1.3, 1.0, 0.8,
    ),
    "afternoon": (
        0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.4, 0.5, 0.7, 1.0, 1.4, 1.8, 2.0, 2.2, 2.3, 2.2, 1.8,
        1.4, 1.0, 0.8, 0.6, 0.5, 0.4, 0.3,
    ),
    "flat": (1.0,) * 24,
}  # fmt: skip

# --- storms: what an incident raises under its element ---------------------------------------
# Share of the PON ports and of the ONUs under the element that raise their own alarm (LOS),
# and when, relative to the element's raise and clear (seconds; raise offsets may be
# negative: children come before or after their parent).
STORM: dict[str, tuple[float, float, tuple[int, int]]] = {
    "olt-power": (0.8, 0.85, (-20, 60)),
    "board-fault": (0.9, 0.85, (-15, 45)),
    "fibre-cut": (0.0, 0.9, (-5, 30)),
}
CHILD_CLEAR = (-10, 180)  # ONUs re-register within minutes of the repair
MAINS_RUN = (3, 12)  # a building's power cut: this many neighbouring ONUs of one port
MAINS_CLEAR = (0, 300)

# --- behaviour of the NMS and the repair crews ----------------------------------------------
NIGHT = (22, 6)  # an incident starting 22:00–06:00 …
NIGHT_WAIT = 0.6  # … waits for the morning crew this often (if the kind waits) …
MORNING = (7 * HOUR, 11 * HOUR)  # … and is cleared between 07:00 and 11:00
FLAP = {"onu-los": 0.10, "onu-power": 0.03, "fibre-cut": 0.05}  # raise/clear/raise in minutes
FLAP_CYCLES = (2, 4)  # short cycles before the last raise
FLAP_UP = (5, 90)  # seconds from a flapping raise to its clear
FLAP_DOWN = (10, 240)  # seconds from that clear to the next raise
DUPLICATE = 0.01  # a line sent twice (the same alarm_id and event), up to 2 minutes later
DUPLICATE_DELAY = (0, 120)
RAISE_AFTER_CLEAR = 0.02  # a short alarm's raise delivered after its clear
SHORT = 10 * 60
RAISE_DELAY = (1, 90)  # seconds after the clear
LATE_CLEAR = 0.01  # a clear delivered 5–60 minutes late, after lines that happened later
LATE_CLEAR_DELAY = (5 * 60, HOUR)
LOST_CLEAR = 0.003  # an ONU alarm whose clear the NMS never sends: active at "now"

_KEY_WIDTH = 22  # sort prefix: delivery second (12 digits) + draw sequence (10 digits)


def _band(table, r: float):
    """The first entry of TABLE ((cumulative share, …), …) whose share exceeds R."""
    for entry in table:
        if r < entry[0]:
            return entry
    return table[-1]


def _cumulative(weights) -> list[float]:
    total = sum(weights)
    out, running = [], 0.0
    for weight in weights:
        running += weight
        out.append(running / total)
    return out


class _Olt:
    __slots__ = ("id", "code", "seq")

    def __init__(self, olt_id: str) -> None:
        self.id = olt_id
        self.code = olt_id.split("-")[1]  # OLT-NJ-0007 -> NJ
        self.seq = 0


class _Incident:
    """A failure of one element that its children (ports, ONUs) join as they appear."""

    __slots__ = ("kind", "t0", "t1", "p_pon", "p_onu", "offsets", "first", "last")

    def __init__(self, kind: str, t0: int, t1: int) -> None:
        self.kind = kind
        self.t0 = t0
        self.t1 = t1
        self.p_pon, self.p_onu, self.offsets = STORM.get(kind, (0.0, 0.0, (0, 0)))
        self.first = self.last = -1  # a building's power cut: ONU indexes first..last


class _Plant:
    """What one district is filling now: its OLT, board and port and their incidents."""

    __slots__ = (
        "olt",
        "olt_incidents",
        "board",
        "board_incidents",
        "port",
        "port_incidents",
        "onus",
    )

    def __init__(self, olt: _Olt) -> None:
        self.olt = olt
        self.olt_incidents: list[_Incident] = []
        self.board: tuple[int, int] | None = None
        self.board_incidents: list[_Incident] = []
        self.port: int | None = None
        self.port_incidents: list[_Incident] = []
        self.onus = 0  # ONUs seen on the current port


class AlarmStream:
    """Draws the alarms of the topology rows it is shown and writes them, time-sorted, to PATH.

    START and END are local (Asia/Shanghai) dates: alarms are raised in [START 00:00,
    END 00:00); a clear after END 00:00 is not written (the alarm is still active at "now").
    Call `finish` when the topology is complete, then `commit` (or `discard`).
    """

    def __init__(
        self, rng: random.Random, path: Path, start: date, end: date, chunk: int | None = None
    ) -> None:
        self.random = rng.random
        self.path = path
        self.tmp = path.with_name(path.name + ".tmp")
        self.start = start.toordinal() * DAY
        self.end = end.toordinal() * DAY
        self.days = end.toordinal() - start.toordinal()
        self.chunk = chunk or CHUNK
        self.rows = 0
        months = self.days / DAYS_PER_MONTH
        self._rates = {
            name: self._table(rates, months)
            for name, rates in (
                ("onu", ONU_RATES),
                ("port", PORT_RATES),
                ("board", BOARD_RATES),
                ("olt", OLT_RATES),
            )
        }
        self._unknown_limit = math.exp(-UNKNOWN_RATE * months)
        self._hours = {name: _cumulative(weights) for name, weights in HOURS.items()}
        self._plants: dict[tuple[str, str], _Plant] = {}
        self._unknown: dict[str, _Olt] = {}  # at most UNKNOWN_OLTS per city
        self._days: dict[int, str] = {}
        self._buffer: list[str] = []
        self._parts: list[Path] = []
        self._n = 0
        # Called with (onu_id, type, raised, cleared) for each service-cutting ONU alarm in
        # the window (the quality part's repairs); draws nothing, so the file is unchanged.
        self.outage_listeners: list = []

    @staticmethod
    def _table(rates, months: float) -> tuple[float, list[float], list[str]]:
        total = sum(rate for _kind, rate in rates)
        return (
            math.exp(-total * months),
            _cumulative([rate for _kind, rate in rates]),
            [kind for kind, _rate in rates],
        )

    # -- the topology, one ONU at a time -------------------------------------------------------

    def onu(self, row: list) -> None:
        """See one topology row (olt_id, …, city, district, frame, slot, port, onu_id)."""
        olt_id = row[0]
        frame, slot, port, onu_id = row[6], row[7], row[8], row[9]
        key = (row[4], row[5])
        plant = self._plants.get(key)
        if plant is None or plant.olt.id != olt_id:
            plant = self._plants[key] = _Plant(_Olt(olt_id))
            self._new_olt(plant)
        if plant.board != (frame, slot):
            plant.board = (frame, slot)
            plant.port = None
            self._new_board(plant, frame, slot)
        if plant.port != port:
            plant.port = port
            self._new_port(plant, frame, slot, port)
        self._new_onu(plant, frame, slot, port, onu_id)

    def _incidents(self, table) -> list[tuple[str, int, int]]:
        """Draw the incidents of one element: [(kind, raised, cleared)], times in seconds."""
        limit, cum, kinds = table
        random_ = self.random
        count, p = 0, random_()
        while p > limit:
            count += 1
            p *= random_()
        out = []
        for _i in range(count):
            kind = kinds[min(bisect_right(cum, random_()), len(kinds) - 1)]
            t0 = self._moment(KINDS[kind][2])
            out.append((kind, t0, self._cleared(kind, t0)))
        return out

    def _moment(self, hours: str) -> int:
        random_ = self.random
        day = int(random_() * self.days)
        hour = min(bisect_right(self._hours[hours], random_()), 23)
        return self.start + day * DAY + hour * HOUR + int(random_() * HOUR)

    def _cleared(self, kind: str, t0: int) -> int:
        random_ = self.random
        bands, waits = KINDS[kind][3], KINDS[kind][4]
        _bound, low, high = _band(bands, random_())
        t1 = t0 + max(1, int(low * (high / low) ** random_()))
        hour = (t0 % DAY) // HOUR
        if waits and (hour >= NIGHT[0] or hour < NIGHT[1]) and random_() < NIGHT_WAIT:
            # A night outage: the crew comes in the morning.
            morning_day = t0 // DAY + (1 if hour >= NIGHT[0] else 0)
            low, high = MORNING
            t1 = max(t1, morning_day * DAY + low + int(random_() * (high - low)))
        return t1

    def _uniform(self, bounds: tuple[int, int]) -> int:
        low, high = bounds
        return low + int(self.random() * (high - low + 1))

    def _new_olt(self, plant: _Plant) -> None:
        for kind, t0, t1 in self._incidents(self._rates["olt"]):
            self._alarm(plant.olt, "olt", None, None, None, None, KINDS[kind][1], t0, t1)
            if kind in STORM:
                plant.olt_incidents.append(_Incident(kind, t0, t1))

    def _new_board(self, plant: _Plant, frame: int, slot: int) -> None:
        plant.board_incidents = []
        for kind, t0, t1 in self._incidents(self._rates["board"]):
            self._alarm(plant.olt, "board", frame, slot, None, None, KINDS[kind][1], t0, t1)
            if kind in STORM:
                plant.board_incidents.append(_Incident(kind, t0, t1))

    def _new_port(self, plant: _Plant, frame: int, slot: int, port: int) -> None:
        random_ = self.random
        plant.port_incidents = []
        plant.onus = 0
        for incident in (*plant.olt_incidents, *plant.board_incidents):
            if random_() < incident.p_pon:
                self._child(plant.olt, "pon", frame, slot, port, None, incident)
        for kind, t0, t1 in self._incidents(self._rates["port"]):
            incident = _Incident(kind, t0, t1)
            if kind == "mains":
                incident.first = int(random_() * 40)
                incident.last = incident.first + self._uniform(MAINS_RUN) - 1
            else:
                self._flapping(plant.olt, "pon", frame, slot, port, None, kind, t0, t1)
            plant.port_incidents.append(incident)
        self._unknowns(plant.olt.code)

    def _new_onu(self, plant: _Plant, frame: int, slot: int, port: int, onu_id: str) -> None:
        random_ = self.random
        olt = plant.olt
        index = plant.onus
        plant.onus += 1
        for incidents in (plant.olt_incidents, plant.board_incidents, plant.port_incidents):
            for incident in incidents:
                if incident.first >= 0:
                    if incident.first <= index <= incident.last:  # the building's power cut
                        t0 = incident.t0 + self._uniform((0, 30))
                        t1 = incident.t1 + self._uniform(MAINS_CLEAR)
                        self._alarm(olt, "onu", frame, slot, port, onu_id, "power-off", t0, t1)
                elif random_() < incident.p_onu:
                    self._child(olt, "onu", frame, slot, port, onu_id, incident)
        for kind, t0, t1 in self._incidents(self._rates["onu"]):
            self._flapping(olt, "onu", frame, slot, port, onu_id, kind, t0, t1)

    def _child(self, olt, level, frame, slot, port, onu_id, incident: _Incident) -> None:
        t0 = incident.t0 + self._uniform(incident.offsets)
        t1 = max(t0 + 5, incident.t1 + self._uniform(CHILD_CLEAR))
        self._alarm(olt, level, frame, slot, port, onu_id, "LOS", t0, t1)

    def _flapping(self, olt, level, frame, slot, port, onu_id, kind, t0, t1) -> None:
        """An alarm that may flap first: short raise/clear cycles, then the real outage."""
        type_ = KINDS[kind][1]
        if self.random() < FLAP.get(kind, 0.0):
            duration = t1 - t0
            for _cycle in range(self._uniform(FLAP_CYCLES)):
                up = t0 + self._uniform(FLAP_UP)
                self._alarm(olt, level, frame, slot, port, onu_id, type_, t0, up)
                t0 = up + self._uniform(FLAP_DOWN)
            t1 = t0 + duration
        self._alarm(olt, level, frame, slot, port, onu_id, type_, t0, t1)

    def _unknowns(self, code: str) -> None:
        """Alarms on elements the topology does not have (an OLT not yet in the inventory)."""
        random_ = self.random
        count, p = 0, random_()
        while p > self._unknown_limit:
            count += 1
            p *= random_()
        for _i in range(count):
            number = 1 + int(random_() * UNKNOWN_OLTS)
            olt_id = f"OLT-{code}-N{number:03d}"
            olt = self._unknown.get(olt_id)
            if olt is None:
                olt = self._unknown[olt_id] = _Olt(olt_id)
            _bound, level, types = _band(UNKNOWN_LEVELS, random_())
            type_ = types[int(random_() * len(types))]
            slot, port = 1 + int(random_() * 4), int(random_() * 16)
            onu_id = f"ONU-{code}-N{number:03d}-{slot}{port:02d}{int(random_() * 64):02d}"
            if level == "olt":
                kind = "olt-power" if type_ == "power-off" else "olt-link"
            elif level == "pon":
                kind = "fibre-cut"
            else:
                kind = "onu-los" if type_ == "LOS" else "onu-power"
            t0 = self._moment(KINDS[kind][2])
            t1 = self._cleared(kind, t0)
            if level == "olt":
                self._alarm(olt, level, None, None, None, None, type_, t0, t1)
            elif level == "pon":
                self._alarm(olt, level, 0, slot, port, None, type_, t0, t1)
            else:
                self._alarm(olt, level, 0, slot, port, onu_id, type_, t0, t1)

    # -- lines ----------------------------------------------------------------------------------

    def _alarm(self, olt: _Olt, level, frame, slot, port, onu_id, type_, t0: int, t1: int) -> None:
        """One alarm: its raise line and, if cleared before the end, its clear line."""
        if t0 < self.start or t0 >= self.end:
            return
        if self.outage_listeners and level == "onu" and type_ != "high-temperature":
            for listen in self.outage_listeners:
                listen(onu_id, type_, t0, t1)
        random_ = self.random
        olt.seq += 1
        body = json.dumps(
            {
                "olt_id": olt.id,
                "level": level,
                "frame": frame,
                "slot": slot,
                "port": port,
                "onu_id": onu_id,
                "type": type_,
                "severity": SEVERITY[(level, type_)],
            },
            ensure_ascii=False,
            separators=(",", ":"),
        )[1:-1]
        head = f'{{"alarm_id":"NMS-{olt.id}-{olt.seq:08d}","event":'
        raised_at = t0
        if level == "onu" and random_() < LOST_CLEAR:
            t1 = self.end
        if t1 < self.end:
            cleared_at = t1
            r = random_()
            if t1 - t0 <= SHORT and r < RAISE_AFTER_CLEAR:
                raised_at = t1 + self._uniform(RAISE_DELAY)
            elif r > 1 - LATE_CLEAR:
                cleared_at = t1 + self._uniform(LATE_CLEAR_DELAY)
            self._line(cleared_at, f'{head}"clear",{body},"occurred_at":"{self._time(t1)}"}}\n')
        self._line(raised_at, f'{head}"raise",{body},"occurred_at":"{self._time(t0)}"}}\n')

    def _line(self, at: int, line: str) -> None:
        buffer = self._buffer
        buffer.append(f"{at:012d}{self._n:010d}{line}")
        self._n += 1
        if self.random() < DUPLICATE:
            buffer.append(f"{at + self._uniform(DUPLICATE_DELAY):012d}{self._n:010d}{line}")
            self._n += 1
        if len(buffer) >= self.chunk:
            self._spill()

    def _time(self, t: int) -> str:
        day, second = divmod(t, DAY)
        text = self._days.get(day)
        if text is None:
            text = self._days[day] = date.fromordinal(day).isoformat()
        hour, second = divmod(second, HOUR)
        return f"{text}T{hour:02d}:{second // 60:02d}:{second % 60:02d}+08:00"

    def _spill(self) -> None:
        self._buffer.sort()
        part = self.path.with_name(f"{self.path.name}.part{len(self._parts) + 1:04d}.tmp")
        self._parts.append(part)
        with open(part, "w", encoding="utf-8", newline="\n") as handle:
            handle.writelines(self._buffer)
        self._buffer.clear()

    # -- the file -------------------------------------------------------------------------------

    def finish(self) -> None:
        """Merge the sorted runs into the temporary file (in delivery order)."""
        self._buffer.sort()
        handles = [open(part, encoding="utf-8", newline="\n") for part in self._parts]
        try:
            with open(self.tmp, "w", encoding="utf-8", newline="\n", buffering=1 << 20) as out:
                rows = 0
                for line in heapq.merge(*handles, self._buffer):
                    out.write(line[_KEY_WIDTH:])
                    rows += 1
        finally:
            for handle in handles:
                handle.close()
        self.rows = rows
        self._buffer.clear()
        self._remove_parts()

    def commit(self) -> None:
        os.replace(self.tmp, self.path)

    def discard(self) -> None:
        self._buffer.clear()
        self._remove_parts()
        self.tmp.unlink(missing_ok=True)

    def _remove_parts(self) -> None:
        for part in self._parts:
            part.unlink(missing_ok=True)
        self._parts.clear()
