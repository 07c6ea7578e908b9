"""The outbox worker: releases due messages, hands them to the sender, records what became of
them (docs/notify.md).

States: scheduled → sending → sent → delivered | failed; scheduled → cancelled.

- `release_due(now, limit)` takes scheduled messages whose time has come (oldest first, via
  the (state, send_at) index) with a guarded `UPDATE … SET state='sending' WHERE
  state='scheduled'`, so two workers never take the same message. `sent_at` is set to the
  moment of taking: for a `sending` message it says since when it has been in flight.
- Taken messages whose customer opted out of service SMS are cancelled; an empty mobile is
  filled from the customer's.
- Results: `sent` (attempts + 1, sent_at, smsc_ids, parts), or back to `scheduled` with
  back-off (SQM_SMS_RETRY_SECONDS doubling, and never outside the allowed hours), or `failed`
  after SQM_SMS_MAX_ATTEMPTS attempts or an error that retrying cannot cure.
- Receipts: a part's DELIVRD marks it (`+` after its id in smsc_ids); when every part is
  marked the message is `delivered`; any failed part makes it `failed`.
- Crash safety: messages are `sending` before they are written to the SMSC, and the sender
  takes at most its window of them at a time. A worker starting (and every pass after) puts
  `sending` messages older than SQM_SMS_STALE_SECONDS back to `scheduled` and counts them as
  possible duplicates: they were in flight when a sender died.
- Heartbeat: after each pass (at most every HEARTBEAT_EVERY, at once after a failure) the
  worker writes `WorkerHeartbeat` for its sender: when it ran, when the sender last
  succeeded, its last error. The NOC's SMS view tells from it whether a due message waits
  for a worker that is not running or for a sender that is failing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from sqm.core.fields import refresh_personal_fields
from sqm.notify.choices import MessageState
from sqm.notify.models import OutboundMessage, WorkerHeartbeat
from sqm.notify.pdu import SmppError
from sqm.notify.rules import current_rules
from sqm.notify.senders import Outgoing, Receipt, Result, Sender, get_sender

log = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(hours=6)
HEARTBEAT_EVERY = timedelta(seconds=15)  # a long-running worker passes every second or so
DELIVERED_MARK = "+"
_FIELD_LIMIT = 255  # smsc_ids and last_error
_REMEMBER = 1_000_000  # SMSC ids a worker keeps in memory to match receipts quickly


@dataclass
class Summary:
    taken: int = 0
    sent: int = 0
    retried: int = 0  # back to scheduled after an error
    failed: int = 0  # failed at submit
    cancelled: int = 0  # customer opted out of service SMS
    delivered: int = 0
    undelivered: int = 0  # failed by a receipt
    receipts: int = 0
    receipts_unmatched: int = 0
    requeued: int = 0  # found `sending` from a sender that stopped: possibly sent twice
    resubmitted: int = 0  # submit_sm written again after a lost SMPP connection

    def as_dict(self) -> dict[str, int]:
        return asdict(self)

    @property
    def possible_duplicates(self) -> int:
        return self.requeued + self.resubmitted


# --- taking messages ---------------------------------------------------------------------


# What sending needs of a taken message (fewer personal fields to decrypt).
_TAKEN_FIELDS = (
    "id",
    "key",
    "text",
    "mobile",
    "pii_key_id",
    "attempts",
    "send_at",
    "state",
    "account__id",
    "account__customer__id",
    "account__customer__mobile",
    "account__customer__service_sms_opt_out",
)


class _NotAllMine(Exception):
    pass


def release_due(now: datetime, limit: int) -> list[OutboundMessage]:
    """Move up to LIMIT scheduled messages due at NOW to `sending` and return them (with
    account and customer). Only messages this call moved are returned."""
    if limit <= 0:
        return []
    try:
        with transaction.atomic():
            ids = _candidates(now, limit)
            if not ids:
                return []
            taken = _take(ids, now)
            if taken != len(ids):  # another worker took some in between: undo, one by one
                raise _NotAllMine
    except _NotAllMine:
        ids = [i for i in ids if _take([i], now) == 1]
    return list(
        OutboundMessage.objects.filter(id__in=ids, state=MessageState.SENDING)
        .select_related("account__customer")
        .only(*_TAKEN_FIELDS)
        .order_by("send_at", "id")
    )


def _candidates(now: datetime, limit: int) -> list[int]:
    """Ids of up to LIMIT due scheduled messages, oldest first (rows locked where the
    database can, skipping those another worker has locked)."""
    due = OutboundMessage.objects.filter(state=MessageState.SCHEDULED, send_at__lte=now)
    return list(
        due.order_by("send_at", "id")
        .select_for_update(skip_locked=True)
        .values_list("id", flat=True)[:limit]
    )


def _take(ids: list[int], now: datetime) -> int:
    """The guarded update: only rows still `scheduled` change."""
    return OutboundMessage.objects.filter(id__in=ids, state=MessageState.SCHEDULED).update(
        state=MessageState.SENDING, sent_at=now
    )


def requeue_stale(now: datetime, older_than: timedelta) -> list[str]:
    """Put `sending` messages taken before NOW − OLDER_THAN back to `scheduled` (their sender
    stopped while they were in flight: the SMSC may have them). Returns their keys."""
    cutoff = now - older_than
    stale = OutboundMessage.objects.filter(state=MessageState.SENDING).filter(
        Q(sent_at__lte=cutoff) | Q(sent_at__isnull=True)
    )
    with transaction.atomic():
        rows = list(stale.values_list("id", "key"))
        if not rows:
            return []
        OutboundMessage.objects.filter(
            id__in=[i for i, _key in rows], state=MessageState.SENDING
        ).update(
            state=MessageState.SCHEDULED,
            attempts=F("attempts") + 1,
            last_error="was sending when its sender stopped: may have been sent twice",
        )
    keys = [key for _i, key in rows]
    log.warning(
        "requeued %d message(s) left sending by a sender that stopped (possibly sent twice): %s",
        len(keys),
        ", ".join(keys),
    )
    return keys


# --- the worker --------------------------------------------------------------------------


class Worker:
    """One sender's run: takes due messages for it, records results and receipts."""

    def __init__(
        self,
        sender: Sender,
        *,
        clock: Callable[[], datetime] = timezone.now,
        any_time: bool = False,
        limit: int | None = None,
        stop: Callable[[], bool] = lambda: False,
    ):
        self.sender = sender
        self.clock = clock
        self.rules = current_rules()
        self.any_time = any_time
        self.limit = limit
        self.stop = stop
        self.summary = Summary()
        self.requeued_keys: list[str] = []
        self._attempts: dict[int, int] = {}  # id → attempts before this one, of taken messages
        self._taken = 0  # in this pass
        self._sent_ids: dict[str, int] = {}  # SMSC id → message id, of what this worker sent
        self._beat_at: datetime | None = None
        self._ok_at: datetime | None = None  # the sender last accepted or delivered
        self._error: tuple[datetime, str] | None = None  # its last failure, not yet written

    # Feed of the sender: up to N messages, taken now.
    def feed(self, n: int) -> list[Outgoing]:
        if self.stop():
            return []
        if self.limit is not None:
            n = min(n, self.limit - self._taken)
        now = self.clock()
        if not self.any_time and not self.rules.window.allows(now):
            return []
        while n > 0:
            messages = release_due(now, n)
            if not messages:
                return []
            self.summary.taken += len(messages)
            self._taken += len(messages)
            outgoing = self._prepare(messages, now)
            if outgoing:
                return outgoing
            if self.limit is not None:
                n = min(n, self.limit - self._taken)
        return []

    def _prepare(self, messages: list[OutboundMessage], now: datetime) -> list[Outgoing]:
        opted_out = [m.id for m in messages if m.account.customer.service_sms_opt_out]
        if opted_out:
            self.summary.cancelled += OutboundMessage.objects.filter(
                id__in=opted_out, state=MessageState.SENDING
            ).update(
                state=MessageState.CANCELLED,
                done_at=now,
                sent_at=None,
                last_error="the customer opted out of service SMS",
            )
        outgoing, filled = [], []
        for message in messages:
            if message.id in opted_out:
                continue
            if not message.mobile:
                message.mobile = message.account.customer.mobile
                refresh_personal_fields(message)
                filled.append((message.id, message.mobile, message.pii_key_id))
            self._attempts[message.id] = message.attempts
            outgoing.append(Outgoing(ref=message.id, mobile=message.mobile, text=message.text))
        if filled:
            update_rows(["mobile", "pii_key_id"], filled, MessageState.SENDING)
        return outgoing

    def record(self, results: list[Result]) -> None:
        """The sender's answers: sent (one statement for all), to be tried again, or failed."""
        now = self.clock()
        sent = []
        for r in results:
            if r.ok:
                ids = _ids(r.smsc_ids)
                attempts = self._attempts.pop(r.ref, 0) + 1
                sent.append((r.ref, MessageState.SENT.value, attempts, now, ids, r.parts, ""))
                self._remember(r.ref, ids)
                self._ok_at = now
        with transaction.atomic():
            if sent:
                self.summary.sent += update_rows(
                    ["state", "attempts", "sent_at", "smsc_ids", "parts", "last_error"],
                    sent,
                    MessageState.SENDING,
                )
            for result in results:
                if not result.ok:
                    self._record_error(result, now)

    def _remember(self, ref: int, ids: str) -> None:
        """SMSC id → message, for the receipts of messages this worker sent."""
        for smsc_id in ids.split(","):
            self._sent_ids[smsc_id] = ref
        while len(self._sent_ids) > _REMEMBER:
            del self._sent_ids[next(iter(self._sent_ids))]

    def _record_error(self, result: Result, now: datetime) -> None:
        attempts = self._attempts.pop(result.ref, 0) + 1
        log.warning("SMS %s: %s (attempt %d)", result.ref, result.error, attempts)
        if not result.permanent:  # a bad number says nothing about the sender's health
            self.failed(result.error, now)
        mine = OutboundMessage.objects.filter(pk=result.ref, state=MessageState.SENDING)
        if result.permanent or attempts >= settings.SQM_SMS_MAX_ATTEMPTS:
            self.summary.failed += mine.update(
                state=MessageState.FAILED,
                attempts=attempts,
                done_at=now,
                parts=result.parts,
                last_error=result.error[:_FIELD_LIMIT],
            )
        else:
            self.summary.retried += mine.update(
                state=MessageState.SCHEDULED,
                attempts=attempts,
                send_at=self.retry_at(now, attempts),
                sent_at=None,
                last_error=result.error[:_FIELD_LIMIT],
            )

    def retry_at(self, now: datetime, attempts: int) -> datetime:
        delay = timedelta(seconds=settings.SQM_SMS_RETRY_SECONDS * 2 ** (attempts - 1))
        return self.rules.window.next_allowed(now + min(delay, MAX_BACKOFF))

    def receipts(self, receipts: list[Receipt]) -> None:
        applied = apply_receipts(receipts, self.clock(), self._sent_ids)
        self.summary.receipts += applied["receipts"]
        if applied["delivered"]:
            self._ok_at = self.clock()
        self.summary.delivered += applied["delivered"]
        self.summary.undelivered += applied["undelivered"]
        self.summary.receipts_unmatched += applied["unmatched"]

    def failed(self, error: str, at: datetime | None = None) -> None:
        """Note a failure of the sender (refused message, lost connection) for the
        heartbeat; the next `beat` writes it."""
        self._error = (at or self.clock(), error[:_FIELD_LIMIT])

    def beat(self) -> None:
        """Write the heartbeat (skipped when written less than HEARTBEAT_EVERY ago and
        nothing failed since). Never stops the worker: a failed write is only logged."""
        now = self.clock()
        recent = self._beat_at is not None and now - self._beat_at < HEARTBEAT_EVERY
        if recent and self._error is None:
            return
        values: dict = {"seen_at": now}
        if self._ok_at is not None:
            values["last_ok_at"] = self._ok_at
        if self._error is not None:
            values["last_error_at"], values["last_error"] = self._error
        try:
            WorkerHeartbeat.objects.update_or_create(
                sender=getattr(self.sender, "name", "sender"), defaults=values
            )
        except DatabaseError:
            log.exception("could not write the SMS worker's heartbeat")
            return
        self._beat_at, self._error = now, None

    def requeue(self, stale_after: timedelta) -> None:
        keys = requeue_stale(self.clock(), stale_after)
        self.requeued_keys += keys
        self.summary.requeued += len(keys)

    def wait_for_receipts(self, seconds: float) -> None:
        """Poll until every message sent in this run has its receipts, or SECONDS passed."""
        deadline = time.monotonic() + seconds
        while True:
            try:
                receipts = self.sender.poll(min(0.1, max(0.0, deadline - time.monotonic())))
            except SmppError as exc:  # what was sent is recorded; receipts will be late
                log.warning("no more receipts in this run: %s", exc)
                return
            self.receipts(receipts)
            settled = self.summary.delivered + self.summary.undelivered >= self.summary.sent
            if settled or time.monotonic() >= deadline or self.stop():
                return

    def run_pass(self) -> None:
        """Send everything due now (up to the limit); receipts as they come."""
        self._taken = 0
        self.sender.send(self.feed, self.record, self.receipts)
        self.summary.resubmitted = getattr(self.sender, "resubmitted", 0)


