"""The complaint side's home panels: each number equals the list it links to, counts only
the user's cities, and reads "overdue" as the SLA module defines it (a suspended order past
its stored deadline is paused, not overdue)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from sqm.complaints import workload
from sqm.complaints.models import Department, WorkOrder
from sqm.complaints.workorders import do_transition
from tests.complaints.helpers import record
from tests.factories import CustomerFactory, UserFactory, city
from tests.home_helpers import follow, read_home

pytestmark = pytest.mark.django_db


def home(client, user):
    client.force_login(user)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    return read_home(response.content.decode())


def overdue(*orders, hours: int = 3) -> None:
    past = timezone.now() - timedelta(hours=hours)
    WorkOrder.objects.filter(pk__in=[o.pk for o in orders]).update(
        resolve_due=past, warn_at=past - timedelta(hours=10)
    )


def near_deadline(*orders) -> None:
    WorkOrder.objects.filter(pk__in=[o.pk for o in orders]).update(
        warn_at=timezone.now() - timedelta(minutes=5)
    )


@pytest.fixture
def lead_orders(people):
    """Nanjing: two late orders (one of them suspended, so paused), one near its deadline,
    one fine, one closed today in time; Suzhou: a late one the Nanjing lead must not count."""
    agent, first = people["agent"], people["first"]
    late = record(agent, description="超时")
    suspended = record(first, description="挂起")
    do_transition(first, suspended, "accept")
    do_transition(first, suspended, "suspend", "等客户在家")
    near = record(agent, description="临近")
    fine = record(first, description="正常")
    sz_agent = UserFactory(username="sz-agent", roles=["hotline_agent"], city_codes=["SZ"])
    suzhou = record(sz_agent, customer=CustomerFactory(city=city("SZ")))
    overdue(late, suspended, suzhou)
    near_deadline(near)
    return {"late": late, "suspended": suspended, "near": near, "fine": fine}


def test_the_agent_sees_their_own_contacts_today_and_open_orders_equal_to_the_queue(client, people):
    agent = people["agent"]
    mine = [record(agent), record(agent)]
    record(UserFactory(username="c-colleague", roles=["hotline_agent"], city_codes=["NJ"]))
    overdue(mine[0])
    panels, figures = home(client, agent)
    assert panels[:2] == ["my_day", "known_faults"]
    value, link = figures["contacts_today"]
    assert value == "2"  # the colleague's contact is theirs
    assert follow(client, link) == 2
    value, link = figures["my_open"]
    assert value == "2" and link == reverse("complaints:queue")
    assert follow(client, link) == 2
    value, link = figures["my_overdue"]
    assert value == "1" and follow(client, link) == 1


def test_the_team_leads_sla_numbers_equal_the_lists_they_link_to(client, people, lead_orders):
    panels, figures = home(client, people["lead"])
    assert {"team_sla", "trend", "workload"} <= set(panels)
    expected = {"team_open": "4", "team_overdue": "1", "team_warning": "1"}
    for key, value in expected.items():
        shown, link = figures[key]
        assert shown == value, key
        assert follow(client, link) == int(value), key


def test_closed_today_and_each_workload_row_link_to_lists_of_exactly_their_orders(
    client, people, lead_orders
):
    WorkOrder.objects.filter(pk=lead_orders["fine"].pk).update(
        state="closed", closed_at=timezone.now(), untimely=False
    )
    panels, figures = home(client, people["lead"])
    value, link = figures["team_closed_today"]
    assert value == "1" and follow(client, link) == 1
    html = client.get(reverse("home")).content.decode()
    rows = {row["username"]: row for row in workload.workload(people["lead"], timezone.now())}
    for username, row in rows.items():
        open_link = f'href="/complaints/orders/?open=1&amp;assignee={username}&amp;record_type="'
        assert open_link in html, username
        shown = follow(client, f"/complaints/orders/?open=1&assignee={username}&record_type=")
        assert shown == row["open"], username
        late = follow(client, f"/complaints/orders/?sla=overdue&assignee={username}&record_type=")
        assert late == row["overdue"], username


def test_a_person_filter_arriving_by_link_is_shown_with_the_persons_name_and_can_be_dropped(
    client, people, lead_orders
):
    client.force_login(people["lead"])
    html = client.get("/complaints/orders/?assignee=c-first&record_type=").content.decode()
    assert 'data-filter="assignee"' in html and "c-first" in html
    assert 'name="assignee" value="c-first"' in html  # kept when the form is sent again


def test_a_suspended_order_past_its_deadline_is_not_counted_overdue_anywhere(people, lead_orders):
    now = timezone.now()
    lead = people["lead"]
    assert workload.team_day(lead, now).overdue == 1
    people_rows = {row["username"]: row for row in workload.workload(lead, now)}
    assert people_rows["c-first"] == {
        "username": "c-first", "name": "c-first", "open": 2, "overdue": 0,
    }  # fmt: skip
    assert people_rows["c-agent"]["overdue"] == 1
    trend = workload.daily_trend(lead, now)
    assert sum(trend["overdue"]) == 1  # the late one; the paused one has missed nothing yet


def test_the_trend_counts_each_day_opened_closed_and_callback_satisfaction(people):
    agent, lead = people["agent"], people["lead"]
    now = timezone.now()
    orders = [record(agent) for _ in range(3)]
    for order, outcome in zip(orders[:2], ("satisfied", "dissatisfied"), strict=True):
        order = do_transition(agent, order, "accept")
        order = do_transition(agent, order, "reply", "已处理")
        order = do_transition(agent, order, "start_callback")
        do_transition(agent, order, "close", "", also={"callback_outcome": outcome})
    three_days_ago = now - timedelta(days=3)
    WorkOrder.objects.filter(pk=orders[2].pk).update(created=three_days_ago)
    trend = workload.daily_trend(lead, now)
    assert len(trend["days"]) == 30 and trend["days"][-1] == timezone.localdate(now).isoformat()
    assert trend["opened"][-1] == 2 and trend["opened"][-4] == 1
    assert trend["closed"][-1] == 2
    assert trend["satisfaction"][-1] == 50 and trend["satisfaction"][-2] is None


def test_the_quality_managers_volume_equals_the_list_it_links_to(client, people):
    agent = people["agent"]
    record(agent)
    record(agent, channel="regulator")  # an upgraded complaint
    old = record(agent)
    WorkOrder.objects.filter(pk=old.pk).update(created=timezone.now() - timedelta(days=40))
    manager = UserFactory(username="c-quality", roles=["quality_manager"], city_codes=["NJ"])
    panels, figures = home(client, manager)
    assert panels[:2] == ["complaint_volume", "analyses"]
    for key, value in {"complaints_30d": "2", "upgraded_30d": "1", "repeats_30d": "0"}.items():
        shown, link = figures[key]
        assert shown == value, key
        assert follow(client, link) == int(value), key


def test_first_and_second_line_see_their_queue_and_their_departments_pool(client, people):
    agent, second = people["agent"], people["second"]
    department = Department.objects.get(code="NET-2L")
    department.members.add(second)
    escalated = []
    for _ in range(2):
        order = do_transition(agent, record(agent), "accept")
        escalated.append(
            do_transition(agent, order, "escalate", "需二线处理", department=department)
        )
    claimed = do_transition(second, escalated[0], "claim")
    overdue(claimed, escalated[1])
    panels, figures = home(client, second)
    assert panels == ["my_queue", "pool"]
    assert figures["queue"][0] == "2"  # the claimed one and the unclaimed escalated one
    assert figures["queue_overdue"][0] == "2"
    assert figures["pool"][0] == "1"
    assert figures["pool_overdue"][0] == "1"
    for key in ("queue", "queue_overdue", "pool", "pool_overdue"):
        shown, link = figures[key]
        if link:  # the pool's page is on its way (helper "lists")
            assert follow(client, link) == int(shown), key


def test_the_home_pages_cost_does_not_grow_with_the_number_of_orders(client, people):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    lead, agent = people["lead"], people["agent"]
    client.force_login(lead)

    def queries_for_home() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("home")).status_code == 200
        return len(captured)

    record(agent)
    queries_for_home()  # the first request after logging in also saves the session
    few = queries_for_home()
    for _ in range(6):
        overdue(record(agent))
    assert queries_for_home() == few


def test_the_trend_puts_an_order_on_its_shanghai_day_either_side_of_midnight(people):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    lead = people["lead"]
    shanghai = ZoneInfo("Asia/Shanghai")
    today = timezone.localdate()
    late = datetime.combine(today - timedelta(days=2), datetime.min.time(), shanghai)
    late = late.replace(hour=23, minute=30)  # 15:30 UTC the same day
    early = late + timedelta(hours=1)  # 00:30 the next Shanghai day, still the same UTC day
    for moment in (late, early):
        order = record(people["agent"])
        WorkOrder.objects.filter(pk=order.pk).update(created=moment)
    trend = workload.daily_trend(lead, timezone.now())
    by_day = dict(zip(trend["days"], trend["opened"], strict=True))
    assert by_day[(today - timedelta(days=2)).isoformat()] == 1
    assert by_day[(today - timedelta(days=1)).isoformat()] == 1
