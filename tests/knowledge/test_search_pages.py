"""The header search box on every page, the results page with facets, and the API."""

from __future__ import annotations

import pytest

from tests.complaints.helpers import record
from tests.factories import CustomerFactory, UserFactory, city

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(db):
    return {
        "nj": UserFactory(username="p-nj", roles=["first_line"], city_codes=["NJ"]),
        "sz": UserFactory(username="p-sz", roles=["first_line"], city_codes=["SZ"]),
    }


def test_the_header_of_every_page_has_the_search_box(client, staff):
    client.force_login(staff["nj"])
    page = client.get("/").content.decode()
    assert 'id="header-search"' in page and 'action="/knowledge/search/"' in page


def test_the_results_page_shows_the_hit_with_its_highlight_and_the_kind_facet(client, staff):
    order = record(staff["nj"], code="NQ.BB.04", description="宽带断网，客户13912345678")
    client.force_login(staff["nj"])
    page = client.get("/knowledge/search/", {"q": "宽带断网"}).content.decode()
    assert order.number in page and f"/complaints/orders/{order.pk}/" in page
    assert "<mark>宽带断网</mark>" in page
    assert "13912345678" not in page
    assert 'id="facets"' in page


def test_a_user_of_another_city_finds_nothing_on_the_page_or_through_the_api(client, staff):
    record(staff["nj"], code="NQ.BB.04", description="宽带断网")
    client.force_login(staff["sz"])
    assert 'id="no-hits"' in client.get("/knowledge/search/", {"q": "宽带断网"}).content.decode()
    assert client.get("/api/v1/search/", {"q": "宽带断网"}).json()["results"] == []


def test_the_api_answers_with_the_hits_best_first(client, staff):
    sz_order = record(
        staff["sz"], customer=CustomerFactory(city=city("SZ")), code="NQ.BB.04",
        description="宽带断网",
    )  # fmt: skip
    boss = UserFactory(username="p-boss", roles=["quality_manager"], all_cities=True)
    client.force_login(boss)
    body = client.get("/api/v1/search/", {"q": "宽带断网", "kind": "order"}).json()
    assert body["total"] == 1 and body["results"][0]["ref"] == sz_order.number
    assert set(body["results"][0]) == {"kind", "ref", "title", "snippet", "score"}


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"q": ""},
        {"q": "宽带", "kind": "nonsense"},
        {"q": "宽带", "city": "XX"},
        {"q": "宽带", "limit": "0"},
        {"q": "宽带", "limit": "abc"},
        {"q": "宽带", "from": "2026-13-45"},
        {"q": "x" * 300},
    ],
)
def test_hostile_api_parameters_are_a_bad_request(client, staff, params):
    client.force_login(staff["nj"])
    assert client.get("/api/v1/search/", params).status_code == 400


@pytest.mark.parametrize(
    "params",
    [{"q": '"*NEAR( AND OR'}, {"q": "宽带", "page": "-3"}, {"q": "宽带", "from": "nope"},
     {"q": "'; DROP TABLE knowledge_searchdocument; --"}, {"q": "宽带", "kind": "zzz"}],
)  # fmt: skip
def test_hostile_page_parameters_never_fail(client, staff, params):
    client.force_login(staff["nj"])
    assert client.get("/knowledge/search/", params).status_code == 200


def test_signed_out_visitors_are_sent_to_log_in(client):
    assert client.get("/knowledge/search/", {"q": "宽带"}).status_code == 302
    assert client.get("/api/v1/search/", {"q": "宽带"}).status_code in (401, 403)


def test_the_work_order_lists_q_finds_two_words_anywhere_through_the_same_index(client, staff):
    both = record(staff["nj"], code="NQ.BB.04", description="网速慢而且经常掉线")
    record(staff["nj"], code="NQ.BB.04", description="晚上掉线")
    client.force_login(staff["nj"])
    page = client.get("/complaints/orders/", {"q": "网速慢 掉线"}).content.decode()
    assert both.number in page
    assert page.count("/complaints/orders/") >= 1
    from sqm.complaints import queries

    found = queries.search(staff["nj"], queries.Filters.from_query({"q": "網速慢 掉線"}))
    assert [o.number for o in found] == [both.number]


def test_a_facet_link_keeps_the_other_filters_and_hits_show_local_times(client, staff):
    order = record(staff["nj"], code="NQ.BB.04", description="宽带断网")
    client.force_login(staff["nj"])
    response = client.get("/knowledge/search/", {"q": "宽带断网", "state": order.state})
    page = response.content.decode()
    assert f"state={order.state}" in page.split('id="facets"')[1].split("</aside>")[0]
    from django.utils import timezone

    local = timezone.localtime(order.created).strftime("%Y-%m-%d %H:%M")
    assert local in page


def test_someone_who_may_search_nothing_gets_no_search_box(client, db):
    auditor = UserFactory(username="p-auditor", roles=["auditor"], all_cities=True)
    client.force_login(auditor)
    assert 'id="header-search"' not in client.get("/").content.decode()