def update_rows(fields: list[str], rows: list[tuple], state: str) -> int:
    """UPDATE each row (id, value of each of FIELDS…) WHERE its state is STATE, in one
    executemany; returns the number of rows changed. Values are prepared by their fields
    (encryption, datetimes), as the ORM would."""
    if not rows:
        return 0
    meta, ops = OutboundMessage._meta, connection.ops
    model_fields = [meta.get_field(name) for name in fields]
    assignments = ", ".join(f"{ops.quote_name(f.column)} = %s" for f in model_fields)
    sql = (
        f"UPDATE {ops.quote_name(meta.db_table)} SET {assignments} "
        f"WHERE {ops.quote_name(meta.pk.column)} = %s "
        f"AND {ops.quote_name(meta.get_field('state').column)} = %s"
    )
    params = [
        [f.get_db_prep_save(v, connection) for f, v in zip(model_fields, row[1:], strict=True)]
        + [row[0], state]
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)
        return cursor.rowcount


def _ids(ids: list[str]) -> str:
    text = ",".join(ids)
    if len(text) > _FIELD_LIMIT:
        log.warning("SMSC ids too long to keep in full: %s", text)
        text = text[: text.rfind(",", 0, _FIELD_LIMIT)]
    return text


def apply_receipts(
    receipts: list[Receipt], now: datetime, known: dict[str, int] | None = None
) -> dict[str, int]:
    """Move sent messages to delivered / failed by the receipts of their parts.

    KNOWN maps SMSC ids to message ids (a worker's memory of what it sent): those are found
    by primary key; others by searching the SMSC ids of sent messages."""
    counts = {"receipts": 0, "delivered": 0, "undelivered": 0, "unmatched": 0}
    final = {r.smsc_id: r for r in receipts if r.final}
    counts["receipts"] = len(final)
    known = known if known is not None else {}
    refs = {known[sid] for sid in final if sid in known}
    unknown = [sid for sid in final if sid not in known]
    sent = OutboundMessage.objects.filter(state=MessageState.SENT)
    candidates: dict[int, str] = {}
    refs_list = sorted(refs)
    for start in range(0, len(refs_list), 500):
        chunk = refs_list[start : start + 500]
        candidates.update(sent.filter(pk__in=chunk).values_list("id", "smsc_ids"))
    for start in range(0, len(unknown), 50):
        query = Q()
        for smsc_id in unknown[start : start + 50]:
            query |= Q(smsc_ids__contains=smsc_id)
        candidates.update(sent.filter(query).values_list("id", "smsc_ids"))

    matched: set[str] = set()
    delivered, failed, partial = [], [], []
    for pk, smsc_ids in candidates.items():
        parts = smsc_ids.split(",")
        changed, failure = False, None
        for i, part in enumerate(parts):
            bare = part.rstrip(DELIVERED_MARK)
            receipt = final.get(bare)
            if receipt is None:
                continue
            matched.add(bare)
            known.pop(bare, None)
            if not receipt.delivered:
                failure = receipt
            elif not part.endswith(DELIVERED_MARK):
                parts[i], changed = bare + DELIVERED_MARK, True
        if failure is not None:
            error = f"receipt stat:{failure.stat} err:{failure.err}"
            failed.append((pk, MessageState.FAILED.value, now, error))
        elif changed and all(p.endswith(DELIVERED_MARK) for p in parts):
            bare_ids = ",".join(p.rstrip(DELIVERED_MARK) for p in parts)
            delivered.append((pk, MessageState.DELIVERED.value, now, bare_ids))
        elif changed:
            partial.append((pk, ",".join(parts)[:_FIELD_LIMIT]))
    with transaction.atomic():
        counts["delivered"] = update_rows(
            ["state", "done_at", "smsc_ids"], delivered, MessageState.SENT
        )
        counts["undelivered"] = update_rows(
            ["state", "done_at", "last_error"], failed, MessageState.SENT
        )
        update_rows(["smsc_ids"], partial, MessageState.SENT)
    counts["unmatched"] = len(set(final) - matched)
    if counts["unmatched"]:
        log.info("%d receipt(s) matched no sent message", counts["unmatched"])
    return counts


