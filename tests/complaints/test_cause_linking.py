"""Linking a work order to a batch cause (issue 12): the order page offers only the running
causes of the order's city or of the whole province, and none on a closed order; the
service refuses a cause of another city whoever calls it."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from sqm.complaints import records
from sqm.complaints.models import ComplaintCause, WorkOrder
from sqm.core.models import City
from tests.complaints.helpers import record
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead(db):
    return UserFactory(username="c-both-lead", roles=["team_lead"], city_codes=["NJ", "SZ"])


@pytest.fixture
def causes(db):
    start = timezone.now()
    return {
        "nj": ComplaintCause.objects.create(
            kind="network_fault",
            title="南京OLT掉电",
            city=City.objects.get(code="NJ"),
            started_at=start,
        ),  # fmt: skip
        "sz": ComplaintCause.objects.create(
            kind="network_fault",
            title="苏州光缆中断",
            city=City.objects.get(code="SZ"),
            started_at=start,
        ),  # fmt: skip
        "province": ComplaintCause.objects.create(
            kind="billing", title="全省账单出错", started_at=start
        ),
    }


def suzhou_order(people) -> WorkOrder:
    order = record(people["agent"])
    WorkOrder.objects.filter(pk=order.pk).update(city=City.objects.get(code="SZ"))
    return WorkOrder.objects.get(pk=order.pk)


def offered(client, order) -> list[int]:
    response = client.get(reverse("complaints:order", args=[order.pk]))
    if "cause_form" not in response.context or not response.context["can_link_cause"]:
        return []
    return [c.pk for c in response.context["cause_form"].fields["cause"].queryset]


def test_a_suzhou_order_is_offered_suzhou_and_province_causes_only(client, people, lead, causes):
    order = suzhou_order(people)
    client.force_login(lead)
    assert sorted(offered(client, order)) == sorted([causes["sz"].pk, causes["province"].pk])
    response = client.post(
        reverse("complaints:order_cause", args=[order.pk]), {"cause": causes["nj"].pk}
    )
    assert response.status_code == 400
    assert WorkOrder.objects.get(pk=order.pk).cause is None


def test_the_service_refuses_a_cause_of_another_city(people, lead, causes):
    order = suzhou_order(people)
    with pytest.raises(ValidationError):
        records.link_cause(lead, [order], causes["nj"])
    assert WorkOrder.objects.get(pk=order.pk).cause is None
    assert records.link_cause(lead, [order], causes["sz"]) == 1
    assert records.link_cause(lead, [order], causes["province"]) == 1


def test_a_closed_order_offers_no_cause_to_link(client, people, lead, causes):
    order = record(people["agent"])
    WorkOrder.objects.filter(pk=order.pk).update(state="closed", closed_at=timezone.now())
    client.force_login(lead)
    response = client.get(reverse("complaints:order", args=[order.pk]))
    assert response.context["can_link_cause"] is False
    assert 'id="cause"' not in response.content.decode()
    response = client.post(
        reverse("complaints:order_cause", args=[order.pk]), {"cause": causes["nj"].pk}
    )
    assert response.status_code == 400
    assert WorkOrder.objects.get(pk=order.pk).cause is None
