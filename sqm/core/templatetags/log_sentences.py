"""The audit log and the change log read as sentences in the reader's language."""

from __future__ import annotations

from django import template

from sqm.core import audit_text, changelog_text

register = template.Library()


@register.filter
def audit_sentence(entry) -> str:
    """An audit entry's details (`{"what": "groups", …}` → 添加用户组：一线维护)."""
    return audit_text.describe(entry)


@register.filter
def audit_target(target: str) -> str:
    """An audit target (`user:alice` → 用户 alice)."""
    return audit_text.describe_target(target)


@register.filter
def change_sentence(entry) -> str:
    """A change-log entry (修改了 工单 WO-1：状态：待处理 → 已关闭)."""
    return changelog_text.describe(entry)


@register.simple_tag
def change_sentences(entries) -> list:
    """(entry, sentence) for a page of change-log entries, related objects read by name in
    one query per model (`{% change_sentences page as rows %}`)."""
    return changelog_text.describe_all(entries)


@register.filter
def audit_actor(entry) -> str:
    """Who made an audit entry: a user's name, or `system` → 系统."""
    return audit_text.audit_actor(entry)


@register.simple_tag
def change_rows(entries) -> list:
    """(entry, actor, object name, sentence) for a page of change-log entries, in the
    reader's language (`{% change_rows page as rows %}`)."""
    return changelog_text.rows(entries)
