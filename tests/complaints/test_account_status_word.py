"""The account status `active` reads 在用 (in use), never 正常, which is what a network
element or an SLA clock says on the same customer page; the administrator's home counts
accounts in use (docs/glossary.md)."""

import pytest
from django.utils import timezone, translation

from sqm.customers.choices import AccountStatus
from sqm.customers.panels import customers as customers_panel

pytestmark = pytest.mark.django_db


def test_an_active_account_reads_in_use_not_normal():
    assert str(AccountStatus.ACTIVE.label) == "in use"
    with translation.override("zh-hans"):
        assert str(AccountStatus.ACTIVE.label) == "在用"


def test_the_administrators_home_counts_accounts_in_use(admin):
    panel = customers_panel(admin, timezone.now())
    assert str(panel["rows_title"]) == "Accounts in use per service"
    with translation.override("zh-hans"):
        assert str(panel["rows_title"]) == "各业务在用账号数"
