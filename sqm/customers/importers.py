"""Importers for customers.csv and accounts.csv (docs/formats.md)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sqm.core import changelog
from sqm.core.bulk import BulkInserter, log_bulk_creates
from sqm.core.fields import KeyIdField, LookupHashField, refresh_personal_fields
from sqm.core.formats import ACCOUNT_COLUMNS, CUSTOMER_COLUMNS, CUSTOMER_OPTIONAL
from sqm.core.importing import Importer, register
from sqm.core.importing import fields as f
from sqm.core.importing.base import RowInvalid
from sqm.core.importing.staging import Stage
from sqm.core.masking import mask_mobile
from sqm.core.validators import is_id_number, is_mobile
from sqm.customers.choices import AccountStatus, CustomerType, Service, Tier
from sqm.customers.models import Account, Customer

BROADBAND = Service.BROADBAND.value  # a plain str: enum access is slow per row
CUSTOMER_FIELDS = [
    "name",
    "mobile",
    "id_number",
    "address",
    "customer_type",
    "tier",
    "city_id",
    "district",
    "marketing_consent",
    "service_sms_opt_out",
]
# Model fields an import may change: every column but the key (customer_id, onu_id are
# the attnames the resolved primary keys go into).
ACCOUNT_FIELDS = [c for c in ACCOUNT_COLUMNS if c != "account_id"]


def _count_existing(model, key: str, batch: list[tuple[int, dict]]) -> tuple[int, int, list]:
    """(would create, would update, BATCH): the check pass's counts, reading only."""
    keys = [values[key] for _line, values in batch]
    found = model.objects.filter(**{f"{key}__in": keys}).count()
    return len(keys) - found, found, batch


def _upsert(
    inserter: BulkInserter,
    key: str,
    batch,
    fields: list[str],
    log_changes: bool,
) -> tuple[int, int]:
    """Write the import's Stage (once, set-based) or, if it drifted, one spooled batch."""
    if isinstance(batch, Stage):
        return batch.apply(log_changes=log_changes)
    return _upsert_rows(inserter, key, batch, fields, log_changes)


def _upsert_rows(
    inserter: BulkInserter,
    key: str,
    batch: list[tuple[int, dict]],
    fields: list[str],
    log_changes: bool,
) -> tuple[int, int]:
    """Create new rows and update existing ones (by business KEY) for one batch."""
    model = inserter.model
    keys = [values[key] for _line, values in batch]
    existing = {getattr(obj, key): obj for obj in model.objects.filter(**{f"{key}__in": keys})}
    befores = {}
    to_create, to_update = [], []
    for _line, values in batch:
        obj = existing.get(values[key])
        if obj is None:
            to_create.append(values)
            continue
        if log_changes:
            befores[obj.pk] = changelog.snapshot(obj, obj._loaded_values)
        for name in fields:
            setattr(obj, name, values[name])
        refresh_personal_fields(obj)
        to_update.append(obj)
    inserter.insert(to_create)
    if to_update:
        hashes = [
            f.name
            for f in model._meta.concrete_fields
            if isinstance(f, LookupHashField | KeyIdField)
        ]
        model.objects.bulk_update(to_update, [*fields, *hashes], batch_size=500)
    if log_changes:
        log_bulk_creates(model, key, to_create)
        changelog.record_bulk(to_update, "update", befores)
    return len(to_create), len(to_update)


@register
class CustomerImporter(Importer):
    kind = "customers"
    label = gettext_lazy("customers")
    permission = "customers.add_customer"
    required = tuple(c for c in CUSTOMER_COLUMNS if c not in CUSTOMER_OPTIONAL)
    optional = CUSTOMER_OPTIONAL

    def __init__(self) -> None:
        super().__init__()
        self.city = f.CityLookup()
        self.inserter = BulkInserter(Customer)

    def clean_row(self, line: int, row: dict[str, str]) -> dict | None:
        customer_id = self.unique_key(line, row, "customer_id", 32)
        mobile = f.required(row, "mobile")
        if not is_mobile(mobile):
            # A mistyped number is nearly the number: errors are stored and shown, so a
            # value long enough to be one is quoted masked (a short one cannot be).
            shown = mask_mobile(mobile) if len(mobile) > 7 else mobile
            raise RowInvalid(
                "mobile",
                _("%(value)r is not an 11-digit mainland mobile number") % {"value": shown},
            )
        id_number = f.required(row, "id_number").upper()
        if not is_id_number(id_number):
            raise RowInvalid(
                "id_number", _("not an 18-character ID number with a valid check digit")
            )
        return {
            "customer_id": customer_id,
            "name": f.required(row, "name", 64),
            "mobile": mobile,
            "id_number": id_number,
            "address": f.optional(row, "address", 200),
            "customer_type": f.choice(row, "customer_type", CustomerType),
            "tier": f.choice(row, "tier", Tier),
            "city_id": self.city(row),
            "district": f.place_name(row, "district", 32),
            "marketing_consent": f.flag(row, "marketing_consent"),
            "service_sms_opt_out": f.flag(row, "service_sms_opt_out"),
        }

    def make_stage(self) -> Stage:
        return Stage(Customer, "customer_id", CUSTOMER_FIELDS)

    def check(self, batch) -> tuple[int, int, list]:
        return _count_existing(Customer, "customer_id", batch)

    def write(self, batch, *, log_changes: bool) -> tuple[int, int]:
        return _upsert(self.inserter, "customer_id", batch, CUSTOMER_FIELDS, log_changes)


