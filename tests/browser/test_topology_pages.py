"""An agent walks the access network: OLT list with counts → OLT → PON port → accounts."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login
from tests.factories import AccountFactory, OltFactory, city, onu, port

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


@pytest.fixture
def olt(db):
    """One Nanjing OLT: port 0/1/0 with two ONUs and three accounts (one suspended), port
    0/1/1 with one ONU and one account."""
    olt = OltFactory(olt_id="OLT-NJ-001", name="南京玄武OLT01")
    first, second = port(olt, number=0), port(olt, number=1)
    onu_a, onu_b = onu(first, "ONU-NJ-0A"), onu(first, "ONU-NJ-0B")
    AccountFactory(account_id="A-0A-ACTIVE", onu=onu_a)
    AccountFactory(account_id="A-0B-ACTIVE", onu=onu_b)
    AccountFactory(account_id="A-0B-SUSPENDED", onu=onu_b, status="suspended")
    AccountFactory(account_id="A-1A-ACTIVE", onu=onu(second, "ONU-NJ-1A"))
    return olt


def cell_texts(row) -> list[str]:
    return [text.strip() for text in row.locator("td").all_inner_texts()]


def test_it_lets_an_agent_drill_down_from_an_olt_to_the_accounts_on_a_port(
    page, live_server, agent, olt
):
    login(page, live_server, agent)

    page.locator('header nav a[href="/network/olts/"]').click()
    row = page.locator("#olts tbody tr", has_text=olt.olt_id)
    expect(row).to_have_count(1)
    cells = cell_texts(row)
    assert cells[1] == olt.name
    # PON ports, ONUs, active accounts: the suspended account does not count.
    assert cells[-3:] == ["2", "3", "3"]

    row.get_by_role("link", name=olt.olt_id).click()
    page.wait_for_url(f"**{olt.get_absolute_url()}")
    expect(page.locator("main h1")).to_contain_text(olt.name)
    ports = page.locator("#ports tbody tr")
    expect(ports).to_have_count(2)
    assert cell_texts(ports.nth(0))[:2] == ["0/1/0", "2"]
    assert cell_texts(ports.nth(1)) == ["0/1/1", "1", "1"]

    ports.nth(0).get_by_role("link", name="0/1/0").click()
    accounts = page.locator("#port-accounts tbody tr")
    expect(accounts).to_have_count(3)
    listed = [cell_texts(accounts.nth(n))[0] for n in range(3)]
    assert listed == ["A-0A-ACTIVE", "A-0B-ACTIVE", "A-0B-SUSPENDED"]
    expect(page.locator("#port-accounts")).not_to_contain_text("A-1A-ACTIVE")

    # From the port back up to its OLT.
    page.locator("main h1").get_by_role("link", name=olt.name).click()
    page.wait_for_url(f"**{olt.get_absolute_url()}")


def test_it_hides_nanjing_olts_from_a_suzhou_agent(page, live_server, outsider, olt):
    suzhou = OltFactory(olt_id="OLT-SZ-001", name="苏州姑苏OLT01", city=city("SZ"))
    login(page, live_server, outsider)

    page.goto("/network/olts/")

    expect(page.locator("#olts tbody")).to_contain_text(suzhou.olt_id)
    expect(page.locator("#olts tbody")).not_to_contain_text(olt.olt_id)
    response = page.goto(olt.get_absolute_url())
    assert response is not None and response.status == 404
