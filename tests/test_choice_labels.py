"""Choice labels say the right thing in Chinese: one English word may need different Chinese
in different domains (a closed work order is 已关闭, a closed account 拆机), so a word that
labels members of more than one choice set carries a translation context in each, and every
label has its zh-hans translation in the catalogue."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections import defaultdict

import pytest
from django.db.models import Choices
from django.utils import translation

import sqm
from tests.test_translations import PO, parse_po

SKIPPED_MODULES = (".migrations", ".management", ".generator")


def choice_sets() -> list[type[Choices]]:
    found: dict[str, type[Choices]] = {}
    for module in pkgutil.walk_packages(sqm.__path__, "sqm."):
        if any(part in module.name for part in SKIPPED_MODULES):
            continue
        loaded = importlib.import_module(module.name)
        for obj in vars(loaded).values():
            if (
                inspect.isclass(obj)
                and issubclass(obj, Choices)
                and obj.__module__ == loaded.__name__
            ):
                found[f"{obj.__module__}.{obj.__qualname__}"] = obj
    return [found[name] for name in sorted(found)]


def labels(choices: type[Choices]) -> list[tuple[str | None, str]]:
    """(context, msgid) of each member's label, read from the lazy translation proxy."""
    out = []
    for member in choices:
        label = member.label
        args = getattr(label, "_args", None)  # Django's lazy proxy keeps its call's arguments
        if args is None:  # a plain string: never translated
            out.append((None, str(label)))
        elif len(args) == 2:
            out.append((args[0], args[1]))
        else:
            out.append((None, args[0]))
    return out


def test_the_scan_finds_the_choice_sets_of_every_domain():
    names = {c.__name__ for c in choice_sets()}
    assert {"WorkOrderState", "AccountStatus", "FaultState", "MessageState"} <= names


def test_a_word_that_labels_members_of_several_choice_sets_has_a_context_in_each():
    uses = defaultdict(list)
    for choices in choice_sets():
        for context, msgid in labels(choices):
            uses[msgid].append((choices.__qualname__, context))
    shared = {
        msgid: where for msgid, where in uses.items() if len({name for name, _context in where}) > 1
    }
    missing = {msgid: where for msgid, where in shared.items() if any(c is None for _n, c in where)}
    assert not missing, f"shared label words without a translation context: {missing}"


def test_every_choice_label_has_its_zh_hans_translation():
    catalogue = {
        (entry.msgctxt, entry.msgid): entry.translation
        for entry in parse_po(PO.read_text(encoding="utf-8"))
        if entry.msgid
    }
    untranslated = [
        (choices.__qualname__, context, msgid)
        for choices in choice_sets()
        for context, msgid in labels(choices)
        if not catalogue.get((context, msgid))
    ]
    assert not untranslated, untranslated


@pytest.mark.parametrize(
    ("choice", "chinese"),
    [
        ("sqm.complaints.choices.WorkOrderState.CLOSED", "已关闭"),
        ("sqm.complaints.choices.WorkOrderState.SUSPENDED", "已挂起"),
        ("sqm.customers.choices.AccountStatus.CLOSED", "拆机"),
        ("sqm.customers.choices.AccountStatus.SUSPENDED", "停机"),
        ("sqm.network.choices.FaultState.ACTIVE", "故障中"),
        ("sqm.customers.choices.AccountStatus.ACTIVE", "在用"),
    ],
)
def test_the_same_word_reads_as_its_domain_means_it(choice, chinese):
    module, cls, member = choice.rsplit(".", 2)
    value = getattr(getattr(importlib.import_module(module), cls), member)
    with translation.override("zh-hans"):
        assert str(value.label) == chinese


def test_the_sla_column_speaks_chinese_for_a_paused_and_a_closed_order():
    from sqm.complaints.queries import SLA_LABELS

    with translation.override("zh-hans"):
        assert str(SLA_LABELS["paused"]) == "已暂停"
        assert str(SLA_LABELS["done"]) == "已关闭"


def test_the_work_order_list_in_chinese_says_suspended_and_gives_the_date_range_in_chinese(admin):
    from django.test import Client

    from sqm.complaints.choices import WorkOrderState
    from sqm.complaints.models import WorkOrder
    from tests.complaints.helpers import record

    order = record(admin)
    WorkOrder.objects.filter(pk=order.pk).update(state=WorkOrderState.SUSPENDED)
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(admin)
    page = client.get("/complaints/orders/", {"record_type": ""}).content.decode()
    assert order.number in page
    assert "已挂起" in page and "停机" not in page and "拆机" not in page
    assert "已暂停" in page  # the SLA column of a suspended order
    assert "新状态" not in page  # the date range's "to" is 至


def test_an_alarm_severity_is_shown_in_chinese():
    from sqm.network.templatetags.network_labels import severity

    with translation.override("zh-hans"):
        assert [severity(v) for v in ("critical", "major", "minor", "odd")] == [
            "紧急",
            "重要",
            "次要",
            "odd",
        ]


def test_an_alarm_type_code_is_shown_in_chinese_and_an_unknown_one_as_sent():
    from sqm.network.templatetags.network_labels import alarm_type

    with translation.override("zh-hans"):
        assert alarm_type("power-off") == "断电"
        assert alarm_type("link-down") == "链路中断"
        assert alarm_type("vendor-specific-42") == "vendor-specific-42"
