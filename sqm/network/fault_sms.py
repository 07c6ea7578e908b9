"""Putting fault and recovery SMS in the outbox as outages start and end (docs/faults.md).

This is the fault side of the SMS: it knows outages, fault events and the customers they
cut off, and hands notify finished rows for its generic outbox (`notify.outbox` sends them;
`notify.texts` fills and checks templates; `notify.rules` says when).

The times come from `notify.rules` (the same code `sqm faults replay` uses). Writes are
set-based: the fault notices of an OLT's 20,000 accounts are one INSERT … SELECT, not 20,000
ORM saves (bench/faults.py measures both).

- Fault SMS: one per mobile number per fault event (the first account's outage stands for
  the others), key `outage:<id>:fault`, planned at `Rules.fault_at(start)`. Customers who
  opted out of service SMS get none (counted).
- When an outage ends, its fault SMS still waiting in the outbox moves to another outage of
  the number still down in the event, else is cancelled: we never tell a customer about an
  outage that is already over. Once the number has no outage open in the event, if its
  fault SMS went out (sending, sent or delivered), its one recovery SMS is planned at
  `Rules.recovery_at(start, end)`.
- Texts come from the active `SmsTemplate` of each kind; no active template, no SMS of that
  kind (counted). A fault event's texts are rendered once and re-rendered while waiting when
  its estimated recovery changes.
- A variable other than {hotline} that holds a link or a phone number (a poisoned district
  or OLT name, a fault type's name) refuses the text (`UnsafeSmsText`): that event's SMS
  are not planned (counted as `texts_refused`, logged). Imports refuse such names already
  (core.validators); this is the second line of defence.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from typing import NamedTuple

from django.conf import settings
from django.db import connection
from django.db.models import Q

from sqm.customers.models import Account, Customer
from sqm.network.models import FaultEvent, FaultType, Outage
from sqm.notify.choices import MessageKind, MessageState
from sqm.notify.models import OutboundMessage
from sqm.notify.rules import Rules
from sqm.notify.texts import UnsafeSmsText, active_template, fill, sms_moment

CHUNK = 5000  # ids per IN (…) list
SENT_STATES = (MessageState.SENDING, MessageState.SENT, MessageState.DELIVERED)
ENDED_BEFORE = "the outage ended before the notice went out"

log = logging.getLogger(__name__)


def message_key(outage_id: int, kind: str) -> str:
    return f"outage:{outage_id}:{kind}"


# --- texts -------------------------------------------------------------------------------


def fault_area(fault) -> str:
    """Where the fault is, in customers' words: city and district (or the OLT's name)."""
    olt = fault.olt
    return f"{fault.city.name}{olt.district or olt.name}"


def fault_type_name(code: str) -> str:
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
        "eta": f"预计{sms_moment(eta)}前恢复" if eta else "请您耐心等待",
        "hotline": settings.SQM_HOTLINE,
        "signature": settings.SQM_SMS_SIGNATURE,
        "recovered": sms_moment(recovered) if recovered else "",
    }


class Renderer:
    """Texts of one KIND for many fault events: the template and the fault types' names are
    read once."""

    def __init__(self, kind: str) -> None:
        self.template = active_template(kind)
        self.names = dict(FaultType.objects.values_list("code", "name")) if self.template else {}

    def __call__(self, fault, recovered: datetime | None = None) -> str | None:
        if self.template is None:
            return None
        return fill(self.template, variables(fault, recovered, self.names))


def render(kind: str, fault, recovered: datetime | None = None) -> str | None:
    """The text of a KIND message about FAULT, or None when that kind's template is off.
    Raises UnsafeSmsText when a variable holds a link or a phone number."""
    return Renderer(kind)(fault, recovered)


def _refused(fault, kind: str, error: UnsafeSmsText, counts: Counter | None) -> None:
    log.error("fault event %s: %s SMS refused: %s", fault.pk, kind, error)
    if counts is not None:
        counts["texts_refused"] += 1


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
    INSERT … SELECT per group in a single executemany (PostgreSQL: one statement over
    arrays for all the groups, which counts the customers who opted out as well).

    Counts `notices_scheduled`, `opted_out`, `template_off` and `texts_refused` into COUNTS.
    Running it twice adds nothing: the key is unique and taken ones are skipped."""

    if not groups:
        return
    renderer = Renderer(MessageKind.FAULT)
    if renderer.template is None:
        counts["opted_out"] += _opted_out(groups)
        counts["template_off"] += len(groups)
        return
    texts: dict[int, str | None] = {}
    rows = []
    for fault, started_at in groups:
        if fault.pk not in texts:
            try:
                texts[fault.pk] = renderer(fault)
            except UnsafeSmsText as error:
                texts[fault.pk] = None
                _refused(fault, MessageKind.FAULT, error, counts)
        if texts[fault.pk] is None:
            continue
        rows.append((fault.pk, _dt(started_at), texts[fault.pk], _dt(rules.fault_at(started_at))))
    if not rows:
        return
    values = (MessageKind.FAULT.value, MessageState.SCHEDULED.value, _dt(now))
    if connection.vendor == "postgresql":
        opted, scheduled = _insert_notices_postgres(rows, values)
    else:
        opted, scheduled = _opted_out(groups), _insert_notices(rows, values)
    counts["opted_out"] += opted
    counts["notices_scheduled"] += scheduled


