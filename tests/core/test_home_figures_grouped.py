"""Home-panel figures read as numbers with thousands grouped (the admin's home printed 20000
and 15838): Django's zh-hans formats set no separator, ours group by thousands with ","."""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string
from django.utils import translation

from sqm.core.home import Figure


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_panel_figures_and_rows_group_thousands_with_a_comma(language):
    context = {
        "panel_key": "numbers",
        "title": "t",
        "figures": [Figure("customers", "customers", 20000), Figure("ratio", "ratio", "–")],
        "rows": [("移动电话", 15838, ""), ("IPTV", 2255, "/customers/")],
    }
    with translation.override(language):
        html = render_to_string("core/panels/numbers.html", context)
    assert "<strong>20,000</strong>" in html and "<strong>–</strong>" in html
    assert ">15,838<" in html and ">2,255</a>" in html
    assert "20000" not in html and "15838" not in html
