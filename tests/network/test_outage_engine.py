"""The outage engine over a memory store: outages per account and correlation of alarms into
fault events, whatever order the alarms arrive in."""

from datetime import datetime, timedelta

from sqm.network.outages import AlarmFacts, Element, Engine, MemoryStore
from sqm.notify.rules import SHANGHAI

T0 = datetime(2026, 11, 22, 10, 0, tzinfo=SHANGHAI)
OLT = Element("OLT-1", "olt")
PON_A = Element("OLT-1", "pon", 0, 1, 0)
PON_B = Element("OLT-1", "pon", 0, 1, 1)
ONU_A1 = Element("OLT-1", "onu", 0, 1, 0, "ONU-A1")
# Accounts by position: 1, 2 on PON A (1 on ONU A1), 3 on PON B.
POSITIONS = {1: ONU_A1, 2: Element("OLT-1", "onu", 0, 1, 0, "ONU-A2"),
             3: Element("OLT-1", "onu", 0, 1, 1, "ONU-B1")}  # fmt: skip


def under(element):
    return [acc for acc, onu in POSITIONS.items() if element.covers(onu)]


def engine():
    store = MemoryStore(under)
    return Engine(store), store


def alarm(alarm_id, element, minutes=0):
    return AlarmFacts(alarm_id, element, "LOS", "critical", T0 + timedelta(minutes=minutes))


def test_it_starts_one_outage_per_account_however_many_alarms_cover_it():
    eng, store = engine()
    eng.raise_alarm(alarm("a", ONU_A1))
    eng.raise_alarm(alarm("b", PON_A, 1))
    eng.raise_alarm(alarm("c", OLT, 2))
    assert sorted(o.account for o in store.outages) == [1, 2, 3]
    assert store.open[1].started == T0


def test_an_account_stays_down_until_the_last_covering_alarm_clears():
    eng, store = engine()
    eng.raise_alarm(alarm("olt", OLT))
    eng.raise_alarm(alarm("pon", PON_A, 1))
    eng.clear_alarm("olt", T0 + timedelta(minutes=10))
    assert set(store.open) == {1, 2}  # PON A still down; PON B came back
    eng.clear_alarm("pon", T0 + timedelta(minutes=20))
    assert store.open == {}
    ends = {o.account: o.ended for o in store.outages}
    assert ends[3] == T0 + timedelta(minutes=10) and ends[1] == T0 + timedelta(minutes=20)


def test_the_olt_fault_absorbs_pon_and_onu_alarms_that_came_first():
    eng, store = engine()
    eng.raise_alarm(alarm("onu", ONU_A1))
    eng.raise_alarm(alarm("pon", PON_B))
    eng.raise_alarm(alarm("olt", OLT, 1))
    roots = {a.fault.root() for a in store.alarms.values()}
    assert len(roots) == 1 and roots.pop().element == OLT


def test_pon_and_onu_alarms_arriving_after_the_olt_join_its_fault():
    eng, store = engine()
    eng.raise_alarm(alarm("olt", OLT))
    eng.raise_alarm(alarm("pon", PON_A, 1))
    eng.raise_alarm(alarm("onu", ONU_A1, 2))
    assert len(store.faults) == 1
    assert {a.fault.element for a in store.alarms.values()} == {OLT}


def test_a_clear_of_an_unknown_or_cleared_alarm_is_ignored():
    eng, store = engine()
    assert eng.clear_alarm("nope", T0) is None
    eng.raise_alarm(alarm("a", PON_A))
    assert eng.clear_alarm("a", T0 + timedelta(minutes=5)) is not None
    assert eng.clear_alarm("a", T0 + timedelta(minutes=6)) is None
    assert store.faults[0].ended == T0 + timedelta(minutes=5)


def test_a_repeated_raise_changes_nothing():
    eng, store = engine()
    eng.raise_alarm(alarm("a", PON_A))
    eng.raise_alarm(alarm("a", PON_A, 3))
    assert len(store.outages) == 2 and len(store.faults) == 1