_FIELDS = (
    "key", "kind", "account", "outage", "fault_event", "mobile", "pii_key_id", "text",
    "send_at", "state", "attempts", "parts", "smsc_ids", "created", "last_error",
)  # fmt: skip


def _names() -> dict[str, str]:
    """Quoted table and column names the notice statements use."""
    outage, account, customer = Outage._meta, Account._meta, Customer._meta
    return {
        "messages": _q(OutboundMessage._meta.db_table),
        "columns": _columns(OutboundMessage, _FIELDS),
        "key": _q(OutboundMessage._meta.get_field("key").column),
        "outages": _q(outage.db_table),
        "o_id": _q(outage.pk.column),
        "o_account": _q(outage.get_field("account").column),
        "o_fault": _q(outage.get_field("fault_event").column),
        "o_started": _q(outage.get_field("started_at").column),
        "o_ended": _q(outage.get_field("ended_at").column),
        "accounts": _q(account.db_table),
        "a_id": _q(account.pk.column),
        "a_customer": _q(account.get_field("customer").column),
        "customers": _q(customer.db_table),
        "c_id": _q(customer.pk.column),
        "c_opt_out": _q(customer.get_field("service_sms_opt_out").column),
        "c_hash": _q(customer.get_field("mobile_hash").column),
        "m_account": _q(OutboundMessage._meta.get_field("account").column),
        "m_fault": _q(OutboundMessage._meta.get_field("fault_event").column),
        "m_kind": _q(OutboundMessage._meta.get_field("kind").column),
        "m_state": _q(OutboundMessage._meta.get_field("state").column),
    }


# The states of a fault notice that has told the number, or is about to: another outage of
# the same number in the same event gets no notice of its own (a failed or cancelled one
# told nobody).
TOLD_STATES = (MessageState.SCHEDULED, *SENT_STATES)


def _recipient(n: dict[str, str], alias: str) -> str:
    """SQL for who a message goes to: the customer's mobile lookup hash (numbers are
    encrypted), or the customer when no number is known."""
    return (
        f"CASE WHEN {alias}.{n['c_hash']} = '' THEN '#' || CAST({alias}.{n['c_id']} AS TEXT)"
        f" ELSE {alias}.{n['c_hash']} END"
    )


def _not_told(n: dict[str, str], hash_sql: str, fault_sql: str) -> str:
    """SQL: no fault notice told (or is about to tell) the number HASH_SQL in FAULT_SQL."""
    states = ", ".join(f"'{state.value}'" for state in TOLD_STATES)
    return (
        f"NOT EXISTS (SELECT 1 FROM {n['customers']} c2"
        f" JOIN {n['accounts']} a2 ON a2.{n['a_customer']} = c2.{n['c_id']}"
        f" JOIN {n['messages']} m ON m.{n['m_account']} = a2.{n['a_id']}"
        f" WHERE c2.{n['c_hash']} = {hash_sql} AND {hash_sql} <> ''"
        f" AND m.{n['m_fault']} = {fault_sql} AND m.{n['m_kind']} = '{MessageKind.FAULT.value}'"
        f" AND m.{n['m_state']} IN ({states}))"
    )


