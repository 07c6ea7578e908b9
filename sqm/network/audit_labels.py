"""Names of the network lists whose exports are audited (discovered by core.audit_text)."""

from django.utils.translation import pgettext_lazy

from sqm.core.audit_text import register_target

register_target("list:olts", pgettext_lazy("audit target", "OLT list"))
