"""Topology queries. `accounts_under` is what fault handling resolves alarms against."""

from __future__ import annotations

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from sqm.customers.choices import AccountStatus, Service
from sqm.customers.models import Account
from sqm.network.models import Board, Olt, Onu, PonPort


def _cut_off_by_faults() -> QuerySet[Account]:
    """The accounts a fault can cut off: active broadband ones."""
    return Account.objects.filter(status=AccountStatus.ACTIVE, service=Service.BROADBAND)


def accounts_under(element: Olt | Board | PonPort | Onu) -> QuerySet[Account]:
    """All active broadband accounts hanging under ELEMENT, as one indexed query.

    ONUs carry their OLT/frame/slot/port, so the index `onu_position` narrows the ONUs
    and `account_onu_status` the accounts, whatever level the element is.
    """
    accounts = _cut_off_by_faults()
    if isinstance(element, Onu):
        return accounts.filter(onu=element)
    if isinstance(element, Olt):
        return accounts.filter(onu__olt=element)
    position = {
        "onu__olt_id": element.olt_id,
        "onu__frame": element.frame,
        "onu__slot": element.slot,
    }
    if isinstance(element, PonPort):
        position["onu__port"] = element.port
    return accounts.filter(**position)


def accounts_on_onus(onu_ids: list[int]) -> dict[int, list[int]]:
    """`accounts_under` for many ONUs at once: ONU id → its active broadband account ids."""
    found: dict[int, list[int]] = {onu: [] for onu in onu_ids}
    for start in range(0, len(onu_ids), 5000):
        rows = _cut_off_by_faults().filter(onu_id__among=onu_ids[start : start + 5000]).order_by()
        for onu, account in rows.values_list("onu_id", "pk"):
            found[onu].append(account)
    return found


def accounts_by_onu_on_ports(port_ids: list[int]) -> dict[int, dict[str, list[int]]]:
    """`accounts_under` for many PON ports at once, by ONU: port id → {ONU id (the NMS's
    code) → its active broadband account ids}. ONUs without such accounts are left out."""
    found: dict[int, dict[str, list[int]]] = {port: {} for port in port_ids}
    for start in range(0, len(port_ids), 5000):
        rows = (
            _cut_off_by_faults()
            .filter(onu__pon_port_id__among=port_ids[start : start + 5000])
            .order_by()
        )
        for port, onu, account in rows.values_list("onu__pon_port_id", "onu__onu_id", "pk"):
            found[port].setdefault(onu, []).append(account)
    return found


def _count(rows: QuerySet, group_by: str) -> Coalesce:
    """A correlated COUNT over ROWS grouped by GROUP_BY (which refers to the outer row).

    A subquery per row returned, instead of joining and grouping the whole network: a page
    of 50 OLTs costs 50 small indexed counts however many accounts the province has.
    """
    counted = rows.order_by().values(group_by).annotate(n=Count("*")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def olts_with_counts(user) -> QuerySet[Olt]:
    """OLTs USER may see, with how many PON ports, ONUs and active accounts hang on each."""
    active = Account.objects.filter(status=AccountStatus.ACTIVE)
    return (
        Olt.objects.restrict(user)
        .select_related("city")
        .annotate(
            port_count=_count(PonPort.objects.filter(olt=OuterRef("pk")), "olt"),
            onu_count=_count(Onu.objects.filter(olt=OuterRef("pk")), "olt"),
            account_count=_count(active.filter(onu__olt=OuterRef("pk")), "onu__olt"),
        )
        .order_by("olt_id")
    )


def ports_with_counts(olt: Olt) -> QuerySet[PonPort]:
    """OLT's PON ports with their ONUs and active accounts (ONUs carry the port position)."""
    active = Account.objects.filter(status=AccountStatus.ACTIVE)
    return olt.ports.annotate(
        onu_count=_count(Onu.objects.filter(pon_port=OuterRef("pk")), "pon_port"),
        account_count=_count(active.filter(onu__pon_port=OuterRef("pk")), "onu__pon_port"),
    ).order_by("frame", "slot", "port")
