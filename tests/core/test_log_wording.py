"""No English in the audit and change logs of a Chinese reader (issue 12 walk-through): role
groups by their labels, permissions from their codename and model (never Django's English
names), import kinds by their labels, and no bookkeeping fields in change sentences."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group, Permission
from django.utils import translation

from sqm.core import audit, audit_text, changelog_text
from sqm.core.models import AuditAction, AuditEntry, ChangeLogEntry


def zh(fn, *args):
    with translation.override("zh-hans"):
        return fn(*args)


def test_role_groups_read_as_the_roles_labels_and_other_groups_as_named(db):
    entry = audit.record(
        AuditAction.PERMISSION,
        target="user:wang",
        details={"what": "groups", "action": "add", "items": ["network_ops", "夜班"]},
    )
    assert zh(audit_text.describe, entry) == "添加用户组：网络运维、夜班"
    assert zh(audit_text.describe_target, "group:administrator") == "用户组 系统管理员"
    assert zh(audit_text.describe_target, "group:夜班") == "用户组 夜班"


def test_a_group_permission_change_is_stored_as_codes_and_read_in_chinese(db):
    group = Group.objects.create(name="夜班")
    perms = Permission.objects.filter(
        content_type__app_label__in=["api", "customers"],
        codename__in=["add_apitoken", "reveal_customer"],
    )
    group.permissions.add(*perms)
    entry = AuditEntry.objects.filter(target="group:夜班").latest("pk")
    assert entry.details["items"] == ["api.add_apitoken", "customers.reveal_customer"]
    text = zh(audit_text.describe, entry)
    assert text == "添加用户组权限：新增API 令牌、查看客户敏感信息明文"
    assert "Can " not in text and " | " not in text


def test_permissions_stored_as_djangos_english_text_read_the_same_as_codes(db):
    old = audit.record(
        AuditAction.PERMISSION,
        target="group:team_lead",
        details={
            "what": "group_permissions",
            "action": "add",
            "items": [
                "API | API token | Can add API token",
                "Core | alert | Can change alert",
                "客户 | 客户 | Reveal a customer's personal data",
                "Something | gone | Can fly",
            ],
        },
    )
    text = zh(audit_text.describe, old)
    with translation.override("zh-hans"):
        alert = str(audit_text.apps.get_model("core", "Alert")._meta.verbose_name)
    assert text == (
        f"添加用户组权限：新增API 令牌、修改{alert}、查看客户敏感信息明文、"
        "Something | gone | Can fly"
    )
    assert zh(audit_text.describe_target, old.target) == "用户组 班长"


@pytest.mark.parametrize(
    "kind, label",
    [("survey", "满意度测评答卷"), ("customers", "客户"), ("topology", "接入网拓扑")],
)
def test_an_import_target_names_the_kind_by_its_label(kind, label):
    assert zh(audit_text.describe_target, f"import:{kind}") == f"导入 {label}"


def test_a_work_order_change_leaves_out_its_version(admin, first_line):
    from sqm.complaints.models import WorkOrder
    from tests.complaints.helpers import record

    order = WorkOrder.objects.get(pk=record(admin).pk)
    order.assignee = first_line
    order.version += 1  # as the services' optimistic lock does on every change
    order.save()
    entry = ChangeLogEntry.objects.filter(object_id=str(order.pk), action="update").latest("pk")
    # Stored as it was; only the sentence leaves it out.
    assert entry.after["version"] == entry.before["version"] + 1
    text = zh(changelog_text.describe, entry)
    assert "version" not in text and "处理人" in text


def test_no_change_logged_field_reads_as_an_english_word_in_chinese():
    from django.apps import apps

    from sqm.core import changelog
    from sqm.core.models import ChangeLoggedModel

    english = re.compile(r"(?<![A-Za-z])[a-z]{3,}(?![A-Za-z])")  # olt, pon port, version
    found = []
    with translation.override("zh-hans"):
        for model in apps.get_models():
            if not issubclass(model, ChangeLoggedModel):
                continue
            names = [str(model._meta.verbose_name)]
            names += [
                changelog_text.field_name(model, name)
                for name, _attname, _mask in changelog._specs(model)
                if name not in changelog_text.hidden_fields(model)
            ]
            found += [(model._meta.label, n) for n in names if english.search(n)]
    assert found == []
    with translation.override("zh-hans"):
        from sqm.network.models import Onu, PonPort

        assert changelog_text.field_name(Onu, "pon_port") == str(PonPort._meta.verbose_name)
