"""Customer look-up and the audited reveal of personal data."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sqm.core import audit
from sqm.core.exceptions import LimitReached
from sqm.core.models import AuditAction, AuditEntry
from sqm.customers import lookups
from sqm.customers.models import Account, Customer

REVEALABLE = ("name", "mobile", "id_number", "address")


def search_customers(user, query: str, *, channel: str = "page") -> QuerySet[Customer]:
    """Customers USER may see matching QUERY: a customer ID or an account number, or — for
    the roles that find callers, counted and audited (see `lookups`) — a mobile or ID number.

    Each kind of match is its own indexed look-up; an OR across them (and the join to
    accounts) would make the database scan every customer.
    """
    qs = Customer.objects.restrict(user).select_related("city")
    query = (query or "").strip()
    if not query:
        return qs
    number = lookups.classify(query)
    if number is not None:
        return qs.filter(pk__in=lookups.find_by_number(user, number, channel=channel))
    ids = set(Customer.objects.filter(customer_id=query).values_list("pk", flat=True))
    ids.update(Account.objects.filter(account_id=query).values_list("customer_id", flat=True))
    return qs.filter(pk__in=ids)


def reveal_customer(user, customer: Customer, reason: str) -> dict[str, str]:
    """The plaintext personal data of CUSTOMER for USER, audited with REASON."""
    if not user.has_perm("customers.reveal_customer"):
        raise PermissionDenied(_("You may not reveal personal data."))
    if not Customer.objects.restrict(user).filter(pk=customer.pk).exists():
        raise PermissionDenied(_("This customer is outside your cities."))
    reason = (reason or "").strip()
    if not audit.reason_is_meaningful(reason):
        raise ValidationError(
            _(
                "Say why you need to see this customer's personal data "
                "(at least %(n)d letters or digits, not one character repeated)."
            )
            % {"n": audit.reason_min_chars()}
        )
    since = timezone.now() - timedelta(hours=1)
    done = AuditEntry.objects.filter(actor=user, action=AuditAction.REVEAL, time__gte=since).count()
    if done >= settings.SQM_REVEALS_PER_HOUR:
        raise LimitReached(
            _(
                "You have revealed personal data %(n)d times in the last hour, the most "
                "allowed. Try again later or ask your team lead."
            )
            % {"n": done}
        )
    audit.record_reveal(user, customer, reason, list(REVEALABLE))
    return {field: getattr(customer, field) for field in REVEALABLE}


def accounts_of(user, customer: Customer) -> QuerySet[Account]:
    return Account.objects.restrict(user).filter(customer=customer).select_related("onu")


def customer_columns(with_personal_data: bool) -> list:
    """Columns of the customer list export; personal data masked unless WITH_PERSONAL_DATA."""

    def pii(field: str):
        return (
            (lambda c: getattr(c, field))
            if with_personal_data
            else (lambda c: getattr(c, f"masked_{field}"))
        )

    return [
        (gettext_lazy("customer ID"), lambda c: c.customer_id),
        (gettext_lazy("name"), pii("name")),
        (gettext_lazy("mobile number"), pii("mobile")),
        (gettext_lazy("ID number"), pii("id_number")),
        (gettext_lazy("address"), pii("address")),
        (gettext_lazy("customer type"), lambda c: c.get_customer_type_display()),
        (gettext_lazy("tier"), lambda c: c.get_tier_display()),
        (gettext_lazy("city"), lambda c: c.city.name),
        (gettext_lazy("district"), lambda c: c.district),
        (gettext_lazy("consents to marketing SMS"), lambda c: int(c.marketing_consent)),
        (gettext_lazy("opted out of service SMS"), lambda c: int(c.service_sms_opt_out)),
    ]


def account_columns(with_personal_data: bool) -> list:
    return [
        (gettext_lazy("account number"), lambda a: a.account_id),
        (gettext_lazy("customer ID"), lambda a: a.customer.customer_id),
        (gettext_lazy("service"), lambda a: a.get_service_display()),
        (gettext_lazy("status"), lambda a: a.get_status_display()),
        (
            gettext_lazy("installation address"),
            (lambda a: a.address) if with_personal_data else (lambda a: a.masked_address),
        ),
        (gettext_lazy("bandwidth (Mbit/s)"), lambda a: a.bandwidth_mbps),
        (gettext_lazy("opened at"), lambda a: a.opened_at),
        (gettext_lazy("ONU"), lambda a: a.onu.onu_id if a.onu else ""),
    ]


def overview(user) -> dict:
    """Counts for the home page: customers per city and active accounts per service."""
    from sqm.customers.choices import AccountStatus, Service

    per_city = list(
        Customer.objects.restrict(user)
        .values("city__name", "city__ordering")
        .annotate(n=Count("pk"))
        .order_by("city__ordering")
    )
    labels = dict(Service.choices)
    per_service = [
        {"service": str(labels.get(row["service"], row["service"])), "n": row["n"]}
        for row in Account.objects.restrict(user)
        .filter(status=AccountStatus.ACTIVE)
        .values("service")
        .annotate(n=Count("pk"))
        .order_by("-n")
    ]
    return {
        "cities": [row["city__name"] for row in per_city],
        "customers_per_city": [row["n"] for row in per_city],
        "services": per_service,
        "customers": sum(row["n"] for row in per_city),
    }
