"""A user finds their API tokens in the user menu and revokes one; the other keeps working."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from sqm.api import tokens
from sqm.api.models import ApiToken, RevokeReason
from tests.browser.conftest import login
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_a_user_revokes_one_of_their_tokens_from_the_user_menu(page, live_server):
    agent = UserFactory(username="agent", roles=["hotline_agent"], city_codes=["NJ"])
    other = UserFactory(username="colleague", roles=["hotline_agent"], city_codes=["NJ"])
    keep = tokens.issue(agent, "noc-dashboard").token
    drop = tokens.issue(agent, "nightly-report").token
    theirs = tokens.issue(other, "their-script").token
    login(page, live_server, agent)

    page.locator("#api-tokens-link").click()
    page.wait_for_url("**/accounts/tokens/")
    rows = page.locator("#tokens tbody tr[data-token]")
    expect(rows).to_have_count(2)
    expect(page.locator(f'tr[data-token="{theirs.pk}"]')).to_have_count(0)
    expect(page.locator(f'tr[data-token="{drop.pk}"]')).to_contain_text("nightly-report")

    page.locator(f'tr[data-token="{drop.pk}"] button[type=submit]').click()
    page.wait_for_url("**/accounts/tokens/")
    expect(page.locator(".messages")).to_contain_text("nightly-report")
    # The revoked token stays listed, without a revoke button; the other keeps its button.
    expect(page.locator(f'tr[data-token="{drop.pk}"] button')).to_have_count(0)
    expect(page.locator(f'tr[data-token="{keep.pk}"] button')).to_have_count(1)
    drop.refresh_from_db()
    assert drop.revoke_reason == RevokeReason.OWNER
    assert ApiToken.objects.active().filter(user=agent).get() == keep
