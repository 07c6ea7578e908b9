"""The pre-processing panel points at the open work order the customer already has for a
fault (linked to the event or to its batch cause) instead of saying no order is needed."""

from __future__ import annotations

import pytest
from django.urls import reverse

from sqm.complaints.models import ComplaintCause, WorkOrder
from sqm.complaints.services import record_contact
from tests.complaints.helpers import record
from tests.complaints.test_preprocessing import WORK_ORDER_FACTS, category, live_fault, net  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english_pages(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


def customer_page(client, customer) -> str:
    return client.get(reverse("customers:customer", args=[customer.pk])).content.decode()


# --- pre-processing: the open order the customer already has ---------------------------------


def contact(people, net, **changes):  # noqa: F811
    order, _decision = record_contact(
        people["agent"], customer=net.customer, account=net.account, category=category(),
        channel="hotline", description="断网了", intake=WORK_ORDER_FACTS, **changes,
    )  # fmt: skip
    return order


def test_without_an_open_order_the_panel_says_no_order_is_needed(client, people, net, live_fault):  # noqa: F811
    client.force_login(people["agent"])
    html = customer_page(client, net.customer)
    assert "answer from it rather than opening a work order" in html
    assert 'class="open-order"' not in html


def test_an_open_order_linked_to_the_fault_is_pointed_at_instead(client, people, net, live_fault):  # noqa: F811
    order = contact(people, net)
    assert order.fault_event_id == live_fault.pk  # recorded during the outage: a batch complaint
    client.force_login(people["agent"])
    html = customer_page(client, net.customer)
    assert "rather than opening a work order" not in html
    assert "already have an open work order for it" in html
    assert f'id="open-order-{live_fault.pk}"' in html
    assert reverse("complaints:order", args=[order.pk]) in html


def test_an_open_order_under_the_faults_batch_cause_counts_too(client, people, net, live_fault):  # noqa: F811
    order = record(people["agent"], customer=net.customer)
    cause = ComplaintCause.objects.create(
        kind="network_fault", title="玄武区断网", started_at=live_fault.started_at,
        reference=f"fault-event:{live_fault.pk}",
    )  # fmt: skip
    WorkOrder.objects.filter(pk=order.pk).update(cause=cause)
    client.force_login(people["agent"])
    html = customer_page(client, net.customer)
    assert f'id="open-order-{live_fault.pk}"' in html and order.number in html


def test_a_closed_order_about_the_fault_is_not_an_open_one(client, people, net, live_fault):  # noqa: F811
    order = contact(people, net)
    WorkOrder.objects.filter(pk=order.pk).update(state="closed")
    client.force_login(people["agent"])
    assert 'class="open-order"' not in customer_page(client, net.customer)
