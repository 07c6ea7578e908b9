"""Value sets of complaint intake and triage (docs/complaint-rules.md).

The values are the exchange vocabulary of `sqm complaints triage` and the API; the labels
are for the UI.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Topic(models.TextChoices):
    """What the customer contacted us about (the supplementary rules are per topic)."""

    UNSUBSCRIBE = "unsubscribe", pgettext_lazy("intake topic", "unsubscribe")
    RESEND = "resend", pgettext_lazy("intake topic", "message re-send")
    BLOCK = "block", pgettext_lazy("intake topic", "message blocking")
    REFUND = "refund", pgettext_lazy("intake topic", "refund")
    OTHER = "other", pgettext_lazy("intake topic", "other")


class Demand(models.TextChoices):
    """An explicit demand beyond the topic's own request."""

    ASK_REASON = "ask_reason", _("asks for the reason")
    UNKNOWING_SUBSCRIPTION = "unknowing_subscription", _("subscribed without knowing")
    RESTORE = "restore", _("restore the original state")
    COMPENSATION = "compensation", _("compensation")
    APOLOGY = "apology", _("apology")
    MANAGER = "manager", _("a manager to handle it")
    RULE_CHANGE = "rule_change", _("change of rule or process")
    OTHER = "other", _("other demand")


class RecordType(models.TextChoices):
    """How the contact is recorded."""

    SERVICE = "service", _("service request")
    DIRECT_ANSWER_COMPLAINT = "direct_answer_complaint", _("direct-answer complaint")
    COMPLAINT_WORK_ORDER = "complaint_work_order", _("complaint work order")


class OrderKind(models.TextChoices):
    """The order raised alongside the record, when any."""

    BUSINESS = "business", _("business-handling order")
    CONSULTATION = "consultation", _("consultation order")
    BLOCKING = "blocking", _("blocking order")
    REFUND = "refund", _("refund order")


class NeedArea(models.TextChoices):
    """The customer need a second-level category belongs to (客户需求层)."""

    NETWORK_QUALITY = "network_quality", pgettext_lazy("need area", "network quality")
    WINDOW_SERVICE = "window_service", pgettext_lazy("need area", "window service")
    BUSINESS_PRODUCTS = "business_products", pgettext_lazy("need area", "business products")
    BILLING_PAYMENT = "billing_payment", pgettext_lazy("need area", "billing and payment")


class DepartmentKind(models.TextChoices):
    FRONT_LINE = "front_line", _("front line (hotline, halls)")
    SECOND_LINE = "second_line", _("second-line support")
    BACK_OFFICE = "back_office", _("responsible department")


class Channel(models.TextChoices):
    """Where the contact came in; the last three are upgraded channels (升级渠道)."""

    HOTLINE = "hotline", pgettext_lazy("contact channel", "hotline")
    BUSINESS_HALL = "business_hall", pgettext_lazy("contact channel", "business hall")
    ONLINE_HALL = "online_hall", pgettext_lazy("contact channel", "online hall")
    APP = "app", pgettext_lazy("contact channel", "app")
    SMS = "sms", pgettext_lazy("contact channel", "SMS")
    LETTER = "letter", pgettext_lazy("contact channel", "letter")
    REGULATOR = "regulator", pgettext_lazy("contact channel", "regulator appeal (MIIT)")
    CONSUMER_ASSOCIATION = (
        "consumer_association",
        pgettext_lazy("contact channel", "consumer association"),
    )
    MEDIA = "media", pgettext_lazy("contact channel", "media")


UPGRADED_CHANNELS = frozenset({Channel.REGULATOR, Channel.CONSUMER_ASSOCIATION, Channel.MEDIA})


class WorkOrderState(models.TextChoices):
    NEW = "new", pgettext_lazy("work order state", "new")
    IN_PROGRESS = "in_progress", pgettext_lazy("work order state", "in progress (first line)")
    ESCALATED = "escalated", pgettext_lazy("work order state", "escalated")
    REPLIED = "replied", pgettext_lazy("work order state", "replied")
    AWAITING_CALLBACK = "awaiting_callback", pgettext_lazy("work order state", "awaiting callback")
    CLOSED = "closed", pgettext_lazy("work order state", "closed")
    SUSPENDED = "suspended", pgettext_lazy("work order state", "suspended")
    REOPENED = "reopened", pgettext_lazy("work order state", "reopened")


class WorkOrderAction(models.TextChoices):
    OPEN = "open", pgettext_lazy("work order action", "open")
    ACCEPT = "accept", _("accept")
    ESCALATE = "escalate", _("escalate")
    TRANSFER = "transfer", _("ask another department to act")
    CLAIM = "claim", _("take it on")
    SUSPEND = "suspend", _("suspend")
    RESUME = "resume", _("resume")
    REPLY = "reply", _("reply")
    START_CALLBACK = "start_callback", _("start callback")
    CLOSE = "close", _("close")
    REOPEN = "reopen", _("reopen")
    CALLBACK_ATTEMPT = "callback_attempt", _("callback attempt (unreachable)")
    # Timeline entries that do not change the state.
    ATTACH = "attach", _("attach a file")
    LINK_CAUSE = "link_cause", _("link to a batch cause")
    BREACH_REASON = "breach_reason", _("record the reason for a breach")
    ASSIGN = "assign", pgettext_lazy("work order action", "assign")
    # Staff only: never part of the reply, an SMS or anything else the customer sees.
    NOTE = "note", pgettext_lazy("work order action", "internal note")
    # The step leading an imported record to the state the history file gives it, where
    # the file does not say when it got there (complaints importer).
    IMPORT = "import", pgettext_lazy("work order action", "imported from the history")


class CallbackOutcome(models.TextChoices):
    """How the customer judged the handling when called back (回访结果)."""

    SATISFIED = "satisfied", _("satisfied")
    BASICALLY_SATISFIED = "basically_satisfied", _("basically satisfied")
    DISSATISFIED = "dissatisfied", _("dissatisfied")
    UNREACHABLE = "unreachable", _("unreachable")


class CauseKind(models.TextChoices):
    """What kind of cause a batch of complaints shares (批量投诉原因)."""

    NETWORK_FAULT = "network_fault", pgettext_lazy("cause kind", "network fault")
    BILLING_RUN = "billing_run", pgettext_lazy("cause kind", "billing run")
    PRODUCT_CHANGE = "product_change", pgettext_lazy("cause kind", "product or tariff change")
    OTHER = "other", pgettext_lazy("cause kind", "other")
