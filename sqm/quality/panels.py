"""The quality side's home-page panel (registered in QualityConfig.ready()): last month's
short boards (短板) for the quality managers, as the monthly report finds them."""

from __future__ import annotations

from datetime import datetime

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sqm.core.home import Panel, register_panel

SHOWN = 5


def short_boards(user, now: datetime) -> dict | None:
    """The indicators missed at province level and the cities with most misses in the last
    complete month, each linking to the dashboard or to the records behind the figure."""
    if not user.has_perm("quality.view_kpirun"):
        return None
    from sqm.core.models import City
    from sqm.quality import dashboard, report

    month = dashboard.last_complete_month(timezone.localdate(now))
    board = reverse("quality:dashboard")
    context = {
        "title": _("Short boards of %(month)s") % {"month": month.label},
        "month": month.label,
        "more": (f"{board}?month={month.label}", _("Quality dashboard")),
    }
    try:
        boards, indicators = report.short_boards(month, user)
    except report.NoRun:
        return {**context, "missing": True}
    codes = {c.name: c.code for c in City.objects.all()}

    def name(code: str) -> str:
        return indicators[code].name if code in indicators else code

    missed = [
        {
            "code": row["indicator"],
            "name": name(row["indicator"]),
            "value": dashboard.format_value(row["value"], indicators[row["indicator"]].unit),
            "target": dashboard.format_value(row["target"], indicators[row["indicator"]].unit),
            "link": f"{board}?month={month.label}&indicator={row['indicator']}",
        }
        for row in boards["missed"][:SHOWN]
    ]
    cities = []
    for tally in boards["worst_cities"][:SHOWN]:
        city = City(code=codes.get(tally["city"], ""), name=tally["city"])
        cities.append(
            {
                "name": tally["city"],
                "missed": len(tally["missed"]),
                "warning": len(tally["warning"]),
                "indicators": [
                    {
                        "name": name(code),
                        "link": dashboard.drill_url(code, month, city if city.code else None),
                    }
                    for code in tally["missed"][:3]
                ],
            }
        )
    return {
        **context,
        "missed": missed,
        "missed_count": len(boards["missed"]),
        "cities": cities,
    }


def register() -> None:
    register_panel(
        "quality_manager",
        Panel("short_boards", "quality/panels/short_boards.html", short_boards, 40),
    )
