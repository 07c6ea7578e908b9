import pytest
from django.urls import reverse

from tests.factories import AccountFactory, CustomerFactory, city


@pytest.mark.django_db
def test_the_home_page_charts_only_the_users_cities(client, agent):
    AccountFactory(customer=CustomerFactory())
    AccountFactory(customer=CustomerFactory(city=city("SZ")))
    client.force_login(agent)
    response = client.get(reverse("home"))
    overview = response.context["overview"]
    assert overview["cities"] == ["南京"] and overview["customers"] == 1
    assert "vendor/echarts/echarts.min.js" in response.content.decode()


@pytest.mark.django_db
def test_the_home_page_sends_anonymous_users_to_log_in(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302 and reverse("login") in response.url
