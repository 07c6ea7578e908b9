"""The complaint side's panels on the customer and account pages: fault pre-processing
(投诉预处理), the known faults, element states and recent SMS around the accounts, with the
batch answer; and the customer's work orders, newest first. Registered in
ComplaintsConfig.ready(); the customer side knows no complaints."""

from __future__ import annotations

from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone

from sqm.complaints import queries, sla
from sqm.complaints.models import WorkOrder
from sqm.complaints.preprocessing import fault_situation
from sqm.customers.page_panels import CustomerPanel, register_customer_panel

CUSTOMER_ORDERS = 10  # work orders listed on the customer page; the rest behind a link

BATCH_ANSWER_PERMISSIONS = (
    "complaints.add_workorder",
    "customers.view_customer",
    "network.view_faultevent",
)


def can_batch_answer(user) -> bool:
    """Whether USER may record a contact as answered from a known fault."""
    return all(user.has_perm(perm) for perm in BATCH_ANSWER_PERMISSIONS)


def preprocessing(user, customer, accounts: list) -> dict:
    # The template shows nothing while nothing is relevant (no fault, no alarm, no SMS).
    return {
        "situation": fault_situation(user, accounts),
        "can_batch_answer": can_batch_answer(user),
        "mode": "page",
    }


PREPROCESSING = CustomerPanel(
    key="preprocessing",
    template="complaints/_preprocessing.html",
    build=preprocessing,
    order=10,
    stylesheets=("complaints/preprocessing.css",),
)


def customer_orders(user, customer, accounts: list) -> dict | None:
    """The customer's work orders USER may see (all records: service requests and direct
    answers too, like the order list), newest first, at most CUSTOMER_ORDERS, with the SLA
    colour of each and a link to the order list filtered by the customer ID."""
    if not user.has_perm("complaints.view_workorder"):
        return None
    orders = WorkOrder.objects.restrict(user).filter(customer=customer)
    latest = list(
        orders.select_related("category__parent").order_by("-created", "-pk")[:CUSTOMER_ORDERS]
    )
    now = timezone.now()
    for order in latest:
        order.sla = sla.status(order, now)
        order.sla_label = queries.SLA_LABELS.get(order.sla, "")
    total = len(latest) if len(latest) < CUSTOMER_ORDERS else orders.count()
    return {
        "orders": latest,
        "total": total,
        "list_url": reverse("complaints:orders") + "?" + urlencode({"q": customer.customer_id}),
    }


CUSTOMER_ORDERS_PANEL = CustomerPanel(
    key="work_orders",
    template="complaints/_customer_orders.html",
    build=customer_orders,
    order=20,
    stylesheets=("complaints/lists.css",),
)


def register() -> None:
    register_customer_panel(PREPROCESSING)
    register_customer_panel(CUSTOMER_ORDERS_PANEL)
