"""The home page: core only knows a registry of panels; each role sees its own panels (a
user with several roles sees each panel once), and the auditor's numbers equal the audit
log lists they link to."""

import ast
from datetime import timedelta
from pathlib import Path
from unittest import mock

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from sqm.core import audit, home
from sqm.core.models import Alert, AlertKind, AuditAction
from tests.factories import CustomerFactory, UserFactory
from tests.home_helpers import follow, read_home

CORE = Path(__file__).resolve().parents[2] / "sqm" / "core"
DOMAIN_APPS = ("customers", "network", "notify", "complaints", "surveys", "knowledge")


def shown(client, user) -> tuple[list[str], dict]:
    client.force_login(user)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    return read_home(response.content.decode())


def test_the_home_page_and_its_registry_import_no_domain_app():
    for name in ("home.py", "panels.py", "views.py"):
        tree = ast.parse((CORE / name).read_text())
        imported = [
            node.module if isinstance(node, ast.ImportFrom) else alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.Import | ast.ImportFrom)
            for alias in node.names
        ]
        domain = [m for m in imported if m and m.split(".")[:2][-1] in DOMAIN_APPS]
        assert domain == [], name


@pytest.mark.django_db
def test_each_app_registers_its_panels_for_its_roles():
    def keys(*roles):
        user = UserFactory(roles=list(roles))
        return [panel.key for panel in home.panels_for(user)]

    assert keys("hotline_agent") == ["my_day", "known_faults"]
    assert keys("first_line") == ["my_queue", "pool"]
    assert keys("team_lead") == ["team_sla", "workload", "trend"]
    assert keys("network_ops") == ["noc", "fault_sms"]
    assert keys("quality_manager") == ["complaint_volume", "analyses", "short_boards"]
    assert keys("auditor") == ["audit"]


@pytest.mark.django_db
def test_a_user_with_several_roles_sees_each_panel_once_in_order():
    user = UserFactory(roles=["second_line", "first_line", "auditor"])
    assert [panel.key for panel in home.panels_for(user)] == ["audit", "my_queue", "pool"]


def test_a_panel_for_an_unknown_role_is_refused_at_start_up():
    panel = home.Panel("x", "core/panels/numbers.html", lambda user, now: {})
    with pytest.raises(ValueError, match="nobody"):
        home.register_panel(["auditor", "nobody"], panel)


@pytest.mark.django_db
def test_a_panel_with_nothing_for_the_user_is_left_out(client, monkeypatch):
    # A team lead without the permission the panel needs (a group edited by hand).
    user = UserFactory(roles=["team_lead"], city_codes=["NJ"])
    monkeypatch.setattr(home, "_by_role", {"team_lead": ["empty"]})
    monkeypatch.setattr(
        home,
        "_panels",
        {"empty": home.Panel("empty", "core/panels/numbers.html", lambda user, now: None)},
    )
    panels, _figures = shown(client, user)
    assert panels == []


@pytest.mark.django_db
def test_an_account_without_a_role_is_told_so(client):
    body_user = UserFactory(roles=[])
    client.force_login(body_user)
    response = client.get(reverse("home"))
    assert "vendor/echarts" not in response.content.decode()
    assert response.context["panels"] == []


@pytest.mark.django_db
def test_the_home_page_sends_anonymous_users_to_log_in(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302 and reverse("login") in response.url


@pytest.mark.django_db
def test_the_auditors_numbers_equal_the_audit_log_lists_they_link_to(client, auditor, agent):
    customer = CustomerFactory()
    for _ in range(2):
        audit.record_reveal(agent, customer, "客户来电核实身份", ["mobile"])
    # Written as of two days ago (audit entries are append-only: PostgreSQL's trigger refuses
    # an UPDATE of the time afterwards).
    with mock.patch("django.utils.timezone.now", return_value=timezone.now() - timedelta(days=2)):
        audit.record(AuditAction.REVEAL, user=agent, target="customer:old")
    audit.record(AuditAction.LOOKUP, user=agent, target="mobile")
    Alert.objects.create(kind=AlertKind.REVEAL_RATE, subject=agent, message="many", count=9)
    Alert.objects.create(
        kind=AlertKind.REVEAL_RATE, subject=agent, message="seen", acknowledged_at=timezone.now()
    )
    panels, figures = shown(client, auditor)
    assert panels == ["audit"]
    assert figures["reveals_today"][0] == "2"  # not the one of two days ago
    assert figures["lookups_today"][0] == "1"
    for key in ("reveals_today", "lookups_today"):
        value, link = figures[key]
        assert follow(client, link) == int(value), key
    value, link = figures["open_alerts"]
    assert value == "1"
    assert client.get(link).context["alerts"].count() == 1


@pytest.mark.django_db
def test_the_audit_chains_last_check_is_stored_when_verify_runs(client, auditor):
    audit.record(AuditAction.LOGIN, user=auditor)
    assert audit.last_check() is None
    client.force_login(auditor)
    assert 'data-verdict="never"' in client.get(reverse("home")).content.decode()
    call_command("audit", "verify")
    check = audit.last_check()
    assert check is not None and check.ok
    assert 'data-verdict="ok"' in client.get(reverse("home")).content.decode()


@pytest.mark.django_db
def test_a_failed_check_shows_as_not_intact(client, auditor):
    audit.record_check(audit.VerifyResult(checked=3, broken_at=2, problem="altered"))
    assert audit.last_check().ok is False
    client.force_login(auditor)
    assert 'data-verdict="broken"' in client.get(reverse("home")).content.decode()
