"""Fault services over the loaded topology: resolving alarm elements, and the replay of an
alarm file (`sqm faults replay`) through the outage engine and the SMS rules."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from sqm.customers.models import Account
from sqm.network.alarms import AlarmInput
from sqm.network.fault_sms import plan_for_number, recipient_of
from sqm.network.models import Board, Olt, Onu, PonPort
from sqm.network.outages import AlarmFacts, Element, Engine, MemoryStore
from sqm.network.services import accounts_on_onus, accounts_under
from sqm.notify.rules import SHANGHAI, Rules


@dataclass
class Places:
    """Positions by primary key: OLT id; board (frame, slot); port (frame, slot, port); ONU
    id (the NMS's code)."""

    olts: dict[int, str]
    boards: dict[int, tuple]
    ports: dict[int, tuple]
    onus: dict[int, str]


class Topology:
    """Read-only look-ups of the loaded topology, cached for one run."""

    def __init__(self) -> None:
        self._elements: dict[tuple, Element | None] = {}
        self._onus: dict[str, Onu | None] = {}  # by ONU id, prefetched for a batch
        self._ports: dict[tuple, PonPort] = {}  # by (OLT id, frame, slot, port), prefetched
        self._port_olts: set[str] = set()  # OLTs whose ports are all in _ports
        self._olts: dict[int, Olt] = {}  # by primary key, shared by the rows above
        # Positions by primary key, for alarms read back by id (`places`).
        self._places = Places({}, {}, {}, {})
        # The database row behind each resolved element, for `services.accounts_under`.
        self._rows: dict[Element, Olt | Board | PonPort | Onu] = {}

    def resolve(self, alarm: AlarmInput) -> Element | None:
        """The element ALARM is on, with its full position; None if the topology lacks it."""
        key = (alarm.olt_id, alarm.level, alarm.frame, alarm.slot, alarm.port, alarm.onu_id)
        if key not in self._elements:
            row = self._lookup(alarm)
            element = None
            if row is not None and alarm.level == "onu" and not _same_place(alarm, row):
                row = None  # the NMS places the ONU elsewhere: unmatched, for the NOC
            if row is not None:
                element = alarm.element()
                if alarm.level == "onu":  # an ONU alarm names only the ONU
                    element = Element(alarm.olt_id, "onu", row.frame, row.slot, row.port,
                                      alarm.onu_id)  # fmt: skip
                self._rows[element] = row
            self._elements[key] = element
        return self._elements[key]

    def prefetch_onus(self, codes: set[str]) -> dict[str, Onu]:
        """Look the ONUs CODES up in one query (a storm names hundreds); returns those found."""
        todo = sorted(c for c in codes if c and c not in self._onus)
        for code in todo:
            self._onus[code] = None
        for start in range(0, len(todo), 5000):
            onus = Onu.objects.select_related("pon_port").defer(*_STAMPS, *_PORT_STAMPS)
            onus = list(onus.filter(onu_id__among=todo[start : start + 5000]).order_by())
            self.attach_olts(onus)
            for onu in onus:
                self._onus[onu.onu_id] = onu
                self._places.onus[onu.pk] = onu.onu_id
                self._places.ports[onu.pon_port_id] = (onu.frame, onu.slot, onu.port)
        return {code: self._onus[code] for code in codes if self._onus.get(code) is not None}

    def prefetch_ports(self, olts: set[str]) -> list[PonPort]:
        """Every PON port of the OLTs OLTS, in one query (an OLT has tens of them)."""
        todo = sorted(o for o in olts if o not in self._port_olts)
        self._port_olts.update(todo)
        ports = list(PonPort.objects.defer(*_STAMPS).filter(olt__olt_id__among=todo))
        self.attach_olts(ports)
        for port in ports:
            self._ports[port.olt.olt_id, port.frame, port.slot, port.port] = port
            self._places.ports[port.pk] = (port.frame, port.slot, port.port)
        return [p for key, p in self._ports.items() if key[0] in olts]

    def places(
        self, *, olts: set[int], boards: set[int], ports: set[int], onus: set[int]
    ) -> Places:
        """The OLT ids, board and port positions and ONU ids of the primary keys given, each
        kind read in one query for those not known yet."""
        known = self._places
        self._load_olts(olts)
        for pk in olts:
            known.olts[pk] = self._olts[pk].olt_id
        for pks, model, fields, into in (
            (boards, Board, ("frame", "slot"), known.boards),
            (ports, PonPort, ("frame", "slot", "port"), known.ports),
        ):
            todo = sorted(pks - into.keys())
            for start in range(0, len(todo), 5000):
                rows = model.objects.filter(pk__among=todo[start : start + 5000]).order_by()
                for pk, *place in rows.values_list("pk", *fields):
                    into[pk] = tuple(place)
        todo = sorted(onus - known.onus.keys())
        for start in range(0, len(todo), 5000):
            rows = Onu.objects.filter(pk__among=todo[start : start + 5000]).order_by()
            known.onus.update(rows.values_list("pk", "onu_id"))
        return known

    def _load_olts(self, pks: set[int]) -> None:
        missing = pks - self._olts.keys()
        if missing:
            self._olts.update(Olt.objects.defer(*_STAMPS).in_bulk(missing))

    def attach_olts(self, rows: list) -> None:
        """Set the OLT of each of ROWS (ONUs, ports, fault events) from one shared copy per
        OLT, read once: a storm's rows name a few hundred OLTs, not thousands."""
        self._load_olts({row.olt_id for row in rows})
        for row in rows:
            row.olt = self._olts[row.olt_id]

    def _lookup(self, alarm: AlarmInput) -> Olt | Board | PonPort | Onu | None:
        if alarm.level == "onu" and alarm.onu_id in self._onus:
            onu = self._onus[alarm.onu_id]
            return onu if onu is not None and onu.olt.olt_id == alarm.olt_id else None
        if alarm.level == "pon" and alarm.olt_id in self._port_olts:
            return self._ports.get((alarm.olt_id, alarm.frame, alarm.slot, alarm.port))
        where = {"olt__olt_id": alarm.olt_id}
        if alarm.level == "olt":
            return Olt.objects.filter(olt_id=alarm.olt_id).first()
        if alarm.level == "board":
            boards = Board.objects.select_related("olt")
            return boards.filter(**where, frame=alarm.frame, slot=alarm.slot).first()
        if alarm.level == "pon":
            return (
                PonPort.objects.select_related("olt")
                .filter(**where, frame=alarm.frame, slot=alarm.slot, port=alarm.port)
                .first()
            )
        onus = Onu.objects.select_related("olt", "pon_port")
        return onus.filter(**where, onu_id=alarm.onu_id).first()

    def row(self, element: Element) -> Olt | Board | PonPort | Onu:
        """The database row of ELEMENT (resolved earlier, or looked up by its position)."""
        if element not in self._rows:
            alarm = AlarmInput("", "raise", element.olt, element.level, element.frame,
                               element.slot, element.port, element.onu or "", "", "",
                               None)  # fmt: skip
            self._rows[element] = self._lookup(alarm)
        return self._rows[element]

    def accounts_under(self, element: Element) -> list[int]:
        """Active broadband accounts under a resolved ELEMENT (primary keys)."""
        return list(accounts_under(self.row(element)).values_list("pk", flat=True))


# Change-log times: rows read for correlation never need them.
_STAMPS = ("created", "last_updated")
_PORT_STAMPS = ("pon_port__created", "pon_port__last_updated")


def _same_place(alarm: AlarmInput, onu: Onu) -> bool:
    """Whether the frame/slot/port an ONU alarm gives (if any) are the ONU's own."""
    pairs = zip((alarm.frame, alarm.slot, alarm.port), (onu.frame, onu.slot, onu.port), strict=True)
    return all(given is None or given == own for given, own in pairs)


@dataclass
class ReplayResult:
    messages: list[dict] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)


