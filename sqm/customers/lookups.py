"""Finding a customer by mobile or ID number: a deliberate, counted and audited act.

A masked number (138****5678) shows 7 of 11 digits; an exact look-up that answers "one
match" or "none" would give the rest back to anyone who tries the 10,000 candidates. So
every look-up by number — page, API or CLI — goes through `find_by_number`, which:

- lets only the roles that must find a caller do it (`customers.lookup_by_number`);
- refuses more than SQM_LOOKUPS_PER_HOUR look-ups per user and hour (counted from the
  audit log, so the count survives restarts and holds across processes);
- audits each look-up with the number's lookup hash, never the number;
- raises an auditor alert when the look-ups that found nobody pile up (a search by trial).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext as _

from sqm.core import audit, crypto
from sqm.core.exceptions import LimitReached
from sqm.core.models import AlertKind, AuditAction, AuditEntry
from sqm.customers.models import Customer

PERMISSION = "customers.lookup_by_number"
MOBILE = "mobile"
ID_NUMBER = "id_number"
HASH_FIELDS = {MOBILE: "mobile_hash", ID_NUMBER: "id_number_hash"}

MOBILE_RE = re.compile(r"1\d{10}")
ID_NUMBER_RE = re.compile(r"\d{17}[\dX]|\d{15}")
HASH_RE = re.compile(r"[0-9a-f]{64}")
MISS_TARGET = "lookup:nobody"
REFUSED_TARGET = "lookup:refused"


class LookupRefused(PermissionDenied):
    """The user may not look customers up by number (role, or a look-up built to confirm)."""


class LookupLimitReached(LimitReached):
    """The user has used up the hour's look-ups; pages and API answer 429."""


@dataclass(frozen=True)
class NumberQuery:
    """A number to find, already reduced to its lookup hash."""

    kind: str
    digest: str

    @classmethod
    def of(cls, kind: str, number: str) -> NumberQuery:
        return cls(kind, crypto.lookup_hash(number))


def classify(term: str) -> NumberQuery | None:
    """TERM as a number look-up when it is a mobile or ID number, else None."""
    term = "".join((term or "").split()).upper()
    if MOBILE_RE.fullmatch(term):
        return NumberQuery.of(MOBILE, term)
    if ID_NUMBER_RE.fullmatch(term):
        return NumberQuery.of(ID_NUMBER, term)
    return None


def from_hash(kind: str, digest: str) -> NumberQuery:
    """A look-up by a lookup hash carried in a page link (`mobile_hash=`); still counted."""
    digest = (digest or "").strip().lower()
    if kind not in HASH_FIELDS or not HASH_RE.fullmatch(digest):
        raise LookupRefused(_("That is not a lookup hash."))
    return NumberQuery(kind, digest)


def lookups_in_last_hour(user, *, misses_only: bool = False) -> int:
    """USER's look-ups in the last hour (refused tries included), or those that found nobody."""
    since = timezone.now() - timedelta(hours=1)
    mine = AuditEntry.objects.filter(actor=user, action=AuditAction.LOOKUP, time__gte=since)
    return mine.filter(target=MISS_TARGET).count() if misses_only else mine.count()


def may_look_up(user) -> bool:
    return bool(user and user.has_perm(PERMISSION))


def _audit(user, query: NumberQuery, channel: str, target: str, **outcome) -> None:
    details = {"kind": query.kind, "lookup_hash": query.digest, "channel": channel, **outcome}
    audit.record(AuditAction.LOOKUP, user=user, target=target[:200], details=details)


def find_by_number(user, query: NumberQuery, *, channel: str) -> list[int]:
    """Ids of the customers in USER's cities whose number is QUERY's; audited and counted.

    CHANNEL says where it came from (`page`, `intake`, `api`, `cli`, `orders`) for the
    audit. Raises LookupRefused without the permission and LookupLimitReached past the
    hourly limit; both refusals are audited too (`lookup:refused`), and count.
    """
    if not may_look_up(user):
        _audit(user, query, channel, REFUSED_TARGET, refused="role")
        raise LookupRefused(
            _(
                "Your role may not look customers up by mobile or ID number. Search by "
                "customer ID or account number instead."
            )
        )
    done = lookups_in_last_hour(user)
    limit = settings.SQM_LOOKUPS_PER_HOUR
    if done >= limit:
        # Refused tries are audited too, and count: hammering keeps the limit in force.
        _audit(user, query, channel, REFUSED_TARGET, refused="limit")
        raise LookupLimitReached(
            _(
                "You have looked up %(n)d customers by number in the last hour, the most "
                "allowed. Try again later or ask your team lead."
            )
            % {"n": done}
        )
    field = HASH_FIELDS[query.kind]
    found = dict(
        Customer.objects.restrict(user)
        .filter(**{field: query.digest})
        .values_list("pk", "customer_id")[:20]
    )
    target = "customer:" + ",".join(found.values()) if found else MISS_TARGET
    _audit(user, query, channel, target, found=len(found))
    if not found:
        misses = lookups_in_last_hour(user, misses_only=True)
        audit.rate_alert(
            AlertKind.LOOKUP_MISSES,
            user,
            misses,
            settings.SQM_LOOKUP_MISS_ALERT,
            _("%(user)s looked up %(n)d numbers that matched no customer within an hour")
            % {"user": user.username, "n": misses},
            details={"misses_last_hour": misses, "limit": settings.SQM_LOOKUP_MISS_ALERT},
        )
    return list(found)
