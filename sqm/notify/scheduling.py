"""Putting fault and recovery SMS in the outbox as outages start and end (docs/faults.md).

The times come from `notify.rules` (the same code `sqm faults replay` uses). Writes are
set-based: the fault notices of an OLT's 20,000 accounts are one INSERT … SELECT, not 20,000
ORM saves (bench/faults.py measures both).

- Fault SMS: one per outage, key `outage:<id>:fault`, planned at `Rules.fault_at(start)`.
  Customers who opted out of service SMS get none (counted).
- When an outage ends, its fault SMS still waiting in the outbox is cancelled: we never tell
  a customer about an outage that is already over. If the fault SMS went out (sending, sent
  or delivered), the recovery SMS is planned at `Rules.recovery_at(start, end)`.
- Texts come from the active `SmsTemplate` of each kind; no active template, no SMS of that
  kind (counted). A fault event's texts are rendered once and re-rendered while waiting when
  its estimated recovery changes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.db import connection
from django.db.models import Q

from sqm.notify.choices import MessageKind, MessageState
from sqm.notify.models import OutboundMessage, SmsTemplate
from sqm.notify.rules import SHANGHAI, Rules

CHUNK = 5000  # ids per IN (…) list
SENT_STATES = (MessageState.SENDING, MessageState.SENT, MessageState.DELIVERED)
ENDED_BEFORE = "the outage ended before the notice went out"


def message_key(outage_id: int, kind: str) -> str:
    return f"outage:{outage_id}:{kind}"


# --- texts -------------------------------------------------------------------------------


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"  # an unknown variable stays visible rather than failing


def _moment(value: datetime) -> str:
    # SMS go out in the template's language (Chinese), whatever the admin's UI language.
    local = value.astimezone(SHANGHAI)
    return f"{local.month}月{local.day}日{local:%H:%M}"


def fault_area(fault) -> str:
    """Where the fault is, in customers' words: city and district (or the OLT's name)."""
    olt = fault.olt
    return f"{fault.city.name}{olt.district or olt.name}"


def fault_type_name(code: str) -> str:
    from sqm.network.models import FaultType

    return FaultType.objects.filter(code=code).values_list("name", flat=True).first() or code


def variables(
    fault, recovered: datetime | None = None, names: dict[str, str] | None = None
) -> dict[str, str]:
    """The template variables for FAULT; NAMES, when given, are the fault types' names
    (read once for many faults)."""
    eta = fault.estimated_recovery
    type_name = names.get(fault.type, fault.type) if names is not None else None
    return {
        "area": fault_area(fault),
        "type": type_name or fault_type_name(fault.type),
        "eta": f"预计{_moment(eta)}前恢复" if eta else "请您耐心等待",
        "hotline": settings.SQM_HOTLINE,
        "signature": settings.SQM_SMS_SIGNATURE,
        "recovered": _moment(recovered) if recovered else "",
    }


class Renderer:
    """Texts of one KIND for many fault events: the template and the fault types' names are
    read once."""

    def __init__(self, kind: str) -> None:
        from sqm.network.models import FaultType

        self.template = SmsTemplate.objects.filter(kind=kind, active=True).first()
        self.names = dict(FaultType.objects.values_list("code", "name")) if self.template else {}

    def __call__(self, fault, recovered: datetime | None = None) -> str | None:
        if self.template is None:
            return None
        return self.template.text.format_map(_Blank(variables(fault, recovered, self.names)))


def render(kind: str, fault, recovered: datetime | None = None) -> str | None:
    """The text of a KIND message about FAULT, or None when that kind's template is off."""
    return Renderer(kind)(fault, recovered)


# --- scheduling --------------------------------------------------------------------------


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _columns(model, names: Iterable[str]) -> str:
    return ", ".join(_q(model._meta.get_field(n).column) for n in names)


def _dt(value: datetime | None):
    return connection.ops.adapt_datetimefield_value(value)


