"""The audit log and the change log read as sentences in the reader's language (issue 12 §1):
details are stored as codes, scrubbed and hash-chained, and turned into words only when shown,
so the stored entry and the chain stay exactly as they were."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from sqm.core import audit, audit_text, changelog_text
from sqm.core.models import AuditAction, AuditEntry, ChangeLogEntry


def zh(fn, *args):
    with translation.override("zh-hans"):
        return fn(*args)


@pytest.fixture
def entries(db, admin):
    """One entry of each kind the platform writes, with the details it writes."""
    made = {}
    made["groups"] = audit.record(
        AuditAction.PERMISSION,
        target="user:wang",
        details={"what": "groups", "action": "add", "items": ["一线维护", "班长"]},
    )
    made["flags"] = audit.record(
        AuditAction.PERMISSION,
        target="user:wang",
        details={"flags": {"is_staff": [False, True]}},
    )
    made["orders"] = audit.record(
        AuditAction.EXPORT,
        user=admin,
        target="list:work_orders",
        details={
            "rows": 12,
            "filters": {"state": "closed", "sla": "paused", "record_type": ""},
            "personal_data": False,
            "format": "xlsx",
        },
    )
    made["survey"] = audit.record(
        AuditAction.EXPORT, user=admin, target="survey-run:3", details={"format": "pdf"}
    )
    made["lookup"] = audit.record(
        AuditAction.LOOKUP,
        user=admin,
        target="lookup:refused",
        details={"kind": "mobile", "lookup_hash": "ab" * 32, "channel": "page", "refused": "limit"},
    )
    made["revoked"] = audit.record(
        AuditAction.TOKEN_REVOKED,
        user=admin,
        target="user:wang",
        details={"tokens": [4], "names": ["laptop"], "reason": "password_changed"},
    )
    made["import"] = audit.record(
        AuditAction.IMPORT,
        user=admin,
        target="import:customers",
        details={
            "file": "customers.csv",
            "rows": 10,
            "created": 7,
            "updated": 3,
            "per_row_change_log": True,
        },
    )
    made["odd"] = audit.record(
        AuditAction.EXPORT, user=admin, target="list:olts", details={"format": "csv", "pages": 2}
    )
    return made


def test_a_group_change_reads_as_a_chinese_sentence_not_key_value_codes(entries):
    text = zh(audit_text.describe, entries["groups"])
    assert text == "添加用户组：一线维护、班长"
    assert "what" not in text and "groups" not in text


def test_a_flag_change_names_the_flag_and_says_yes_and_no(entries):
    assert zh(audit_text.describe, entries["flags"]) == "后台管理权限：否 → 是"


def test_an_export_names_its_rows_format_masking_and_the_list_filters_with_their_labels(entries):
    text = zh(audit_text.describe, entries["orders"])
    assert text == "导出 12 行（XLSX）；个人信息已脱敏；筛选条件：状态：已关闭、时限：已暂停"
    assert zh(audit_text.describe_target, entries["orders"].target) == "工单列表"


def test_a_survey_export_says_its_format_in_chinese(entries):
    assert zh(audit_text.describe, entries["survey"]) == "导出为 PDF"
    assert zh(audit_text.describe_target, "survey-run:3") == "满意度分析 3"


def test_a_refused_look_up_says_by_what_from_where_and_why(entries):
    text = zh(audit_text.describe, entries["lookup"])
    assert text == "按手机号码查找（客户查询页）；被拒绝：已达每小时上限"
    assert "ab" * 32 not in text  # the lookup hash is for matching, not for reading


def test_a_revoked_token_gives_the_reason_with_its_label(entries):
    assert zh(audit_text.describe, entries["revoked"]) == "吊销 laptop：密码已更改"


def test_an_import_gives_its_counts(entries):
    assert zh(audit_text.describe, entries["import"]) == ("customers.csv：共 10 行，新建 7，更新 3")


def test_a_key_the_sentence_does_not_know_falls_back_to_key_and_value(entries):
    text = zh(audit_text.describe, entries["odd"])
    assert text == "导出为 CSV；pages：2"


def test_the_same_entry_reads_in_english_for_an_english_reader(entries):
    assert audit_text.describe(entries["groups"]) == "added to groups: 一线维护, 班长"


def test_showing_sentences_changes_nothing_stored_and_the_chain_still_verifies(entries):
    stored = {pk: details for pk, details in AuditEntry.objects.values_list("pk", "details")}
    for entry in AuditEntry.objects.all():
        zh(audit_text.describe, entry)
    assert dict(AuditEntry.objects.values_list("pk", "details")) == stored
    assert stored[entries["groups"].pk] == {
        "what": "groups",
        "action": "add",
        "items": ["一线维护", "班长"],
    }
    assert audit.verify().ok


def test_the_audit_page_in_chinese_shows_sentences_and_no_raw_detail_codes(entries, auditor):
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(auditor)
    page = client.get(reverse("core:audit")).content.decode()
    assert "添加用户组：一线维护、班长" in page
    assert "导出为 PDF" in page
    for raw in ("what: groups", "format: pdf", "action: add", "list:work_orders"):
        assert raw not in page


# --- change log ------------------------------------------------------------------------------


@pytest.fixture
def closed_order(admin):
    from sqm.complaints.choices import WorkOrderState
    from sqm.complaints.models import WorkOrder
    from tests.complaints.helpers import record

    order = record(admin)
    order = WorkOrder.objects.get(pk=order.pk)  # loaded: the change log knows the state before
    order.state = WorkOrderState.CLOSED
    order.save()
    return order


def test_a_work_order_state_change_reads_with_field_names_and_state_labels(closed_order):
    entry = ChangeLogEntry.objects.filter(object_id=str(closed_order.pk), action="update").first()
    text = zh(changelog_text.describe, entry)
    assert text.startswith(f"修改了工单 {closed_order}：")
    assert re.search(r"状态：\S+ → 已关闭", text), text
    assert "closed" not in text and "state" not in text


def test_a_created_object_reads_as_created(closed_order):
    entry = ChangeLogEntry.objects.filter(object_id=str(closed_order.pk), action="create").first()
    assert zh(changelog_text.describe, entry).startswith("新建了工单 ")


def test_the_change_log_page_in_chinese_shows_what_changed(closed_order, admin):
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(admin)
    page = client.get(reverse("core:changelog")).content.decode()
    assert "已关闭" in page and "变更内容" in page


def test_a_new_assignee_is_named_not_numbered(closed_order, first_line):
    from sqm.complaints.models import WorkOrder

    order = WorkOrder.objects.get(pk=closed_order.pk)
    order.assignee = first_line
    order.save()
    entry = ChangeLogEntry.objects.filter(object_id=str(order.pk), action="update").first()
    ((_entry, text),) = zh(changelog_text.describe_all, [entry])
    assert f"→ {first_line.username}" in text and f"#{first_line.pk}" not in text


def test_every_work_order_list_filter_an_export_may_record_has_a_name_in_the_sentence():
    from sqm.complaints.queries import Filters

    keys = {*Filters.KEYS, *Filters.DATES, "open", "unclaimed", "upgraded", "repeat"}
    keys |= {"selected"}  # a bulk export of the rows picked in the list
    assert keys - set(audit_text.KEY_NAMES) == set()
