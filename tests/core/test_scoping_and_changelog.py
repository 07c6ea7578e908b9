import pytest
from django.contrib.contenttypes.models import ContentType

from sqm.core.context import acting_as
from sqm.core.models import ChangeLogEntry
from sqm.customers.models import Customer
from tests.factories import CustomerFactory, city


@pytest.mark.django_db
def test_it_restricts_customers_to_the_users_cities(agent, outsider, auditor, admin):
    nj = CustomerFactory()
    sz = CustomerFactory(city=city("SZ"))
    assert list(Customer.objects.restrict(agent)) == [nj]
    assert list(Customer.objects.restrict(outsider)) == [sz]
    assert list(Customer.objects.restrict(auditor)) == []  # no permission to view customers
    assert set(Customer.objects.restrict(admin)) == {nj, sz}


@pytest.mark.django_db
def test_it_restricts_inside_the_sql(agent):
    nanjing = city("NJ")
    sql = str(Customer.objects.restrict(agent).query)
    assert f'city_id" IN ({nanjing.pk})' in sql


@pytest.mark.django_db
def test_a_scope_change_reaches_the_same_user_object_at_once(agent):
    nj, sz = CustomerFactory(), CustomerFactory(city=city("SZ"))
    assert list(Customer.objects.restrict(agent)) == [nj]
    agent.cities.add(city("SZ"))
    assert set(Customer.objects.restrict(agent)) == {nj, sz}
    agent.cities.clear()
    assert list(Customer.objects.restrict(agent)) == []


@pytest.mark.django_db
def test_it_logs_create_update_delete_with_masked_personal_data(agent):
    with acting_as(agent, request_id="req-1"):
        customer = CustomerFactory(mobile="13812345678", tier="normal")
        customer = Customer.objects.get(pk=customer.pk)
        customer.tier = "gold"
        customer.save()
        pk = customer.pk
        customer.delete()
    ct = ContentType.objects.get_for_model(Customer)
    entries = list(ChangeLogEntry.objects.filter(content_type=ct, object_id=str(pk)).order_by("id"))
    assert [e.action for e in entries] == ["create", "update", "delete"]
    assert all(e.user == agent and e.request_id == "req-1" for e in entries)
    assert entries[1].before["tier"] == "normal" and entries[1].after["tier"] == "gold"
    assert entries[0].after["mobile"] == "138****5678"
    assert "13812345678" not in str([e.before for e in entries] + [e.after for e in entries])
