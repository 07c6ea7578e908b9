"""Signal wiring: change log for domain models, audit entries for logins and permissions."""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save

from sqm.core import audit, changelog
from sqm.core.middleware import client_ip
from sqm.core.models import AuditAction, ChangeLoggedModel


def _is_logged(sender) -> bool:
    return isinstance(sender, type) and issubclass(sender, ChangeLoggedModel)


def on_post_save(sender, **kwargs):
    if _is_logged(sender):
        changelog.record_save(sender, **kwargs)


def on_post_delete(sender, **kwargs):
    if _is_logged(sender):
        changelog.record_delete(sender, **kwargs)


def on_login(sender, request, user, **kwargs):
    audit.record(
        AuditAction.LOGIN,
        user=user,
        target=f"user:{user.username}",
        ip=client_ip(request) if request else None,
    )


def on_logout(sender, request, user, **kwargs):
    if user is not None:
        audit.record(
            AuditAction.LOGOUT,
            user=user,
            target=f"user:{user.username}",
            ip=client_ip(request) if request else None,
        )


def on_login_failed(sender, credentials, request=None, **kwargs):
    username = str(credentials.get("username", ""))[:150]
    audit.record(
        AuditAction.LOGIN_FAILED,
        user=None,
        target=f"user:{username}",
        ip=client_ip(request) if request else None,
    )


def on_locked_out(sender, request=None, username=None, **kwargs):
    audit.record(
        AuditAction.LOCKED_OUT,
        user=None,
        target=f"user:{username or ''}"[:200],
        ip=client_ip(request) if request else None,
    )


def on_user_flags(sender, instance, raw=False, **kwargs):
    """Audit changes of superuser/staff/active flags on existing users."""
    if raw or instance.pk is None:
        return
    old = (
        sender.objects.filter(pk=instance.pk)
        .values("is_superuser", "is_staff", "is_active")
        .first()
    )
    if not old:
        return
    changed = {
        key: [old[key], getattr(instance, key)] for key in old if old[key] != getattr(instance, key)
    }
    if changed:
        audit.record(
            AuditAction.PERMISSION, target=f"user:{instance.username}", details={"flags": changed}
        )


def on_m2m(sender, instance, action, pk_set, model, **kwargs):
    """Audit group membership, direct permissions, group permissions and city scope."""
    if action not in {"post_add", "post_remove", "post_clear"}:
        return
    # A user's scope changed: drop the city ids cached on that object.
    instance.__dict__.pop("_sqm_city_ids", None)
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    User = get_user_model()
    through_names = {
        User.groups.through: "groups",
        User.user_permissions.through: "permissions",
        User.cities.through: "cities",
        Group.permissions.through: "group_permissions",
    }
    what = through_names.get(sender)
    if what is None:
        return
    if isinstance(instance, User):
        target = f"user:{instance.username}"
    elif isinstance(instance, Group):
        target = f"group:{instance.name}"
    else:
        target = f"{model._meta.model_name}:{instance}"
    objects = model.objects.filter(pk__in=pk_set or [])
    if model._meta.label == "auth.Permission":
        # Stored as codes (`api.add_apitoken`), named in the reader's language when shown:
        # a permission's own name is Django's English text.
        objects = objects.select_related("content_type")
        items = sorted(f"{p.content_type.app_label}.{p.codename}" for p in objects)
    else:
        items = sorted(str(obj) for obj in objects)
    audit.record(
        AuditAction.PERMISSION,
        target=target,
        details={"what": what, "action": action.removeprefix("post_"), "items": items},
    )


def connect() -> None:
    from django.contrib.auth import get_user_model

    post_save.connect(on_post_save, dispatch_uid="sqm-changelog-save")
    post_delete.connect(on_post_delete, dispatch_uid="sqm-changelog-delete")
    user_logged_in.connect(on_login, dispatch_uid="sqm-audit-login")
    user_logged_out.connect(on_logout, dispatch_uid="sqm-audit-logout")
    user_login_failed.connect(on_login_failed, dispatch_uid="sqm-audit-login-failed")
    pre_save.connect(on_user_flags, sender=get_user_model(), dispatch_uid="sqm-audit-flags")
    m2m_changed.connect(on_m2m, dispatch_uid="sqm-audit-m2m")
    from axes.signals import user_locked_out

    user_locked_out.connect(on_locked_out, dispatch_uid="sqm-audit-locked-out")
