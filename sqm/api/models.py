"""API tokens: many per user (one per client), expiring, revocable, stored only as a hash."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class RevokeReason(models.TextChoices):
    OWNER = "owner", _("revoked by its owner")
    ADMIN = "admin", _("revoked by an administrator")
    REPLACED = "replaced", _("replaced by a new log-in of the same client")
    LOCKED_OUT = "locked_out", _("user locked out")
    DEACTIVATED = "deactivated", _("user deactivated")
    PASSWORD_CHANGED = "password_changed", _("password changed")


class TokenState(models.TextChoices):
    ACTIVE = "active", pgettext_lazy("token state", "active")
    EXPIRED = "expired", pgettext_lazy("token state", "expired")
    REVOKED = "revoked", pgettext_lazy("token state", "revoked")


class ApiTokenQuerySet(models.QuerySet):
    def active(self, now=None) -> ApiTokenQuerySet:
        return self.filter(revoked_at__isnull=True, expires__gt=now or timezone.now())


class ApiToken(models.Model):
    """A key for `Authorization: Token <key>`; the key itself is shown once and never stored."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        verbose_name=_("user"),
    )
    name = models.CharField(
        pgettext_lazy("thing", "name"),
        max_length=100,
        help_text=_("The client the token is for, e.g. a script."),
    )
    # SHA-256 of the key: a random 256-bit key needs no salt or slow hash, and a copy of the
    # database gives no usable token.
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created = models.DateTimeField(_("created"), default=timezone.now)
    expires = models.DateTimeField(_("expires"))
    last_used = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("revoked by"),
    )
    revoke_reason = models.CharField(
        _("revocation reason"), max_length=20, choices=RevokeReason.choices, blank=True
    )

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [models.Index(fields=["user", "revoked_at"])]
        permissions = [("manage_apitoken", _("Can list and revoke other users' API tokens"))]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.user} · {self.name}"

    def state(self, now=None) -> str:
        if self.revoked_at is not None:
            return TokenState.REVOKED
        if self.expires <= (now or timezone.now()):
            return TokenState.EXPIRED
        return TokenState.ACTIVE

    def get_state_display(self) -> str:
        return TokenState(self.state()).label
