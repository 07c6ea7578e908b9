"""What is added to a work order besides state changes: attachments, batch causes, breach
reasons. Each writes a timeline event and a change-log entry in one transaction."""

from __future__ import annotations

import hashlib
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from sqm.complaints import notices, sla
from sqm.complaints.choices import WorkOrderAction as A
from sqm.complaints.choices import WorkOrderState as S
from sqm.complaints.models import ComplaintCause, WorkOrder, WorkOrderAttachment, WorkOrderEvent
from sqm.complaints.workorders import in_cities
from sqm.core import changelog, context

# Allowed attachment types: extension → (content type, leading bytes that must match).
# The magic bytes are checked so a renamed executable is not accepted as a picture.
ATTACHMENT_TYPES: dict[str, tuple[str, tuple[bytes, ...]]] = {
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        (b"PK\x03\x04",),
    ),
    ".xlsx": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        (b"PK\x03\x04",),
    ),
    ".txt": ("text/plain", ()),
    ".mp3": ("audio/mpeg", (b"ID3", b"\xff\xfb", b"\xff\xf3", b"\xff\xf2")),
    ".wav": ("audio/wav", (b"RIFF",)),
}


def _visible(user, order: WorkOrder) -> None:
    if not WorkOrder.objects.restrict(user).filter(pk=order.pk).exists():
        raise PermissionDenied(_("This work order is outside your cities."))


def _event(user, order: WorkOrder, action: str, note: str) -> None:
    WorkOrderEvent.objects.create(
        work_order=order,
        user=user,
        action=action,
        from_state=order.state,
        to_state=order.state,
        note=note,
    )


def check_attachment(upload: UploadedFile) -> str:
    """The content type of an acceptable UPLOAD; ValidationError naming the file otherwise."""
    name = upload.name or ""
    suffix = PurePath(name).suffix.lower()
    limit = settings.SQM_ATTACHMENT_MAX_BYTES
    if suffix not in ATTACHMENT_TYPES:
        raise ValidationError(
            _("%(name)s: files of type %(suffix)s are not accepted (allowed: %(allowed)s).")
            % {
                "name": name,
                "suffix": suffix or "?",
                "allowed": ", ".join(sorted(ATTACHMENT_TYPES)),
            }
        )
    if upload.size == 0:
        raise ValidationError(_("%(name)s is empty.") % {"name": name})
    if upload.size > limit:
        raise ValidationError(
            _("%(name)s is %(size).1f MB; attachments may be at most %(limit).0f MB.")
            % {"name": name, "size": upload.size / 2**20, "limit": limit / 2**20}
        )
    content_type, magics = ATTACHMENT_TYPES[suffix]
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    if magics and not any(head.startswith(magic) for magic in magics):
        raise ValidationError(
            _("%(name)s does not look like a %(suffix)s file.") % {"name": name, "suffix": suffix}
        )
    if suffix == ".txt":
        try:
            upload.read(min(upload.size, 65536)).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ValidationError(_("%(name)s is not UTF-8 text.") % {"name": name}) from exc
        finally:
            upload.seek(0)
    return content_type


def add_attachment(user, order: WorkOrder, upload: UploadedFile) -> WorkOrderAttachment:
    """Store UPLOAD under the media root and list it on ORDER's timeline."""
    _visible(user, order)
    if not user.has_perm("complaints.add_workorderattachment"):
        raise PermissionDenied(_("You may not attach files to work orders."))
    if order.state == S.CLOSED:
        raise ValidationError(_("A closed work order takes no more attachments."))
    content_type = check_attachment(upload)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    original = PurePath(upload.name).name[:255]
    attachment = WorkOrderAttachment(
        work_order=order,
        original_name=original,
        content_type=content_type,
        size=upload.size,
        sha256=digest.hexdigest(),
        uploaded_by=user,
    )
    # Stored under a neutral name: the original may carry personal data or odd bytes.
    stored = f"{order.number}-{digest.hexdigest()[:12]}{PurePath(original).suffix.lower()}"
    try:
        with transaction.atomic(), context.acting_as(user):
            attachment.file.save(stored, upload)
            _event(user, order, A.ATTACH, original)
            notices.after_attachment(user, order)
    except Exception:
        # Nothing half-written: a file whose row rolled back must not stay behind.
        if attachment.file.name:
            attachment.file.storage.delete(attachment.file.name)
        raise
    return attachment


def record_breach_reason(user, order: WorkOrder, reason: str) -> WorkOrder:
    """Say why ORDER missed its deadline (for the KPI review)."""
    _visible(user, order)
    if not (user.has_perm("complaints.oversee_workorders") or user.has_perm(_handler(order))):
        raise PermissionDenied(_("Your role may not record breach reasons."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Say why the deadline was missed."))
    now = timezone.now()
    if not sla.missed_deadline(order, now):
        raise ValidationError(_("This work order has not missed its deadline."))
    with transaction.atomic(), context.acting_as(user):
        before = changelog.snapshot(order)
        WorkOrder.objects.filter(pk=order.pk).update(breach_reason=reason, last_updated=now)
        _event(user, order, A.BREACH_REASON, reason)
        order.refresh_from_db()
        changelog.record_bulk([order], "update", {order.pk: before})
    return order


def _handler(order: WorkOrder) -> str:
    from sqm.complaints.workorders import required_permission

    return required_permission(A.REPLY, order)


def create_cause(user, **fields) -> ComplaintCause:
    """Record a batch-complaint cause (a network fault, a billing run, …)."""
    if not user.has_perm("complaints.add_complaintcause"):
        raise PermissionDenied(_("You may not record batch causes."))
    city = fields.get("city")
    if city is not None and not in_cities(user, city.pk):  # the API's city field says the same
        raise ValidationError({"city": _("%(city)s is not one of your cities.") % {"city": city}})
    cause = ComplaintCause(created_by=user, **fields)
    cause.full_clean(exclude=["created_by"])
    with transaction.atomic(), context.acting_as(user):
        cause.save()
    return cause


def causes_for(order: WorkOrder):
    """The running batch causes ORDER may be linked to: those of its city or of the whole
    province (a cause without a city)."""
    return ComplaintCause.objects.filter(ended_at__isnull=True).filter(
        Q(city__isnull=True) | Q(city_id=order.city_id)
    )


def link_cause(user, orders, cause: ComplaintCause | None) -> int:
    """Link ORDERS (work orders the user can see) to CAUSE, or unlink with None.

    Returns how many were linked; each gets a timeline entry.
    """
    if not user.has_perm("complaints.change_complaintcause"):
        raise PermissionDenied(_("You may not link work orders to batch causes."))
    with transaction.atomic(), context.acting_as(user):
        visible = WorkOrder.objects.restrict(user).filter(pk__in=[o.pk for o in orders])
        picked = list(visible.select_for_update())
        if len(picked) != len(orders):
            raise PermissionDenied(_("Some of these work orders are outside your cities."))
        if cause is not None and cause.city_id is not None:
            if any(o.city_id != cause.city_id for o in picked):
                raise ValidationError(
                    _("The batch cause %(title)s is of another city than these work orders.")
                    % {"title": cause.title}
                )
        before = {o.pk: changelog.snapshot(o) for o in picked}
        WorkOrder.objects.filter(pk__in=[o.pk for o in picked]).update(
            cause=cause, last_updated=timezone.now()
        )
        note = cause.title if cause else _("unlinked")
        for order in picked:
            _event(user, order, A.LINK_CAUSE, note)
            order.cause = cause
        changelog.record_bulk(picked, "update", before)
    return len(picked)
