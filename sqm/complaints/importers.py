"""Importer for complaint history (complaints.jsonl, or CSV/XLSX with the same columns).

History is added, never changed: a number already in the database is an error, so importing
the same file twice changes nothing the second time. Rows are staged outside the write
transaction and written set-based (sqm/core/importing/staging.py), or else in batches with the
BulkInserter; `created` is the record's own `created_at`, the city comes from the customer,
`upgraded` from the channel, and work orders get their SLA policy and deadlines from
`sqm.complaints.sla` as if opened at `created_at`. Each record gets a minimal timeline: an
`open` event at `created_at` and, when closed, a `close` event at `closed_at`. See
docs/formats.md ("complaints (JSON Lines)").
"""

from __future__ import annotations

import sys

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sqm.complaints import sla
from sqm.complaints.choices import (
    UPGRADED_CHANNELS,
    CallbackOutcome,
    Channel,
    Demand,
    DepartmentKind,
    OrderKind,
    RecordType,
    Topic,
    WorkOrderAction,
    WorkOrderState,
)
from sqm.complaints.models import Category, Department, WorkOrder, WorkOrderEvent
from sqm.core.bulk import BulkInserter, log_bulk_creates
from sqm.core.importing import Importer, register
from sqm.core.importing import fields as f
from sqm.core.importing.base import RowInvalid
from sqm.core.importing.staging import Stage, StageGroup
from sqm.customers.models import Account, Customer

# The keys of a record (docs/formats.md); the generator writes them in this order.
REQUIRED = (
    "number",
    "customer_id",
    "channel",
    "category",
    "description",
    "record_type",
    "state",
    "created_at",
)
OPTIONAL = (
    "account_id",
    "topic",
    "demands",
    "order_kind",
    "department",
    "first_responsible",
    "replied_at",
    "reply",
    "closed_at",
    "callback_outcome",
    "callback_attempts",
    "untimely",
    "breach_reason",
    "repeat_of",
    "remediation",
)
MAX_TEXT = 10_000
WORK_ORDER = RecordType.COMPLAINT_WORK_ORDER.value
CLOSED = WorkOrderState.CLOSED.value
SUSPENDED = WorkOrderState.SUSPENDED.value
NEW = WorkOrderState.NEW.value
REPLIED = WorkOrderState.REPLIED.value
NEEDS_REPLY = {WorkOrderState.REPLIED.value, WorkOrderState.AWAITING_CALLBACK.value}
UPGRADED = frozenset(c.value for c in UPGRADED_CHANNELS)
DEMANDS = frozenset(Demand.values)
TRUE, FALSE = {"1", "true"}, {"0", "false"}


def _flag(row: dict[str, str], column: str, empty: bool | None) -> bool | None:
    """1/0 or true/false (JSON true/false arrive as 1/0); EMPTY when the cell is empty."""
    value = row.get(column, "").lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    if value == "":
        return empty
    raise RowInvalid(column, _("%(value)r is not 0 or 1") % {"value": row[column]})


def _demands(row: dict[str, str]) -> list[str]:
    """A JSON list, or in CSV/XLSX the demands separated by ';'."""
    found = set()
    for item in row.get("demands", "").split(";"):
        item = item.strip()
        if not item:
            continue
        if item not in DEMANDS:
            raise RowInvalid(
                "demands",
                _("%(value)r is not one of %(allowed)s")
                % {"value": item, "allowed": ", ".join(Demand.values)},
            )
        found.add(item)
    return sorted(found)


def _check_repeat(number: str, same_customer: bool, made: float, created) -> None:
    """A repeat links to an earlier record of the same customer."""
    if not same_customer:
        raise RowInvalid(
            "repeat_of", _("%(number)s is another customer's record") % {"number": number}
        )
    if made > created.timestamp():
        raise RowInvalid(
            "repeat_of", _("%(number)s was made after this record") % {"number": number}
        )


