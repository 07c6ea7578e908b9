import pytest

from sqm.core.crypto import lookup_hash
from sqm.core.models import AuditEntry
from tests.api.data import ADDRESS, ID_NUMBER, MOBILE, NAME
from tests.factories import AccountFactory, CustomerFactory

pytestmark = pytest.mark.django_db


def ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["customer_id"] for row in response.json()["results"]]


def test_it_lists_customers_with_personal_data_masked(api, agent, nj):
    row = api(agent).get("/api/v1/customers/").json()["results"][0]
    assert row["customer_id"] == "NJ-C1"
    assert row["mobile"] == "138****5678"
    assert row["name"] == "李**"
    assert row["id_number"] == "3201**********1234"
    assert row["address"].endswith("****") and ADDRESS not in row["address"]
    assert row["city"] == "NJ"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("tier=gold", ["NJ-C1"]),
        ("tier=normal", ["NJ-C2"]),
        ("customer_type=group", ["NJ-C1"]),
        ("district=鼓楼区", ["NJ-C2"]),
        ("city=NJ", ["NJ-C1", "NJ-C2"]),
        ("city=SZ", []),
        (f"mobile={MOBILE}", ["NJ-C1"]),
        ("mobile=138%201234%205678", ["NJ-C1"]),
        ("mobile=13800000000", []),
        (f"id_number={ID_NUMBER}", ["NJ-C1"]),
        (f"id_number={ID_NUMBER.lower()}", ["NJ-C1"]),
        (f"mobile_hash={lookup_hash(MOBILE)}", ["NJ-C1"]),
        ("customer_id=NJ-C2", ["NJ-C2"]),
    ],
)
def test_it_filters_customers(api, agent, nj, query, expected):
    CustomerFactory(customer_id="NJ-C2", district="鼓楼区")
    assert ids(api(agent).get(f"/api/v1/customers/?{query}")) == expected


def test_it_rejects_an_unknown_tier(api, agent, nj):
    response = api(agent).get("/api/v1/customers/?tier=platinum")
    assert response.status_code == 400
    assert "tier" in response.json()


def test_it_puts_the_lookup_hash_not_the_mobile_into_page_links(api, agent, nj):
    CustomerFactory(customer_id="NJ-C2", mobile=MOBILE)
    response = api(agent).get(f"/api/v1/customers/?mobile={MOBILE}&limit=1")
    body = response.json()
    assert body["count"] == 2 and body["next"]
    assert MOBILE not in response.content.decode()
    assert f"mobile_hash={lookup_hash(MOBILE)}" in body["next"]
    follow = api(agent).get(body["next"])
    assert ids(follow) == ["NJ-C2"]
    assert MOBILE not in follow.content.decode()


def test_the_outsider_sees_nothing_of_nanjing(api, outsider, nj, sz):
    client = api(outsider)
    assert ids(client.get("/api/v1/customers/")) == ["SZ-C1"]
    assert ids(client.get(f"/api/v1/customers/?mobile={MOBILE}")) == []
    assert client.get(f"/api/v1/customers/{nj.customer.pk}/").status_code == 404
    accounts = client.get("/api/v1/accounts/").json()["results"]
    assert {row["customer"] for row in accounts} == {"SZ-C1"}
    assert client.get(f"/api/v1/accounts/{nj.active.pk}/").status_code == 404


def test_it_reveals_the_plaintext_and_audits_it(api, agent, nj):
    response = api(agent).post(
        f"/api/v1/customers/{nj.customer.pk}/reveal/",
        {"reason": "客户来电核实身份"},
        format="json",
    )
    assert response.status_code == 200
    assert response.json() == {
        "name": NAME,
        "mobile": MOBILE,
        "id_number": ID_NUMBER,
        "address": ADDRESS,
    }
    entry = AuditEntry.objects.get(action="reveal")
    assert entry.actor == agent and entry.actor_name == "agent"
    assert entry.target == "customer:NJ-C1" and entry.reason == "客户来电核实身份"


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "   "}, {"reason": "x"}])
def test_it_refuses_to_reveal_without_a_reason(api, agent, nj, body):
    response = api(agent).post(f"/api/v1/customers/{nj.customer.pk}/reveal/", body, format="json")
    assert response.status_code == 400
    assert "reason" in response.json()
    assert MOBILE not in response.content.decode()
    assert not AuditEntry.objects.filter(action="reveal").exists()


def test_it_refuses_to_reveal_without_the_permission(api, first_line, nj):
    response = api(first_line).post(
        f"/api/v1/customers/{nj.customer.pk}/reveal/", {"reason": "核实"}, format="json"
    )
    assert response.status_code == 403
    assert MOBILE not in response.content.decode()
    assert not AuditEntry.objects.filter(action="reveal").exists()


def test_it_refuses_to_reveal_a_customer_of_another_city(api, outsider, nj):
    response = api(outsider).post(
        f"/api/v1/customers/{nj.customer.pk}/reveal/", {"reason": "核实"}, format="json"
    )
    # Outside your cities a customer does not exist for you: the same 404 as a wrong id.
    assert response.status_code == 404
    assert MOBILE not in response.content.decode()
    assert not AuditEntry.objects.filter(action="reveal").exists()


def test_it_reveals_only_by_post(api, agent, nj):
    assert api(agent).get(f"/api/v1/customers/{nj.customer.pk}/reveal/").status_code == 405


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("service=mobile", ["NJ-A3"]),
        ("status=suspended", ["NJ-A2"]),
        ("status=active&service=broadband", ["NJ-A1", "NJ-A4", "NJ-B1"]),
        ("customer_id=NJ-C1", ["NJ-A1", "NJ-A2", "NJ-A3", "NJ-A4"]),
        ("customer_id=NJ-C2", ["NJ-B1"]),
        ("onu_id=NJ-ONU-A", ["NJ-A1"]),
        ("onu_id=SZ-ONU-A", []),
        ("account_id=NJ-A4", ["NJ-A4"]),
    ],
)
def test_it_filters_accounts(api, agent, nj, sz, query, expected):
    AccountFactory(account_id="NJ-B1", customer=CustomerFactory(customer_id="NJ-C2"))
    response = api(agent).get(f"/api/v1/accounts/?{query}")
    assert response.status_code == 200
    assert [row["account_id"] for row in response.json()["results"]] == expected


def test_it_masks_the_installation_address_of_accounts(api, agent, nj):
    account = AccountFactory(
        account_id="NJ-B1", customer=nj.customer, address="南京市鼓楼区北京西路2号"
    )
    body = api(agent).get(f"/api/v1/accounts/{account.pk}/").json()
    assert body["address"] == "南京市鼓****"
    assert body["customer"] == "NJ-C1"


def test_a_provincial_user_sees_every_city(api, admin, nj, sz):
    assert ids(api(admin).get("/api/v1/customers/")) == ["NJ-C1", "SZ-C1"]
    assert ids(api(admin).get("/api/v1/customers/?city=SZ")) == ["SZ-C1"]
