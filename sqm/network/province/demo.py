"""The network in the demo: the generated alarms taken through live ingestion."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext

from sqm.network.alarms import read_alarm_lines
from sqm.network.ingest import ingest

# Days of the generated alarm stream taken into the live fault path, ending today.
DEMO_ALARM_DAYS = 7


def load_alarm_history(load, days: int = DEMO_ALARM_DAYS) -> None:
    """Take the last DAYS of the generated alarm stream through live ingestion, so the NOC
    pages and the agents' pre-processing show faults (those still open at midnight are
    active)."""
    path = load.file("alarms")
    if not path.exists():
        return
    with path.open("rb") as handle:
        alarms, _errors = read_alarm_lines(handle)  # the generator writes no bad lines
    since = timezone.now() - timedelta(days=days)
    raised = {a.alarm_id for a in alarms if a.event == "raise" and a.occurred_at >= since}
    recent = sorted(
        (a for a in alarms if a.alarm_id in raised), key=lambda a: (a.occurred_at, a.line)
    )
    load.say(gettext("ingesting %(n)s alarm events of the last %(days)s days") % {
        "n": f"{len(recent):,}", "days": days})  # fmt: skip
    for start in range(0, len(recent), 2000):
        ingest(recent[start : start + 2000])