@register
class ComplaintImporter(Importer):
    kind = "complaints"
    label = gettext_lazy("complaint history")
    permission = "complaints.import_history"
    required = REQUIRED
    optional = OPTIONAL

    def __init__(self) -> None:
        super().__init__()
        self.categories = {
            c.code: c for c in Category.objects.select_related("parent__parent", "department")
        }
        self.by_pk = {c.pk: c for c in self.categories.values()}
        self.departments = {d.code: d for d in Department.objects.all()}
        self.orders = BulkInserter(WorkOrder, keep_times=("created",))
        self.events = BulkInserter(WorkOrderEvent, keep_times=("time",))
        self.policies: dict[tuple[int, str, bool], object] = {}
        # number -> (customer_id, created) of the valid lines so far, to check repeats.
        self.facts: dict[str, tuple[str, float]] = {}
        table = connection.ops.quote_name(WorkOrder._meta.db_table)
        self.link_sql = f"UPDATE {table} SET repeat_of_id = %s WHERE id = %s"
        self.events_staged = 0  # the stage's line numbers of timeline events
        # The time of the "imported in state X" steps (the file does not say when a record
        # reached an open state other than replied).
        self.started = timezone.now()

    # -- one row, on its own ---------------------------------------------------------------------

    def _department(self, row: dict[str, str], column: str, kinds: set[str]):
        code = row.get(column, "")
        if not code:
            return None
        department = self.departments.get(code)
        if department is None:
            raise RowInvalid(column, _("no department %(code)s") % {"code": code})
        if department.kind not in kinds:
            raise RowInvalid(
                column,
                _("%(code)s is a %(kind)s department; it cannot hold this role")
                % {"code": code, "kind": department.get_kind_display()},
            )
        return department

    def clean_row(self, line: int, row: dict[str, str]) -> dict:
        number = self.unique_key(line, row, "number", 24)
        code = f.required(row, "category", 32)
        category = self.categories.get(code)
        if category is None:
            raise RowInvalid("category", _("no category %(code)s") % {"code": code})
        if category.level != 3:
            raise RowInvalid(
                "category", _("%(code)s is not a third-level category") % {"code": code}
            )
        channel = f.choice(row, "channel", Channel)
        record_type = f.choice(row, "record_type", RecordType)
        state = f.choice(row, "state", WorkOrderState)
        created = f.timestamp(row, "created_at", allow_empty=False)
        replied_at = f.timestamp(row, "replied_at")
        closed_at = f.timestamp(row, "closed_at")
        reply = f.optional(row, "reply", MAX_TEXT)
        values = {
            "number": number,
            "customer_id": f.required(row, "customer_id", 32),
            "account_id": f.optional(row, "account_id", 32) or None,
            "channel": channel,
            "upgraded": channel in UPGRADED,
            "topic": f.choice(row, "topic", Topic, default=""),
            "demands": _demands(row),
            "record_type": record_type,
            "order_kind": f.choice(row, "order_kind", OrderKind, default=""),
            "category_id": category.pk,
            "description": f.required(row, "description", MAX_TEXT),
            "state": state,
            "created": created,
            "department_id": getattr(
                self._department(
                    row, "department", {DepartmentKind.SECOND_LINE, DepartmentKind.BACK_OFFICE}
                ),
                "pk",
                None,
            ),
            "first_responsible_id": getattr(
                self._department(row, "first_responsible", {DepartmentKind.BACK_OFFICE}),
                "pk",
                None,
            ),
            "reply": reply,
            "replied_at": replied_at,
            "closed_at": closed_at,
            "callback_outcome": f.choice(row, "callback_outcome", CallbackOutcome, default=""),
            "callback_attempts": f.integer(
                row, "callback_attempts", low=0, high=32767, allow_empty=True
            )
            or 0,
            "untimely": _flag(row, "untimely", None),
            "breach_reason": f.optional(row, "breach_reason", MAX_TEXT),
            "remediation": _flag(row, "remediation", False),
        }
        # The record must tell one consistent story.
        if replied_at is not None and replied_at < created:
            raise RowInvalid("replied_at", _("earlier than created_at"))
        if closed_at is not None and closed_at < created:
            raise RowInvalid("closed_at", _("earlier than created_at"))
        if closed_at is not None and replied_at is not None and closed_at < replied_at:
            raise RowInvalid("closed_at", _("earlier than replied_at"))
        if state == CLOSED and closed_at is None:
            raise RowInvalid("closed_at", _("a closed record needs the time it was closed"))
        if state != CLOSED and closed_at is not None:
            raise RowInvalid(
                "closed_at",
                _("only closed records have one (state is %(state)s)") % {"state": state},
            )
        if state in NEEDS_REPLY and replied_at is None:
            raise RowInvalid(
                "replied_at", _("a %(state)s work order needs its reply time") % {"state": state}
            )
        if replied_at is not None and not reply:
            raise RowInvalid("reply", _("a reply time needs the reply"))
        if reply and replied_at is None:
            raise RowInvalid("replied_at", _("a reply needs its time"))
        if record_type != WORK_ORDER and state != CLOSED:
            raise RowInvalid(
                "state",
                _("service requests and direct-answer complaints are recorded closed"),
            )
        repeat_of = f.optional(row, "repeat_of", 24) or None
        if repeat_of == number:
            raise RowInvalid("repeat_of", _("a record cannot repeat itself"))
        # An earlier line of the file (checked here), or a record already in the database
        # (checked with the batch). A later line is neither.
        values["repeat_of"] = repeat_of
        values["repeat_in_file"] = repeat_of is not None and repeat_of in self.seen
        if values["repeat_in_file"]:
            facts = self.facts.get(repeat_of)
            if facts is None:
                raise RowInvalid(
                    "repeat_of",
                    _("%(number)s is on line %(line)d, which is not valid")
                    % {"number": repeat_of, "line": self.seen[repeat_of]},
                )
            _check_repeat(repeat_of, facts[0] == values["customer_id"], facts[1], created)
        self.facts[number] = (sys.intern(values["customer_id"]), created.timestamp())
        return values

    # -- a batch, against the database -----------------------------------------------------------

    def _policy(self, category_id: int, tier: str, upgraded: bool):
        key = (category_id, tier, upgraded)
        if key not in self.policies:
            probe = WorkOrder(
                category=self.by_pk[category_id],
                customer=Customer(tier=tier),
                upgraded=upgraded,
            )
            self.policies[key] = sla.policy_for(probe)
        return self.policies[key]

    def check(self, batch) -> tuple[int, int, list]:
        rows, _links = self._resolve(batch)
        return len(rows), 0, batch

    def _resolve(self, batch) -> tuple[list[dict], list[tuple[str, str]]]:
        """The work-order rows of a batch and its repeat links, references resolved against
        the database (reading only); a row that cannot be resolved is an error on its line."""
        numbers = [v["number"] for _l, v in batch]
        customers = {
            cid: (pk, city, tier)
            for cid, pk, city, tier in Customer.objects.filter(
                customer_id__in={v["customer_id"] for _l, v in batch}
            ).values_list("customer_id", "pk", "city_id", "tier")
        }
        accounts = dict(
            (aid, (pk, owner))
            for aid, pk, owner in Account.objects.filter(
                account_id__in={v["account_id"] for _l, v in batch if v["account_id"]}
            ).values_list("account_id", "pk", "customer_id")
        )
        taken = set(WorkOrder.objects.filter(number__in=numbers).values_list("number", flat=True))
        outside = {v["repeat_of"] for _l, v in batch if v["repeat_of"] and not v["repeat_in_file"]}
        known = self._orders(outside)
        rows, links = [], []
        for line, values in batch:
            customer = customers.get(values["customer_id"])
            if customer is None:
                self.error(
                    line,
                    "customer_id",
                    _("no customer %(id)s (import customers first)")
                    % {"id": values["customer_id"]},
                )
                continue
            customer_pk, city_id, tier = customer
            account_pk = None
            if values["account_id"]:
                account = accounts.get(values["account_id"])
                if account is None:
                    self.error(
                        line,
                        "account_id",
                        _("no account %(id)s (import accounts first)")
                        % {"id": values["account_id"]},
                    )
                    continue
                if account[1] != customer_pk:
                    self.error(
                        line,
                        "account_id",
                        _("%(id)s belongs to another customer") % {"id": values["account_id"]},
                    )
                    continue
                account_pk = account[0]
            if values["number"] in taken:
                self.error(
                    line,
                    "number",
                    _("%(number)s is already in the database (history is only added)")
                    % {"number": values["number"]},
                )
                continue
            target = values["repeat_of"]
            if target and not values["repeat_in_file"]:
                if target not in known:
                    self.error(
                        line,
                        "repeat_of",
                        _("no record %(number)s earlier in the file or in the database")
                        % {"number": target},
                    )
                    continue
                _pk, owner, made = known[target]
                try:
                    _check_repeat(target, owner == customer_pk, made.timestamp(), values["created"])
                except RowInvalid as exc:
                    self.error(line, exc.column, exc.reason)
                    continue
            rows.append(self._order_row(values, customer_pk, city_id, tier, account_pk))
            if target:
                links.append((values["number"], target))
        return rows, links

    # -- staged (staging.py): work orders, then their timelines found by number ---------------

    def make_stage(self) -> StageGroup:
        orders = Stage(
            WorkOrder,
            "number",
            [],
            {"repeat_of": {"number": "repeat_number"}},
            keep_times=("created",),
        )
        events = Stage(
            WorkOrderEvent,
            ("work_order", "time", "action"),
            [],
            {"work_order": {"number": "order_number"}},
            keep_times=("time",),
            logged=False,  # the plain import does not log timeline events either
        )
        return StageGroup(orders, events, main=0)

    def stage_batch(self, stage: StageGroup, batch) -> None:
        orders, events = stage.stages
        rows, links = self._resolve(batch)  # references may be gone since the check
        if self.error_count:
            return
        stored = self._orders({target for _n, target in links})
        targets = dict(links)
        for row in rows:
            target = targets.get(row["number"])
            # A stored record by id; an earlier line of the file by its number, once written.
            row["repeat_of_id"] = stored[target][0] if target in stored else None
            row["repeat_number"] = target if target and target not in stored else None
        # No row was refused, so ROWS are the batch's rows in order.
        lines = [line for line, _v in batch]
        orders.add(list(zip(lines, rows, strict=True)), log_changes=self.log_changes)
        timeline = self._timeline(rows, {})
        start = self.events_staged
        self.events_staged += len(timeline)
        events.add(list(enumerate(timeline, start)), log_changes=False)

    def write(self, batch, *, log_changes: bool) -> tuple[int, int]:
        """Apply the stages (once) or, without them or if they drifted, write one batch."""
        if isinstance(batch, StageGroup):
            return batch.apply(log_changes=log_changes)
        # Resolved again inside the transaction: the database may have changed since the check.
        rows, links = self._resolve(batch)
        if self.error_count:
            return 0, 0  # the import will be rolled back
        numbers = [v["number"] for _l, v in batch]
        self.orders.insert(rows)
        ids = self._orders(set(numbers) | {target for _n, target in links})
        # Repeats are linked once both records are in: the earlier one may be in this batch.
        repeats = {number: ids[target][0] for number, target in links}
        if repeats:
            with connection.cursor() as cursor:
                cursor.executemany(
                    self.link_sql, [(target, ids[n][0]) for n, target in repeats.items()]
                )
        self.events.insert(self._timeline(rows, ids))
        if log_changes:
            for row in rows:
                row["repeat_of_id"] = repeats.get(row["number"])
            log_bulk_creates(WorkOrder, "number", rows)
        return len(rows), 0

    def _orders(self, numbers: set[str]) -> dict[str, tuple[int, int, object]]:
        """number -> (pk, customer pk, created) of the records in the database."""
        if not numbers:
            return {}
        return {
            number: (pk, customer, created)
            for number, pk, customer, created in WorkOrder.objects.filter(
                number__in=numbers
            ).values_list("number", "pk", "customer_id", "created")
        }

    def _order_row(self, values: dict, customer_pk: int, city_id: int, tier: str, account_pk):
        row = {
            key: value
            for key, value in values.items()
            if key not in ("repeat_of", "repeat_in_file", "customer_id", "account_id")
        }
        row.update(customer_id=customer_pk, account_id=account_pk, city_id=city_id)
        if values["record_type"] == WORK_ORDER:
            created = values["created"]
            policy = self._policy(values["category_id"], tier, values["upgraded"])
            if policy is not None:
                row.update(
                    policy_id=policy.pk,
                    response_due=sla.add(policy, created, policy.response_hours),
                    resolve_due=sla.add(policy, created, policy.resolution_hours),
                    warn_at=sla.add(
                        policy, created, policy.resolution_hours * policy.warning_ratio
                    ),
                )
                if values["replied_at"] is not None:
                    row["callback_due"] = sla.add(
                        policy, values["replied_at"], policy.callback_hours
                    )
            if values["state"] == SUSPENDED:
                # The old system's suspension time is not exchanged: the clock counts as
                # stopped since opening, and resuming moves the deadlines on from there.
                row["suspended_at"] = created
                row["state_before_suspension"] = (
                    WorkOrderState.ESCALATED
                    if values["department_id"]
                    else WorkOrderState.IN_PROGRESS
                ).value
        return row

    def _timeline(self, rows: list[dict], ids: dict) -> list[dict]:
        """The rows' events; a record not in IDS (staged) is found by its number when written.

        The history file knows when a record was made, replied to and closed: those steps
        are written at their own times. It does not say when an order was accepted,
        escalated, suspended or reopened, so where the known steps do not reach the record's
        state, one step "imported from the complaint history" leads to that state (and
        names the department), instead of a timeline that stops at the opening while the
        header says escalated or suspended. It is dated at the import's own time, except
        a suspension: at the order's suspended_at, the time its header says the clock
        stopped."""
        events = []
        for row in rows:
            pk = ids[row["number"]][0] if ids else None
            for time, action, from_state, to_state, note, department_id in self._steps(row):
                events.append(
                    {
                        "work_order_id": pk,
                        "order_number": row["number"],
                        "time": time,
                        "action": action,
                        "from_state": from_state,
                        "to_state": to_state,
                        "note": note,
                        "department_id": department_id,
                    }
                )
        return events

    def _steps(self, row: dict) -> list[tuple]:
        """(time, action, from, to, note, department id) of one record's timeline."""
        work_order = row["record_type"] == WORK_ORDER
        steps = [(row["created"], WorkOrderAction.OPEN.value, "", NEW, row["description"][:200],
                  None)]  # fmt: skip
        reached = NEW
        if work_order and row["replied_at"] is not None:
            handled = (
                WorkOrderState.ESCALATED if row["department_id"] else WorkOrderState.IN_PROGRESS
            )
            steps.append((row["replied_at"], WorkOrderAction.REPLY.value, handled.value, REPLIED,
                          row["reply"], None))  # fmt: skip
            reached = REPLIED
        if row["state"] == CLOSED:
            # A direct answer's reply is given as it is closed: the closing step keeps it.
            note = "" if reached == REPLIED else (row["reply"] or "")[:200]
            # The file does not say when the callback began, so the closing step goes on from
            # the last state the timeline reached (replied → closed), not from a callback
            # state no step led to.
            steps.append((row["closed_at"], WorkOrderAction.CLOSE.value, reached, CLOSED,
                          note, None))  # fmt: skip
        elif row["state"] != reached:
            # A suspended record's clock counts as stopped since a time the order row holds
            # (suspended_at, shown as "paused since"): the step is dated then, as the header
            # says, not at the import (never before the steps the file dates).
            time = self.started
            if row.get("suspended_at") is not None:
                time = max(row["suspended_at"], steps[-1][0])
            steps.append((time, WorkOrderAction.IMPORT.value, reached, row["state"], "",
                          row["department_id"]))  # fmt: skip
        return steps
