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

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

LEVELS = ("olt", "board", "pon", "onu")


@dataclass(frozen=True)
class Element:
    """A network element by position: OLT, then frame/slot (board), port, ONU."""

    olt: str
    level: str
    frame: int | None = None
    slot: int | None = None
    port: int | None = None
    onu: str | None = None

    @property
    def path(self) -> tuple:
        if self.level == "olt":
            return (self.olt,)
        if self.level == "board":
            return (self.olt, self.frame, self.slot)
        if self.level == "pon":
            return (self.olt, self.frame, self.slot, self.port)
        return (self.olt, self.frame, self.slot, self.port, self.onu)

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


@dataclass
class ActiveAlarm:
    alarm_id: str
    element: Element
    fault: object  # the store's handle of the fault event it belongs to


class Store(Protocol):
    """What the engine needs to know and what it records."""

    def accounts_under(self, element: Element) -> list[int]: ...
    def olt_of_active(self, alarm_id: str) -> str | None: ...
    def active_alarms(self, olt: str) -> list[ActiveAlarm]: ...
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
        others = self.store.active_alarms(alarm.element.olt)
        if any(a.alarm_id == alarm.alarm_id for a in others):
            return effect
        # Correlation: join the fault of an active alarm at or above this element.
        above = [a for a in others if a.element.covers(alarm.element)]
        if above:
            widest = min(above, key=lambda a: len(a.element.path))
            fault = widest.fault
        else:
            fault = self.store.open_fault(alarm.element, alarm)
            effect.fault_opened = True
            below = {
                id(a.fault): a.fault
                for a in others
                if alarm.element.covers(a.element) and a.fault is not fault
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
        olt_alarms = self._find(alarm_id)
        if olt_alarms is None:
            return None
        cleared, others = olt_alarms
        self.store.clear_alarm(alarm_id, at)
        if not any(a.fault is cleared.fault or _same(a.fault, cleared.fault) for a in others):
            self.store.close_fault(cleared.fault, at)
        if any(a.element.covers(cleared.element) for a in others):
            return effect  # something above still holds every account down
        still: set[int] = set()
        for other in others:
            if cleared.element.covers(other.element):
                still.update(self.store.accounts_under(other.element))
        accounts = self.store.accounts_under(cleared.element)
        down = self.store.down_among(accounts)
        ending = [a for a in accounts if a in down and a not in still]
        if ending:
            self.store.end_outages(ending, at)
        effect.ended = len(ending)
        return effect

    # The alarm's OLT is not in a clear event's key: look it up among the active alarms.
    def _find(self, alarm_id: str) -> tuple[ActiveAlarm, list[ActiveAlarm]] | None:
        olt = self.store.olt_of_active(alarm_id)
        if olt is None:
            return None
        alarms = self.store.active_alarms(olt)
        for alarm in alarms:
            if alarm.alarm_id == alarm_id:
                return alarm, [a for a in alarms if a.alarm_id != alarm_id]
        return None


def _same(a: object, b: object) -> bool:
    return getattr(a, "pk", a) == getattr(b, "pk", b)


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


class MemoryStore:
    """State in dictionaries; topology from a callable (the database, read only)."""

    def __init__(self, accounts_under) -> None:
        self._accounts_under = accounts_under
        self._cache: dict[Element, list[int]] = {}
        self.alarms: dict[str, ActiveAlarm] = {}
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

    def active_alarms(self, olt: str) -> list[ActiveAlarm]:
        return [a for a in self.alarms.values() if a.element.olt == olt]

    def olt_of_active(self, alarm_id: str) -> str | None:
        alarm = self.alarms.get(alarm_id)
        return alarm.element.olt if alarm else None

    def down_among(self, accounts: list[int]) -> set[int]:
        return {a for a in accounts if a in self.open}

    def open_fault(self, element: Element, alarm: AlarmFacts) -> MemoryFault:
        fault = MemoryFault(element, alarm.at)
        self.faults.append(fault)
        return fault

    def merge_faults(self, children: list[MemoryFault], parent: MemoryFault) -> None:
        for child in children:
            child.merged_into = parent
        for alarm in self.alarms.values():
            if alarm.fault in children:
                alarm.fault = parent

    def add_alarm(self, alarm: AlarmFacts, fault: MemoryFault) -> None:
        self.alarms[alarm.alarm_id] = ActiveAlarm(alarm.alarm_id, alarm.element, fault)

    def clear_alarm(self, alarm_id: str, at: datetime) -> None:
        del self.alarms[alarm_id]

    def close_fault(self, fault: MemoryFault, at: datetime) -> None:
        fault.ended = at

    def start_outages(self, accounts: list[int], at: datetime, fault: MemoryFault) -> None:
        for account in accounts:
            outage = MemoryOutage(account, at)
            self.open[account] = outage
            self.outages.append(outage)

    def end_outages(self, accounts: list[int], at: datetime) -> None:
        for account in accounts:
            self.open.pop(account).ended = at