def _insert_notices(rows: list[tuple], values: tuple) -> int:
    """One INSERT … SELECT per (fault, start, text, send time) of ROWS, as one executemany;
    the number of notices written. One notice per number: the first open outage of each
    number in the group, and none when the number is already told in the event (each
    statement sees what the ones before it wrote)."""
    n = _names()
    sql = (
        f"INSERT INTO {n['messages']} ({n['columns']}) "
        "SELECT 'outage:' || CAST(r.outage AS TEXT) || ':fault', %s, r.account,"
        " r.outage, r.fault, '', '', %s, %s, %s, 0, 0, '', %s, ''"
        f" FROM (SELECT o.{n['o_id']} AS outage, o.{n['o_account']} AS account,"
        f" o.{n['o_fault']} AS fault, c.{n['c_hash']} AS hash,"
        f" ROW_NUMBER() OVER (PARTITION BY {_recipient(n, 'c')}"
        f" ORDER BY o.{n['o_account']}, o.{n['o_id']}) AS nth"
        f" FROM {n['outages']} o"
        f" JOIN {n['accounts']} a ON a.{n['a_id']} = o.{n['o_account']}"
        f" JOIN {n['customers']} c ON c.{n['c_id']} = a.{n['a_customer']}"
        f" WHERE o.{n['o_ended']} IS NULL AND o.{n['o_fault']} = %s AND o.{n['o_started']} = %s"
        f" AND c.{n['c_opt_out']} = %s) r"
        f" WHERE r.nth = 1 AND {_not_told(n, 'r.hash', 'r.fault')}"
        f" ON CONFLICT ({n['key']}) DO NOTHING"
    )
    kind, state, created = values
    params = [
        [kind, text, send_at, state, created, fault, started, False]
        for fault, started, text, send_at in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)  # rowcount: the sum over the rows
        return max(cursor.rowcount, 0)


def _insert_notices_postgres(rows: list[tuple], values: tuple) -> tuple[int, int]:
    """PostgreSQL: the same for all ROWS in one statement over four arrays, which also
    counts the open outages whose customer opted out; (opted out, written). One statement
    does not see its own inserts, so the first outage of each number per event is picked
    over all the groups at once."""
    n = _names()
    sql = (
        "WITH g (fault, started, text, send_at) AS (SELECT * FROM unnest("
        "%s::bigint[], %s::timestamptz[], %s::text[], %s::timestamptz[])),"
        f" cand AS (SELECT o.{n['o_id']} AS outage, o.{n['o_account']} AS account,"
        f" o.{n['o_fault']} AS fault, g.text, g.send_at, c.{n['c_opt_out']} AS opted,"
        f" c.{n['c_hash']} AS hash, {_recipient(n, 'c')} AS recipient"
        f" FROM g JOIN {n['outages']} o"
        f" ON o.{n['o_fault']} = g.fault AND o.{n['o_started']} = g.started"
        f" JOIN {n['accounts']} a ON a.{n['a_id']} = o.{n['o_account']}"
        f" JOIN {n['customers']} c ON c.{n['c_id']} = a.{n['a_customer']}"
        f" WHERE o.{n['o_ended']} IS NULL),"
        " pick AS (SELECT *, ROW_NUMBER() OVER (PARTITION BY fault, recipient"
        " ORDER BY send_at, account, outage) AS nth FROM cand WHERE NOT opted),"
        f" ins AS (INSERT INTO {n['messages']} ({n['columns']})"
        " SELECT 'outage:' || CAST(outage AS TEXT) || ':fault', %s, account, outage, fault,"
        " '', '', text, send_at, %s, 0, 0, '', %s, '' FROM pick"
        f" WHERE nth = 1 AND {_not_told(n, 'pick.hash', 'pick.fault')}"
        f" ON CONFLICT ({n['key']}) DO NOTHING RETURNING 1)"
        " SELECT (SELECT COUNT(*) FROM cand WHERE opted), (SELECT COUNT(*) FROM ins)"
    )
    arrays = [list(column) for column in zip(*rows, strict=True)]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*arrays, *values])
        opted, written = cursor.fetchone()
    return opted, written


