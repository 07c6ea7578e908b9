"""The auditor checks the audit chain from the page, not only with `sqm audit verify` (issue 12
walk-through): a POST button on the home panel and the audit log page runs the same check,
records it as the command does, is itself audited and runs at most once a minute; the audit
log page filters by action, day and user name in the address."""

from __future__ import annotations

import re
from datetime import timedelta
from unittest import mock

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from sqm.core import audit, audit_text
from sqm.core.models import Alert, AlertKind, AuditAction, AuditEntry, JobCheckpoint


@pytest.fixture
def zh_client():
    return Client(HTTP_ACCEPT_LANGUAGE="zh-hans")


def told(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_the_home_panel_offers_a_check_button_instead_of_a_command_line(zh_client, auditor):
    zh_client.force_login(auditor)
    page = zh_client.get(reverse("home")).content.decode()
    assert "sqm audit verify" not in page
    assert f'action="{reverse("core:audit_verify")}"' in page and "立即校验审计链" in page


def test_the_home_panels_button_carries_its_csrf_token(auditor):
    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(auditor)
    page = client.get(reverse("home")).content.decode()
    form = page[page.index('id="audit-verify"') :]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)
    assert token is not None, "the panel's form has no CSRF token: the POST would be refused"
    response = client.post(
        reverse("core:audit_verify"), {"csrfmiddlewaretoken": token[1], "back": "home"}
    )
    assert response.status_code == 302 and audit.last_check() is not None
    page = client.get(reverse("home")).content.decode()
    # a Chinese colon, and no space between it and the verdict (「11:55：完好」)
    assert re.search(r"审计链最近一次校验于 [\d-]+ \d\d:\d\d：<span[^>]*>完好<", page)


def test_checking_now_records_the_check_like_the_command_and_audits_who_asked(zh_client, auditor):
    audit.record(AuditAction.LOGIN, user=auditor)
    zh_client.force_login(auditor)
    response = zh_client.post(reverse("core:audit_verify"), {"back": "home"})
    assert response.status_code == 302 and response.url == reverse("home")
    names = set(JobCheckpoint.objects.values_list("name", flat=True))
    assert {audit.CHECKED, audit.CHECKED_OK} <= names
    assert audit.last_check().ok
    entry = AuditEntry.objects.filter(action=AuditAction.AUDIT_VERIFY).get()
    assert entry.actor == auditor and entry.details["intact"] is True
    (message,) = told(response)
    assert message.startswith("审计链已于 ") and message.endswith("完成校验：完好。")
    assert audit.verify().ok  # the check's own entry keeps the chain whole
    with translation.override("zh-hans"):
        n = entry.details["checked"]
        assert audit_text.describe(entry) == f"完好：已校验 {n} 条记录"
        assert audit_text.describe_target(entry.target) == "审计日志"


def test_a_second_check_within_a_minute_runs_nothing_and_says_when_the_last_one_was(
    zh_client, auditor, monkeypatch
):
    zh_client.force_login(auditor)
    zh_client.post(reverse("core:audit_verify"))
    calls = []
    monkeypatch.setattr(audit, "verify", lambda: calls.append(1))
    response = zh_client.post(reverse("core:audit_verify"), {"back": "audit"})
    assert calls == [] and response.url == reverse("core:audit")
    assert AuditEntry.objects.filter(action=AuditAction.AUDIT_VERIFY).count() == 1
    message = told(response)[-1]  # after the first check's, not shown yet
    assert message.startswith("审计链在一分钟内刚校验过")


def test_a_check_a_minute_after_the_last_runs_again(auditor):
    then = timezone.now()
    audit.verify_on_request(auditor, then)
    _check, ran = audit.verify_on_request(auditor, then + timedelta(seconds=30))
    assert not ran
    check, ran = audit.verify_on_request(auditor, then + timedelta(minutes=1))
    assert ran and check.ok


def test_a_broken_chain_found_by_the_button_is_an_alert_and_said_so(
    zh_client, auditor, monkeypatch
):
    broken = audit.VerifyResult(checked=4, broken_at=5, problem="altered")
    monkeypatch.setattr(audit, "verify", lambda: broken)
    zh_client.force_login(auditor)
    response = zh_client.post(reverse("core:audit_verify"))
    assert audit.last_check().ok is False
    assert Alert.objects.filter(kind=AlertKind.AUDIT_CHAIN).count() == 1
    (message,) = told(response)
    assert "未通过" in message


def test_only_auditors_may_check_and_only_by_post(client, auditor, agent):
    client.force_login(agent)
    assert client.post(reverse("core:audit_verify")).status_code == 403
    client.force_login(auditor)
    assert client.get(reverse("core:audit_verify")).status_code == 405
    assert not JobCheckpoint.objects.filter(name=audit.CHECKED).exists()


def test_the_audit_log_filters_by_action_day_and_user_in_the_address(zh_client, auditor, agent):
    audit.record(AuditAction.LOGIN, user=agent, target="user:agent")
    audit.record(AuditAction.LOGIN, user=auditor, target="user:auditor")
    # Written as of three days ago (audit entries are append-only: PostgreSQL's trigger
    # refuses an UPDATE of the time afterwards).
    with mock.patch("django.utils.timezone.now", return_value=timezone.now() - timedelta(days=3)):
        audit.record(AuditAction.LOGIN, user=agent, target="user:agent")
    audit.record(AuditAction.LOGOUT, user=agent, target="user:agent")
    zh_client.force_login(auditor)
    page = zh_client.get(reverse("core:audit")).content.decode()
    assert 'id="audit-filters"' in page and 'name="actor"' in page and 'name="day"' in page
    assert '<option value="login">登录</option>' in page  # the actions by their labels
    today = timezone.localdate().isoformat()
    response = zh_client.get(
        reverse("core:audit"), {"action": "login", "day": today, "actor": "AGENT"}
    )
    rows = list(response.context["page"])
    assert [e.actor_name for e in rows] == ["agent"] and rows[0].action == "login"
    body = response.content.decode()
    assert '<option value="login" selected>' in body and 'value="AGENT"' in body
