"""The complaint side's panel on the customer and account pages: fault pre-processing
(投诉预处理), the known faults, element states and recent SMS around the accounts, with the
batch answer. Registered in ComplaintsConfig.ready(); the customer side knows no complaints."""

from __future__ import annotations

from sqm.complaints.preprocessing import fault_situation
from sqm.customers.page_panels import CustomerPanel, register_customer_panel

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


def register() -> None:
    register_customer_panel(PREPROCESSING)