def replay(alarms: list[AlarmInput], rules: Rules) -> ReplayResult:
    """Every SMS the rules would send for ALARMS, with the alarms' own times as the clock.

    Alarms are taken in time order (file order among equal times). Minor alarms cut no
    service and are skipped (counted). A repeated (alarm_id, event) is skipped; a clear of
    an alarm that is not active is ignored; alarms on unknown elements are counted as
    unmatched. Outages still open at the end are ongoing: their fault SMS is listed, no
    recovery. Nothing is stored.
    """
    topology = Topology()
    store = MemoryStore(topology.accounts_under)
    # Most alarms are on ONUs: look them and their accounts up in a few queries, as live
    # ingestion does, instead of two queries per alarm.
    found = topology.prefetch_onus({a.onu_id for a in alarms if a.level == "onu"})
    accounts = accounts_on_onus([onu.pk for onu in found.values()])
    for code, onu in found.items():
        element = Element(onu.olt.olt_id, "onu", onu.frame, onu.slot, onu.port, code)
        store.seed(element, accounts[onu.pk])
    engine = Engine(store)
    result = ReplayResult()
    seen: set[tuple[str, str]] = set()
    for alarm in sorted(alarms, key=lambda a: (a.occurred_at, a.line)):
        key = (alarm.alarm_id, alarm.event)
        if key in seen:
            result.counts["duplicates"] += 1
            continue
        seen.add(key)
        if not alarm.cuts_service:
            result.counts["no_service_impact"] += 1
            continue
        if alarm.event == "raise":
            element = topology.resolve(alarm)
            if element is None:
                result.counts["unmatched"] += 1
                continue
            facts = AlarmFacts(alarm.alarm_id, element, alarm.type, alarm.severity,
                               alarm.occurred_at)  # fmt: skip
            engine.raise_alarm(facts)
            result.counts["raised"] += 1
        elif engine.clear_alarm(alarm.alarm_id, alarm.occurred_at) is None:
            result.counts["ignored_clears"] += 1
        else:
            result.counts["cleared"] += 1
    result.counts["outages"] = len(store.outages)
    result.messages = _messages(store.outages, rules, result.counts)
    return result


