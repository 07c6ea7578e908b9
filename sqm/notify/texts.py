"""SMS texts from templates (docs/notify.md): the active template of a kind, its variables
filled in, and the check that no variable smuggles a link or a phone number to customers.

Generic: the domain that sends (network's fault SMS, `network.fault_sms`) supplies the
variables; notify knows only templates and the safety rule.
"""

from __future__ import annotations

from datetime import datetime

from django.utils.translation import gettext as _

from sqm.core.validators import contains_phone_number, contains_url
from sqm.notify.models import SmsTemplate
from sqm.notify.rules import SHANGHAI

# The one variable that may carry a number to call: ours, from settings.
NUMBER_VARIABLES = frozenset({"hotline"})


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"  # an unknown variable stays visible rather than failing


def sms_moment(value: datetime) -> str:
    """A moment as SMS say it: 11月22日18:00 (Asia/Shanghai).

    SMS go out in the template's language (Chinese), whatever the admin's UI language."""
    local = value.astimezone(SHANGHAI)
    return f"{local.month}月{local.day}日{local:%H:%M}"


class UnsafeSmsText(ValueError):
    """A template variable holds a link or a phone number: the text is not rendered."""

    def __init__(self, variable: str, value: str, problem: str) -> None:
        self.variable, self.value = variable, value
        super().__init__(
            _(
                "SMS variable {%(variable)s} = %(value)r is refused: %(problem)s; "
                "the SMS is not sent."
            )
            % {"variable": variable, "value": value, "problem": problem}
        )


def check_variables(values: dict[str, str]) -> None:
    """Raise UnsafeSmsText when a variable other than {hotline} holds a link or a phone
    number: customers must only ever be sent our number and no link."""
    for name, value in values.items():
        if name in NUMBER_VARIABLES or not value:
            continue
        if contains_url(value):
            raise UnsafeSmsText(name, value, _("it contains a link"))
        if contains_phone_number(value):
            raise UnsafeSmsText(name, value, _("it contains a phone number"))


def active_template(kind: str) -> SmsTemplate | None:
    """The active template of KIND, or None when that kind of SMS is switched off."""
    return SmsTemplate.objects.filter(kind=kind, active=True).first()


def fill(template: SmsTemplate, values: dict[str, str]) -> str:
    """TEMPLATE's text with VALUES; raises UnsafeSmsText when a value is refused."""
    check_variables(values)
    return template.text.format_map(_Blank(values))
