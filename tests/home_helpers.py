"""Reading the home page's panels in tests: each number with the link it carries, and the
number of rows of the list that link opens."""

from __future__ import annotations

from html.parser import HTMLParser


class _Figures(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: dict[str, tuple[str, str]] = {}
        self.panels: list[str] = []
        self._key: str | None = None
        self._href = ""
        self._in_number = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "data-panel" in attrs:
            self.panels.append(attrs["data-panel"])
        if "data-figure" in attrs:
            self._key, self._href = attrs["data-figure"], attrs.get("href") or ""
        elif tag == "strong" and self._key:
            self._in_number = True

    def handle_data(self, data):
        if self._in_number and self._key:
            self.found[self._key] = (data.strip(), self._href)
            self._in_number, self._key = False, None


def read_home(html: str) -> tuple[list[str], dict[str, tuple[str, str]]]:
    """The panels shown (their keys, in order) and each figure as (number text, link)."""
    parser = _Figures()
    parser.feed(html)
    return parser.panels, parser.found


def listed(response) -> int:
    """How many rows the list page in RESPONSE holds: its exact total when it states one,
    else the rows of its only page."""
    context = response.context
    total = context.get("total")
    if total is not None:
        assert not getattr(total, "estimated", False)
        return total.count
    page = context["page"]
    paginator = getattr(page, "paginator", None)
    if paginator is not None:
        return paginator.count
    assert not page.has_next, "the test data fits one page"
    return len(page.rows)


def follow(client, link: str) -> int:
    response = client.get(link)
    assert response.status_code == 200, link
    return listed(response)
