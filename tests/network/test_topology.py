import pytest
from django.urls import reverse

from sqm.network import services
from tests.factories import AccountFactory, OltFactory, onu, port


@pytest.fixture
def network(db):
    olt = OltFactory()
    p0, p1 = port(olt, 0, 1, 0), port(olt, 0, 1, 1)
    other_board = port(olt, 0, 2, 0)
    accounts = {
        "p0a": AccountFactory(onu=onu(p0, "ONU-A")),
        "p0b": AccountFactory(onu=onu(p0, "ONU-B")),
        "p1": AccountFactory(onu=onu(p1, "ONU-C")),
        "board2": AccountFactory(onu=onu(other_board, "ONU-D")),
        "suspended": AccountFactory(onu=onu(p0, "ONU-E"), status="suspended"),
    }
    return olt, p0, p1, other_board, accounts


def test_it_finds_the_active_accounts_under_any_element(network, django_assert_num_queries):
    olt, p0, p1, other_board, a = network
    with django_assert_num_queries(1):
        assert set(services.accounts_under(p0)) == {a["p0a"], a["p0b"]}
    assert set(services.accounts_under(p0.board)) == {a["p0a"], a["p0b"], a["p1"]}
    assert set(services.accounts_under(olt)) == {a["p0a"], a["p0b"], a["p1"], a["board2"]}
    assert list(services.accounts_under(a["p1"].onu)) == [a["p1"]]


def test_the_olt_list_counts_ports_onus_and_active_accounts(network, agent):
    olt = services.olts_with_counts(agent).get()
    assert (olt.port_count, olt.onu_count, olt.account_count) == (3, 5, 4)


def test_the_olt_pages_drill_down_to_the_accounts_on_a_port(client, network, agent):
    olt, p0, *_rest, a = network
    client.force_login(agent)
    assert olt.olt_id in client.get(reverse("network:olts")).content.decode()
    detail = client.get(reverse("network:olt", args=[olt.pk])).content.decode()
    assert reverse("network:port", args=[p0.pk]) in detail
    page = client.get(reverse("network:port", args=[p0.pk])).content.decode()
    assert a["p0a"].account_id in page and a["p1"].account_id not in page


def test_the_outsider_sees_no_olt_of_another_city(client, network, outsider):
    olt = network[0]
    client.force_login(outsider)
    assert client.get(reverse("network:olt", args=[olt.pk])).status_code == 404
    assert olt.olt_id not in client.get(reverse("network:olts")).content.decode()


def test_the_olt_list_exports_to_excel(client, network, agent):
    client.force_login(agent)
    response = client.get(reverse("network:olt_export"))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
