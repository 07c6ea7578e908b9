"""The demo's quality facts: import the seven files, then compute the indicators of the last
twelve complete months and of the current one, so the dashboard and the report have runs."""

from __future__ import annotations

from datetime import date

from django.utils.translation import gettext

from sqm.quality.province import DEMO_FACT_MONTHS, FILES


def load_facts(load) -> None:
    from sqm.quality.facts import Month
    from sqm.quality.services import compute_now

    if not load.wrote("repairs"):
        return
    for kind in FILES:  # circuits before their outages
        load.import_file(kind)
    load.say(
        gettext("computing the service-quality indicators of the last %(n)s months")
        % {"n": DEMO_FACT_MONTHS + 1}
    )
    current = Month(date(load.today.year, load.today.month, 1))
    for back in range(DEMO_FACT_MONTHS, -1, -1):
        compute_now(current.shifted(-back), breakdowns=("province", "city"))
    # The last complete month's issue of the monthly report, as a draft for the quality
    # manager to write and publish.
    from sqm.quality.report_services import create_report

    create_report(current.shifted(-1), compute=False)
