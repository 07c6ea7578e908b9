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


# --- object names, actors and django-axes' texts (issue 12, second walk-through) ----------


def _zh_client(user):
    from django.test import Client

    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(user)
    return client


def _cell_texts(html: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", html)]


def test_a_fault_event_is_named_by_its_alarm_types_label_in_chinese(db):
    from sqm.network.models import FaultEvent
    from tests.factories import OltFactory

    olt = OltFactory(olt_id="OLT-NJ-0002")
    fault = FaultEvent(level="olt", olt=olt, city=olt.city, type="power-off", severity="critical")
    assert "断电" in zh(str, fault) and "power-off" not in zh(str, fault)
    # a type the NMS sends that has no label of ours is shown as sent
    fault.type = "fan-stopped"
    assert zh(str, fault).endswith("fan-stopped")


def test_the_change_log_names_a_fault_event_in_the_readers_language(auditor):
    from django.utils import timezone

    from sqm.network.models import FaultEvent
    from tests.factories import OltFactory

    olt = OltFactory(olt_id="OLT-NJ-0005")
    with translation.override("en"):  # made by a worker whose language is English
        fault = FaultEvent.objects.create(
            level="onu", olt=olt, city=olt.city, type="power-off", severity="critical",
            started_at=timezone.now(),
        )  # fmt: skip
        fault.state = "closed"
        fault.save()
    entries = ChangeLogEntry.objects.filter(
        content_type__model="faultevent", object_id=str(fault.pk)
    )
    assert entries.count() == 2 and all("power-off" in e.object_repr for e in entries)

    html = _zh_client(auditor).get("/core/changelog/").content.decode()
    cells = [c for c in _cell_texts(html) if "OLT-NJ-0005" in c]
    assert cells and all("断电" in c and "power-off" not in c for c in cells)

    # once the object is gone its entries keep the name stored with them
    fault.delete()
    html = _zh_client(auditor).get("/core/changelog/").content.decode()
    assert "OLT-NJ-0005" in html


def test_actors_without_a_user_read_in_chinese(db):
    from sqm.network import fault_split

    assert zh(audit_text.actor_label, "system") == "系统"
    assert zh(audit_text.actor_label, "cli") == "命令行"
    assert zh(audit_text.actor_label, fault_split.ACTOR) == "自动拆分故障"
    assert zh(audit_text.actor_label, "import:customers") == "导入客户"
    assert zh(audit_text.actor_label, "某个脚本") == "某个脚本"


def test_the_audit_and_change_log_pages_show_system_and_fault_split_in_chinese(auditor):
    from sqm.core import context
    from sqm.network import fault_split
    from tests.factories import OltFactory

    audit.record(AuditAction.PERMISSION, target="user:wang", details={})
    with context.acting_as(label=fault_split.ACTOR):
        OltFactory()  # a change the splitter would not make; any change-logged one will do
    assert ChangeLogEntry.objects.filter(actor=fault_split.ACTOR, user=None).exists()

    audit_cells = _cell_texts(_zh_client(auditor).get("/core/audit/").content.decode())
    assert "系统" in audit_cells and "system" not in audit_cells

    change_cells = _cell_texts(_zh_client(auditor).get("/core/changelog/").content.decode())
    assert "自动拆分故障" in change_cells and fault_split.ACTOR not in change_cells


def test_a_user_named_like_an_actor_label_keeps_the_name(db):
    from tests.factories import UserFactory

    user = UserFactory(username="system")
    entry = audit.record(AuditAction.PERMISSION, target="user:wang", details={}, user=user)
    assert zh(audit_text.audit_actor, entry) == "system"


def test_a_permission_on_a_django_axes_model_reads_in_chinese(db):
    group = Group.objects.create(name="安全")
    group.permissions.add(
        *Permission.objects.filter(content_type__app_label="axes", codename="add_accessattempt")
    )
    entry = AuditEntry.objects.filter(target="group:安全").latest("pk")
    assert entry.details["items"] == ["axes.add_accessattempt"]
    text = zh(audit_text.describe, entry)
    assert text == "添加用户组权限：新增登录尝试"


def test_the_admin_shows_django_axes_in_chinese(admin):
    client = _zh_client(admin)
    index = client.get("/admin/").content.decode()
    assert "登录防护" in index and "登录尝试" in index
    for english in ("Access attempt", "Access failure", "Access log", "Axes"):
        assert english not in index
    changelist = client.get("/admin/axes/accessattempt/").content.decode()
    assert "选择 登录尝试 来修改" in changelist or "选择登录尝试来修改" in changelist
    for english in ("access attempt", "Attempt Time", "Locked Out", "Path"):
        assert english not in changelist
