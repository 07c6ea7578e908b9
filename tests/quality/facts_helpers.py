"""Hand-built facts for the indicator tests: a few rows per fact, times in Asia/Shanghai."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqm.complaints.models import Category, WorkOrder
from sqm.core.models import City
from sqm.customers.models import Account
from sqm.quality.models import (
    Activation,
    Circuit,
    CircuitOutage,
    OperationsMonth,
    Repair,
    SpeedTest,
    Transfer,
)
from tests.factories import AccountFactory, CustomerFactory

SH = ZoneInfo("Asia/Shanghai")
_ids = itertools.count(1)


def at(text: str) -> dt.datetime:
    """A Shanghai wall-clock time: at("2026-10-03 08:00")."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=SH)


def city(code: str) -> City:
    return City.objects.get(code=code)


def account(
    code: str = "NJ",
    *,
    service: str = "broadband",
    status: str = "active",
    opened: str | None = "2025-01-01 00:00",
    district: str = "玄武区",
) -> Account:
    customer = CustomerFactory(city=city(code), district=district)
    return AccountFactory(
        customer=customer,
        service=service,
        status=status,
        opened_at=at(opened) if opened else None,
    )


def repair(acct: Account, reported: str, restored: str | None, **extra) -> Repair:
    fields = dict(
        repair_id=f"R{next(_ids):06d}",
        account=acct,
        city=acct.customer.city,
        district=acct.customer.district,
        reported_at=at(reported),
        restored_at=at(restored) if restored else None,
        area=extra.pop("area", "urban"),
        cause=extra.pop("cause", "光猫故障"),
        network_fault=extra.pop("network_fault", False),
    )
    for name in ("appointment_from", "appointment_to", "arrived_at"):
        if name in extra:
            fields[name] = at(extra.pop(name))
    fields.update(extra)
    return Repair.objects.create(**fields)


def activation(acct: Account, ordered: str, committed: str, activated: str | None, **extra):
    fields = dict(
        order_id=f"K{next(_ids):06d}",
        account=acct,
        city=acct.customer.city,
        district=acct.customer.district,
        ordered_at=at(ordered),
        committed_at=at(committed),
        activated_at=at(activated) if activated else None,
    )
    for name in ("appointment_from", "appointment_to", "arrived_at"):
        if name in extra:
            fields[name] = at(extra.pop(name))
    fields.update(extra)
    return Activation.objects.create(**fields)


def transfer(code: str, requested: str, connected: str | None, skill: str = "宽带专席"):
    return Transfer.objects.create(
        transfer_id=f"T{next(_ids):06d}",
        city=city(code),
        requested_at=at(requested),
        connected_at=at(connected) if connected else None,
        skill=skill,
    )


def speed_test(code: str, level: str, measured: str, down: float, subscribed=None, acct=None):
    return SpeedTest.objects.create(
        test_id=f"S{next(_ids):06d}",
        city=city(code),
        level=level,
        measured_at=at(measured),
        account=acct,
        down_mbps=down,
        up_mbps=down / 10,
        subscribed_mbps=subscribed,
    )


def operations(code: str, month: str, product: str, revenue, billed, built, in_use):
    return OperationsMonth.objects.create(
        month=dt.date.fromisoformat(f"{month}-01"),
        city=city(code),
        product=product,
        revenue_yuan=Decimal(str(revenue)),
        billed_accounts=billed,
        ports_built=built,
        ports_in_use=in_use,
    )


def circuit(code: str, opened: str, *, availability="99.9", repair_hours=4.0, product=None):
    customer = CustomerFactory(city=city(code), customer_type="group")
    return Circuit.objects.create(
        circuit_id=f"DL{next(_ids):06d}",
        customer=customer,
        product=product or "dedicated_data",
        city=city(code),
        contract_availability=Decimal(availability),
        contract_repair_hours=repair_hours,
        opened_at=at(opened),
    )


def circuit_outage(line: Circuit, started: str, restored: str | None, **extra):
    return CircuitOutage.objects.create(
        outage_id=f"O{next(_ids):06d}",
        circuit=line,
        city=line.city,
        started_at=at(started),
        restored_at=at(restored) if restored else None,
        cause=extra.get("cause", "光缆中断"),
        network_fault=extra.get("network_fault", True),
    )


def complaint(
    acct: Account,
    created: str,
    *,
    record_type: str = "complaint_work_order",
    closed: str | None = None,
    untimely: bool | None = None,
    repeat_of: WorkOrder | None = None,
    upgraded: bool = False,
    channel: str = "hotline",
    callback: str = "",
    replied: str | None = None,
) -> WorkOrder:
    """A work order row as the complaint side leaves it (fields set directly: the indicator
    tests are about counting, not about the lifecycle)."""
    category = Category.objects.filter(level=2).order_by("code").first()
    order = WorkOrder.objects.create(
        number=f"WO{next(_ids):08d}",
        customer=acct.customer,
        account=acct,
        city=acct.customer.city,
        channel=channel,
        category=category,
        description="网速慢",
        record_type=record_type,
        state="closed" if closed else "in_progress",
        closed_at=at(closed) if closed else None,
        untimely=untimely,
        repeat_of=repeat_of,
        upgraded=upgraded,
        callback_outcome=callback,
        replied_at=at(replied) if replied else None,
    )
    WorkOrder.objects.filter(pk=order.pk).update(created=at(created))
    return order
