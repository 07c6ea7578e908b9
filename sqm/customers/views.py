from __future__ import annotations

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _

from sqm.core.decorators import permission_required
from sqm.core.exceptions import LimitReached, refusal_status
from sqm.core.exporting import xlsx_response
from sqm.core.views import paginate, refused
from sqm.customers import lookups, services
from sqm.customers.forms import RevealForm
from sqm.customers.models import Account, Customer
from sqm.customers.page_panels import render_customer_panels, stylesheets


def _query(request) -> str:
    """The search term: posted by the page (a number stays out of URLs and logs), or in the
    query string from links and scripts."""
    data = request.POST if request.method == "POST" else request.GET
    return data.get("q", "").strip()[:64]


@permission_required("customers.view_customer")
def customer_list(request):
    query = _query(request)
    refused, status = "", 200
    try:
        customers = services.search_customers(request.user, query)
        page = paginate(request, customers)
    except (lookups.LookupRefused, lookups.LookupLimitReached) as exc:
        refused, status, page = str(exc), refusal_status(exc), []
    return render(
        request,
        "customers/customer_list.html",
        {
            "page": page,
            "q": query,
            "refused": refused,
            "can_export_pii": request.user.has_perm("customers.export_pii"),
        },
        status=status,
    )


@permission_required("customers.view_customer")
def customer_detail(request, pk: int):
    customer = get_object_or_404(
        Customer.objects.restrict(request.user).select_related("city"), pk=pk
    )
    form = RevealForm(request.POST or None)
    revealed = None
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            revealed = services.reveal_customer(request.user, customer, form.cleaned_data["reason"])
        except ValidationError as exc:
            form.add_error("reason", exc)
        except LimitReached as exc:
            form.add_error(None, str(exc))
            # htmx swaps only successful answers in; anything else gets the real code.
            status = 200 if request.htmx else LimitReached.status_code
    template = "customers/_pii.html" if request.htmx else "customers/customer_detail.html"
    # The reveal fragment shows the personal data alone: no accounts, no panels.
    accounts = [] if request.htmx else list(services.accounts_of(request.user, customer))
    panels = [] if request.htmx else render_customer_panels(request, customer, accounts)
    return render(
        request,
        template,
        {
            "customer": customer,
            "accounts": accounts,
            "form": form,
            "revealed": revealed,
            "can_reveal": request.user.has_perm("customers.reveal_customer"),
            "panels": panels,
            "panel_stylesheets": stylesheets(panels),
        },
        status=status,
    )


@permission_required("customers.view_account")
def account_list(request):
    accounts = Account.objects.restrict(request.user).select_related("customer", "onu")
    service = request.GET.get("service")
    if service:
        accounts = accounts.filter(service=service)
    return render(
        request,
        "customers/account_list.html",
        {
            "page": paginate(request, accounts),
            "service": service,
            "can_export_pii": request.user.has_perm("customers.export_pii"),
        },
    )


@permission_required("customers.view_account")
def account_detail(request, pk: int):
    account = get_object_or_404(
        Account.objects.restrict(request.user).select_related("customer", "onu__pon_port"), pk=pk
    )
    panels = render_customer_panels(request, account.customer, [account])
    return render(
        request,
        "customers/account_detail.html",
        {"account": account, "panels": panels, "panel_stylesheets": stylesheets(panels)},
    )


def _wants_pii(request) -> bool:
    return request.GET.get("pii") == "1" and request.user.has_perm("customers.export_pii")


@permission_required("customers.view_customer")
def customer_export(request):
    query = _query(request)
    pii = request.POST.get("pii") == "1" if request.method == "POST" else _wants_pii(request)
    pii = pii and request.user.has_perm("customers.export_pii")
    try:
        customers = services.search_customers(request.user, query).iterator(chunk_size=2000)
    except (lookups.LookupRefused, lookups.LookupLimitReached) as exc:
        return refused(request, exc)
    return xlsx_response(
        customers,
        services.customer_columns(pii),
        filename="customers",
        sheet_title=str(_("Customers")),
        user=request.user,
        target="list:customers",
        with_personal_data=pii,
        filters={"q": query},
    )


@permission_required("customers.view_account")
def account_export(request):
    service = request.GET.get("service", "")
    pii = _wants_pii(request)
    accounts = Account.objects.restrict(request.user).select_related("customer", "onu")
    if service:
        accounts = accounts.filter(service=service)
    return xlsx_response(
        accounts.iterator(chunk_size=2000),
        services.account_columns(pii),
        filename="accounts",
        sheet_title=str(_("Accounts")),
        user=request.user,
        target="list:accounts",
        with_personal_data=pii,
        filters={"service": service},
    )
