"""Customer look-up and the audited reveal of personal data."""

from __future__ import annotations

import re

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from sqm.core import audit, crypto
from sqm.customers.models import Account, Customer

REVEALABLE = ("name", "mobile", "id_number", "address")
MOBILE_RE = re.compile(r"^1\d{10}$")


def search_customers(user, query: str) -> QuerySet[Customer]:
    """Customers USER may see matching QUERY: a mobile or ID number (exact, by lookup hash),
    a customer ID or an account number."""
    qs = Customer.objects.restrict(user).select_related("city")
    query = (query or "").strip()
    if not query:
        return qs
    digest = crypto.lookup_hash(query)
    return qs.filter(
        Q(mobile_hash=digest)
        | Q(id_number_hash=digest)
        | Q(customer_id=query)
        | Q(accounts__account_id=query)
    ).distinct()


def reveal_customer(user, customer: Customer, reason: str) -> dict[str, str]:
    """The plaintext personal data of CUSTOMER for USER, audited with REASON."""
    if not user.has_perm("customers.reveal_customer"):
        raise PermissionDenied(_("You may not reveal personal data."))
    if not Customer.objects.restrict(user).filter(pk=customer.pk).exists():
        raise PermissionDenied(_("This customer is outside your cities."))
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise ValidationError(_("Say why you need to see this customer's personal data."))
    audit.record_reveal(user, customer, reason, list(REVEALABLE))
    return {field: getattr(customer, field) for field in REVEALABLE}


def accounts_of(user, customer: Customer) -> QuerySet[Account]:
    return Account.objects.restrict(user).filter(customer=customer).select_related("onu")
