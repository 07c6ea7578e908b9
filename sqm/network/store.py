"""The outage engine's store over the database, for live ingestion (`network.ingest`).

A batch reads what its events need up front (`DatabaseStore.prepare`), keeps what it learns
in memory, and writes fault events, alarms, outages and notices in bulk when it ends
(`DatabaseStore.flush`). docs/faults.md says what is read and written.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from django.db import connection
from django.db.models import Count

from sqm.core import bulk, changelog
from sqm.core.models import City
from sqm.network import fault_sms
from sqm.network.alarms import AlarmInput
from sqm.network.choices import FaultState
from sqm.network.faults import Topology
from sqm.network.models import Alarm, FaultEvent, Olt, Outage, PonPort
from sqm.network.outages import ActiveAlarm, ActiveIndex, AlarmFacts, Element
from sqm.network.services import accounts_by_onu_on_ports, accounts_on_onus
from sqm.notify.models import OutboundMessage
from sqm.notify.rules import Rules

CHUNK = fault_sms.CHUNK


@dataclass
class _NewOutage:
    account: int
    fault: FaultEvent
    started: datetime
    ended: datetime | None = None


class DatabaseStore:
    """The engine's store over the database, with a batch's writes held until `flush`.

    Fault handles are `FaultEvent` objects, one per row (compared by identity); those the
    batch opens get their primary keys when `flush` writes them.
    """

    def __init__(self, topology: Topology) -> None:
        self.topology = topology
        self._accounts: dict[Element, list[int]] = {}
        self._by_olt: dict[str, ActiveIndex] = {}  # stored active alarms, loaded on demand
        self._full: set[str] = set()  # OLTs whose active alarms are all loaded
        self._upper: set[str] = set()  # OLTs whose OLT and board alarms are loaded
        self._ports: set[int] = set()  # PON ports (pks) whose alarms are all loaded
        self._port_alarms: set[int] = set()  # PON ports whose port-level alarms are loaded
        self._onus: set[int] = set()  # ONUs (pks) whose alarms are loaded
        self._port_pk: dict[tuple, int | None] = {}  # PON port position → pk
        self._element_of: dict[str, Element | None] = {}  # active alarm → where it is
        self._ports_by_onu: set[tuple] = set()  # ports whose accounts are known by ONU
        self._faults: dict[int, FaultEvent] = {}  # loaded, by pk
        self._new_faults: list[FaultEvent] = []  # opened by this batch, unsaved
        self._merged: dict[int, FaultEvent] = {}  # id() of a child → the fault absorbing it
        self._befores: dict[int, tuple[FaultEvent, dict]] = {}  # stored faults that change
        self._down: dict[int, bool] = {}  # accounts whose state this batch knows
        self._new_alarms: dict[str, dict] = {}  # rows for the bulk insert, "fault" unsaved
        self._clears: dict[str, datetime] = {}  # alarms already in the database
        self._new_outages: dict[int, _NewOutage] = {}  # open ones, by account
        self._outages: list[_NewOutage] = []
        self._ends: dict[int, datetime] = {}  # open outages in the database, by account
        self._touched: dict[int, FaultEvent] = {}  # by id(): faults whose counts change
        self._closing: dict[int, tuple[FaultEvent, datetime]] = {}  # by id()
        self._cities: dict | None = None

    # -- reading --------------------------------------------------------------------------

    def prepare(self, alarms: list[AlarmInput]) -> None:
        """Read what a batch will ask about in a few queries instead of several per alarm:
        where each alarm being cleared is, the ONUs named, the active alarms around each
        event's element, the accounts under the ONUs and ports with alarms, and which of
        those accounts are down. (A storm is mostly ONU alarms.)"""
        raises = [a for a in alarms if a.event == "raise"]
        need = self.prefetch_active([a.alarm_id for a in alarms if a.event == "clear"])
        codes = need.onu_codes | {a.onu_id for a in raises if a.level == "onu"}
        need.full |= {a.olt_id for a in raises if a.level in _WIDE}
        pon_raises = {(a.olt_id, a.frame, a.slot, a.port) for a in raises if a.level == "pon"}
        found = self.topology.prefetch_onus(codes)
        for onu in found.values():
            self._port_pk[onu.olt.olt_id, onu.frame, onu.slot, onu.port] = onu.pon_port_id
        raised_onus = {a.onu_id for a in raises if a.level == "onu"}
        need.onus |= {o.pk: o.pon_port_id for c, o in found.items() if c in raised_onus}
        olts = {olt for olt, *_place in pon_raises | need.pon}
        ports = self.topology.prefetch_ports(olts)
        for port in ports:
            self._port_pk[port.olt.olt_id, port.frame, port.slot, port.port] = port.pk
        need.ports |= {self._port_pk[p] for p in pon_raises if p in self._port_pk}
        upper = {a.olt_id for a in raises} | {e.olt for e in self._element_of.values() if e}
        self._load(full=need.full, ports=need.ports, onus=need.onus, upper=upper)
        accounts = accounts_on_onus([onu.pk for onu in found.values()])
        for code, onu in found.items():
            element = Element(onu.olt.olt_id, "onu", onu.frame, onu.slot, onu.port, code)
            self._accounts[element] = accounts[onu.pk]
        down = [a for ids in accounts.values() for a in ids]
        # Only ports that have an alarm in the batch: a port's accounts are many.
        with_alarms = pon_raises | need.pon
        ports = [p for p in ports if (p.olt.olt_id, p.frame, p.slot, p.port) in with_alarms]
        # Each port's accounts by ONU: a port's clear asks about the ONU alarms below it.
        by_onu = accounts_by_onu_on_ports([port.pk for port in ports])
        for port in ports:
            olt, place = port.olt.olt_id, (port.frame, port.slot, port.port)
            element = Element(olt, "pon", *place)
            self._accounts[element] = []
            self._ports_by_onu.add(element.path)
            for code, ids in by_onu.get(port.pk, {}).items():
                self._accounts[element] += ids
                self._accounts.setdefault(Element(olt, "onu", *place, code), ids)
            down += self._accounts[element]
        self.down_among(down)

    def prefetch_active(self, alarm_ids: list[str]) -> _Needs:
        """Where each of ALARM_IDS that is active is, in one query per chunk, and what its
        clear will need loaded: its ONU, its whole PON port (a port alarm, or one whose
        fault event is the port's: the event ends with its last alarm) or its whole OLT."""
        todo = [a for a in alarm_ids if a not in self._element_of]
        for a in todo:
            self._element_of[a] = None
        need = _Needs()
        for start in range(0, len(todo), CHUNK):
            rows = (
                Alarm.objects.filter(
                    alarm_id__among=todo[start : start + CHUNK], cleared_at__isnull=True
                )
                .order_by()
                .values_list(*_ALARM_COLUMNS)
            )
            for row, element, fault in self._read(rows):
                self._element_of[row.alarm_id] = element
                if row.pon_port_id is not None:
                    self._port_pk[element.path[:4]] = row.pon_port_id
                if element.level == "onu":
                    need.onu_codes.add(element.onu)
                elif element.level == "pon":
                    need.pon.add(element.path)
                if element.level in _WIDE or fault.level in _WIDE:
                    need.full.add(element.olt)
                elif element.level == "pon" or fault.level == "pon":
                    need.ports.add(row.pon_port_id)
                else:
                    need.onus[row.onu_id] = row.pon_port_id
        return need

    def accounts_under(self, element: Element) -> list[int]:
        if element not in self._accounts and element.level == "onu":
            if element.path[:4] in self._ports_by_onu:
                return []  # its port's accounts were read by ONU: it has none
        if element not in self._accounts:
            self._accounts[element] = self.topology.accounts_under(element)
        return self._accounts[element]

    def element_of_active(self, alarm_id: str) -> Element | None:
        if alarm_id not in self._element_of:
            self.prefetch_active([alarm_id])
        return self._element_of[alarm_id]

    def active_alarms(self, element: Element) -> ActiveIndex:
        """The OLT's index, holding at least the active alarms at and above ELEMENT and those
        below it (a port's: the whole port; an ONU's: that ONU)."""
        olt = element.olt
        if olt not in self._full:
            if element.level in _WIDE:
                self._load(full={olt})
            elif element.level == "pon":
                port = self._port_of(element)
                self._load(ports={port} if port is not None else set(), upper={olt})
            else:
                row = self.topology.row(element)
                self._load(onus={row.pk: row.pon_port_id}, upper={olt})
        return self._by_olt.setdefault(olt, ActiveIndex())

    def fault_has_alarms(self, fault: FaultEvent) -> bool:
        """Whether FAULT still has an active alarm: all of its alarms are loaded first (an
        event's alarms are all at or below its element)."""
        fault = self._root(fault)
        if fault.level in _WIDE:
            self._load(full={fault.olt.olt_id})
        elif fault.level == "pon":
            self._load(ports={fault.pon_port_id})
        else:
            self._load(onus={fault.onu_id: fault.pon_port_id})
        return bool(self._by_olt[fault.olt.olt_id].of_fault(fault))

    def _port_of(self, element: Element) -> int | None:
        place = element.path[:4]
        if place not in self._port_pk:
            olt, frame, slot, port = place
            self._port_pk[place] = (
                PonPort.objects.filter(olt__olt_id=olt, frame=frame, slot=slot, port=port)
                .values_list("pk", flat=True)
                .first()
            )
        return self._port_pk[place]

    def _load(
        self, *, full: set[str] = frozenset(), ports: set[int] = frozenset(),
        onus: dict[int, int] | None = None, upper: set[str] = frozenset(),
    ) -> None:  # fmt: skip
        """Load stored active alarms into the index: all those of the OLTs FULL; those on the
        PON ports PORTS (primary keys), at them or below; those at the ONUs ONUS (ONU pk →
        its port's pk) and at their ports; those above the ports of the OLTs UPPER. Each is
        read once per batch; alarms the batch cleared stay out."""
        full = {o for o in full if o not in self._full}
        upper = {o for o in upper if o not in self._upper and o not in self._full} - full
        ports = {p for p in ports if p is not None and p not in self._ports}
        onus = {o: p for o, p in (onus or {}).items() if o is not None and o not in self._onus}
        onus = {o: p for o, p in onus.items() if p not in self._ports and p not in ports}
        port_alarms = {p for p in onus.values() if p not in self._port_alarms} - ports
        if not (full or upper or ports or onus):
            return
        self._full |= full
        self._upper |= upper | full
        self._ports |= ports
        self._port_alarms |= ports | port_alarms
        self._onus |= onus.keys()
        active = Alarm.objects.filter(cleared_at__isnull=True).order_by()  # no sort needed
        rows = []
        for olts in _chunks(sorted(full)):
            rows += active.filter(olt__olt_id__among=olts).values_list(*_ALARM_COLUMNS)
        for olts in _chunks(sorted(upper)):
            rows += active.filter(olt__olt_id__among=olts, level__in=_WIDE).values_list(
                *_ALARM_COLUMNS
            )
        rows += _active_at("pon_port", sorted(ports))
        rows += _active_at("pon_port", sorted(port_alarms), level="pon")
        rows += _active_at("onu", sorted(onus))
        if not rows:
            return
        wide = set()
        for row, element, fault in self._read(rows):
            index = self._by_olt.setdefault(element.olt, ActiveIndex())
            if row.alarm_id in self._clears or index.get(row.alarm_id) is not None:
                continue  # cleared by this batch, or loaded already
            index.add(ActiveAlarm(row.alarm_id, element, fault))
            self._element_of[row.alarm_id] = element
            if fault.level in _WIDE and element.olt not in self._full:
                wide.add(element.olt)
        if wide:  # a fault above the ports: all its alarms count when it closes
            self._load(full=wide)

    def _read(self, rows: list[tuple]) -> list[tuple[_AlarmRow, Element, FaultEvent]]:
        """Each stored alarm row (_ALARM_COLUMNS) with its element and (root) fault event.
        The rows carry ids only: positions and fault events come from small look-ups by
        primary key, cached for the batch, so the alarm query itself needs no joins (whose
        plans go wrong while a storm grows the tables faster than their statistics)."""
        rows = [_AlarmRow._make(row) for row in rows]
        missing = {row.fault_id for row in rows} - self._faults.keys()
        for pks in _chunks(sorted(missing)):
            faults = list(FaultEvent.objects.filter(pk__among=pks).order_by())
            self.topology.attach_olts(faults)
            cities = self._city_rows()
            for fault in faults:
                fault.city = cities[fault.city_id]
                self._faults[fault.pk] = fault
        places = self.topology.places(
            olts={row.olt_id for row in rows},
            boards={row.board_id for row in rows if row.level == "board"},
            ports={row.pon_port_id for row in rows if row.pon_port_id is not None},
            onus={row.onu_id for row in rows if row.onu_id is not None},
        )
        read = []
        for row in rows:
            olt = places.olts[row.olt_id]
            if row.level == "olt":
                element = Element(olt, "olt")
            elif row.level == "board":
                element = Element(olt, "board", *places.boards[row.board_id])
            elif row.level == "pon":
                element = Element(olt, "pon", *places.ports[row.pon_port_id])
            else:
                place = places.ports[row.pon_port_id]
                element = Element(olt, "onu", *place, places.onus[row.onu_id])
            read.append((row, element, self._root(self._faults[row.fault_id])))
        return read

    def down_among(self, accounts: list[int]) -> set[int]:
        down = {a for a in accounts if self._down.get(a)}
        unknown = [a for a in accounts if a not in self._down]
        for start in range(0, len(unknown), CHUNK):
            chunk = unknown[start : start + CHUNK]
            open_ = set(
                Outage.objects.filter(account_id__among=chunk, ended_at__isnull=True)
                .order_by()
                .values_list("account_id", flat=True)
            )
            for account in chunk:
                self._down[account] = account in open_
            down |= open_
        return down

    # -- recording ------------------------------------------------------------------------

    def _city_rows(self) -> dict[int, City]:
        if self._cities is None:
            self._cities = City.objects.in_bulk()  # a province has a dozen or so
        return self._cities

    def _root(self, fault: FaultEvent) -> FaultEvent:
        while id(fault) in self._merged:
            fault = self._merged[id(fault)]
        return fault

    def open_fault(self, element: Element, alarm: AlarmFacts) -> FaultEvent:
        row = self.topology.row(element)
        olt = row if isinstance(row, Olt) else row.olt
        position = {"board_id": None, "pon_port": None, "onu": None}
        if element.level == "board":
            position["board_id"] = row.pk
        elif element.level == "pon":
            position.update(board_id=row.board_id, pon_port=row)
        elif element.level == "onu":
            position.update(board_id=row.pon_port.board_id, pon_port=row.pon_port, onu=row)
        fault = FaultEvent(
            level=element.level,
            olt=olt,
            city=self._city_rows()[olt.city_id],
            type=alarm.type,
            severity=alarm.severity,
            started_at=alarm.at,
            **position,
        )
        self._new_faults.append(fault)  # written with the batch, change-logged
        self._touched[id(fault)] = fault
        return fault

    def merge_faults(self, children: list[FaultEvent], parent: FaultEvent) -> None:
        """PARENT absorbs CHILDREN: their alarms, outages and notices now belong to it
        (moved in the database when the batch is written)."""
        index = self._by_olt[parent.olt.olt_id]
        for child in children:
            self._changing(child)
            child.state = FaultState.MERGED
            child.merged_into = parent
            self._merged[id(child)] = parent
            index.move(child, parent)
            self._touched.pop(id(child), None)
        earliest = min(c.started_at for c in children)
        if parent.started_at > earliest:
            self._changing(parent)
            parent.started_at = earliest
        self._touched[id(parent)] = parent

    def add_alarm(self, alarm: AlarmFacts, fault: FaultEvent) -> None:
        row = self.topology.row(alarm.element)
        element = alarm.element
        olt = row if isinstance(row, Olt) else row.olt
        links = {"board_id": None, "pon_port_id": None, "onu_id": None}
        if element.level == "board":
            links["board_id"] = row.pk
        elif element.level == "pon":
            links.update(board_id=row.board_id, pon_port_id=row.pk)
        elif element.level == "onu":
            links.update(board_id=row.pon_port.board_id, pon_port_id=row.pon_port_id, onu_id=row.pk)
        self._new_alarms[alarm.alarm_id] = {
            "alarm_id": alarm.alarm_id,
            "level": element.level,
            "olt_id": olt.pk,
            "type": alarm.type,
            "severity": alarm.severity,
            "raised_at": alarm.at,
            "cleared_at": None,
            "fault": fault,  # its primary key is known once flush has written it
            **links,
        }
        self.active_alarms(element).add(ActiveAlarm(alarm.alarm_id, element, fault))
        self._element_of[alarm.alarm_id] = element

    def clear_alarm(self, alarm_id: str, at: datetime) -> None:
        element = self._element_of.pop(alarm_id)
        self._by_olt[element.olt].remove(alarm_id)
        if alarm_id in self._new_alarms:
            self._new_alarms[alarm_id]["cleared_at"] = at
        else:
            self._clears[alarm_id] = at

    def close_fault(self, fault: FaultEvent, at: datetime) -> None:
        fault = self._root(fault)
        self._closing[id(fault)] = (fault, at)
        self._touched[id(fault)] = fault

    def start_outages(self, accounts: list[int], at: datetime, fault: FaultEvent) -> None:
        for account in accounts:
            outage = _NewOutage(account, fault, at)
            self._new_outages[account] = outage
            self._outages.append(outage)
            self._down[account] = True
        self._touched[id(self._root(fault))] = self._root(fault)

    def end_outages(self, accounts: list[int], at: datetime) -> None:
        for account in accounts:
            new = self._new_outages.pop(account, None)
            if new is not None:
                new.ended = at
            else:
                self._ends[account] = at
            self._down[account] = False

    # -- writing --------------------------------------------------------------------------

    def flush(self, rules: Rules, now: datetime, counts: Counter) -> None:
        """Write what the batch decided: fault events, alarms, outage ends and starts,
        notices, counts."""
        self._write_faults(now)
        for alarm in self._new_alarms.values():
            alarm["fault_event_id"] = self._root(alarm["fault"]).pk
        bulk.inserter_for(Alarm).insert(self._new_alarms.values())
        self._write_clears()
        ended = self._end_stored_outages()
        counts["outages_ended"] += len(ended) + sum(o.ended is not None for o in self._outages)
        self._insert_outages()
        counts["outages_started"] += len(self._outages)
        counts["ended_before_notice"] += sum(o.ended is not None for o in self._outages)
        fault_sms.settle_ended_outages(ended, rules, now, counts)
        groups = {}
        for o in self._outages:
            if o.ended is None:
                fault = self._root(o.fault)
                groups[fault.pk, o.started] = fault
        ordered = sorted(groups.items(), key=lambda g: (g[0][1], g[0][0]))
        fault_sms.schedule_fault_notices(
            [(fault, started) for (_pk, started), fault in ordered], rules, now, counts
        )
        self._count_affected()

    def _write_clears(self) -> None:
        """Alarms stored by earlier batches that this one cleared, in one statement."""
        adapt = connection.ops.adapt_datetimefield_value
        rows = [(alarm, adapt(at)) for alarm, at in self._clears.items()]
        bulk.update_rows(Alarm, "alarm_id", ["cleared_at"], rows)

    def _end_stored_outages(self) -> list[int]:
        """End the stored open outages of the accounts this batch brought back; their ids."""
        accounts = list(self._ends)
        rows = []
        adapt = connection.ops.adapt_datetimefield_value
        for start in range(0, len(accounts), CHUNK):
            open_ = Outage.objects.filter(
                account_id__among=accounts[start : start + CHUNK], ended_at__isnull=True
            )
            for pk, account in open_.order_by().values_list("pk", "account_id"):
                rows.append((pk, adapt(self._ends[account])))
        bulk.update_rows(Outage, "id", ["ended_at"], rows)
        return [pk for pk, _at in rows]

    def _write_faults(self, now: datetime) -> None:
        """The batch's fault events: new ones in one bulk insert, then the changes to those
        already stored in one bulk update; change-logged in bulk."""
        for fault, at in self._closing.values():
            if fault.state == FaultState.ACTIVE:  # not absorbed since
                self._changing(fault)
                fault.state, fault.ended_at = FaultState.CLEARED, at
        new = self._new_faults
        absorbed = [f for f in new if f.merged_into is not None]
        for fault in absorbed:
            fault.merged_into = None  # its parent may not be stored yet
        FaultEvent.objects.bulk_create(new, batch_size=500)
        for fault in absorbed:
            fault.merged_into = self._root(fault)
        bulk.update_objects(absorbed, ["merged_into"])
        changelog.record_bulk(new, "create")
        if self._befores:
            changed = []
            for fault, _before in self._befores.values():
                if fault.state == FaultState.MERGED:
                    fault.merged_into = self._root(fault)
                fault.last_updated = now
                changed.append(fault)
            bulk.update_objects(
                changed, ["state", "merged_into", "ended_at", "started_at", "last_updated"]
            )
            befores = {fault.pk: before for fault, before in self._befores.values()}
            changelog.record_bulk(changed, "update", befores)
        # What absorbed stored events held now belongs to the event that absorbed them.
        moved = [
            (fault.pk, self._root(fault).pk)
            for fault, _before in self._befores.values()
            if fault.state == FaultState.MERGED
        ]
        for model in (Alarm, Outage, OutboundMessage):
            bulk.update_rows(model, "fault_event", ["fault_event"], moved)

    def _changing(self, fault: FaultEvent) -> None:
        """FAULT is about to change: keep how it was, for the change log (stored ones)."""
        if fault.pk is not None and id(fault) not in self._befores:
            self._befores[id(fault)] = (fault, changelog.snapshot(fault))

    def _insert_outages(self) -> None:
        if not self._outages:
            return
        meta = Outage._meta
        columns = ", ".join(
            connection.ops.quote_name(meta.get_field(n).column)
            for n in ("account", "fault_event", "started_at", "ended_at")
        )
        sql = (
            f"INSERT INTO {connection.ops.quote_name(meta.db_table)} ({columns}) "
            "VALUES (%s, %s, %s, %s)"
        )
        adapt = connection.ops.adapt_datetimefield_value
        rows = [
            (o.account, self._root(o.fault).pk, adapt(o.started), adapt(o.ended))
            for o in self._outages
        ]
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # One statement over four arrays: an OLT's 20,000 outages in one round trip.
                sql = (
                    f"INSERT INTO {connection.ops.quote_name(meta.db_table)} ({columns}) "
                    "SELECT * FROM unnest(%s::bigint[], %s::bigint[], %s::timestamptz[], "
                    "%s::timestamptz[])"
                )
                cursor.execute(sql, [list(column) for column in zip(*rows, strict=True)])
            else:
                cursor.executemany(sql, rows)

    def _count_affected(self) -> None:
        """Each touched fault's affected accounts: the distinct accounts of its outages."""
        faults = {self._root(f).pk: self._root(f) for f in self._touched.values()}
        live = (FaultState.ACTIVE, FaultState.CLEARED)
        pks = [pk for pk, f in faults.items() if f.state in live]
        changes = []
        for start in range(0, len(pks), CHUNK):
            rows = (
                Outage.objects.filter(fault_event_id__among=pks[start : start + CHUNK])
                .values("fault_event_id")
                .annotate(n=Count("account_id", distinct=True))
                .values_list("fault_event_id", "n")
            )
            for pk, count in rows:
                if count != faults[pk].affected_accounts:
                    faults[pk].affected_accounts = count
                    changes.append((count, pk))
        if changes:
            table = connection.ops.quote_name(FaultEvent._meta.db_table)
            with connection.cursor() as cursor:
                cursor.executemany(
                    f"UPDATE {table} SET affected_accounts = %s WHERE id = %s", changes
                )


_WIDE = ("olt", "board")  # levels above the PON ports
# A stored alarm as the index needs it, ids only (DatabaseStore._read).
_ALARM_COLUMNS = (
    "alarm_id", "olt_id", "level", "board_id", "pon_port_id", "onu_id", "fault_event_id",
)  # fmt: skip


class _AlarmRow(NamedTuple):
    alarm_id: str
    olt_id: int
    level: str
    board_id: int | None
    pon_port_id: int | None
    onu_id: int | None
    fault_id: int


@dataclass
class _Needs:
    """What the clears of a batch need loaded (DatabaseStore.prefetch_active)."""

    onu_codes: set[str] = field(default_factory=set)  # ONUs with alarms being cleared
    pon: set[tuple] = field(default_factory=set)  # positions of port alarms being cleared
    full: set[str] = field(default_factory=set)  # OLTs to load whole
    ports: set[int] = field(default_factory=set)  # PON ports to load whole
    onus: dict[int, int] = field(default_factory=dict)  # ONUs to load: ONU pk → port pk


def _active_at(field: str, pks: list[int], level: str | None = None) -> list[tuple]:
    """The active alarms (_ALARM_COLUMNS) whose FIELD (a foreign key) is one of PKS, of
    LEVEL if given.

    On PostgreSQL, one index look-up per key (a LATERAL join over the keys): as a storm
    multiplies the active alarms faster than the table's statistics follow, the planner
    would otherwise scan every active alarm once for the whole list, thinking them few."""
    if not pks:
        return []
    if connection.vendor != "postgresql":
        active = Alarm.objects.filter(cleared_at__isnull=True, **{f"{field}_id__among": pks})
        if level:
            active = active.filter(level=level)
        return list(active.order_by().values_list(*_ALARM_COLUMNS))
    meta, quote = Alarm._meta, connection.ops.quote_name
    columns = ", ".join(f"a.{quote(meta.get_field(c).column)}" for c in _ALARM_COLUMNS)
    where = f"a.{quote(meta.get_field(field).column)} = k.pk AND a.cleared_at IS NULL"
    params: list = [pks]
    if level:
        where += " AND a.level = %s"
        params.append(level)
    sql = (
        f"SELECT {columns} FROM unnest(%s::bigint[]) AS k(pk) CROSS JOIN LATERAL"
        f" (SELECT * FROM {quote(meta.db_table)} a WHERE {where}) a"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _chunks(items: list) -> list[list]:
    return [items[start : start + CHUNK] for start in range(0, len(items), CHUNK)]