def schedule_fault_notices(
    groups: list[tuple[object, datetime]], rules: Rules, now: datetime, counts: Counter
) -> None:
    """Fault SMS for the open outages of each (fault event, start time) in GROUPS: one
    INSERT … SELECT, run once per group in a single executemany.

    Counts `notices_scheduled`, `opted_out` and `template_off` into COUNTS. Running it twice
    adds nothing: the key is unique and taken ones are skipped."""
    from sqm.customers.models import Account, Customer
    from sqm.network.models import Outage

    if not groups:
        return
    counts["opted_out"] += _opted_out(groups)
    renderer = Renderer(MessageKind.FAULT)
    if renderer.template is None:
        counts["template_off"] += len(groups)
        return
    message, outage = OutboundMessage._meta, Outage._meta
    account, customer = Account._meta, Customer._meta
    fields = (
        "key", "kind", "account", "outage", "fault_event", "mobile", "pii_key_id", "text",
        "send_at", "state", "attempts", "parts", "smsc_ids", "created", "last_error",
    )  # fmt: skip
    o_id, o_account = _q(outage.pk.column), _q(outage.get_field("account").column)
    o_fault, o_started = (_q(outage.get_field(n).column) for n in ("fault_event", "started_at"))
    postgres = connection.vendor == "postgresql"
    # Each group's fault event, start time, text and send time: on PostgreSQL four arrays
    # joined in one statement; elsewhere one statement per group, run as one executemany.
    if postgres:
        groups_from = (
            " FROM unnest(%s::bigint[], %s::timestamptz[], %s::text[], %s::timestamptz[])"
            " AS g(fault, started, text, send_at)"
            f" JOIN {_q(outage.db_table)} o ON o.{o_fault} = g.fault AND o.{o_started} = g.started"
        )
        group_values, group_where = "g.text, g.send_at", ""
    else:
        groups_from = f" FROM {_q(outage.db_table)} o"
        group_values, group_where = "%s, %s", f" AND o.{o_fault} = %s AND o.{o_started} = %s"
    sql = (
        f"INSERT INTO {_q(message.db_table)} ({_columns(OutboundMessage, fields)}) "
        f"SELECT 'outage:' || CAST(o.{o_id} AS TEXT) || ':fault', %s, o.{o_account}, o.{o_id},"
        f" o.{o_fault}, '', '', {group_values}, %s, 0, 0, '', %s, ''"
        f"{groups_from}"
        f" JOIN {_q(account.db_table)} a ON a.{_q(account.pk.column)} = o.{o_account}"
        f" JOIN {_q(customer.db_table)} c"
        f" ON c.{_q(customer.pk.column)} = a.{_q(account.get_field('customer').column)}"
        f" WHERE o.{_q(outage.get_field('ended_at').column)} IS NULL{group_where}"
        f" AND c.{_q(customer.get_field('service_sms_opt_out').column)} = %s"
        f" ON CONFLICT ({_q(message.get_field('key').column)}) DO NOTHING"
    )
    texts: dict[int, str] = {}
    rows = []
    for fault, started_at in groups:
        if fault.pk not in texts:
            texts[fault.pk] = renderer(fault)
        rows.append((fault.pk, _dt(started_at), texts[fault.pk], _dt(rules.fault_at(started_at))))
    kind, state, created = MessageKind.FAULT.value, MessageState.SCHEDULED.value, _dt(now)
    with connection.cursor() as cursor:
        if postgres:
            arrays = [list(column) for column in zip(*rows, strict=True)]
            cursor.execute(sql, [kind, state, created, *arrays, False])
        else:
            params = [
                [kind, text, send_at, state, created, fault, started, False]
                for fault, started, text, send_at in rows
            ]
            cursor.executemany(sql, params)  # rowcount: the sum over the groups
        counts["notices_scheduled"] += max(cursor.rowcount, 0)


def _opted_out(groups: list[tuple[object, datetime]]) -> int:
    """Open outages of GROUPS whose customer opted out of service SMS (one query a chunk)."""
    from sqm.network.models import Outage

    wanted = {(fault.pk, started) for fault, started in groups}
    pks = sorted({pk for pk, _started in wanted})
    opted = 0
    for start in range(0, len(pks), CHUNK):
        rows = (
            Outage.objects.filter(
                fault_event_id__among=pks[start : start + CHUNK],
                ended_at__isnull=True,
                account__customer__service_sms_opt_out=True,
            )
            .order_by()
            .values_list("fault_event_id", "started_at")
        )
        opted += sum((pk, started) in wanted for pk, started in rows)
    return opted


def settle_ended_outages(outage_ids: list[int], rules: Rules, now: datetime, counts: Counter):
    """Outages OUTAGE_IDS have ended: cancel their fault SMS still waiting, plan the recovery
    SMS of those whose fault SMS went out. Counts `notices_cancelled`, `recoveries_scheduled`."""
    from sqm.network.models import FaultEvent

    texts: dict[tuple[int, datetime], str | None] = {}
    faults: dict[int, FaultEvent] = {}
    renderer: Renderer | None = None
    for start in range(0, len(outage_ids), CHUNK):
        chunk = outage_ids[start : start + CHUNK]
        fault_notices = OutboundMessage.objects.filter(
            outage_id__among=chunk, kind=MessageKind.FAULT
        )
        counts["notices_cancelled"] += fault_notices.filter(state=MessageState.SCHEDULED).update(
            state=MessageState.CANCELLED, done_at=now, last_error=ENDED_BEFORE
        )
        sent = fault_notices.filter(state__in=SENT_STATES).values_list(
            "outage_id", "account_id", "fault_event_id", "outage__started_at", "outage__ended_at"
        )
        rows = []
        for outage_id, account_id, fault_id, started, ended in sent:
            send_at = rules.recovery_at(started, ended)
            if send_at is None or fault_id is None:
                continue
            if (fault_id, ended) not in texts:
                if fault_id not in faults:
                    faults[fault_id] = FaultEvent.objects.select_related("olt", "city").get(
                        pk=fault_id
                    )
                renderer = renderer or Renderer(MessageKind.RECOVERY)
                texts[fault_id, ended] = renderer(faults[fault_id], ended)
            text = texts[fault_id, ended]
            if text is None:
                counts["template_off"] += 1
                continue
            rows.append(
                OutboundMessage(
                    key=message_key(outage_id, MessageKind.RECOVERY),
                    kind=MessageKind.RECOVERY,
                    account_id=account_id,
                    outage_id=outage_id,
                    fault_event_id=fault_id,
                    text=text,
                    send_at=send_at,
                )
            )
        before = OutboundMessage.objects.filter(
            key__among=[r.key for r in rows]
        ).count()  # already planned by an earlier run
        OutboundMessage.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
        counts["recoveries_scheduled"] += len(rows) - before


def refresh_fault_texts(fault) -> int:
    """Re-render the waiting fault SMS of FAULT (after its estimate changed)."""
    text = render(MessageKind.FAULT, fault)
    if text is None:
        return 0
    waiting = Q(fault_event=fault, kind=MessageKind.FAULT, state=MessageState.SCHEDULED)
    return OutboundMessage.objects.filter(waiting).update(text=text)