def _messages(outages, rules: Rules, counts: Counter) -> list[dict]:
    """One fault and one recovery SMS per mobile number per fault event (docs/faults.md,
    "One SMS per number"), as live ingestion plans them."""
    ids = {o.account for o in outages}
    names, opted_out, numbers = {}, set(), {}
    rows = Account.objects.filter(pk__among=ids).values_list(
        "pk", "account_id", "customer__service_sms_opt_out", "customer__mobile_hash", "customer_id"
    )
    for pk, account_id, opt_out, mobile_hash, customer_id in rows.iterator(chunk_size=5000):
        names[pk] = account_id
        numbers[pk] = recipient_of(mobile_hash, customer_id)
        if opt_out:
            opted_out.add(pk)
    spells: dict[tuple, list] = defaultdict(list)  # (event, number) → its outages
    for outage in outages:
        due = rules.fault_is_sent(outage.started, outage.ended)
        if outage.account in opted_out:
            counts["opted_out" if due else "fault_not_due"] += 1
            continue
        fault = outage.fault.root() if outage.fault is not None else None
        spells[id(fault), numbers[outage.account]].append(outage)
    messages = []
    for spell in spells.values():
        spell.sort(key=lambda o: (o.started, o.account))
        plan = plan_for_number([(o, o.started, o.ended) for o in spell], rules)
        told = sum(rules.fault_is_sent(o.started, o.ended) for o in spell)
        counts["fault_not_due"] += len(spell) - told
        if plan is None:
            continue
        carrier, fault_at, _ended, recovery_at = plan
        counts["same_number"] += told - 1
        account = names[carrier.account]
        messages.append((fault_at, account, 0))
        if recovery_at is not None:
            messages.append((recovery_at, account, 1))
    messages.sort()
    return [
        {
            "account_id": account,
            "kind": "fault" if order == 0 else "recovery",
            "send_at": moment.astimezone(SHANGHAI).isoformat(),
        }
        for moment, account, order in messages
    ]
