"""Live alarm ingestion (`POST /api/v1/alarms/`, `sqm alarms ingest`; docs/faults.md).

The outage engine of `network.outages` runs over a database store: the same decisions as
`sqm faults replay`, recorded in `AlarmEvent`, `Alarm`, `FaultEvent`, `Outage` and the SMS
outbox. A batch is one transaction; ingestions are serialised (an advisory lock on
PostgreSQL, the immediate write lock on SQLite) because correlation reads what the previous
batch wrote.

Within a batch the store keeps what it learns in memory and writes alarms, outages and
notices in bulk when the batch ends; fault events are written at once (alarms and outages
point at them).

- Every received event is kept once as an `AlarmEvent` with its outcome: applied, unmatched
  (unknown element), no impact (a minor alarm: cuts no service), early clear (a clear
  before its raise: applied when the raise comes) or ignored clear (already cleared). A
  repeated (alarm_id, event) changes nothing.
- Events of a batch are applied in time order (then arrival order).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from sqm.core import changelog
from sqm.network.alarms import AlarmError, AlarmInput, parse_alarm
from sqm.network.choices import AlarmOutcome, FaultState
from sqm.network.faults import Topology
from sqm.network.models import Alarm, AlarmEvent, FaultEvent, Olt, Outage
from sqm.network.outages import ActiveAlarm, AlarmFacts, Element, Engine
from sqm.network.services import accounts_on_onus, accounts_on_ports
from sqm.notify import scheduling
from sqm.notify.rules import Rules, current_rules

CHUNK = scheduling.CHUNK
LOCK_KEY = 7_310_004  # advisory lock id of alarm ingestion (PostgreSQL)


@dataclass
class IngestResult:
    counts: Counter = field(default_factory=Counter)
    errors: list[AlarmError] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "counts": dict(sorted(self.counts.items())),
            "errors": [{"line": e.line, "key": e.key, "message": e.message} for e in self.errors],
        }


@dataclass
class _NewOutage:
    account: int
    fault: FaultEvent
    started: datetime
    ended: datetime | None = None


class DatabaseStore:
    """The engine's store over the database, with a batch's writes held until `flush`."""

    def __init__(self, topology: Topology) -> None:
        self.topology = topology
        self._accounts: dict[Element, list[int]] = {}
        self._by_olt: dict[str, dict[str, ActiveAlarm]] = {}  # loaded per OLT on demand
        self._olt_of: dict[str, str | None] = {}
        self._faults: dict[int, FaultEvent] = {}
        self._merged: dict[int, FaultEvent] = {}  # child pk → the fault that absorbed it
        self._down: dict[int, bool] = {}  # accounts whose state this batch knows
        self._new_alarms: dict[str, Alarm] = {}
        self._clears: dict[str, datetime] = {}  # alarms already in the database
        self._new_outages: dict[int, _NewOutage] = {}  # open ones, by account
        self._outages: list[_NewOutage] = []
        self._ends: dict[int, datetime] = {}  # open outages in the database, by account
        self.touched: set[int] = set()  # fault pks whose counts change
        self._pon_clears: set[tuple] = set()  # positions of PON alarms the batch clears
        self._closing: dict[int, tuple[FaultEvent, datetime]] = {}

    # -- reading --------------------------------------------------------------------------

    def prepare(self, alarms: list[AlarmInput]) -> None:
        """Read what a batch will ask about in a few queries instead of several per alarm:
        the OLT of each alarm being cleared, the ONUs named, their accounts and which of
        those are down. (A storm is mostly ONU alarms.)"""
        onus, port_olts = self.prefetch_active([a.alarm_id for a in alarms if a.event == "clear"])
        onus |= {a.onu_id for a in alarms if a.event == "raise" and a.level == "onu"}
        port_olts |= {a.olt_id for a in alarms if a.event == "raise" and a.level == "pon"}
        found = self.topology.prefetch_onus(onus)
        accounts = accounts_on_onus([onu.pk for onu in found.values()])
        for code, onu in found.items():
            element = Element(onu.olt.olt_id, "onu", onu.frame, onu.slot, onu.port, code)
            self._accounts[element] = accounts[onu.pk]
        down = [a for ids in accounts.values() for a in ids]
        ports = self.topology.prefetch_ports(port_olts)
        # Only ports that have an alarm in the batch: a port's accounts are many.
        wanted = {(a.olt_id, a.frame, a.slot, a.port) for a in alarms if a.level == "pon"}
        wanted |= self._pon_clears
        ports = [p for p in ports if (p.olt.olt_id, p.frame, p.slot, p.port) in wanted]
        accounts = accounts_on_ports([port.pk for port in ports])
        for port in ports:
            element = Element(port.olt.olt_id, "pon", port.frame, port.slot, port.port)
            self._accounts[element] = accounts[port.pk]
            down += accounts[port.pk]
        self.down_among(down)

    def prefetch_active(self, alarm_ids: list[str]) -> tuple[set[str], set[str]]:
        """The OLT of each of ALARM_IDS that is active, in one query per chunk; returns the
        ONU ids of those on ONUs and the OLTs of those on PON ports."""
        todo = [a for a in alarm_ids if a not in self._olt_of]
        for a in todo:
            self._olt_of[a] = None
        onus, port_olts = set(), set()
        for start in range(0, len(todo), CHUNK):
            rows = Alarm.objects.filter(
                alarm_id__in=todo[start : start + CHUNK], cleared_at__isnull=True
            ).values_list(
                "alarm_id", "olt__olt_id", "onu__onu_id", "level",
                "pon_port__frame", "pon_port__slot", "pon_port__port",
            )  # fmt: skip
            for alarm_id, olt, onu, level, frame, slot, port in rows:
                self._olt_of[alarm_id] = olt
                if onu:
                    onus.add(onu)
                if level == "pon":
                    port_olts.add(olt)
                    self._pon_clears.add((olt, frame, slot, port))
        return onus, port_olts

    def accounts_under(self, element: Element) -> list[int]:
        if element not in self._accounts:
            self._accounts[element] = self.topology.accounts_under(element)
        return self._accounts[element]

    def olt_of_active(self, alarm_id: str) -> str | None:
        if alarm_id not in self._olt_of:
            self.prefetch_active([alarm_id])
        return self._olt_of[alarm_id]

    def active_alarms(self, olt: str) -> list[ActiveAlarm]:
        if olt not in self._by_olt:
            self._by_olt[olt] = self._load_active(olt)
        return list(self._by_olt[olt].values())

    def _load_active(self, olt: str) -> dict[str, ActiveAlarm]:
        rows = Alarm.objects.filter(olt__olt_id=olt, cleared_at__isnull=True).values_list(
            "alarm_id", "level", "fault_event_id", "board__frame", "board__slot",
            "pon_port__frame", "pon_port__slot", "pon_port__port",
            "onu__frame", "onu__slot", "onu__port", "onu__onu_id",
        )  # fmt: skip
        rows = list(rows)
        missing = {r[2] for r in rows} - self._faults.keys()
        for fault in FaultEvent.objects.filter(pk__in=missing).select_related("olt", "city"):
            self._faults[fault.pk] = fault
        active = {}
        for alarm_id, level, fault_id, bf, bs, pf, ps, pp, of, os_, op, onu in rows:
            if level == "olt":
                element = Element(olt, level)
            elif level == "board":
                element = Element(olt, level, bf, bs)
            elif level == "pon":
                element = Element(olt, level, pf, ps, pp)
            else:
                element = Element(olt, level, of, os_, op, onu)
            active[alarm_id] = ActiveAlarm(alarm_id, element, self._root(self._faults[fault_id]))
            self._olt_of[alarm_id] = olt
        return active

    def down_among(self, accounts: list[int]) -> set[int]:
        down = {a for a in accounts if self._down.get(a)}
        unknown = [a for a in accounts if a not in self._down]
        for start in range(0, len(unknown), CHUNK):
            chunk = unknown[start : start + CHUNK]
            open_ = set(
                Outage.objects.filter(account_id__in=chunk, ended_at__isnull=True).values_list(
                    "account_id", flat=True
                )
            )
            for account in chunk:
                self._down[account] = account in open_
            down |= open_
        return down

    # -- recording ------------------------------------------------------------------------

    def _root(self, fault: FaultEvent) -> FaultEvent:
        while fault.pk in self._merged:
            fault = self._merged[fault.pk]
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
        fault = FaultEvent.objects.create(
            level=element.level,
            olt=olt,
            city_id=olt.city_id,
            type=alarm.type,
            severity=alarm.severity,
            started_at=alarm.at,
            **position,
        )
        self._faults[fault.pk] = fault
        self.touched.add(fault.pk)
        return fault

    def merge_faults(self, children: list[FaultEvent], parent: FaultEvent) -> None:
        """PARENT absorbs CHILDREN: their alarms, outages and notices now belong to it."""
        pks = [c.pk for c in children]
        for child in children:
            child.state = FaultState.MERGED
            child.merged_into = parent
            child.save(update_fields=["state", "merged_into"])  # change-logged
            self._merged[child.pk] = parent
        Alarm.objects.filter(fault_event_id__in=pks).update(fault_event=parent)
        Outage.objects.filter(fault_event_id__in=pks).update(fault_event=parent)
        from sqm.notify.models import OutboundMessage

        OutboundMessage.objects.filter(fault_event_id__in=pks).update(fault_event=parent)
        for alarms in self._by_olt.values():
            for alarm in alarms.values():
                alarm.fault = self._root(alarm.fault)
        if parent.started_at > min(c.started_at for c in children):
            parent.started_at = min(c.started_at for c in children)
            parent.save(update_fields=["started_at"])
        self.touched.add(parent.pk)

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
        self._new_alarms[alarm.alarm_id] = Alarm(
            alarm_id=alarm.alarm_id,
            level=element.level,
            olt=olt,
            type=alarm.type,
            severity=alarm.severity,
            raised_at=alarm.at,
            fault_event=fault,
            **links,
        )
        self.active_alarms(element.olt)  # make sure the OLT's alarms are loaded first
        self._by_olt[element.olt][alarm.alarm_id] = ActiveAlarm(alarm.alarm_id, element, fault)
        self._olt_of[alarm.alarm_id] = element.olt

    def clear_alarm(self, alarm_id: str, at: datetime) -> None:
        olt = self._olt_of.pop(alarm_id)
        self._by_olt[olt].pop(alarm_id, None)
        if alarm_id in self._new_alarms:
            self._new_alarms[alarm_id].cleared_at = at
        else:
            self._clears[alarm_id] = at

    def close_fault(self, fault: FaultEvent, at: datetime) -> None:
        fault = self._root(fault)
        self._closing[fault.pk] = (fault, at)  # written with the batch, change-logged
        self.touched.add(fault.pk)

    def start_outages(self, accounts: list[int], at: datetime, fault: FaultEvent) -> None:
        for account in accounts:
            outage = _NewOutage(account, fault, at)
            self._new_outages[account] = outage
            self._outages.append(outage)
            self._down[account] = True
        self.touched.add(fault.pk)

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
        """Write what the batch decided: alarms, outage ends and starts, notices, counts."""
        for alarm in self._new_alarms.values():
            alarm.fault_event = self._root(alarm.fault_event)
        Alarm.objects.bulk_create(self._new_alarms.values(), batch_size=1000)
        for at, ids in _grouped(self._clears).items():
            for start in range(0, len(ids), CHUNK):
                Alarm.objects.filter(alarm_id__in=ids[start : start + CHUNK]).update(cleared_at=at)
        ended: list[int] = []
        for at, accounts in _grouped(self._ends).items():
            for start in range(0, len(accounts), CHUNK):
                open_ = Outage.objects.filter(
                    account_id__in=accounts[start : start + CHUNK], ended_at__isnull=True
                )
                ids = list(open_.values_list("pk", flat=True))
                Outage.objects.filter(pk__in=ids).update(ended_at=at)
                ended += ids
        self._close_faults()
        counts["outages_ended"] += len(ended) + sum(o.ended is not None for o in self._outages)
        self._insert_outages()
        counts["outages_started"] += len(self._outages)
        counts["ended_before_notice"] += sum(o.ended is not None for o in self._outages)
        scheduling.settle_ended_outages(ended, rules, now, counts)
        groups = {(self._root(o.fault).pk, o.started) for o in self._outages if o.ended is None}
        for fault_pk, started in sorted(groups, key=lambda g: (g[1], g[0])):
            fault = self._faults[fault_pk]
            scheduling.schedule_fault_notices(fault, started, rules, now, counts)
        self._count_affected()

    def _close_faults(self) -> None:
        """The faults whose last alarm cleared: one bulk update and their change-log rows."""
        faults = [fault for fault, _at in self._closing.values()]
        befores = {fault.pk: changelog.snapshot(fault) for fault in faults}
        for fault, at in self._closing.values():
            fault.state, fault.ended_at = FaultState.CLEARED, at
        FaultEvent.objects.bulk_update(faults, ["state", "ended_at"], batch_size=500)
        changelog.record_bulk(faults, "update", befores)

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
            cursor.executemany(sql, rows)

    def _count_affected(self) -> None:
        """Each touched fault's affected accounts: the distinct accounts of its outages."""
        pks = {self._root(self._faults[pk]).pk if pk in self._faults else pk for pk in self.touched}
        live = (FaultState.ACTIVE, FaultState.CLEARED)
        for fault in FaultEvent.objects.filter(pk__in=pks, state__in=live):
            count = Outage.objects.filter(fault_event=fault).values("account_id").distinct().count()
            if count != fault.affected_accounts:
                FaultEvent.objects.filter(pk=fault.pk).update(affected_accounts=count)


