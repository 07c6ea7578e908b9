"""Tokens die with the user's access: lock-out, deactivation and password change revoke them."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models.signals import post_save, pre_save

from sqm.api import tokens
from sqm.api.models import RevokeReason

WATCHED_FIELDS = {"password", "is_active"}
PENDING = "_sqm_revoke_tokens"


def _is_rehash(user, update_fields) -> bool:
    """Django re-hashes a password on log-in when the hasher's parameters change: same password.

    Its upgrade path saves only the password and clears `_password`, which set_password
    fills for a real change (Django's own "password changed" test).
    """
    return getattr(user, "_password", None) is None and set(update_fields or ()) == {"password"}


def on_user_pre_save(sender, instance, raw=False, update_fields=None, **kwargs):
    if raw or instance.pk is None:
        return
    if update_fields is not None and not WATCHED_FIELDS & set(update_fields):
        return  # e.g. the last_login update on every log-in: no query
    old = sender._default_manager.filter(pk=instance.pk).values("password", "is_active").first()
    if old is None:
        return
    reason = None
    if old["is_active"] and not instance.is_active:
        reason = RevokeReason.DEACTIVATED
    elif old["password"] != instance.password and not _is_rehash(instance, update_fields):
        reason = RevokeReason.PASSWORD_CHANGED
    if reason:
        instance.__dict__[PENDING] = reason


def on_user_post_save(sender, instance, raw=False, **kwargs):
    # After the save: a refused or failed save revokes nothing.
    reason = instance.__dict__.pop(PENDING, None)
    if reason and not raw:
        tokens.revoke_all(instance, reason)


def on_locked_out(sender, request=None, username=None, **kwargs):
    # axes names the log-in as typed; it may name nobody (a guessed user name).
    if username:
        tokens.revoke_all_of_username(str(username), RevokeReason.LOCKED_OUT)


def connect() -> None:
    from axes.signals import user_locked_out

    User = get_user_model()
    pre_save.connect(on_user_pre_save, sender=User, dispatch_uid="sqm-tokens-user-pre")
    post_save.connect(on_user_post_save, sender=User, dispatch_uid="sqm-tokens-user-post")
    user_locked_out.connect(on_locked_out, dispatch_uid="sqm-tokens-locked-out")
