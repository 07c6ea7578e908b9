"""The indicator registry: the shipped definitions, their checks, targets and statuses."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sqm.quality import registry
from sqm.quality.models import Indicator
from sqm.quality.registry import DefinitionError, Targets, load_definitions, status
from sqm.quality.services import set_target
from tests.factories import city

FIXED = {
    "BB-COMPLAINTS-PER-10K": "万客户投诉占比",
    "BB-REPEAT-COMPLAINTS": "重复投诉占比",
    "BB-COMPLAINT-TIMELY": "投诉处理及时率",
    "BB-FAULTS-PER-10K": "万客户报障占比",
    "BB-REPAIR-TIMELY": "障碍修复及时率",
    "BB-REPEAT-FAULTS": "重复报障占比",
    "BB-ACTIVATION-TIMELY": "业务开通及时率",
    "BB-APPOINTMENT-PUNCTUAL": "预约守时率",
    "HL-TRANSFER-TIMELY": "专席转接及时率",
    "BB-INSTALLED-RATE": "实装率",
    "BB-ARPU": "宽带ARPU",
}


def test_the_registry_has_at_least_36_broadband_and_21_dedicated_line_indicators():
    products = [d.product for d in load_definitions()]
    assert products.count("broadband") >= 36
    assert products.count("dedicated") >= 21
    phases = {d.phase for d in load_definitions()}
    assert phases == {"before", "during", "after"}


def test_the_fixed_indicators_keep_their_codes_and_names():
    by_code = registry.definitions_by_code()
    for code, name in FIXED.items():
        assert by_code[code].name_zh == name


def test_docs_kpi_shows_the_definitions_as_shipped():
    text = (Path(__file__).parents[2] / "docs" / "kpi.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- indicators:begin[^\n]*-->\n(.*)<!-- indicators:end -->", text, re.S)
    assert block is not None
    assert block.group(1) == registry.definitions_markdown()


def _write(tmp_path, measure: str, breakdowns: str = "[city]") -> Path:
    path = tmp_path / "indicators.yaml"
    path.write_text(
        f"""
- code: X-TEST
  name_zh: 测试
  name_en: Test
  product: broadband
  phase: during
  unit: ratio
  better: higher
  definition_zh: 测试
  definition_en: test
  breakdowns: {breakdowns}
  measure: {measure}
""",
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize(
    ("measure", "breakdowns", "message"),
    [
        ("{kind: ratio, fact: nothing, flag: in_time}", "[city]", "unknown fact"),
        ("{kind: ratio, fact: repairs, flag: in_tiem}", "[city]", "no column 'in_tiem'"),
        ("{kind: ratio, fact: repairs, flag: in_time}", "[channel]", "cannot break down"),
        ("{kind: ratio, fact: repairs}", "[city]", "needs 'flag'"),
        ("{kind: median, fact: repairs, column: hours}", "[city]", "measure kind"),
        ("{kind: per, fact: repairs, base: accounts_x}", "[city]", "unknown base"),
        ("{kind: per, fact: repairs, base: broadband_accounts}", "[cause]", "base"),
    ],
)
def test_a_definition_naming_what_does_not_exist_is_refused(tmp_path, measure, breakdowns, message):
    with pytest.raises(DefinitionError, match=message):
        load_definitions(_write(tmp_path, measure, breakdowns))


def test_status_follows_the_better_direction_with_a_warning_band():
    assert status(0.95, 0.95, 0.92, "higher") == "met"
    assert status(0.93, 0.95, 0.92, "higher") == "warning"
    assert status(0.91, 0.95, 0.92, "higher") == "missed"
    assert status(15, 15, 20, "lower") == "met"
    assert status(18, 15, 20, "lower") == "warning"
    assert status(21, 15, 20, "lower") == "missed"
    assert status(None, 15, 20, "lower") == ""
    assert status(3, None, None, "lower") == ""


@pytest.mark.django_db
def test_a_city_target_overrides_the_province_target_of_the_year_which_overrides_the_default():
    indicator = Indicator.objects.get(code="BB-REPAIR-TIMELY")
    assert Targets(2026)("BB-REPAIR-TIMELY", "南京") == (0.95, 0.92)
    set_target(indicator, 2026, 0.9, 0.85)
    set_target(indicator, 2026, 0.97, 0.93, city=city("NJ"))
    targets = Targets(2026)
    assert targets("BB-REPAIR-TIMELY", "南京") == (0.97, 0.93)
    assert targets("BB-REPAIR-TIMELY", "无锡") == (0.9, 0.85)
    assert targets("BB-REPAIR-TIMELY") == (0.9, 0.85)
    assert Targets(2027)("BB-REPAIR-TIMELY", "南京") == (0.95, 0.92)


@pytest.mark.django_db
def test_setting_a_target_is_change_logged():
    from sqm.core.models import ChangeLogEntry

    indicator = Indicator.objects.get(code="BB-ARPU")
    row = set_target(indicator, 2026, 50, 45)
    set_target(indicator, 2026, 52, 45)
    entries = ChangeLogEntry.objects.filter(object_id=str(row.pk))
    assert entries.count() == 2


@pytest.mark.django_db
def test_syncing_the_registry_keeps_the_targets_users_set():
    indicator = Indicator.objects.get(code="BB-ARPU")
    set_target(indicator, 2026, 50, 45)
    registry.sync()
    assert indicator.targets.get(year=2026).target == 50
    assert Indicator.objects.count() == len(load_definitions())
