"""From alarms to fault events and account outages (docs/faults.md).

One engine over a store: `Engine` applies raises and clears; a `Store` answers what the
engine asks about topology and state and records what it decides. `sqm faults replay` runs it
over the memory store and the loaded topology; the live ingestion path is to run the same
engine over a database store, so the replay shows exactly what the live path does.

- An active broadband account is down while any active alarm covers it (its ONU, PON port,
  board or OLT). Each maximal down interval is one outage.
- A fault event groups the alarms of one failed element. An alarm under an element that has
  an active fault event joins that event; an alarm above existing events absorbs them
  (whichever arrives first, the widest element ends up holding them all).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

LEVELS = ("olt", "board", "pon", "onu")
# The length of each level's path: (OLT), (OLT, frame, slot), + port, + ONU.
DEPTHS = {"olt": 1, "board": 3, "pon": 4, "onu": 5}
_DEPTHS = (1, 3, 4, 5)


@dataclass(frozen=True)
class Element:
    """A network element by position: OLT, then frame/slot (board), port, ONU."""

    olt: str
    level: str
    frame: int | None = field(default=None, compare=False)
    slot: int | None = field(default=None, compare=False)
    port: int | None = field(default=None, compare=False)
    onu: str | None = field(default=None, compare=False)
    # Computed once: correlation compares paths for every event of a storm. Elements are
    # equal by level and path (a PON port's is the same whatever ONU field came with it).
    path: tuple = field(init=False, repr=False)

    def __post_init__(self) -> None:
        full = (self.olt, self.frame, self.slot, self.port, self.onu)
        object.__setattr__(self, "path", full[: DEPTHS[self.level]])

    def covers(self, other: Element) -> bool:
        """Whether this element is OTHER or above it."""
        mine = self.path
        return other.path[: len(mine)] == mine

    def describe(self) -> str:
        if self.level == "olt":
            return self.olt
        if self.level == "onu":
            return f"{self.olt} {self.frame}/{self.slot}/{self.port} {self.onu}"
        return f"{self.olt} " + "/".join(str(p) for p in self.path[1:])


@dataclass(eq=False)
class ActiveAlarm:
    alarm_id: str
    element: Element
    fault: object  # the store's handle of the fault event it belongs to (its root)


class ActiveIndex:
    """The active alarms of one OLT, indexed by position and by fault.

    Correlation asks what is at or above an element (at most four exact look-ups) and what
    is below it (one bucket per board and port), never scanning the OLT's alarms: a storm
    leaves thousands active on one OLT. Fault handles are compared by identity.
    """

    def __init__(self) -> None:
        self.by_id: dict[str, ActiveAlarm] = {}
        self._at: dict[tuple, dict[str, ActiveAlarm]] = {}  # exactly at a path
        self._under: dict[tuple, dict[str, ActiveAlarm]] = {}  # strictly below a path
        self._of_fault: dict[int, dict[str, ActiveAlarm]] = {}  # by id() of the fault

    def __len__(self) -> int:
        return len(self.by_id)

    def get(self, alarm_id: str) -> ActiveAlarm | None:
        return self.by_id.get(alarm_id)

    def add(self, alarm: ActiveAlarm) -> None:
        path = alarm.element.path
        self.by_id[alarm.alarm_id] = alarm
        self._at.setdefault(path, {})[alarm.alarm_id] = alarm
        for depth in _DEPTHS:
            if depth >= len(path):
                break
            self._under.setdefault(path[:depth], {})[alarm.alarm_id] = alarm
        self._of_fault.setdefault(id(alarm.fault), {})[alarm.alarm_id] = alarm

    def remove(self, alarm_id: str) -> ActiveAlarm | None:
        alarm = self.by_id.pop(alarm_id, None)
        if alarm is None:
            return None
        path = alarm.element.path
        _discard(self._at, path, alarm_id)
        for depth in _DEPTHS:
            if depth >= len(path):
                break
            _discard(self._under, path[:depth], alarm_id)
        _discard(self._of_fault, id(alarm.fault), alarm_id)
        return alarm

    def at_or_above(self, element: Element) -> list[ActiveAlarm]:
        path = element.path
        found: list[ActiveAlarm] = []
        for depth in _DEPTHS:
            if depth > len(path):
                break
            found.extend(self._at.get(path[:depth], {}).values())
        return found

    def at_or_below(self, element: Element) -> list[ActiveAlarm]:
        path = element.path
        return [*self._at.get(path, {}).values(), *self._under.get(path, {}).values()]

    def of_fault(self, fault: object) -> list[ActiveAlarm]:
        return list(self._of_fault.get(id(fault), {}).values())

    def move(self, child: object, parent: object) -> None:
        """CHILD's alarms now belong to PARENT (a merge)."""
        moved = self._of_fault.pop(id(child), {})
        for alarm in moved.values():
            alarm.fault = parent
        self._of_fault.setdefault(id(parent), {}).update(moved)


