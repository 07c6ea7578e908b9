"""The append-only, keyed hash-chained audit log (登录、敏感信息查看、导出、权限变更).

Each entry is chained to the previous one with HMAC-SHA256 under the first key of
SQM_AUDIT_KEY (a secret kept out of the database) and records the key's id, so entries
written before a rotation verify with the older keys kept in the ring. Entries without a
key id were written before the chain was keyed (plain SHA-256); they may only come first,
and the first keyed entry seals them by chaining on their last hash.

After each commit the new head (count, last hash, time) is appended to SQM_AUDIT_HEAD_FILE
and, when configured, sent to syslog: `verify` checks the database against those lines, so a
deleted or truncated tail is found even by someone who could recompute the chain.
See docs/security.md "Audit log" for what is and is not detected.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache, partial
from logging.handlers import SysLogHandler

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from sqm.core import context
from sqm.core.crypto import parse_key_spec
from sqm.core.masking import mask_numbers
from sqm.core.models import Alert, AlertKind, AuditAction, AuditEntry, AuditHead, JobCheckpoint

GENESIS = "0" * 64
logger = logging.getLogger(__name__)


# --- keys --------------------------------------------------------------------------------


@lru_cache(maxsize=4)
def _keys_for(spec: str) -> tuple[str, dict[str, bytes]]:
    return parse_key_spec(spec, "SQM_AUDIT_KEY")


def audit_keys() -> tuple[str, dict[str, bytes]]:
    """The active audit key id and every key of SQM_AUDIT_KEY by id."""
    return _keys_for(settings.SQM_AUDIT_KEY)


def _canonical(prev_hash: str, entry: AuditEntry) -> bytes:
    body = {
        "prev": prev_hash,
        "time": entry.time.isoformat(),
        "actor": entry.actor_id,
        "actor_name": entry.actor_name,
        "action": entry.action,
        "target": entry.target,
        "reason": entry.reason,
        "details": entry.details,
        "ip": entry.ip,
        "request_id": entry.request_id,
    }
    if entry.key_id:  # legacy entries keep the body they were hashed with
        body["key_id"] = entry.key_id
        body["client_request_id"] = entry.client_request_id
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def _digest(prev_hash: str, entry: AuditEntry, keys: dict[str, bytes]) -> str:
    if not entry.key_id:
        return hashlib.sha256(_canonical(prev_hash, entry)).hexdigest()
    return hmac.new(keys[entry.key_id], _canonical(prev_hash, entry), hashlib.sha256).hexdigest()


# --- personal data never enters the log ---------------------------------------------------


def scrub(value):
    """VALUE with every mobile or ID number in its strings (and whole numbers) masked."""
    if isinstance(value, str):
        return mask_numbers(value)
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        masked = mask_numbers(str(value))
        return value if masked == str(value) else masked
    if isinstance(value, dict):
        return {scrub(k) if isinstance(k, str) else k: scrub(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(v) for v in value]
    return value


# --- writing -----------------------------------------------------------------------------


def record(
    action: str,
    *,
    user=None,
    target: str = "",
    reason: str = "",
    details: dict | None = None,
    ip: str | None = None,
) -> AuditEntry:
    """Append one entry. USER/IP default to whoever is acting (see core.context)."""
    actor = context.current()
    user = user if user is not None else actor.user
    key_id, keys = audit_keys()
    server_id = actor.server_request_id or actor.request_id
    with transaction.atomic():
        # Bumping the head row first takes the write lock (SQLite) / row lock (PostgreSQL),
        # so concurrent writers chain one after another instead of forking the chain.
        updated = AuditHead.objects.filter(pk=1).update(count=F("count") + 1)
        if not updated:
            AuditHead.objects.create(pk=1, last_hash=GENESIS, count=1)
        head = AuditHead.objects.select_for_update().get(pk=1)
        entry = AuditEntry(
            time=timezone.now(),
            actor=user if getattr(user, "pk", None) else None,
            actor_name=(getattr(user, "username", "") or actor.label or "system")[:150],
            action=action,
            target=scrub(target)[:200],
            reason=scrub(reason),
            details=scrub(details or {}),
            ip=ip if ip is not None else actor.ip,
            request_id=server_id,
            client_request_id=actor.request_id if actor.request_id != server_id else "",
            prev_hash=head.last_hash,
            key_id=key_id,
        )
        entry.hash = _digest(head.last_hash, entry, keys)
        entry.save()
        AuditHead.objects.filter(pk=1).update(last_hash=entry.hash)
        transaction.on_commit(partial(publish_head, head.count, entry.hash, entry.time))
    return entry


def seal_legacy_entries(entry_model, head_model) -> int:
    """Chain one keyed entry on entries written before the chain was keyed (the upgrade).

    Takes the models as a migration passes them; returns how many entries it sealed.
    """
    legacy = entry_model.objects.count()
    if not legacy:
        return 0
    key_id, keys = audit_keys()
    last_hash = entry_model.objects.order_by("-id").values_list("hash", flat=True).first()
    entry = entry_model(
        time=timezone.now(),
        actor_name="system",
        action=AuditAction.AUDIT_SEAL,
        target=f"audit-key:{key_id}",
        details={"legacy_entries": legacy},
        request_id=context.current().server_request_id or uuid.uuid4().hex,
        prev_hash=last_hash,
        key_id=key_id,
    )
    entry.hash = _digest(last_hash, entry, keys)
    entry.save()
    head_model.objects.update_or_create(
        pk=1, defaults={"last_hash": entry.hash, "count": legacy + 1}
    )
    transaction.on_commit(partial(publish_head, legacy + 1, entry.hash, entry.time))
    return legacy


def publish_head(count: int, last_hash: str, time: datetime) -> None:
    """Append the head to SQM_AUDIT_HEAD_FILE (and syslog): a copy the database cannot undo."""
    line = json.dumps(
        {"count": count, "hash": last_hash, "time": time.isoformat()}, separators=(",", ":")
    )
    path = settings.SQM_AUDIT_HEAD_FILE
    if path:
        try:
            # O_APPEND: each line lands at the end even with several processes writing; one
            # write() of a short line is not interleaved with another's.
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, (line + "\n").encode("ascii"))
            finally:
                os.close(fd)
        except OSError:
            logger.exception("cannot append the audit head to %s", path)
    if settings.SQM_AUDIT_SYSLOG:
        try:
            handler = _syslog_handler(settings.SQM_AUDIT_SYSLOG)
        except (OSError, ValueError):
            logger.exception("cannot reach syslog at %s", settings.SQM_AUDIT_SYSLOG)
            return
        handler.handle(logging.makeLogRecord({"msg": line, "levelno": logging.INFO}))


@lru_cache(maxsize=2)
def _syslog_handler(address: str) -> SysLogHandler:
    """`/dev/log` (a local socket path) or `host:port` (UDP)."""
    if address.startswith("/"):
        target: str | tuple[str, int] = address
    else:
        host, _sep, port = address.rpartition(":")
        target = (host, int(port)) if host else (address, 514)
    handler = SysLogHandler(address=target, facility=SysLogHandler.LOG_AUTH)
    handler.ident = "sqm-audit-head: "
    return handler


# --- verifying ---------------------------------------------------------------------------


@dataclass
class VerifyResult:
    checked: int
    broken_at: int | None = None
    problem: str = ""
    legacy: int = 0  # entries written before the chain was keyed (plain SHA-256)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def recorded_heads(path: str) -> tuple[dict[int, set[str]], list[str]]:
    """The (count → hashes) the head file recorded, and warnings about unreadable lines."""
    heads: dict[int, set[str]] = {}
    warnings: list[str] = []
    with open(path, encoding="utf-8", errors="replace") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                head = json.loads(line)
                count, last_hash = int(head["count"]), str(head["hash"])
            except (ValueError, KeyError, TypeError):
                warnings.append(f"{path}:{number}: not a head line")
                continue
            heads.setdefault(count, set()).add(last_hash)
    return heads, warnings


def verify() -> VerifyResult:
    """Recompute the chain from the first entry and check it against the recorded heads.

    Reports the first entry that does not fit: altered, missing, reordered, recomputed
    without the audit key, or cut off after a head the head file recorded.
    """
    _active, keys = audit_keys()
    heads: dict[int, set[str]] = {}
    warnings: list[str] = []
    path = settings.SQM_AUDIT_HEAD_FILE
    if path:
        try:
            heads, warnings = recorded_heads(path)
        except FileNotFoundError:
            pass
        except OSError as exc:
            warnings.append(f"{path}: cannot read: {exc.strerror}")
    prev = GENESIS
    checked = legacy = 0
    keyed = False

    def broken(entry_pk: int, problem: str) -> VerifyResult:
        return VerifyResult(checked, entry_pk, problem, legacy, warnings)

    for entry in AuditEntry.objects.order_by("id").iterator(chunk_size=2000):
        if entry.prev_hash != prev:
            return broken(entry.pk, "previous hash does not match: entry missing or reordered")
        if not entry.key_id:
            if keyed:
                return broken(
                    entry.pk, "entry is not keyed but follows keyed ones: chain recomputed"
                )
            legacy += 1
        elif entry.key_id not in keys:
            return broken(
                entry.pk, f"entry was chained with audit key {entry.key_id!r}, not in SQM_AUDIT_KEY"
            )
        else:
            keyed = True
        if _digest(prev, entry, keys) != entry.hash:
            return broken(entry.pk, "content does not match its hash: entry altered")
        recorded = heads.pop(checked + 1, None)
        if recorded and recorded != {entry.hash}:
            return broken(
                entry.pk,
                f"entry {checked + 1} differs from the head file: entries removed or rewritten",
            )
        prev = entry.hash
        checked += 1
    if legacy and not keyed:
        # Since the chain was keyed every log holds a keyed entry (the upgrade seals the old
        # ones): a log of unkeyed entries only was recomputed with the public algorithm.
        first = AuditEntry.objects.order_by("id").values_list("pk", flat=True).first()
        return broken(first, "no entry is keyed: chain recomputed without the audit key")
    if heads:
        return broken(
            checked + 1,
            f"the head file recorded {max(heads)} entries but the database holds {checked}: "
            "the newest entries were removed",
        )
    head = AuditHead.objects.filter(pk=1).first()
    if head is not None and (head.last_hash != prev or head.count != checked):
        return broken(checked + 1, "the newest entries were removed: the head does not match")
    if checked and path and not os.path.exists(path):
        warnings.append(f"{path} is missing: a removed tail could not be checked against it")
    return VerifyResult(checked, legacy=legacy, warnings=warnings)


# --- reasons -----------------------------------------------------------------------------


def reason_min_chars() -> int:
    return settings.SQM_REVEAL_REASON_MIN_CHARS


def reason_is_meaningful(reason: str) -> bool:
    """At least SQM_REVEAL_REASON_MIN_CHARS letters (CJK included) or digits, not all the same.

    Punctuation, spaces and symbols do not count, so "...", "？？" or "a a" are refused, and
    one character repeated ("aaaa", "1111", "啊啊啊啊") is not a reason either.
    """
    meaningful = [c.casefold() for c in reason if c.isalnum()]
    need = reason_min_chars()
    return len(meaningful) >= need and len(set(meaningful)) >= min(2, need)


# --- alerts ------------------------------------------------------------------------------

ALERT_ACTIONS = {
    AlertKind.REVEAL_RATE: AuditAction.REVEAL_ALERT,
    AlertKind.LOOKUP_MISSES: AuditAction.LOOKUP_ALERT,
}


def rate_alert(
    kind: str, user, count: int, limit: int, message: str, details: dict | None = None
) -> Alert | None:
    """Raise or grow USER's alert of KIND when COUNT (their count in the last hour) > LIMIT.

    One alert per user and hour, its count and MESSAGE updated as the count rises, and a new
    alert each time the count passes a further multiple of LIMIT (2×, 3×…). Each new or grown
    alert is audited. Returns the user's current alert, or None below the limit.
    """
    if limit <= 0 or count <= limit:
        return None
    level = (count - 1) // limit  # count > level × limit
    since = timezone.now() - timedelta(hours=1)
    with transaction.atomic():
        alert = (
            Alert.objects.select_for_update()
            .filter(kind=kind, subject=user, time__gte=since)
            .order_by("-time", "-pk")
            .first()
        )
        if alert is not None and (max(alert.count, 1) - 1) // limit >= level:
            if count <= alert.count:
                return alert
            alert.count, alert.message = count, message
            alert.save(update_fields=["count", "message"])
            change = "grown"
        else:
            alert = Alert.objects.create(kind=kind, subject=user, message=message, count=count)
            change = "raised"
        record(
            ALERT_ACTIONS.get(kind, AuditAction.REVEAL_ALERT),
            user=user,
            target=f"user:{user.username}",
            details={"alert": alert.pk, "change": change, "count": count, "limit": limit}
            | (details or {}),
        )
    return alert


def record_reveal(user, customer, reason: str, fields: list[str]) -> AuditEntry:
    """Audit one reveal and alert auditors when USER passes the hourly threshold."""
    entry = record(
        AuditAction.REVEAL,
        user=user,
        target=f"customer:{customer.customer_id}",
        reason=reason,
        details={"fields": fields},
    )
    since = timezone.now() - timedelta(hours=1)
    customers = (
        AuditEntry.objects.filter(actor=user, action=AuditAction.REVEAL, time__gte=since)
        .values("target")
        .distinct()
        .count()
    )
    message = _("%(user)s revealed the personal data of %(n)d customers within an hour") % {
        "user": user.username,
        "n": customers,
    }
    rate_alert(
        AlertKind.REVEAL_RATE,
        user,
        customers,
        settings.SQM_REVEAL_ALERT_PER_HOUR,
        message,
        {"customers_last_hour": customers},
    )
    return entry


# --- when the chain was last checked ----------------------------------------------------------

CHECKED = "core.audit_verify"  # JobCheckpoint: when `verify` last ran (command or nightly job)
CHECKED_OK = "core.audit_verify_ok"  # …and when it last found the chain intact


@dataclass
class LastCheck:
    time: datetime
    ok: bool


def record_check(result: VerifyResult, now: datetime | None = None) -> None:
    """Remember that the chain was verified now, and whether it was intact (the auditor's
    home page shows it). Two checkpoints rather than a table: the outcome of a failed check
    is an alert, which is where auditors act on it."""
    now = now or timezone.now()
    names = [CHECKED, CHECKED_OK] if result.ok else [CHECKED]
    for name in names:
        JobCheckpoint.objects.update_or_create(name=name, defaults={"until": now})


def last_check() -> LastCheck | None:
    """When the chain was last verified and whether it was intact then; None if never."""
    times = dict(
        JobCheckpoint.objects.filter(name__in=[CHECKED, CHECKED_OK]).values_list("name", "until")
    )
    if CHECKED not in times:
        return None
    return LastCheck(times[CHECKED], ok=times.get(CHECKED_OK) == times[CHECKED])


# An auditor may check the chain from the page (not only `sqm audit verify`); a check reads
# the whole log, so one runs at most this often whoever asks.
VERIFY_AT_MOST_EVERY = timedelta(minutes=1)


def alert_if_broken(result: VerifyResult) -> None:
    """A chain that does not verify becomes an alert for the auditors."""
    if not result.ok:
        Alert.objects.create(
            kind=AlertKind.AUDIT_CHAIN,
            message=_("The audit log does not verify at entry %(n)s: %(problem)s")
            % {"n": result.broken_at, "problem": result.problem},
        )


def verify_on_request(user, now: datetime | None = None) -> tuple[LastCheck, bool]:
    """Verify the chain for USER as `sqm audit verify` does, remember the check and audit
    who asked. Returns (the check, whether it ran now): within VERIFY_AT_MOST_EVERY of the
    last check, that one is returned and nothing runs."""
    now = now or timezone.now()
    last = last_check()
    if last is not None and now - last.time < VERIFY_AT_MOST_EVERY:
        return last, False
    result = verify()
    record_check(result, now)
    alert_if_broken(result)
    details = {"checked": result.checked, "intact": result.ok}
    if not result.ok:
        details["broken_at"] = result.broken_at
    record(AuditAction.AUDIT_VERIFY, user=user, target="audit-log", details=details)
    return LastCheck(now, result.ok), True