def send(
    *,
    sender: Sender | None = None,
    once: bool = False,
    limit: int | None = None,
    stale_after: timedelta | None = None,
    any_time: bool = False,
    idle_seconds: float = 1.0,
    receipt_wait: float = 0.0,
    stop: Callable[[], bool] = lambda: False,
    clock: Callable[[], datetime] = timezone.now,
    on_pass: Callable[[Worker], None] | None = None,
) -> Worker:
    """Run a worker: requeue stale `sending` messages, then send due messages — one pass
    (ONCE, then wait up to RECEIPT_WAIT seconds for receipts) or until STOP() says so,
    polling for receipts for IDLE_SECONDS between passes. LIMIT caps each pass."""
    if stale_after is None:
        stale_after = timedelta(seconds=settings.SQM_SMS_STALE_SECONDS)
    # A single pass gives up on an unreachable SMSC after a few tries; a running worker waits.
    sender = sender or get_sender(**({"connect_attempts": 5} if once else {}))
    if hasattr(sender, "client"):
        sender.client.should_stop = stop
    worker = Worker(sender, clock=clock, any_time=any_time, limit=limit, stop=stop)
    worker.requeue(stale_after)
    try:
        sender.open()
    except Exception as exc:  # the SMSC unreachable: the NOC sees it as "sender failing"
        worker.failed(str(exc) or type(exc).__name__)
        worker.beat()
        raise
    try:
        while True:
            worker.run_pass()
            worker.beat()
            if on_pass is not None:
                on_pass(worker)
            if once or stop():
                break
            worker.receipts(sender.poll(idle_seconds))
            worker.requeue(stale_after)
        worker.wait_for_receipts(receipt_wait)
    except Exception as exc:
        worker.failed(str(exc) or type(exc).__name__)
        raise
    finally:
        worker.beat()
        sender.close()
    return worker