def _discard(buckets: dict, key, alarm_id: str) -> None:
    bucket = buckets.get(key)
    if bucket is not None:
        bucket.pop(alarm_id, None)
        if not bucket:
            del buckets[key]


class Store(Protocol):
    """What the engine needs to know and what it records."""

    def accounts_under(self, element: Element) -> list[int]: ...
    def element_of_active(self, alarm_id: str) -> Element | None: ...
    def active_alarms(self, element: Element) -> ActiveIndex: ...
    def fault_has_alarms(self, fault: object) -> bool: ...
    def down_among(self, accounts: list[int]) -> set[int]: ...
    def open_fault(self, element: Element, alarm: AlarmFacts) -> object: ...
    def merge_faults(self, children: list[object], parent: object) -> None: ...
    def add_alarm(self, alarm: AlarmFacts, fault: object) -> None: ...
    def clear_alarm(self, alarm_id: str, at: datetime) -> None: ...
    def close_fault(self, fault: object, at: datetime) -> None: ...
    def start_outages(self, accounts: list[int], at: datetime, fault: object) -> None: ...
    def end_outages(self, accounts: list[int], at: datetime) -> None: ...


@dataclass(frozen=True)
class AlarmFacts:
    alarm_id: str
    element: Element
    type: str
    severity: str
    at: datetime


@dataclass
class Effect:
    """What one alarm event did (for counts and logs)."""

    started: int = 0
    ended: int = 0
    fault_opened: bool = False
    merged: int = 0


@dataclass
class Engine:
    store: Store

    def raise_alarm(self, alarm: AlarmFacts) -> Effect:
        effect = Effect()
        index = self.store.active_alarms(alarm.element)
        if index.get(alarm.alarm_id) is not None:
            return effect
        # Correlation: join the fault of an active alarm at or above this element.
        above = index.at_or_above(alarm.element)
        if above:
            fault = min(above, key=lambda a: len(a.element.path)).fault
        else:
            fault = self.store.open_fault(alarm.element, alarm)
            effect.fault_opened = True
            below = {
                id(a.fault): a.fault
                for a in index.at_or_below(alarm.element)
                if a.fault is not fault
            }
            if below:
                self.store.merge_faults(list(below.values()), fault)
                effect.merged = len(below)
        self.store.add_alarm(alarm, fault)
        accounts = self.store.accounts_under(alarm.element)
        already = self.store.down_among(accounts)
        fresh = [a for a in accounts if a not in already]
        if fresh:
            self.store.start_outages(fresh, alarm.at, fault)
        effect.started = len(fresh)
        return effect

    def clear_alarm(self, alarm_id: str, at: datetime) -> Effect | None:
        """Clear ALARM_ID; None when it is not active (never raised here, or cleared)."""
        effect = Effect()
        element = self.store.element_of_active(alarm_id)
        if element is None:
            return None
        index = self.store.active_alarms(element)
        cleared = index.get(alarm_id)
        if cleared is None:
            return None
        self.store.clear_alarm(alarm_id, at)
        if not self.store.fault_has_alarms(cleared.fault):
            self.store.close_fault(cleared.fault, at)
        if index.at_or_above(cleared.element):
            return effect  # something above still holds every account down
        still: set[int] = set()
        for other in index.at_or_below(cleared.element):
            still.update(self.store.accounts_under(other.element))
        accounts = self.store.accounts_under(cleared.element)
        down = self.store.down_among(accounts)
        ending = [a for a in accounts if a in down and a not in still]
        if ending:
            self.store.end_outages(ending, at)
        effect.ended = len(ending)
        return effect


