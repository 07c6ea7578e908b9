"""Live alarm ingestion (`POST /api/v1/alarms/`, `sqm alarms ingest`; docs/faults.md).

The outage engine of `network.outages` runs over a database store: the same decisions as
`sqm faults replay`, recorded in `AlarmEvent`, `Alarm`, `FaultEvent`, `Outage` and the SMS
outbox. A batch is one transaction; ingestions are serialised (an advisory lock on
PostgreSQL, the immediate write lock on SQLite) because correlation reads what the previous
batch wrote.

Within a batch the store (`network.store.DatabaseStore`) reads what the events need up
front, keeps what it learns in memory, and writes fault events, alarms, outages and notices
in bulk when the batch ends.

- Every received event is kept once as an `AlarmEvent` with its outcome: applied, unmatched
  (unknown element), no impact (a minor alarm: cuts no service), early clear (a clear
  before its raise: applied when the raise comes) or ignored clear (already cleared). A
  repeated (alarm_id, event) changes nothing.
- Events of a batch are applied in time order (then arrival order).
- A raise received again while its alarm is active (the NMS resynchronising its alarm list)
  stamps the alarm's `refreshed_at`: it is alive, so its event is not stale (network.stale).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from sqm.core import bulk
from sqm.network import fault_sms, fault_split
from sqm.network.alarms import AlarmError, AlarmInput, parse_alarm
from sqm.network.choices import AlarmOutcome
from sqm.network.faults import Topology
from sqm.network.models import Alarm, AlarmEvent
from sqm.network.outages import AlarmFacts, Engine
from sqm.network.store import DatabaseStore
from sqm.notify.rules import Rules, current_rules

CHUNK = fault_sms.CHUNK
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


def lock() -> None:
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
        lock()
        _apply(alarms, now, rules, counts)
        # Events whose element came back while an alarm under it lost its clear.
        split = fault_split.split_restored(now)
        if split:
            counts["faults_split"] += split
    return counts


def _apply(alarms: list[AlarmInput], now: datetime, rules: Rules, counts: Counter) -> None:
    ids = sorted({a.alarm_id for a in alarms})
    seen: set[tuple[str, str]] = set()
    early: dict[str, dict] = {}  # clears waiting for their raise, by alarm id
    for start in range(0, len(ids), CHUNK):
        rows = AlarmEvent.objects.filter(alarm_id__among=ids[start : start + CHUNK]).order_by()
        for pk, alarm_id, kind, outcome, occurred_at in rows.values_list(
            "pk", "alarm_id", "event", "outcome", "occurred_at"
        ):
            seen.add((alarm_id, kind))
            if outcome == AlarmOutcome.EARLY_CLEAR:
                early[alarm_id] = {"pk": pk, "occurred_at": occurred_at}
    topology = Topology()
    store = DatabaseStore(topology)
    engine = Engine(store)
    store.prepare(alarms)
    events: list[dict] = []  # rows for the bulk insert
    applied_early: list[int] = []
    resent: set[str] = set()  # raises received again: the alarm may still be active
    for alarm in sorted(alarms, key=lambda a: (a.occurred_at, a.line)):
        key = (alarm.alarm_id, alarm.event)
        if key in seen:
            counts["duplicates"] += 1
            if alarm.event == "raise":
                resent.add(alarm.alarm_id)
            continue
        seen.add(key)
        event = _event(alarm)
        events.append(event)
        if not alarm.cuts_service:
            event["outcome"] = AlarmOutcome.NO_IMPACT
            counts["no_service_impact"] += 1
            continue
        if alarm.event == "raise":
            element = topology.resolve(alarm)
            if element is None:
                event["outcome"] = AlarmOutcome.UNMATCHED
                counts["unmatched"] += 1
                continue
            facts = AlarmFacts(alarm.alarm_id, element, alarm.type, alarm.severity,
                               alarm.occurred_at)  # fmt: skip
            engine.raise_alarm(facts)
            counts["raised"] += 1
            clear = early.pop(alarm.alarm_id, None)
            if clear is not None:  # its clear came first: apply it now
                engine.clear_alarm(alarm.alarm_id, max(clear["occurred_at"], alarm.occurred_at))
                clear["outcome"] = AlarmOutcome.APPLIED
                if clear.get("pk"):
                    applied_early.append(clear["pk"])
                counts["cleared"] += 1
                counts["early_clears_applied"] += 1
            continue
        if engine.clear_alarm(alarm.alarm_id, alarm.occurred_at) is not None:
            counts["cleared"] += 1
        elif (alarm.alarm_id, "raise") in seen:
            event["outcome"] = AlarmOutcome.IGNORED_CLEAR
            counts["ignored_clears"] += 1
        else:
            event["outcome"] = AlarmOutcome.EARLY_CLEAR
            early[alarm.alarm_id] = event
            counts["early_clears"] += 1
    store.flush(rules, now, counts)
    _refresh(resent, now, counts)
    bulk.inserter_for(AlarmEvent).insert(events)
    if applied_early:
        AlarmEvent.objects.filter(pk__in=applied_early).update(outcome=AlarmOutcome.APPLIED)
    counts["received"] += len(events) + counts["duplicates"]


def _refresh(alarm_ids: set[str], now: datetime, counts: Counter) -> None:
    """The NMS re-sent the raise of ALARM_IDS (an alarm resynchronisation): those still
    active are alive at NOW, so their events are not stale (network.stale)."""
    ids = sorted(alarm_ids)
    for start in range(0, len(ids), CHUNK):
        refreshed = Alarm.objects.filter(
            alarm_id__among=ids[start : start + CHUNK], cleared_at__isnull=True
        ).update(refreshed_at=now)
        if refreshed:
            counts["refreshed"] += refreshed


def _event(alarm: AlarmInput) -> dict:
    """ALARM's `AlarmEvent` row, as the bulk insert takes it (no model instance: a storm
    has thousands a batch)."""
    return {
        "alarm_id": alarm.alarm_id,
        "event": alarm.event,
        "olt_code": alarm.olt_id,
        "level": alarm.level,
        "frame": alarm.frame,
        "slot": alarm.slot,
        "port": alarm.port,
        "onu_code": alarm.onu_id,
        "type": alarm.type,
        "severity": alarm.severity,
        "occurred_at": alarm.occurred_at,
        "outcome": AlarmOutcome.APPLIED,
    }


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
