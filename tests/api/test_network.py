import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sqm.core.models import ChangeLogEntry
from sqm.network.models import Olt
from tests.factories import OltFactory, city

pytestmark = pytest.mark.django_db


def results(response) -> list[dict]:
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_it_lists_olts_with_their_counts(api, agent, nj, sz):
    (row,) = results(api(agent).get("/api/v1/olts/"))
    assert row["olt_id"] == "NJ-OLT-1" and row["city"] == "NJ"
    # two ports, three ONUs; active accounts: A1 (ONU A) and A4 (ONU C), not the suspended A2.
    assert (row["port_count"], row["onu_count"], row["account_count"]) == (2, 3, 2)


@pytest.mark.parametrize(
    ("path", "query", "expected"),
    [
        ("olts", "city=NJ", ["NJ-OLT-1"]),
        ("olts", "city=SZ", ["SZ-OLT-1"]),
        ("olts", "olt_id=SZ-OLT-1", ["SZ-OLT-1"]),
        ("olts", "vendor=中兴", []),
        ("olts", "district=姑苏区", []),
        ("onus", "olt_id=NJ-OLT-1&port=1", ["NJ-ONU-C"]),
        ("onus", "onu_id=SZ-ONU-B", ["SZ-ONU-B"]),
        ("onus", "port=0&olt_id=SZ-OLT-1", ["SZ-ONU-A", "SZ-ONU-B"]),
    ],
)
def test_it_filters_the_topology(api, admin, nj, sz, path, query, expected):
    key = "olt_id" if path == "olts" else "onu_id"
    rows = results(api(admin).get(f"/api/v1/{path}/?{query}"))
    assert [row[key] for row in rows] == expected


def test_it_filters_pon_ports_by_position(api, admin, nj, sz):
    rows = results(api(admin).get("/api/v1/pon-ports/?olt_id=NJ-OLT-1&port=1"))
    assert [(r["olt"], r["frame"], r["slot"], r["port"]) for r in rows] == [("NJ-OLT-1", 0, 1, 1)]
    rows = results(api(admin).get(f"/api/v1/onus/?pon_port={nj.port.pk}"))
    assert [r["onu_id"] for r in rows] == ["NJ-ONU-A", "NJ-ONU-B"]


@pytest.mark.parametrize(
    ("element", "expected"),
    [
        ("olt", ["NJ-A1", "NJ-A4"]),
        ("port", ["NJ-A1"]),
        ("other_port", ["NJ-A4"]),
        ("onu", ["NJ-A1"]),
        ("other_onu", []),  # its only account is suspended
    ],
)
def test_it_lists_the_active_accounts_under_an_element(api, agent, nj, sz, element, expected):
    path = {"olt": "olts", "port": "pon-ports", "other_port": "pon-ports"}.get(element, "onus")
    target = getattr(nj, element)
    rows = results(api(agent).get(f"/api/v1/{path}/{target.pk}/accounts/"))
    assert [row["account_id"] for row in rows] == expected
    assert all(row["address"].endswith("****") for row in rows)


def test_accounts_under_an_element_are_one_query_plus_the_count(api, agent, nj):
    client = api(agent)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/api/v1/olts/{nj.olt.pk}/accounts/?limit=1")
    assert response.json()["count"] == 2 and len(response.json()["results"]) == 1
    account_queries = [q["sql"] for q in queries if 'FROM "customers_account"' in q["sql"]]
    assert len(account_queries) == 2  # COUNT(*) and the page, customer and ONU joined in


def test_the_outsider_cannot_open_elements_of_nanjing(api, outsider, nj, sz):
    client = api(outsider)
    for path, obj in (("olts", nj.olt), ("pon-ports", nj.port), ("onus", nj.onu)):
        assert client.get(f"/api/v1/{path}/{obj.pk}/").status_code == 404
        assert client.get(f"/api/v1/{path}/{obj.pk}/accounts/").status_code == 404
    assert [r["olt_id"] for r in results(client.get("/api/v1/olts/"))] == ["SZ-OLT-1"]
    assert {r["olt"] for r in results(client.get("/api/v1/onus/"))} == {"SZ-OLT-1"}


