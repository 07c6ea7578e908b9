"""Labels of the customer-side codes that audit entries carry (discovered by core.audit_text)."""

from django.utils.translation import pgettext_lazy

from sqm.core.audit_text import register_target, register_values
from sqm.customers.choices import Service

register_target("list:customers", pgettext_lazy("audit target", "customer list"))
register_target("list:accounts", pgettext_lazy("audit target", "account list"))
register_values("service", Service, scope="list:accounts")