def _grouped(by_key: dict) -> dict:
    groups: dict = defaultdict(list)
    for key, value in by_key.items():
        groups[value].append(key)
    return groups


def _lock() -> None:
    """Serialise ingestions: correlation reads what the batch before wrote."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])


def ingest(
    alarms: list[AlarmInput], *, now: datetime | None = None, rules: Rules | None = None
) -> Counter:
    """Apply checked ALARMS (one batch, one transaction); return what happened, counted."""
    now = now or timezone.now()
    rules = rules or current_rules()
    counts: Counter = Counter()
    with transaction.atomic():
        _lock()
        _apply(alarms, now, rules, counts)
    return counts


def _apply(alarms: list[AlarmInput], now: datetime, rules: Rules, counts: Counter) -> None:
    ids = sorted({a.alarm_id for a in alarms})
    seen: set[tuple[str, str]] = set()
    early: dict[str, AlarmEvent] = {}  # clears waiting for their raise, by alarm id
    for start in range(0, len(ids), CHUNK):
        rows = AlarmEvent.objects.filter(alarm_id__in=ids[start : start + CHUNK])
        for event in rows.only("pk", "alarm_id", "event", "outcome", "occurred_at"):
            seen.add((event.alarm_id, event.event))
            if event.outcome == AlarmOutcome.EARLY_CLEAR:
                early[event.alarm_id] = event
    topology = Topology()
    store = DatabaseStore(topology)
    engine = Engine(store)
    store.prepare(alarms)
    events: list[AlarmEvent] = []
    applied_early: list[int] = []
    for alarm in sorted(alarms, key=lambda a: (a.occurred_at, a.line)):
        key = (alarm.alarm_id, alarm.event)
        if key in seen:
            counts["duplicates"] += 1
            continue
        seen.add(key)
        event = _event(alarm)
        events.append(event)
        if not alarm.cuts_service:
            event.outcome = AlarmOutcome.NO_IMPACT
            counts["no_service_impact"] += 1
            continue
        if alarm.event == "raise":
            element = topology.resolve(alarm)
            if element is None:
                event.outcome = AlarmOutcome.UNMATCHED
                counts["unmatched"] += 1
                continue
            facts = AlarmFacts(alarm.alarm_id, element, alarm.type, alarm.severity,
                               alarm.occurred_at)  # fmt: skip
            engine.raise_alarm(facts)
            counts["raised"] += 1
            clear = early.pop(alarm.alarm_id, None)
            if clear is not None:  # its clear came first: apply it now
                engine.clear_alarm(alarm.alarm_id, max(clear.occurred_at, alarm.occurred_at))
                clear.outcome = AlarmOutcome.APPLIED
                if clear.pk:
                    applied_early.append(clear.pk)
                counts["cleared"] += 1
                counts["early_clears_applied"] += 1
            continue
        if engine.clear_alarm(alarm.alarm_id, alarm.occurred_at) is not None:
            counts["cleared"] += 1
        elif (alarm.alarm_id, "raise") in seen:
            event.outcome = AlarmOutcome.IGNORED_CLEAR
            counts["ignored_clears"] += 1
        else:
            event.outcome = AlarmOutcome.EARLY_CLEAR
            early[alarm.alarm_id] = event
            counts["early_clears"] += 1
    store.flush(rules, now, counts)
    AlarmEvent.objects.bulk_create(events, batch_size=1000)
    if applied_early:
        AlarmEvent.objects.filter(pk__in=applied_early).update(outcome=AlarmOutcome.APPLIED)
    counts["received"] += len(events) + counts["duplicates"]


def _event(alarm: AlarmInput) -> AlarmEvent:
    return AlarmEvent(
        alarm_id=alarm.alarm_id,
        event=alarm.event,
        olt_code=alarm.olt_id,
        level=alarm.level,
        frame=alarm.frame,
        slot=alarm.slot,
        port=alarm.port,
        onu_code=alarm.onu_id,
        type=alarm.type,
        severity=alarm.severity,
        occurred_at=alarm.occurred_at,
        outcome=AlarmOutcome.APPLIED,
    )


def ingest_objects(items: list, *, now: datetime | None = None) -> IngestResult:
    """Check each of ITEMS (parsed JSON) and ingest the valid ones; errors name the
    position (1-based) and key of each bad one."""
    result = IngestResult()
    alarms = []
    for position, item in enumerate(items, start=1):
        alarm, errors = parse_alarm(item, position)
        if alarm is not None:
            alarms.append(alarm)
        result.errors.extend(errors)
    result.counts["rejected"] = len({e.line for e in result.errors})
    if alarms:
        result.counts.update(ingest(alarms, now=now))
    return result
