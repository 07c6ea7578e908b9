"""The order page's side panels read the SLA module's one definition: a suspended order is
paused, never overdue, so it is asked a reason for a breach only when its deadline had
passed before it was suspended (sla.missed_deadline), and then says so (docs/sla.md)."""

import re
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from sqm.complaints import records, sla
from sqm.complaints.models import WorkOrder
from sqm.complaints.workorders import do_transition
from tests.complaints.helpers import record

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english_pages(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


def suspended_order(people, *, deadline_passed_before: bool) -> WorkOrder:
    order = record(people["agent"])
    do_transition(people["agent"], order, "accept")
    order = do_transition(people["agent"], order, "suspend", "等客户在家")
    now = timezone.now()
    # The stored deadline has passed either way; only when it passed matters.
    suspended_at = now - timedelta(hours=2 if deadline_passed_before else 10)
    WorkOrder.objects.filter(pk=order.pk).update(
        suspended_at=suspended_at, resolve_due=now - timedelta(hours=5)
    )
    return WorkOrder.objects.get(pk=order.pk)


def test_a_suspended_order_past_its_stored_deadline_offers_no_breach_reason(client, people):
    order = suspended_order(people, deadline_passed_before=False)
    assert sla.status(order, timezone.now()) == "paused"
    client.force_login(people["lead"])
    response = client.get(reverse("complaints:order", args=[order.pk]))
    html = response.content.decode()
    assert response.context["can_record_breach"] is False
    assert 'id="breach-form"' not in html and "Deadline missed" not in html
    assert 'id="clock-paused"' in html  # the past deadline is explained as paused
    with pytest.raises(ValidationError):
        records.record_breach_reason(people["lead"], order, "客户不在家")


def test_an_order_suspended_after_missing_its_deadline_says_so(client, people):
    order = suspended_order(people, deadline_passed_before=True)
    assert sla.status(order, timezone.now()) == "paused"
    client.force_login(people["lead"])
    html = client.get(reverse("complaints:order", args=[order.pk])).content.decode()
    assert "Deadline missed before the suspension" in html
    assert records.record_breach_reason(people["lead"], order, "挂起前未联系上").breach_reason


def test_an_order_replied_in_time_is_no_breach_once_its_deadline_passes(client, people):
    order = record(people["agent"])
    for action, note in (("accept", ""), ("reply", "已处理")):
        order = do_transition(people["agent"], order, action, note)
    now = timezone.now()
    WorkOrder.objects.filter(pk=order.pk).update(
        replied_at=now - timedelta(hours=3), resolve_due=now - timedelta(hours=1)
    )
    order = WorkOrder.objects.get(pk=order.pk)
    assert not sla.missed_deadline(order, now)
    client.force_login(people["lead"])
    html = client.get(reverse("complaints:order", args=[order.pk])).content.decode()
    assert 'id="breach-form"' not in html


def test_a_running_order_past_its_deadline_is_overdue_and_asked_a_reason(client, people):
    order = record(people["agent"])
    WorkOrder.objects.filter(pk=order.pk).update(resolve_due=timezone.now() - timedelta(hours=1))
    order = WorkOrder.objects.get(pk=order.pk)
    assert sla.status(order, timezone.now()) == "overdue"
    client.force_login(people["lead"])
    html = client.get(reverse("complaints:order", args=[order.pk])).content.decode()
    assert 'id="breach-form"' in html and "Deadline missed before" not in html


def test_a_closed_orders_header_says_closed_once(client, people):
    """The state badge says closed; an SLA badge saying closed again is not shown."""
    order = record(people["agent"])
    WorkOrder.objects.filter(pk=order.pk).update(state="closed", closed_at=timezone.now())
    client.force_login(people["lead"])
    for language in ("en", "zh-hans"):
        html = client.get(
            reverse("complaints:order", args=[order.pk]), HTTP_ACCEPT_LANGUAGE=language
        ).content.decode()
        header = html[html.index("<h1>") : html.index("</h1>")]
        assert 'id="state"' in header and 'id="sla"' not in header
        text = re.sub(r"<[^>]+>", " ", header)  # the words shown, not the attributes
        word = "closed" if language == "en" else "已关闭"
        assert text.count(word) == 1, text


def test_an_open_orders_header_keeps_its_sla_badge(client, people):
    order = record(people["agent"])
    client.force_login(people["lead"])
    html = client.get(reverse("complaints:order", args=[order.pk])).content.decode()
    assert 'id="sla"' in html[html.index("<h1>") : html.index("</h1>")]