@register
class AccountImporter(Importer):
    kind = "accounts"
    label = gettext_lazy("accounts")
    permission = "customers.add_account"
    required = ACCOUNT_COLUMNS

    def __init__(self) -> None:
        super().__init__()
        self.inserter = BulkInserter(Account)

    def clean_row(self, line: int, row: dict[str, str]) -> dict | None:
        account_id = self.unique_key(line, row, "account_id", 32)
        service = f.choice(row, "service", Service)
        onu_id = f.optional(row, "onu_id", 64)
        if service == BROADBAND and not onu_id:
            raise RowInvalid("onu_id", _("a broadband account needs the ONU it hangs on"))
        if service != BROADBAND and onu_id:
            raise RowInvalid("onu_id", _("only broadband accounts hang on an ONU"))
        return {
            "account_id": account_id,
            "customer_id": f.required(row, "customer_id", 32),
            "service": service,
            "status": f.choice(row, "status", AccountStatus),
            "address": f.optional(row, "address", 200),
            "bandwidth_mbps": f.integer(
                row, "bandwidth_mbps", low=0, high=1_000_000, allow_empty=True
            ),
            "opened_at": f.timestamp(row, "opened_at"),
            "onu_id": onu_id or None,
        }

    def make_stage(self) -> Stage:
        return Stage(Account, "account_id", ACCOUNT_FIELDS)

    def check(self, batch) -> tuple[int, int, list]:
        valid = self._resolve(batch)
        created, updated, _batch = _count_existing(Account, "account_id", valid)
        return created, updated, batch

    def stage_batch(self, stage: Stage, batch) -> None:
        # Resolved again: a customer or ONU may be gone since the check.
        stage.add(self._resolve(batch), log_changes=self.log_changes)

    def write(self, batch, *, log_changes: bool) -> tuple[int, int]:
        if isinstance(batch, Stage):  # its references are checked again as it is applied
            return batch.apply(log_changes=log_changes)
        # Resolved again inside the transaction: a customer or ONU may be gone since the check.
        valid = self._resolve(batch)
        if self.error_count:
            return 0, 0  # the import will be rolled back
        return _upsert(self.inserter, "account_id", valid, ACCOUNT_FIELDS, log_changes)

    def _resolve(self, batch) -> list[tuple[int, dict]]:
        """The batch with business keys resolved to primary keys (two queries); an unknown
        customer or ONU is an error on its line."""
        customer_ids = {v["customer_id"] for _l, v in batch}
        onu_ids = {v["onu_id"] for _l, v in batch if v["onu_id"]}
        customers = dict(
            Customer.objects.filter(customer_id__in=customer_ids).values_list("customer_id", "pk")
        )
        # The ONU model through the account's own foreign key: the network sits above the
        # customers in the layers (docs/architecture.md), so customers never import it.
        onu_model = Account._meta.get_field("onu").related_model
        onus = dict(onu_model.objects.filter(onu_id__in=onu_ids).values_list("onu_id", "pk"))
        valid = []
        for line, values in batch:
            customer_pk = customers.get(values["customer_id"])
            if customer_pk is None:
                self.error(
                    line,
                    "customer_id",
                    _("no customer %(id)s (import customers first)")
                    % {"id": values["customer_id"]},
                )
                continue
            onu_pk = None
            if values["onu_id"]:
                onu_pk = onus.get(values["onu_id"])
                if onu_pk is None:
                    self.error(
                        line,
                        "onu_id",
                        _("no ONU %(id)s (import the topology first)") % {"id": values["onu_id"]},
                    )
                    continue
            valid.append((line, {**values, "customer_id": customer_pk, "onu_id": onu_pk}))
        return valid