def _opted_out(groups: list[tuple[object, datetime]]) -> int:
    """Open outages of GROUPS whose customer opted out of service SMS (one query a chunk)."""
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


def recipient_of(mobile_hash: str, customer_id: int) -> str:
    """Who a message goes to: the mobile number's lookup hash, or the customer when no
    number is known (as `_recipient` says in SQL)."""
    return mobile_hash or f"#{customer_id}"


class NumberPlan(NamedTuple):
    """The SMS one number gets for one fault event."""

    outage: object  # the outage its fault SMS (and recovery SMS) stands for
    fault_at: datetime
    ended: datetime | None  # when the number was back (None: still down)
    recovery_at: datetime | None


def plan_for_number(
    outages: list[tuple[object, datetime, datetime | None]], rules: Rules
) -> NumberPlan | None:
    """What one number gets for one fault event, given its outages there as (outage,
    start, end or None), sorted the way ingestion picks (start, then account); None when
    it gets nothing.

    The number is down from its first outage's start until none of its outages is open.
    The fault SMS of such a spell goes at `fault_at(start)` if the number is still down
    then; otherwise it was cancelled and a later spell in the same event may be told. Once
    told, the number gets nothing more in the event but the recovery when the spell ends.
    This is what live ingestion does over time; `sqm faults replay` and the demo use it."""
    i = 0
    while i < len(outages):
        start, end = outages[i][1], outages[i][2]
        j = i + 1
        while j < len(outages) and (end is None or outages[j][1] < end):
            end = None if end is None or outages[j][2] is None else max(end, outages[j][2])
            j += 1
        if rules.fault_is_sent(start, end):
            fault_at = rules.fault_at(start)
            carrier = next(o for o, _s, e in outages[i:j] if e is None or e > fault_at)
            recovery_at = None if end is None else rules.recovery_at(start, end)
            return NumberPlan(carrier, fault_at, end, recovery_at)
        i = j
    return None


def _by_recipient(pairs: set[tuple[int, str]]) -> Q:
    """Rows (an outage's or a message's account) of the numbers in PAIRS (fault, recipient)."""
    hashes = sorted({r for _f, r in pairs if not r.startswith("#")})
    customers = sorted({int(r[1:]) for _f, r in pairs if r.startswith("#")})
    return Q(account__customer__mobile_hash__in=hashes) | Q(account__customer_id__in=customers)


_WHO = ("account__customer__mobile_hash", "account__customer_id")


