"""Problem pages: open one from a work order's page, move it, see it on the order."""

from __future__ import annotations

import pytest

from sqm.complaints.models import Category
from sqm.knowledge.models import ModuleOwner, Problem
from tests.complaints.helpers import record
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(db):
    return {
        "second": UserFactory(username="pp-second", roles=["second_line"], city_codes=["NJ"]),
        "agent": UserFactory(username="pp-agent", roles=["hotline_agent"], city_codes=["NJ"]),
        "sz": UserFactory(username="pp-sz", roles=["second_line"], city_codes=["SZ"]),
    }


def test_a_problem_opened_from_an_orders_page_shows_on_that_page(client, staff):
    order = record(staff["agent"], description="光猫红灯，晚上掉线")
    client.force_login(staff["second"])
    page = client.get(f"/complaints/orders/{order.pk}/").content.decode()
    assert 'id="open-problem"' in page
    form = client.get("/knowledge/problems/new/", {"orders": order.pk}).content.decode()
    assert order.number in form
    module = Category.objects.get(code="NQ.BB")
    response = client.post(
        "/knowledge/problems/new/",
        {"orders": order.pk, "module": module.pk, "title": "光猫批量掉线", "symptom": "晚上掉线"},
    )
    problem = Problem.objects.get()
    assert response.status_code == 302 and response.url == f"/knowledge/problems/{problem.pk}/"
    page = client.get(f"/complaints/orders/{order.pk}/").content.decode()
    assert problem.code in page


def test_the_problem_page_moves_the_problem_and_refuses_a_stale_form(client, staff):
    order = record(staff["agent"])
    client.force_login(staff["second"])
    module = Category.objects.get(code="NQ.BB")
    client.post(
        "/knowledge/problems/new/",
        {"orders": order.pk, "module": module.pk, "title": "t", "symptom": "s"},
    )
    problem = Problem.objects.get()
    url = f"/knowledge/problems/{problem.pk}/"
    client.post(url, {"do": "analyse", "version": problem.version})
    problem.refresh_from_db()
    assert problem.state == "analysing"
    client.post(url, {"do": "analyse", "version": 0})  # a form from before the change
    assert Problem.objects.get().state == "analysing"
    page = client.get(url).content.decode()
    assert "分析中" in page or "analysing" in page


def test_the_front_line_reads_but_cannot_change_and_another_city_gets_a_404(client, staff):
    order = record(staff["agent"])
    client.force_login(staff["second"])
    module = Category.objects.get(code="NQ.BB")
    client.post(
        "/knowledge/problems/new/",
        {"orders": order.pk, "module": module.pk, "title": "t", "symptom": "s"},
    )
    problem = Problem.objects.get()
    client.force_login(staff["agent"])
    url = f"/knowledge/problems/{problem.pk}/"
    assert client.get(url).status_code == 200
    assert client.post(url, {"do": "analyse"}).status_code == 403
    assert client.get("/knowledge/problems/new/").status_code == 403
    client.force_login(staff["sz"])
    assert client.get(url).status_code == 404


def test_the_owners_day_page_lists_the_days_orders_of_their_modules(client, staff):
    ModuleOwner.objects.create(user=staff["second"], module=Category.objects.get(code="NQ.BB"))
    order = record(staff["agent"])
    client.force_login(staff["second"])
    page = client.get("/knowledge/problems/today/").content.decode()
    assert order.number in page and 'id="unlinked"' in page


@pytest.mark.parametrize(
    "params", [{"orders": "x,-1,99999999999999999999"}, {"orders": "1" * 400}, {"state": "zzz"}]
)
def test_hostile_parameters_are_no_server_error(client, staff, params):
    client.force_login(staff["second"])
    assert client.get("/knowledge/problems/new/", params).status_code == 200
    assert client.get("/knowledge/problems/", params).status_code == 200
