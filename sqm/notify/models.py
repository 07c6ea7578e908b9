"""SMS templates and the outbox (docs/notify.md).

Every message carries an idempotency key (outage + kind): scheduling the same message twice
finds the existing row. The worker releases scheduled messages at their time; senders move
them on through guarded state updates.
"""

from __future__ import annotations

import string

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from sqm.core.fields import EncryptedTextField, KeyIdField
from sqm.core.models import ChangeLoggedModel
from sqm.notify.choices import MessageKind, MessageState

# The variables each kind of template may use (docs/faults.md).
TEMPLATE_VARIABLES = {
    MessageKind.FAULT: {"area", "type", "eta", "hotline", "signature"},
    MessageKind.RECOVERY: {"area", "type", "eta", "hotline", "signature", "recovered"},
}


class SmsTemplate(ChangeLoggedModel):
    """The text of fault and recovery SMS, with {area} {type} {eta} {hotline} {signature}."""

    kind = models.CharField(_("kind"), max_length=16, choices=MessageKind.choices, unique=True)
    text = models.TextField(_("text"))
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["kind"]
        verbose_name = _("SMS template")
        verbose_name_plural = _("SMS templates")

    def __str__(self) -> str:
        return self.get_kind_display()

    def clean(self) -> None:
        """Refuse variables the kind does not have, and braces that do not pair up."""
        allowed = TEMPLATE_VARIABLES.get(self.kind, set())
        try:
            names = {name for _, name, _, _ in string.Formatter().parse(self.text) if name}
        except ValueError as exc:
            raise ValidationError({"text": _("Unpaired brace: %(e)s") % {"e": exc}}) from exc
        unknown = sorted(names - allowed)
        if unknown:
            raise ValidationError(
                {
                    "text": _("Unknown variables: %(names)s. Allowed: %(allowed)s.")
                    % {
                        "names": ", ".join("{" + n + "}" for n in unknown),
                        "allowed": ", ".join("{" + n + "}" for n in sorted(allowed)),
                    }
                }
            )


class OutboundMessage(models.Model):
    """One SMS to one customer (an outbox row)."""

    key = models.CharField(_("idempotency key"), max_length=64, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=MessageKind.choices)
    account = models.ForeignKey(
        "customers.Account",
        on_delete=models.CASCADE,
        related_name="messages",
        verbose_name=_("account"),
    )
    outage = models.ForeignKey(
        "network.Outage",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="messages",
        verbose_name=_("outage"),
    )
    fault_event = models.ForeignKey(
        "network.FaultEvent",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="messages",
        verbose_name=_("fault event"),
    )
    # Filled when the message is rendered for sending; encrypted like the customer's own.
    mobile = EncryptedTextField(_("mobile number"), mask="mobile", blank=True)
    pii_key_id = KeyIdField()
    text = models.TextField(_("text"), blank=True)
    send_at = models.DateTimeField(_("send at"))
    state = models.CharField(
        _("state"), max_length=12, choices=MessageState.choices, default=MessageState.SCHEDULED
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    parts = models.PositiveSmallIntegerField(_("SMS parts"), default=0)
    smsc_ids = models.CharField(_("SMSC message ids"), max_length=255, blank=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    done_at = models.DateTimeField(_("delivered or failed at"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=255, blank=True)

    class Meta:
        ordering = ["send_at", "id"]
        indexes = [
            # The release query: scheduled messages whose time has come.
            models.Index(fields=["state", "send_at"], name="message_due"),
        ]
        verbose_name = _("outbound SMS")
        verbose_name_plural = _("outbound SMS")

    def __str__(self) -> str:
        return self.key


class WorkerHeartbeat(models.Model):
    """What the outbox worker of one sender backend last said about itself: when it last ran
    a pass, when its sender last succeeded, and its last failure (the NOC's SMS view reads
    this to tell "worker not running" and "sender failing" apart from a message that is
    merely waiting for its time)."""

    sender = models.CharField(_("sender"), max_length=32, unique=True)
    seen_at = models.DateTimeField(_("last pass"))
    last_ok_at = models.DateTimeField(_("last success"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=255, blank=True)
    last_error_at = models.DateTimeField(_("last error at"), null=True, blank=True)

    class Meta:
        verbose_name = _("SMS worker heartbeat")
        verbose_name_plural = _("SMS worker heartbeats")

    def __str__(self) -> str:
        return f"{self.sender} @ {self.seen_at:%Y-%m-%d %H:%M:%S}"