def settle_ended_outages(outage_ids: list[int], rules: Rules, now: datetime, counts: Counter):
    """Outages OUTAGE_IDS have ended. Their fault SMS still waiting go to another outage of
    the same number in the same event that is still down (the customer is still cut off),
    else are cancelled. A number whose fault SMS went out and that has no outage left open
    in the event gets its one recovery SMS. Counts `notices_cancelled`,
    `recoveries_scheduled`."""
    texts: dict[tuple[int, datetime], str | UnsafeSmsText | None] = {}
    faults: dict[int, FaultEvent] = {}
    renderer: Renderer | None = None
    for start in range(0, len(outage_ids), CHUNK):
        chunk = outage_ids[start : start + CHUNK]
        ended_rows = (
            Outage.objects.filter(pk__among=chunk)
            .order_by()
            .values_list("pk", "fault_event_id", "ended_at", *_WHO)
        )
        ended: dict[int, tuple[int, str]] = {}  # outage → (fault, recipient)
        last_end: dict[tuple[int, str], datetime] = {}
        for pk, fault_id, ended_at, mobile_hash, customer_id in ended_rows:
            if fault_id is None or ended_at is None:
                continue
            pair = (fault_id, recipient_of(mobile_hash, customer_id))
            ended[pk] = pair
            last_end[pair] = max(last_end.get(pair, ended_at), ended_at)
        pairs = set(last_end)
        events = sorted({f for f, _r in pairs})
        still_down: dict[tuple[int, str], tuple[int, int]] = {}  # → (outage, account)
        if pairs:
            open_rows = (
                Outage.objects.filter(fault_event_id__among=events, ended_at__isnull=True)
                .filter(_by_recipient(pairs))
                .order_by("pk")
                .values_list("pk", "account_id", "fault_event_id", *_WHO)
            )
            for pk, account_id, fault_id, mobile_hash, customer_id in open_rows:
                pair = (fault_id, recipient_of(mobile_hash, customer_id))
                if pair in pairs:
                    still_down.setdefault(pair, (pk, account_id))
        _hand_over_or_cancel(chunk, ended, still_down, now, counts)
        done = pairs - still_down.keys()
        if not done:
            continue
        sent = (
            OutboundMessage.objects.filter(
                fault_event_id__among=sorted({f for f, _r in done}),
                kind=MessageKind.FAULT,
                state__in=SENT_STATES,
            )
            .filter(_by_recipient(done))
            .order_by("pk")
            .values_list("outage_id", "account_id", "fault_event_id", "outage__started_at", *_WHO)
        )
        rows = []
        for outage_id, account_id, fault_id, started, mobile_hash, customer_id in sent:
            pair = (fault_id, recipient_of(mobile_hash, customer_id))
            if pair not in done or outage_id is None:
                continue
            ended_at = last_end[pair]
            send_at = rules.recovery_at(started, ended_at)
            if send_at is None:
                continue
            if (fault_id, ended_at) not in texts:
                if fault_id not in faults:
                    faults[fault_id] = FaultEvent.objects.select_related("olt", "city").get(
                        pk=fault_id
                    )
                renderer = renderer or Renderer(MessageKind.RECOVERY)
                try:
                    texts[fault_id, ended_at] = renderer(faults[fault_id], ended_at)
                except UnsafeSmsText as error:
                    texts[fault_id, ended_at] = error
                    _refused(faults[fault_id], MessageKind.RECOVERY, error, counts)
            text = texts[fault_id, ended_at]
            if isinstance(text, UnsafeSmsText):
                continue
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


def _hand_over_or_cancel(
    chunk: list[int],
    ended: dict[int, tuple[int, str]],
    still_down: dict[tuple[int, str], tuple[int, int]],
    now: datetime,
    counts: Counter,
) -> None:
    """The waiting fault SMS of the ended outages CHUNK: one whose number is still down in
    the event (another account of the customer) now stands for that outage; the others are
    cancelled."""
    waiting = OutboundMessage.objects.filter(
        outage_id__among=chunk, kind=MessageKind.FAULT, state=MessageState.SCHEDULED
    )
    moved = []
    for pk, outage_id in waiting.order_by().values_list("pk", "outage_id"):
        heir = still_down.get(ended.get(outage_id))
        if heir is not None:
            moved.append(OutboundMessage(pk=pk, outage_id=heir[0], account_id=heir[1]))
    if moved:
        OutboundMessage.objects.bulk_update(moved, ["outage", "account"], batch_size=500)
    counts["notices_cancelled"] += waiting.exclude(pk__in=[m.pk for m in moved]).update(
        state=MessageState.CANCELLED, done_at=now, last_error=ENDED_BEFORE
    )


def refresh_fault_texts(fault) -> int:
    """Re-render the waiting fault SMS of FAULT (after its estimate changed). If the text is
    refused now, the waiting ones keep the text they were checked with."""
    try:
        text = render(MessageKind.FAULT, fault)
    except UnsafeSmsText as error:
        _refused(fault, MessageKind.FAULT, error, None)
        return 0
    if text is None:
        return 0
    waiting = Q(fault_event=fault, kind=MessageKind.FAULT, state=MessageState.SCHEDULED)
    return OutboundMessage.objects.filter(waiting).update(text=text)
