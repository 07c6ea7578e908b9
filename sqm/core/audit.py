"""The append-only, hash-chained audit log (登录、敏感信息查看、导出、权限变更)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from sqm.core import context
from sqm.core.models import Alert, AlertKind, AuditAction, AuditEntry, AuditHead

GENESIS = "0" * 64


def _digest(prev_hash: str, entry: AuditEntry) -> str:
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
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


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
            target=target[:200],
            reason=reason,
            details=details or {},
            ip=ip if ip is not None else actor.ip,
            request_id=actor.request_id,
            prev_hash=head.last_hash,
        )
        entry.hash = _digest(head.last_hash, entry)
        entry.save()
        AuditHead.objects.filter(pk=1).update(last_hash=entry.hash)
    return entry


@dataclass
class VerifyResult:
    checked: int
    broken_at: int | None = None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def verify() -> VerifyResult:
    """Recompute the chain from the first entry; report the first entry that does not fit."""
    prev = GENESIS
    checked = 0
    for entry in AuditEntry.objects.order_by("id").iterator(chunk_size=2000):
        if entry.prev_hash != prev:
            return VerifyResult(
                checked, entry.pk, "previous hash does not match: entry missing or reordered"
            )
        if _digest(prev, entry) != entry.hash:
            return VerifyResult(checked, entry.pk, "content does not match its hash: entry altered")
        prev = entry.hash
        checked += 1
    head = AuditHead.objects.filter(pk=1).first()
    if head is not None and (head.last_hash != prev or head.count != checked):
        return VerifyResult(
            checked, checked + 1, "the newest entries were removed: the head does not match"
        )
    return VerifyResult(checked)


def record_reveal(user, customer, reason: str, fields: list[str]) -> AuditEntry:
    """Audit one reveal and alert auditors when USER passes the hourly threshold."""
    entry = record(
        AuditAction.REVEAL,
        user=user,
        target=f"customer:{customer.customer_id}",
        reason=reason,
        details={"fields": fields},
    )
    limit = settings.SQM_REVEAL_ALERT_PER_HOUR
    since = timezone.now() - timedelta(hours=1)
    customers = (
        AuditEntry.objects.filter(actor=user, action=AuditAction.REVEAL, time__gte=since)
        .values("target")
        .distinct()
        .count()
    )
    already = Alert.objects.filter(
        kind=AlertKind.REVEAL_RATE, subject=user, time__gte=since
    ).exists()
    if customers > limit and not already:
        message = _("%(user)s revealed the personal data of %(n)d customers within an hour") % {
            "user": user.username,
            "n": customers,
        }
        Alert.objects.create(kind=AlertKind.REVEAL_RATE, subject=user, message=message)
        record(
            AuditAction.REVEAL_ALERT,
            user=user,
            target=f"user:{user.username}",
            details={"customers_last_hour": customers, "limit": limit},
        )
    return entry
