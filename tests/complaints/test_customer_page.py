"""The complaint side's panel on a customer's page (through the customer-page panel
registry): the customer's work orders, newest first, each linked, at most ten with a link to
the order list filtered by the customer ID."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from sqm.complaints.customer_panels import CUSTOMER_ORDERS
from sqm.complaints.models import WorkOrder
from tests.complaints.helpers import record
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english_pages(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


def customer_page(client, customer) -> str:
    return client.get(reverse("customers:customer", args=[customer.pk])).content.decode()


# --- the customer's work orders ------------------------------------------------------------


def test_the_customer_page_lists_the_customers_work_orders_newest_first(client, people):
    customer = CustomerFactory(customer_id="C-ORD")
    orders = [record(people["agent"], customer=customer, description=f"第{n}次") for n in range(3)]
    now = timezone.now()
    for age, order in enumerate(orders):
        WorkOrder.objects.filter(pk=order.pk).update(created=now - timedelta(days=age))
    record(people["agent"])  # another customer's
    client.force_login(people["agent"])
    html = customer_page(client, customer)
    assert 'id="customer-orders"' in html
    panel = html[html.index('id="customer-orders"') :]
    positions = [panel.index(o.number) for o in orders]
    assert positions == sorted(positions)  # the newest (created now) first
    for order in orders:
        assert reverse("complaints:order", args=[order.pk]) in panel
    assert "3 work orders in all." in panel and 'id="customer-orders-all"' not in panel


def test_at_most_ten_are_listed_with_a_link_to_the_list_filtered_by_the_customer(client, people):
    customer = CustomerFactory(customer_id="C-MANY")
    for n in range(CUSTOMER_ORDERS + 2):
        record(people["agent"], customer=customer, description=f"第{n}次")
    record(people["agent"])
    client.force_login(people["agent"])
    response = client.get(reverse("customers:customer", args=[customer.pk]))
    html = response.content.decode()
    panel = html[html.index('id="customer-orders"') :]
    assert panel.count('data-number="') == CUSTOMER_ORDERS
    assert "12 work orders in all." in panel
    link = reverse("complaints:orders") + "?q=C-MANY"
    assert f'href="{link}"' in panel
    listed = list(client.get(link).context["page"])
    assert {o.customer_id for o in listed} == {customer.pk} and len(listed) == 12
