"""Hot topics, rising topics and clusters of similar unlinked work orders."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from sqm.complaints.models import Category, WorkOrder
from sqm.knowledge import analysis, problems
from tests.complaints.helpers import record
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def second(db):
    return UserFactory(username="an-second", roles=["second_line"], city_codes=["NJ"])


@pytest.fixture
def agent(db):
    return UserFactory(username="an-agent", roles=["hotline_agent"], city_codes=["NJ"])


def days_ago(order, days: int) -> None:
    WorkOrder.objects.filter(pk=order.pk).update(created=timezone.now() - dt.timedelta(days=days))


def test_the_hot_topics_and_the_rising_ones_of_a_week(second, agent):
    for _ in range(5):
        record(agent, description="光猫红灯闪烁，宽带断网")
    for _ in range(3):
        record(agent, description="话费扣费有异议")
    for _ in range(4):
        days_ago(record(agent, description="话费扣费有异议"), 10)
    today = timezone.localdate()
    result = analysis.analyse(second, today - dt.timedelta(days=6), today)
    assert result.orders == 8
    texts = [t.text for t in result.topics]
    assert "光猫" in texts or "光猫红灯" in texts
    rising = {t.text: t for t in result.rising}
    assert any("光猫" in t for t in rising)  # new this week
    assert "扣费" not in rising  # said as often the week before


def test_similar_unlinked_orders_form_a_cluster_that_opens_a_problem(second, agent):
    similar = [record(agent, description=f"晚上宽带频繁掉线，光猫重启后恢复{n}") for n in range(4)]
    record(agent, description="营业厅排队时间太长")
    today = timezone.localdate()
    (cluster,) = analysis.analyse(second, today, today).clusters
    assert {o.pk for o in cluster.orders} == {o.pk for o in similar}
    assert "掉线" in cluster.words or "频繁" in cluster.words
    problems.open_problem(
        second, module=Category.objects.get(code="NQ.BB"), title="掉线", symptom="晚上掉线",
        orders=cluster.orders,
    )  # fmt: skip
    assert analysis.analyse(second, today, today).clusters == []  # linked: no longer offered


def test_the_analysis_reads_only_the_users_cities(agent):
    record(agent, description="光猫红灯闪烁")
    outsider = UserFactory(username="an-sz", roles=["second_line"], city_codes=["SZ"])
    today = timezone.localdate()
    assert analysis.analyse(outsider, today, today).orders == 0


def test_the_analysis_page_shows_topics_and_a_cluster_with_its_open_a_problem_link(
    client, second, agent
):
    orders = [record(agent, description=f"晚上宽带频繁掉线，光猫重启后恢复{n}") for n in range(3)]
    client.force_login(second)
    page = client.get("/knowledge/analysis/").content.decode()
    assert 'id="topics"' in page and 'id="clusters"' in page
    assert "/knowledge/problems/new/?orders=" in page
    assert all(str(o.pk) in page for o in orders)
    assert client.get("/knowledge/analysis/", {"from": "x", "to": "2026-99-01"}).status_code == 200
