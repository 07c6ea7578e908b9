"""API tokens: issue, authenticate, list and revoke; revoked automatically on lock-out,
deactivation and password change. Every issue and revocation is audited.

A key is 43 URL-safe characters (256 random bits), shown once; only its SHA-256 is stored.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from sqm.api.models import ApiToken, RevokeReason
from sqm.core import audit
from sqm.core.models import AuditAction

KEY_BYTES = 32
# last_used is written at most this often per token, so a busy client does not turn every
# read into a database write (and on SQLite a write lock).
LAST_USED_RESOLUTION = timedelta(minutes=1)
DEFAULT_NAME = "api"
MANAGE_PERMISSION = "api.manage_apitoken"


class TokenError(Exception):
    """The key opens nothing; subclasses say why (the token, when known, is attached)."""

    def __init__(self, token: ApiToken | None = None):
        super().__init__(token)
        self.token = token


class UnknownToken(TokenError):
    pass


class ExpiredToken(TokenError):
    pass


class RevokedToken(TokenError):
    pass


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    key: str  # the only time the key exists outside the client


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def issue(user, name: str = DEFAULT_NAME, *, replace: bool = True) -> IssuedToken:
    """A new token for USER's client NAME, valid SQM_TOKEN_DAYS days.

    With REPLACE (a log-in), the client's earlier active token of the same name is revoked,
    so a script that logs in on every run keeps one token rather than piling them up.
    """
    name = (name or DEFAULT_NAME).strip()[:100] or DEFAULT_NAME
    now = timezone.now()
    with transaction.atomic():
        if replace:
            _revoke(
                ApiToken.objects.filter(user=user, name=name), RevokeReason.REPLACED, owner=user
            )
        key = secrets.token_urlsafe(KEY_BYTES)
        token = ApiToken.objects.create(
            user=user,
            name=name,
            key_hash=hash_key(key),
            created=now,
            expires=now + timedelta(days=settings.SQM_TOKEN_DAYS),
        )
        audit.record(
            AuditAction.TOKEN_CREATED,
            user=user,
            target=f"user:{user.username}",
            details={"token": token.pk, "name": name, "expires": token.expires.isoformat()},
        )
    return IssuedToken(token, key)


def authenticate(key: str, *, now: datetime | None = None) -> ApiToken:
    """The active token KEY opens (its user loaded); records its use at most once a minute.

    Raises UnknownToken, RevokedToken or ExpiredToken.
    """
    now = now or timezone.now()
    token = ApiToken.objects.select_related("user").filter(key_hash=hash_key(key)).first()
    if token is None:
        raise UnknownToken()
    if token.revoked_at is not None:
        raise RevokedToken(token)
    if token.expires <= now:
        raise ExpiredToken(token)
    if token.last_used is None or now - token.last_used >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used=now)
        token.last_used = now
    return token


def can_manage(user) -> bool:
    """Administrators list and revoke anyone's tokens."""
    return bool(user and user.is_authenticated and user.has_perm(MANAGE_PERMISSION))


def tokens_of(viewer, username: str | None = None) -> QuerySet[ApiToken]:
    """VIEWER's own tokens, or USERNAME's when VIEWER may manage tokens (else PermissionDenied)."""
    tokens = ApiToken.objects.select_related("user", "revoked_by")
    if not username or username == viewer.get_username():
        return tokens.filter(user=viewer)
    if not can_manage(viewer):
        raise PermissionDenied(_("Only administrators may see other users' tokens."))
    if len(username) > 150 or "\x00" in username:
        return tokens.none()  # names nobody; PostgreSQL would refuse the NUL
    return tokens.filter(user__username=username)


def revocable_by(viewer) -> QuerySet[ApiToken]:
    """The tokens VIEWER may revoke: their own, or every token for an administrator."""
    tokens = ApiToken.objects.select_related("user")
    return tokens if can_manage(viewer) else tokens.filter(user=viewer)


def revoke(token: ApiToken, *, by) -> bool:
    """BY revokes TOKEN (their own, or anyone's as an administrator); False if already inactive."""
    reason = RevokeReason.OWNER if token.user_id == by.pk else RevokeReason.ADMIN
    return bool(_revoke(ApiToken.objects.filter(pk=token.pk), reason, owner=token.user, by=by))


def revoke_all(user, reason: str, *, by=None) -> int:
    """Revoke all of USER's active tokens (lock-out, deactivation, password change)."""
    return len(_revoke(ApiToken.objects.filter(user=user), reason, owner=user, by=by))


def revoke_all_of_username(username: str, reason: str) -> int:
    """As revoke_all, for a log-in name that may name nobody (a lock-out of a guessed name)."""
    User = get_user_model()
    user = User._default_manager.filter(**{User.USERNAME_FIELD: username}).first()
    return revoke_all(user, reason) if user is not None else 0


def _revoke(tokens: QuerySet[ApiToken], reason: str, *, owner, by=None) -> list[int]:
    now = timezone.now()
    with transaction.atomic():
        victims = dict(tokens.active(now).values_list("pk", "name"))
        if not victims:
            return []
        # Only rows still unrevoked: a concurrent revocation is neither redone nor re-audited.
        updated = ApiToken.objects.filter(pk__in=victims, revoked_at__isnull=True).update(
            revoked_at=now, revoked_by=by if getattr(by, "pk", None) else None, revoke_reason=reason
        )
        if not updated:
            return []
        audit.record(
            AuditAction.TOKEN_REVOKED,
            user=by,
            target=f"user:{owner.get_username()}",
            details={
                "tokens": sorted(victims),
                "names": [victims[pk] for pk in sorted(victims)],
                "reason": str(reason),
            },
        )
    return sorted(victims)
