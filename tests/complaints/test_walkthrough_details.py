"""Small findings of the issue 12 walk-through on the complaint side: the export's flags read
是/否; the first line's queue figure is not labelled like its panel; the pool separates its
departments with 、; a batch cause recorded for a fault event links to the fault as
"fault event #N"; callback satisfaction counts the dissatisfied verdict that reopened an
order, so it is not 100 % day after day."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook

from sqm.complaints import panels, workload
from sqm.complaints.models import ComplaintCause, Department
from sqm.complaints.workorders import do_transition, record_callback
from tests.complaints.helpers import record

pytestmark = pytest.mark.django_db


def test_the_export_writes_yes_and_no_for_its_flags(client, people):
    record(people["agent"], channel="regulator")  # upgraded
    record(people["agent"])
    client.force_login(people["lead"])
    response = client.get(
        reverse("complaints:order_export"), {"open": "1"}, HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    rows = list(load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.values)
    column = rows[0].index("升级投诉")
    assert sorted(row[column] for row in rows[1:]) == ["否", "是"]


def test_the_queue_figure_is_not_labelled_like_its_panel(people):
    with translation.override("zh-hans"):
        panel = panels.my_queue(people["first"], timezone.now())
        figure = panel["figures"][0]
        assert figure.key == "queue" and str(figure.label) != str(panel["title"])
    assert str(figure.label) == "work orders to do"


def test_the_pool_separates_its_departments(client, people):
    second = people["second"]
    second.departments.add(*Department.objects.filter(code__in=["NET", "CS"]))
    client.force_login(second)
    html = client.get(reverse("complaints:pool"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    names = sorted(Department.objects.filter(code__in=["NET", "CS"]).values_list("name", flat=True))
    line = html[html.index('id="pool-departments"') :].split("</p>", 1)[0]
    assert "</span>、<span" in line and all(name in line for name in names)


def test_a_cause_of_a_fault_event_links_to_the_fault(client, people):
    cause = ComplaintCause.objects.create(
        kind="network_fault", title="玄武区断网", started_at=timezone.now(),
        reference="fault-event:3100",
    )  # fmt: skip
    other = ComplaintCause.objects.create(
        kind="billing_run", title="计费批次", started_at=timezone.now(), reference="BILL-7"
    )
    assert (cause.referenced_fault_id, other.referenced_fault_id) == (3100, None)
    client.force_login(people["lead"])
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    html = client.get(reverse("complaints:cause", args=[cause.pk])).content.decode()
    fault_url = reverse("network:fault", args=[3100])
    assert f'href="{fault_url}"' in html and "fault event #3100" in html
    assert "fault-event:3100" not in html
    listed = client.get(reverse("complaints:causes")).content.decode()
    assert f'href="{fault_url}"' in listed and "BILL-7" in listed


def called_back(people, *outcomes):
    """An order replied to and called back with OUTCOMES (dissatisfied reopens it)."""
    agent, lead = people["agent"], people["lead"]
    order = record(agent)
    order = do_transition(agent, order, "accept")
    for outcome in outcomes:
        order = do_transition(agent, order, "reply", "已处理")
        order = do_transition(agent, order, "start_callback")
        order = record_callback(agent, order, outcome, "回访记录", remediation_owner=lead)
    return order


def test_a_dissatisfied_callback_that_reopened_an_order_still_counts(people):
    called_back(people, "dissatisfied", "satisfied")  # remediated, then satisfied
    called_back(people, "satisfied")
    now = timezone.now()
    trend = workload.daily_trend(people["lead"], now)
    # Three verdicts today: dissatisfied, satisfied (after remediation), satisfied.
    assert trend["satisfaction"][-1] == 67
    assert workload.volume(people["lead"], now).satisfaction == 67
