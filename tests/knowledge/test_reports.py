"""The handler's four monthly measures."""

from __future__ import annotations

import pytest
from django.utils import timezone

from sqm.complaints.models import WorkOrder
from sqm.complaints.workorders import do_transition
from sqm.knowledge import reports
from tests.complaints.helpers import record
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_each_handlers_timeliness_satisfaction_first_time_resolution_and_accuracy(db):
    agent = UserFactory(username="r-agent", roles=["hotline_agent"], city_codes=["NJ"])
    lead = UserFactory(username="r-lead", roles=["team_lead"], city_codes=["NJ"])
    orders = []
    for n in range(2):
        order = record(agent, description=f"网速慢{n}")
        order = do_transition(agent, order, "accept")
        order = do_transition(agent, order, "reply", "已处理")
        orders.append(order)
    for order in orders:
        do_transition(agent, WorkOrder.objects.get(pk=order.pk), "start_callback")
    WorkOrder.objects.filter(pk=orders[0].pk).update(callback_outcome="satisfied")
    WorkOrder.objects.filter(pk=orders[1].pk).update(callback_outcome="dissatisfied")
    for order in orders:
        do_transition(agent, WorkOrder.objects.get(pk=order.pk), "close")
    WorkOrder.objects.filter(pk=orders[0].pk).update(untimely=True)  # closed past its deadline
    rows = reports.handler_measures(lead, timezone.localdate())
    (mine,) = [r for r in rows if r.handler == agent.username]
    assert (mine.closed, mine.timely, mine.rated, mine.satisfied) == (2, 1, 2, 1)
    assert mine.first_time_resolution == 1.0 and mine.accuracy == 1.0
    assert mine.timeliness == 0.5 and mine.satisfaction == 0.5


def test_the_handler_page_and_its_workbook_for_a_team_lead_only(client, db):
    lead = UserFactory(username="r-lead2", roles=["team_lead"], city_codes=["NJ"])
    agent = UserFactory(username="r-agent2", roles=["hotline_agent"], city_codes=["NJ"])
    client.force_login(lead)
    assert (
        'id="handlers"' in client.get("/knowledge/handlers/", {"month": "2026-13"}).content.decode()
    )
    book = client.get("/knowledge/handlers/", {"format": "xlsx"})
    assert book.status_code == 200 and book["Content-Type"].startswith("application/vnd.openxml")
    client.force_login(agent)
    assert client.get("/knowledge/handlers/").status_code == 403
