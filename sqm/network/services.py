"""Topology queries. `accounts_under` is what fault handling resolves alarms against."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from sqm.customers.choices import AccountStatus, Service
from sqm.customers.models import Account
from sqm.network.models import Board, Olt, Onu, PonPort


def accounts_under(element: Olt | Board | PonPort | Onu) -> QuerySet[Account]:
    """All active broadband accounts hanging under ELEMENT, as one indexed query.

    ONUs carry their OLT/frame/slot/port, so the index `onu_position` narrows the ONUs
    and `account_onu_status` the accounts, whatever level the element is.
    """
    accounts = Account.objects.filter(status=AccountStatus.ACTIVE, service=Service.BROADBAND)
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


def olts_with_counts(user) -> QuerySet[Olt]:
    """OLTs USER may see, with how many PON ports, ONUs and active accounts hang on each."""
    active = Q(onus__accounts__status=AccountStatus.ACTIVE)
    return (
        Olt.objects.restrict(user)
        .select_related("city")
        .annotate(
            port_count=Count("ports", distinct=True),
            onu_count=Count("onus", distinct=True),
            account_count=Count("onus__accounts", filter=active, distinct=True),
        )
        .order_by("olt_id")
    )


def ports_with_counts(olt: Olt) -> QuerySet[PonPort]:
    active = Q(onus__accounts__status=AccountStatus.ACTIVE)
    return olt.ports.annotate(
        onu_count=Count("onus", distinct=True),
        account_count=Count("onus__accounts", filter=active, distinct=True),
    ).order_by("frame", "slot", "port")
