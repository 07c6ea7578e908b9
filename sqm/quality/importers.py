"""Importers of the operational facts the indicators need (docs/formats.md, "Quality facts").

Each kind is one file another system exports: repairs and activations (maintenance and
provisioning), specialist transfers (the hotline), speed tests, monthly operations figures
(billing, resources), dedicated circuits and their outages. Rows are keyed by the other
system's ID: importing a corrected file updates the rows it names. A fact is not
change-logged row by row; the import is one audited action.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sqm.core.importing import Importer, register
from sqm.core.importing import fields as f
from sqm.core.importing.base import RowInvalid
from sqm.quality.choices import Area, CircuitProduct, SpeedLevel
from sqm.quality.models import (
    Activation,
    Circuit,
    CircuitOutage,
    OperationsMonth,
    Repair,
    SpeedTest,
    Transfer,
)

ID_LENGTH = 40
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
MONTH = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])(-01T00:00:00)?")
BATCH_LOOKUP = 900  # below SQLite's host-parameter limit of older builds


def number(
    row: dict[str, str],
    column: str,
    *,
    low: float = 0.0,
    high: float = 1e12,
    allow_empty: bool = False,
) -> float | None:
    value = row.get(column, "").strip()
    if value == "":
        if allow_empty:
            return None
        raise RowInvalid(column, _("a value is required"))
    try:
        parsed = float(value)
    except ValueError:
        parsed = math.nan
    if not math.isfinite(parsed):
        raise RowInvalid(column, _("%(value)r is not a number") % {"value": value})
    if not low <= parsed <= high:
        raise RowInvalid(
            column,
            _("%(value)s is outside %(low)s–%(high)s")
            % {"value": value, "low": f"{low:.15g}", "high": f"{high:.15g}"},
        )
    return parsed


def decimal(row: dict[str, str], column: str, *, low: Decimal, high: Decimal, places: int):
    value = row.get(column, "").strip()
    if value == "":
        raise RowInvalid(column, _("a value is required"))
    try:
        parsed = Decimal(value)
    except InvalidOperation:
        raise RowInvalid(column, _("%(value)r is not a number") % {"value": value}) from None
    if not parsed.is_finite():
        raise RowInvalid(column, _("%(value)r is not a number") % {"value": value})
    if not low <= parsed <= high:
        raise RowInvalid(
            column,
            _("%(value)s is outside %(low)s–%(high)s")
            % {"value": value, "low": f"{low:f}", "high": f"{high:f}"},
        )
    if -parsed.as_tuple().exponent > places:
        raise RowInvalid(
            column, _("%(value)s has more than %(n)d decimals") % {"value": value, "n": places}
        )
    return parsed


def month_cell(row: dict[str, str], column: str = "month") -> dt.date:
    """YYYY-MM; or the first day of the month at midnight, which is what Excel makes of a
    month typed into a cell (a date cell, read as 2026-10-01T00:00:00)."""
    text = f.required(row, column)
    if not MONTH.fullmatch(text) or text.startswith("0000"):
        raise RowInvalid(column, _("%(value)r is not a month (YYYY-MM)") % {"value": text})
    return dt.date(int(text[:4]), int(text[5:7]), 1)


def not_before(later, earlier, column: str, earlier_column: str) -> None:
    if later is not None and earlier is not None and later < earlier:
        raise RowInvalid(
            column, _("is before %(column)s of the same row") % {"column": earlier_column}
        )


def rating(row: dict[str, str], column: str = "visit_rating") -> int | None:
    return f.integer(row, column, low=1, high=5, allow_empty=True)


def visit(row: dict[str, str]) -> dict:
    """The appointment window and arrival: both ends of the window or neither."""
    start = f.timestamp(row, "appointment_from")
    end = f.timestamp(row, "appointment_to")
    if (start is None) != (end is None):
        column = "appointment_to" if end is None else "appointment_from"
        raise RowInvalid(column, _("give both ends of the appointment window or neither"))
    not_before(end, start, "appointment_to", "appointment_from")
    return {
        "appointment_from": start,
        "appointment_to": end,
        "arrived_at": f.timestamp(row, "arrived_at"),
        "visit_rating": rating(row),
    }


def _chunks(values: list, size: int = BATCH_LOOKUP):
    for start in range(0, len(values), size):
        yield values[start : start + size]


class FactImporter(Importer):
    """Rows keyed by KEY (the other system's ID), written with bulk inserts and updates.

    `references` names the references a row makes: (row field, the model, its natural key,
    the column named in errors); they are looked up in bulk in the check pass and again in
    the write pass (a reference may be gone in between: then the import is rolled back).
    """

    model = None
    key = ""
    references: tuple[tuple[str, object, str, str], ...] = ()
    permission = "quality.import_facts"

    def clean_row(self, line: int, row: dict[str, str]) -> dict:
        # A NUL cannot be stored in a PostgreSQL text column (nor looked up): refuse control
        # characters in every cell before the kind reads the row.
        for column in self.required:
            if CONTROL.search(row.get(column, "")):
                raise RowInvalid(column, _("holds a control character"))
        return self.clean(line, row)

    def clean(self, line: int, row: dict[str, str]) -> dict:
        raise NotImplementedError

    def business_key(self, value: dict):
        return value[self.key]

    def _resolve(self, batch: list[tuple[int, dict]]) -> list[tuple[int, dict]]:
        """Fill each row's references from the database; rows with an unknown one get an
        error and are dropped."""
        resolved = batch
        for field, model, natural, column in self.references:
            wanted = sorted({value[field] for _line, value in resolved if value.get(field)})
            found: dict[str, dict] = {}
            for chunk in _chunks(wanted):
                for item in self.reference_rows(model, natural, chunk):
                    found[item[natural]] = item
            kept = []
            for line, value in resolved:
                ref = value.get(field)
                if ref and ref not in found:
                    self.error(
                        line,
                        column,
                        _("unknown %(column)s %(value)r") % {"column": column, "value": ref},
                    )
                    continue
                if ref:
                    self.apply_reference(value, field, found[ref])
                kept.append((line, value))
            resolved = kept
        return resolved

    def reference_rows(self, model, natural: str, keys: list[str]):
        return model.objects.filter(**{f"{natural}__in": keys}).values("pk", natural)

    def apply_reference(self, value: dict, field: str, found: dict) -> None:
        value[f"{field}_pk"] = found["pk"]

    def _existing(self, keys: list) -> dict:
        found = {}
        for chunk in _chunks(keys):
            found.update(
                self.model.objects.filter(**{f"{self.key}__in": chunk}).values_list(self.key, "pk")
            )
        return found

    def check(self, batch):
        kept = self._resolve(list(batch))
        existing = self._existing([self.business_key(v) for _line, v in kept])
        updated = sum(1 for _line, v in kept if self.business_key(v) in existing)
        return len(kept) - updated, updated, kept

    def build(self, value: dict):
        raise NotImplementedError

    def update_fields(self) -> list[str]:
        return [
            field.name
            for field in self.model._meta.concrete_fields
            if not field.primary_key and field.name != self.key
        ]

    def write(self, batch, *, log_changes: bool) -> tuple[int, int]:
        errors_before = self.error_count
        kept = self._resolve([(line, dict(value)) for line, value in batch])
        if self.error_count > errors_before:
            return 0, 0  # a reference went away since the check: run_import rolls back
        existing = self._existing([self.business_key(v) for _line, v in kept])
        now = dt.datetime.now(dt.UTC)
        new, changed = [], []
        for _line, value in kept:
            obj = self.build(value)
            obj.imported = now
            pk = existing.get(self.business_key(value))
            if pk is None:
                new.append(obj)
            else:
                obj.pk = pk
                changed.append(obj)
        self.model.objects.bulk_create(new, batch_size=500)
        if changed:
            differing = self._differing(changed, now)
            if differing:
                self.model.objects.bulk_update(differing, self.update_fields(), batch_size=500)
        return len(new), len(changed)

    def _differing(self, objs: list, now: dt.datetime) -> list:
        """The rows of OBJS whose values differ from the stored ones; the others only get
        their import time. A corrected file mostly repeats what is stored, and bulk_update
        costs about 2 ms a row (a 200,000-row re-import took 11 minutes)."""
        names = [
            self.model._meta.get_field(name).attname
            for name in self.update_fields()
            if name != "imported"
        ]
        stored: dict = {}
        for chunk in _chunks([obj.pk for obj in objs]):
            for row in self.model.objects.filter(pk__in=chunk).values("pk", *names):
                stored[row["pk"]] = row
        missing = object()
        same, differing = [], []
        for obj in objs:
            row = stored.get(obj.pk, {})
            equal = all(getattr(obj, name) == row.get(name, missing) for name in names)
            (same if equal else differing).append(obj)
        for chunk in _chunks([obj.pk for obj in same]):
            self.model.objects.filter(pk__in=chunk).update(imported=now)
        return differing


class AccountFactImporter(FactImporter):
    """Facts about one account: the customer's city and district are copied onto the row."""

    references = (("account_id", None, "account_id", "account_id"),)

    def __init__(self) -> None:
        super().__init__()
        from sqm.customers.models import Account

        self.references = (("account_id", Account, "account_id", "account_id"),)

    def reference_rows(self, model, natural, keys):
        return model.objects.filter(account_id__in=keys).values(
            "pk", "account_id", "customer__city_id", "customer__district"
        )

    def apply_reference(self, value, field, found) -> None:
        value["account_pk"] = found["pk"]
        value["city_pk"] = found["customer__city_id"]
        value["district"] = found["customer__district"] or ""


@register
class RepairImporter(AccountFactImporter):
    kind = "repairs"
    label = gettext_lazy("repairs")
    model = Repair
    key = "repair_id"
    required = (
        "repair_id",
        "account_id",
        "reported_at",
        "restored_at",
        "area",
        "cause",
        "network_fault",
        "appointment_from",
        "appointment_to",
        "arrived_at",
        "visit_rating",
    )

    def clean(self, line, row):
        reported = f.timestamp(row, "reported_at", allow_empty=False)
        restored = f.timestamp(row, "restored_at")
        not_before(restored, reported, "restored_at", "reported_at")
        return {
            "repair_id": self.unique_key(line, row, "repair_id", ID_LENGTH),
            "account_id": f.required(row, "account_id", 32),
            "reported_at": reported,
            "restored_at": restored,
            "area": f.choice(row, "area", Area),
            "cause": f.optional(row, "cause", 64),
            "network_fault": f.flag(row, "network_fault"),
            **visit(row),
        }

    def build(self, v):
        return Repair(
            repair_id=v["repair_id"],
            account_id=v["account_pk"],
            city_id=v["city_pk"],
            district=v["district"],
            reported_at=v["reported_at"],
            restored_at=v["restored_at"],
            area=v["area"],
            cause=v["cause"],
            network_fault=v["network_fault"],
            appointment_from=v["appointment_from"],
            appointment_to=v["appointment_to"],
            arrived_at=v["arrived_at"],
            visit_rating=v["visit_rating"],
        )


@register
class ActivationImporter(AccountFactImporter):
    kind = "activations"
    label = gettext_lazy("activations")
    model = Activation
    key = "order_id"
    required = (
        "order_id",
        "account_id",
        "ordered_at",
        "committed_at",
        "activated_at",
        "appointment_from",
        "appointment_to",
        "arrived_at",
        "visit_rating",
    )

    def clean(self, line, row):
        ordered = f.timestamp(row, "ordered_at", allow_empty=False)
        committed = f.timestamp(row, "committed_at", allow_empty=False)
        activated = f.timestamp(row, "activated_at")
        not_before(committed, ordered, "committed_at", "ordered_at")
        not_before(activated, ordered, "activated_at", "ordered_at")
        return {
            "order_id": self.unique_key(line, row, "order_id", ID_LENGTH),
            "account_id": f.required(row, "account_id", 32),
            "ordered_at": ordered,
            "committed_at": committed,
            "activated_at": activated,
            **visit(row),
        }

    def build(self, v):
        return Activation(
            order_id=v["order_id"],
            account_id=v["account_pk"],
            city_id=v["city_pk"],
            district=v["district"],
            ordered_at=v["ordered_at"],
            committed_at=v["committed_at"],
            activated_at=v["activated_at"],
            appointment_from=v["appointment_from"],
            appointment_to=v["appointment_to"],
            arrived_at=v["arrived_at"],
            visit_rating=v["visit_rating"],
        )


class CityFactImporter(FactImporter):
    """Facts with a city column of their own."""

    def __init__(self) -> None:
        super().__init__()
        self.city = f.CityLookup()


@register
class TransferImporter(CityFactImporter):
    kind = "transfers"
    label = gettext_lazy("specialist transfers")
    model = Transfer
    key = "transfer_id"
    required = ("transfer_id", "city", "requested_at", "connected_at", "skill")

    def clean(self, line, row):
        requested = f.timestamp(row, "requested_at", allow_empty=False)
        connected = f.timestamp(row, "connected_at")
        not_before(connected, requested, "connected_at", "requested_at")
        return {
            "transfer_id": self.unique_key(line, row, "transfer_id", ID_LENGTH),
            "city_pk": self.city(row),
            "requested_at": requested,
            "connected_at": connected,
            "skill": f.optional(row, "skill", 64),
        }

    def build(self, v):
        return Transfer(
            transfer_id=v["transfer_id"],
            city_id=v["city_pk"],
            requested_at=v["requested_at"],
            connected_at=v["connected_at"],
            skill=v["skill"],
        )


@register
class SpeedTestImporter(CityFactImporter):
    kind = "speed_tests"
    label = gettext_lazy("speed tests")
    model = SpeedTest
    key = "test_id"
    required = (
        "test_id",
        "measured_at",
        "level",
        "city",
        "account_id",
        "down_mbps",
        "up_mbps",
        "subscribed_mbps",
    )

    def __init__(self) -> None:
        super().__init__()
        from sqm.customers.models import Account

        self.references = (("account_id", Account, "account_id", "account_id"),)

    def clean(self, line, row):
        level = f.choice(row, "level", SpeedLevel)
        user = level == SpeedLevel.USER
        account = f.required(row, "account_id", 32) if user else f.optional(row, "account_id", 32)
        return {
            "test_id": self.unique_key(line, row, "test_id", ID_LENGTH),
            "measured_at": f.timestamp(row, "measured_at", allow_empty=False),
            "level": level,
            "city_pk": self.city(row),
            "account_id": account,
            "down_mbps": number(row, "down_mbps", high=1e6),
            "up_mbps": number(row, "up_mbps", high=1e6),
            "subscribed_mbps": number(row, "subscribed_mbps", high=1e6, allow_empty=not user),
        }

    def build(self, v):
        return SpeedTest(
            test_id=v["test_id"],
            measured_at=v["measured_at"],
            level=v["level"],
            city_id=v["city_pk"],
            account_id=v.get("account_id_pk"),
            down_mbps=v["down_mbps"],
            up_mbps=v["up_mbps"],
            subscribed_mbps=v["subscribed_mbps"],
        )


@register
class OperationsImporter(CityFactImporter):
    """One row per month, city and product; a month imported again replaces its figures."""

    kind = "operations"
    label = gettext_lazy("monthly operations figures")
    model = OperationsMonth
    key = "month_city_product"
    required = (
        "month",
        "city",
        "product",
        "revenue_yuan",
        "billed_accounts",
        "ports_built",
        "ports_in_use",
    )

    def clean(self, line, row):
        from sqm.customers.choices import Service

        month = month_cell(row)
        city = self.city(row)
        product = f.choice(row, "product", Service)
        key = f"{month:%Y-%m}|{city}|{product}"
        first = self.seen.setdefault(key, line)
        if first != line:
            raise RowInvalid(
                "month",
                _("this month, city and product appear again (first on line %(line)d)")
                % {"line": first},
            )
        built = f.integer(row, "ports_built")
        in_use = f.integer(row, "ports_in_use")
        if in_use > built:
            raise RowInvalid("ports_in_use", _("is more than ports_built"))
        return {
            "month": month,
            "city_pk": city,
            "product": product,
            "revenue_yuan": decimal(
                row, "revenue_yuan", low=Decimal(0), high=Decimal("1e13"), places=2
            ),
            "billed_accounts": f.integer(row, "billed_accounts"),
            "ports_built": built,
            "ports_in_use": in_use,
        }

    def business_key(self, v):
        return (v["month"], v["city_pk"], v["product"])

    def _existing(self, keys):
        found = {}
        months = sorted({k[0] for k in keys})
        rows = self.model.objects.filter(month__in=months).values_list(
            "month", "city_id", "product", "pk"
        )
        for month, city, product, pk in rows:
            found[(month, city, product)] = pk
        return found

    def update_fields(self):
        return ["revenue_yuan", "billed_accounts", "ports_built", "ports_in_use", "imported"]

    def build(self, v):
        return OperationsMonth(
            month=v["month"],
            city_id=v["city_pk"],
            product=v["product"],
            revenue_yuan=v["revenue_yuan"],
            billed_accounts=v["billed_accounts"],
            ports_built=v["ports_built"],
            ports_in_use=v["ports_in_use"],
        )


@register
class CircuitImporter(CityFactImporter):
    kind = "circuits"
    label = gettext_lazy("dedicated circuits")
    model = Circuit
    key = "circuit_id"
    required = (
        "circuit_id",
        "customer_id",
        "product",
        "city",
        "contract_availability",
        "contract_repair_hours",
        "opened_at",
    )

    def __init__(self) -> None:
        super().__init__()
        from sqm.customers.models import Customer

        self.references = (("customer_id", Customer, "customer_id", "customer_id"),)

    def clean(self, line, row):
        return {
            "circuit_id": self.unique_key(line, row, "circuit_id", ID_LENGTH),
            "customer_id": f.required(row, "customer_id", 32),
            "product": f.choice(row, "product", CircuitProduct),
            "city_pk": self.city(row),
            "contract_availability": decimal(
                row, "contract_availability", low=Decimal(0), high=Decimal(100), places=4
            ),
            "contract_repair_hours": number(row, "contract_repair_hours", low=0.01, high=10_000),
            "opened_at": f.timestamp(row, "opened_at", allow_empty=False),
        }

    def build(self, v):
        return Circuit(
            circuit_id=v["circuit_id"],
            customer_id=v["customer_id_pk"],
            product=v["product"],
            city_id=v["city_pk"],
            contract_availability=v["contract_availability"],
            contract_repair_hours=v["contract_repair_hours"],
            opened_at=v["opened_at"],
        )


@register
class CircuitOutageImporter(FactImporter):
    kind = "circuit_outages"
    label = gettext_lazy("circuit outages")
    model = CircuitOutage
    key = "outage_id"
    references = (("circuit_id", Circuit, "circuit_id", "circuit_id"),)
    required = ("outage_id", "circuit_id", "started_at", "restored_at", "cause", "network_fault")

    def reference_rows(self, model, natural, keys):
        return model.objects.filter(circuit_id__in=keys).values("pk", "circuit_id", "city_id")

    def apply_reference(self, value, field, found) -> None:
        value["circuit_pk"] = found["pk"]
        value["city_pk"] = found["city_id"]

    def clean(self, line, row):
        started = f.timestamp(row, "started_at", allow_empty=False)
        restored = f.timestamp(row, "restored_at")
        not_before(restored, started, "restored_at", "started_at")
        return {
            "outage_id": self.unique_key(line, row, "outage_id", ID_LENGTH),
            "circuit_id": f.required(row, "circuit_id", ID_LENGTH),
            "started_at": started,
            "restored_at": restored,
            "cause": f.optional(row, "cause", 64),
            "network_fault": f.flag(row, "network_fault"),
        }

    def build(self, v):
        return CircuitOutage(
            outage_id=v["outage_id"],
            circuit_id=v["circuit_pk"],
            city_id=v["city_pk"],
            started_at=v["started_at"],
            restored_at=v["restored_at"],
            cause=v["cause"],
            network_fault=v["network_fault"],
        )
