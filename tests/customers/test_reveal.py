import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from sqm.core.models import Alert, AuditEntry
from sqm.customers import services
from tests.factories import CustomerFactory, UserFactory, city


@pytest.mark.django_db
def test_it_reveals_with_a_reason_and_audits_it(agent):
    customer = CustomerFactory(mobile="13812345678")
    data = services.reveal_customer(agent, customer, "回访工单 WO-1")
    assert data["mobile"] == "13812345678"
    entry = AuditEntry.objects.filter(action="reveal").latest("id")
    assert (entry.actor, entry.target, entry.reason) == (
        agent,
        f"customer:{customer.customer_id}",
        "回访工单 WO-1",
    )


@pytest.mark.django_db
def test_it_refuses_to_reveal_without_a_reason(agent):
    with pytest.raises(ValidationError):
        services.reveal_customer(agent, CustomerFactory(), "  ")
    assert not AuditEntry.objects.filter(action="reveal").exists()


@pytest.mark.django_db
def test_it_refuses_to_reveal_without_the_permission(db):
    first_line = UserFactory(username="fl", roles=["first_line"], city_codes=["NJ"])
    with pytest.raises(PermissionDenied):
        services.reveal_customer(first_line, CustomerFactory(), "need it")


@pytest.mark.django_db
def test_it_refuses_to_reveal_a_customer_of_another_city(outsider):
    with pytest.raises(PermissionDenied):
        services.reveal_customer(outsider, CustomerFactory(city=city("NJ")), "need it")


@pytest.mark.django_db
def test_it_alerts_auditors_when_a_user_reveals_too_many_customers_in_an_hour(agent, settings):
    settings.SQM_REVEAL_ALERT_PER_HOUR = 3
    customers = [CustomerFactory() for _ in range(5)]
    for customer in customers[:3]:
        services.reveal_customer(agent, customer, "callback")
    assert not Alert.objects.exists()
    services.reveal_customer(agent, customers[3], "callback")
    services.reveal_customer(agent, customers[4], "callback")
    alerts = list(Alert.objects.all())
    assert len(alerts) == 1 and alerts[0].subject == agent  # one alert, not one per reveal
    assert alerts[0].count == 5 and "5 customers" in alerts[0].message  # grown with the count
    assert AuditEntry.objects.filter(action="reveal_alert").count() == 2  # raised, then grown


@pytest.mark.django_db
def test_it_finds_customers_by_phone_only_within_the_users_cities(agent, outsider):
    customer = CustomerFactory(mobile="13812345678")
    assert list(services.search_customers(agent, "13812345678")) == [customer]
    assert list(services.search_customers(outsider, "13812345678")) == []


@pytest.mark.django_db
def test_revealed_pages_are_never_cached(client, agent):
    from django.urls import reverse

    customer = CustomerFactory()
    client.force_login(agent)
    response = client.post(
        reverse("customers:customer", args=[customer.pk]), {"reason": "回访工单 WO-3"}
    )
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
