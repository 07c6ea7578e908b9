"""What a quality manager reads on the report's short boards and the dashboard's short-board
tile, in Chinese: a missed figure in hours says "小时" (the list names no unit column), and
the tile's counts and names are joined with Chinese punctuation."""

from __future__ import annotations

import pytest
from django.utils import translation

from sqm.quality import report
from sqm.quality.facts import Month
from sqm.quality.report_exports import presentation
from tests.quality.report_helpers import make_run

pytestmark = pytest.mark.django_db

HOURS = "BB-COMPLAINT-HOURS-P95"  # hours, lower is better, target 96


def test_a_missed_indicator_in_hours_shows_its_hours_on_the_reports_short_boards():
    make_run("2026-09", {(HOURS, ""): 90.0, (HOURS, "南京"): 90.0})
    make_run("2026-10", {(HOURS, ""): 128.7, (HOURS, "南京"): 150.0})
    figures = report.build(Month.parse("2026-10"))
    with translation.override("zh-hans"):
        shown = presentation(figures)
    missed = {row["code"]: row for row in shown["missed"]}
    assert missed[HOURS]["value"] == "128.7 小时"
    assert missed[HOURS]["target"] == "96.0 小时"
    worse = [row for row in shown["deteriorations"] if row["code"] == HOURS]
    assert worse and worse[0]["value"].endswith(" 小时") and worse[0]["change"].endswith(" 小时")
