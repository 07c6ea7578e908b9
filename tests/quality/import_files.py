"""Files of the seven quality fact kinds for the importer tests: good rows, and writers to
CSV (UTF-8 or GBK) and XLSX. The references they make exist once `references()` ran."""

from __future__ import annotations

import csv
from pathlib import Path

from openpyxl import Workbook

from sqm.core.importing import registry
from tests.factories import AccountFactory, CustomerFactory, city

KINDS = (
    "repairs",
    "activations",
    "transfers",
    "speed_tests",
    "operations",
    "circuits",
    "circuit_outages",
)

# Two good rows per kind. Naive times are Shanghai wall-clock times; one row of each kind
# with times gives an offset instead, to show it is kept.
GOOD: dict[str, list[dict[str, str]]] = {
    "repairs": [
        {
            "repair_id": "R-001",
            "account_id": "A-NJ-1",
            "reported_at": "2026-10-03 08:00:00",
            "restored_at": "2026-10-04T09:30:00",
            "area": "urban",
            "cause": "光猫故障",
            "network_fault": "1",
            "appointment_from": "2026-10-03 14:00",
            "appointment_to": "2026-10-03 16:00",
            "arrived_at": "2026-10-03 15:10",
            "visit_rating": "5",
        },
        {
            "repair_id": "R-002",
            "account_id": "A-SZ-1",
            "reported_at": "2026-10-05T10:00:00+00:00",
            "restored_at": "",
            "area": "rural",
            "cause": "",
            "network_fault": "0",
            "appointment_from": "",
            "appointment_to": "",
            "arrived_at": "",
            "visit_rating": "",
        },
    ],
    "activations": [
        {
            "order_id": "K-001",
            "account_id": "A-NJ-1",
            "ordered_at": "2026-10-01 09:00",
            "committed_at": "2026-10-03 18:00",
            "activated_at": "2026-10-02 17:00",
            "appointment_from": "2026-10-02 09:00",
            "appointment_to": "2026-10-02 12:00",
            "arrived_at": "2026-10-02 11:00",
            "visit_rating": "4",
        },
        {
            "order_id": "K-002",
            "account_id": "A-SZ-1",
            "ordered_at": "2026-10-01T01:00:00+00:00",
            "committed_at": "2026-10-04 18:00",
            "activated_at": "",
            "appointment_from": "",
            "appointment_to": "",
            "arrived_at": "",
            "visit_rating": "",
        },
    ],
    "transfers": [
        {
            "transfer_id": "T-001",
            "city": "南京",
            "requested_at": "2026-10-02 10:00:00",
            "connected_at": "2026-10-02 10:00:25",
            "skill": "宽带专席",
        },
        {
            "transfer_id": "T-002",
            "city": "SZ",
            "requested_at": "2026-10-02T02:00:00+00:00",
            "connected_at": "",
            "skill": "",
        },
    ],
    "speed_tests": [
        {
            "test_id": "S-001",
            "measured_at": "2026-10-02 20:00",
            "level": "user",
            "city": "南京市",
            "account_id": "A-NJ-1",
            "down_mbps": "480.5",
            "up_mbps": "48",
            "subscribed_mbps": "500",
        },
        {
            "test_id": "S-002",
            "measured_at": "2026-10-02T12:00:00+00:00",
            "level": "exit",
            "city": "南京",
            "account_id": "",
            "down_mbps": "9500",
            "up_mbps": "9000",
            "subscribed_mbps": "",
        },
    ],
    "operations": [
        {
            "month": "2026-10",
            "city": "南京",
            "product": "broadband",
            "revenue_yuan": "12345678.90",
            "billed_accounts": "250000",
            "ports_built": "400000",
            "ports_in_use": "300000",
        },
        {
            "month": "2026-10",
            "city": "苏州",
            "product": "broadband",
            "revenue_yuan": "9000000",
            "billed_accounts": "180000",
            "ports_built": "300000",
            "ports_in_use": "300000",
        },
    ],
    "circuits": [
        {
            "circuit_id": "DL-001",
            "customer_id": "G-NJ-1",
            "product": "dedicated_internet",
            "city": "南京",
            "contract_availability": "99.95",
            "contract_repair_hours": "4",
            "opened_at": "2025-03-01",
        },
        {
            "circuit_id": "DL-002",
            "customer_id": "G-NJ-1",
            "product": "dedicated_data",
            "city": "苏州",
            "contract_availability": "99.9",
            "contract_repair_hours": "2.5",
            "opened_at": "2025-04-01T00:00:00+08:00",
        },
    ],
    "circuit_outages": [
        {
            "outage_id": "O-001",
            "circuit_id": "DL-NJ",
            "started_at": "2026-10-06 01:00",
            "restored_at": "2026-10-06 03:30",
            "cause": "光缆中断",
            "network_fault": "1",
        },
        {
            "outage_id": "O-002",
            "circuit_id": "DL-SZ",
            "started_at": "2026-10-07T00:00:00+00:00",
            "restored_at": "",
            "cause": "",
            "network_fault": "0",
        },
    ],
}


def references() -> None:
    """The rows GOOD refers to: a Nanjing and a Suzhou broadband account, a group customer,
    and two circuits (one per city)."""
    import datetime as dt
    from decimal import Decimal

    from sqm.quality.models import Circuit

    nanjing = CustomerFactory(customer_id="P-NJ-1", city=city("NJ"), district="玄武区")
    suzhou = CustomerFactory(customer_id="P-SZ-1", city=city("SZ"), district="姑苏区")
    AccountFactory(account_id="A-NJ-1", customer=nanjing)
    AccountFactory(account_id="A-SZ-1", customer=suzhou)
    group = CustomerFactory(customer_id="G-NJ-1", customer_type="group", city=city("NJ"))
    for circuit_id, code in (("DL-NJ", "NJ"), ("DL-SZ", "SZ")):
        Circuit.objects.create(
            circuit_id=circuit_id,
            customer=group,
            product="dedicated_data",
            city=city(code),
            contract_availability=Decimal("99.9"),
            contract_repair_hours=4,
            opened_at=dt.datetime(2024, 12, 31, 16, tzinfo=dt.UTC),
        )


def header(kind: str) -> list[str]:
    return list(registry[kind].required)


def write_csv(
    path: Path,
    kind: str,
    rows: list[dict[str, str]],
    *,
    encoding: str = "utf-8",
    columns: list[str] | None = None,
) -> Path:
    columns = columns or header(kind)
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_xlsx(path: Path, kind: str, rows: list[list[object]], columns=None) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.append(columns or header(kind))
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def csv_bytes(kind: str, rows: list[dict[str, str]]) -> bytes:
    columns = header(kind)
    lines = [",".join(columns)] + [",".join(row.get(c, "") for c in columns) for row in rows]
    return ("\n".join(lines) + "\n").encode("utf-8")