def test_network_ops_without_customer_access_still_sees_accounts_under_an_olt(api, network_ops, nj):
    rows = results(api(network_ops).get(f"/api/v1/olts/{nj.olt.pk}/accounts/"))
    assert [row["account_id"] for row in rows] == ["NJ-A1", "NJ-A4"]
    assert api(network_ops).get("/api/v1/customers/").status_code == 403


NEW_OLT = {
    "olt_id": "NJ-OLT-9",
    "name": "南京鼓楼OLT09",
    "ip": "10.9.0.1",
    "vendor": "中兴",
    "city": "NJ",
    "district": "鼓楼区",
}


def test_network_ops_creates_an_olt_and_the_change_is_logged_under_them(api, network_ops):
    response = api(network_ops).post(
        "/api/v1/olts/", NEW_OLT, format="json", HTTP_X_REQUEST_ID="req-olt-9"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["olt_id"] == "NJ-OLT-9" and body["port_count"] == 0
    entry = ChangeLogEntry.objects.get(
        content_type=ContentType.objects.get_for_model(Olt), object_id=str(body["id"])
    )
    assert entry.action == "create" and entry.user == network_ops
    assert entry.request_id == "req-olt-9" == response["X-Request-ID"]


def test_network_ops_cannot_create_an_olt_in_another_city(api, network_ops):
    response = api(network_ops).post("/api/v1/olts/", {**NEW_OLT, "city": "SZ"}, format="json")
    assert response.status_code == 400
    assert "city" in response.json()
    assert not Olt.objects.filter(olt_id="NJ-OLT-9").exists()


def test_network_ops_updates_an_olt(api, network_ops, nj):
    response = api(network_ops).patch(
        f"/api/v1/olts/{nj.olt.pk}/", {"vendor": "烽火"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["vendor"] == "烽火" and response.json()["onu_count"] == 3
    entry = ChangeLogEntry.objects.filter(action="update", object_id=str(nj.olt.pk)).get()
    assert entry.user == network_ops and entry.after["vendor"] == "烽火"


def test_network_ops_cannot_change_an_olt_of_another_city(api, network_ops, sz):
    response = api(network_ops).patch(
        f"/api/v1/olts/{sz.olt.pk}/", {"vendor": "烽火"}, format="json"
    )
    assert response.status_code == 404


def test_it_refuses_to_delete_an_olt_that_still_serves_accounts(api, network_ops, nj):
    response = api(network_ops).delete(f"/api/v1/olts/{nj.olt.pk}/")
    assert response.status_code == 409
    assert Olt.objects.filter(pk=nj.olt.pk).exists()


def test_network_ops_deletes_an_unused_olt(api, network_ops):
    olt = OltFactory(city=city("NJ"))
    assert api(network_ops).delete(f"/api/v1/olts/{olt.pk}/").status_code == 204
    assert not Olt.objects.filter(pk=olt.pk).exists()


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_a_hotline_agent_cannot_write_olts(api, agent, nj, method):
    url = "/api/v1/olts/" if method == "post" else f"/api/v1/olts/{nj.olt.pk}/"
    response = getattr(api(agent), method)(url, NEW_OLT, format="json")
    assert response.status_code == 403
    assert Olt.objects.get(pk=nj.olt.pk).vendor == "华为"


@pytest.mark.parametrize("path", ["pon-ports", "onus"])
def test_ports_and_onus_are_read_only_even_for_network_ops(api, network_ops, nj, path):
    obj = nj.port if path == "pon-ports" else nj.onu
    assert api(network_ops).delete(f"/api/v1/{path}/{obj.pk}/").status_code == 405
    assert api(network_ops).post(f"/api/v1/{path}/", {}, format="json").status_code == 405