# --- the memory store (replay) ---------------------------------------------------------------


@dataclass(eq=False)  # compared and hashed by identity
class MemoryFault:
    element: Element
    started: datetime
    ended: datetime | None = None
    merged_into: MemoryFault | None = None

    def root(self) -> MemoryFault:
        fault = self
        while fault.merged_into is not None:
            fault = fault.merged_into
        return fault


@dataclass(eq=False)
class MemoryOutage:
    account: int
    started: datetime
    ended: datetime | None = None
    fault: MemoryFault | None = None  # the event it started in (its root holds it now)


class MemoryStore:
    """State in dictionaries; topology from a callable (the database, read only)."""

    def __init__(self, accounts_under) -> None:
        self._accounts_under = accounts_under
        self._cache: dict[Element, list[int]] = {}
        self._active: dict[str, ActiveIndex] = defaultdict(ActiveIndex)  # by OLT
        self._olt_of: dict[str, str] = {}  # active alarm → its OLT
        self.open: dict[int, MemoryOutage] = {}
        self.outages: list[MemoryOutage] = []
        self.faults: list[MemoryFault] = []

    def seed(self, element: Element, accounts: list[int]) -> None:
        """Accounts under ELEMENT, known in advance (read in bulk by the caller)."""
        self._cache[element] = accounts

    def accounts_under(self, element: Element) -> list[int]:
        if element not in self._cache:
            self._cache[element] = list(self._accounts_under(element))
        return self._cache[element]

    @property
    def alarms(self) -> dict[str, ActiveAlarm]:
        """Every active alarm, by id."""
        return {k: v for index in self._active.values() for k, v in index.by_id.items()}

    def active_alarms(self, element: Element) -> ActiveIndex:
        return self._active[element.olt]

    def fault_has_alarms(self, fault: MemoryFault) -> bool:
        return bool(self._active[fault.element.olt].of_fault(fault))

    def element_of_active(self, alarm_id: str) -> Element | None:
        olt = self._olt_of.get(alarm_id)
        return self._active[olt].by_id[alarm_id].element if olt is not None else None

    def down_among(self, accounts: list[int]) -> set[int]:
        return {a for a in accounts if a in self.open}

    def open_fault(self, element: Element, alarm: AlarmFacts) -> MemoryFault:
        fault = MemoryFault(element, alarm.at)
        self.faults.append(fault)
        return fault

    def merge_faults(self, children: list[MemoryFault], parent: MemoryFault) -> None:
        index = self._active[parent.element.olt]
        for child in children:
            child.merged_into = parent
            index.move(child, parent)

    def add_alarm(self, alarm: AlarmFacts, fault: MemoryFault) -> None:
        olt = alarm.element.olt
        self._active[olt].add(ActiveAlarm(alarm.alarm_id, alarm.element, fault))
        self._olt_of[alarm.alarm_id] = olt

    def clear_alarm(self, alarm_id: str, at: datetime) -> None:
        self._active[self._olt_of.pop(alarm_id)].remove(alarm_id)

    def close_fault(self, fault: MemoryFault, at: datetime) -> None:
        fault.ended = at

    def start_outages(self, accounts: list[int], at: datetime, fault: MemoryFault) -> None:
        for account in accounts:
            outage = MemoryOutage(account, at, fault=fault)
            self.open[account] = outage
            self.outages.append(outage)

    def end_outages(self, accounts: list[int], at: datetime) -> None:
        for account in accounts:
            self.open.pop(account).ended = at
