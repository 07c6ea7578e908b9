"""The top menu in Chinese at common laptop widths: no label breaks inside a word (the admin's
"受理登/记", "工/单" at 1400 px), every item stays on the screen and clear of the user's
corner, for the role with the most items (administrator) and one other.

Screenshots land in var/screenshots/nav-<role>-<width>.png to be looked at by eye."""

from __future__ import annotations

import pytest

from tests.browser.conftest import SCREENSHOTS, login
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

# Per nav item: its label's line boxes (1 when the label is on one line) and its box.
MEASURE = """() => {
  const user = document.querySelector('header.top .user').getBoundingClientRect();
  return [...document.querySelectorAll('header.top nav a')].map(a => {
    const range = document.createRange();
    range.selectNodeContents(a);
    const lines = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
    const box = a.getBoundingClientRect();
    const overlapsUser = !(box.right <= user.left || box.left >= user.right ||
                           box.bottom <= user.top || box.top >= user.bottom);
    return {label: a.textContent.trim(), lines: lines.size, right: box.right, overlapsUser};
  });
}"""


@pytest.mark.parametrize("width", [1280, 1400])
@pytest.mark.parametrize("role", ["administrator", "quality_manager"])
def test_no_menu_label_breaks_inside_a_word_and_every_item_stays_visible(
    new_page, live_server, role, width
):
    extra = {"is_superuser": True, "is_staff": True} if role == "administrator" else {}
    user = UserFactory(username=f"nav-{role}", roles=[role], all_cities=True, **extra)
    page = new_page()
    page.set_viewport_size({"width": width, "height": 800})
    login(page, live_server, user)
    items = page.evaluate(MEASURE)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"nav-{role}-{width}.png")
    assert len(items) >= 5, items
    broken = [item["label"] for item in items if item["lines"] != 1]
    assert broken == [], f"labels broken across lines at {width} px: {broken}"
    assert all(item["right"] <= width for item in items), items
    assert not any(item["overlapsUser"] for item in items), items
