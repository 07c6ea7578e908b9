"""An imported history record's timeline tells how it got to its state: the steps the file
knows at their own times (opened, replied, closed) and, where the file does not say when the
record reached its state (escalated, suspended, awaiting callback…), one step "imported from
the history" into that state, naming the department, at the import's time (a suspension: at
the time the order's header says its clock stopped)."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

import sqm.complaints.importers  # noqa: F401 - registers the importer
from sqm.complaints.models import WorkOrder
from sqm.core.importing import run_import
from tests.complaints.test_history_import import open_order, record, write_jsonl
from tests.factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db

REPLIED_AT = "2026-05-11T09:30:00+08:00"


def steps(number: str) -> list[tuple]:
    order = WorkOrder.objects.get(number=number)
    return [
        (e.action, e.from_state, e.to_state, e.department.code if e.department else None)
        for e in order.events.select_related("department").order_by("time", "id")
    ]


@pytest.fixture
def imported(tmp_path):
    CustomerFactory(customer_id="C1")
    replied = {"replied_at": REPLIED_AT, "reply": "已处理，网速恢复。"}
    records = [
        open_order("H-ESC", "C1"),
        open_order("H-SUS", "C1", state="suspended"),
        open_order("H-REP", "C1", state="replied", **replied),
        open_order("H-AWC", "C1", state="awaiting_callback", department=None, **replied),
        open_order(
            "H-CLO",
            "C1",
            state="closed",
            closed_at="2026-05-12T10:00:00+08:00",
            callback_outcome="satisfied",
            **replied,
        ),  # fmt: skip
        record("H-DIR", "C1"),  # a direct answer, closed as it was given
    ]
    before = timezone.now()
    assert run_import("complaints", write_jsonl(tmp_path / "h.jsonl", records)).ok
    return before


def test_an_escalated_or_suspended_record_is_imported_into_its_state(imported):
    assert steps("H-ESC") == [("open", "", "new", None), ("import", "new", "escalated", "NET-2L")]
    assert steps("H-SUS") == [("open", "", "new", None), ("import", "new", "suspended", "NET-2L")]
    escalated = WorkOrder.objects.get(number="H-ESC").events.get(action="import")
    assert escalated.time >= imported  # when it was imported: the file does not say when


def test_a_suspended_records_step_is_dated_when_its_clock_stopped_not_at_the_import(imported):
    """The header says "paused since" the order's suspended_at; the timeline agrees,
    instead of an import-time step days after the pause began."""
    order = WorkOrder.objects.get(number="H-SUS")
    step = order.events.get(action="import")
    assert order.suspended_at is not None and order.suspended_at < imported
    assert step.time == order.suspended_at
    assert step.time >= order.created


def test_a_closed_records_steps_chain_from_the_reply_to_the_closing(imported):
    """No jump from replied to a callback state no step led to: after the reply (which names
    the state the order was handled in), each step starts where the previous one ended."""
    for number in ("H-CLO", "H-DIR", "H-REP", "H-AWC", "H-SUS", "H-ESC"):
        chain = steps(number)
        for before, after in zip(chain, chain[1:], strict=False):
            if after[0] != "reply":
                assert after[1] == before[2], (number, chain)
    assert steps("H-CLO")[-1] == ("close", "replied", "closed", None)


def test_the_reply_and_closing_are_steps_at_their_own_times(imported):
    assert steps("H-REP") == [("open", "", "new", None), ("reply", "escalated", "replied", None)]
    reply = WorkOrder.objects.get(number="H-REP").events.get(action="reply")
    assert reply.time == datetime.fromisoformat(REPLIED_AT) and reply.note == "已处理，网速恢复。"
    assert steps("H-AWC") == [
        ("open", "", "new", None),
        ("reply", "in_progress", "replied", None),
        ("import", "replied", "awaiting_callback", None),
    ]
    assert [s[0] for s in steps("H-CLO")] == ["open", "reply", "close"]
    assert [s[0] for s in steps("H-DIR")] == ["open", "close"]
    closing = WorkOrder.objects.get(number="H-DIR").events.get(action="close")
    assert closing.note == "已向客户解释，客户接受。"  # a direct answer keeps its reply


def test_the_order_page_shows_the_imported_step_with_its_state_and_department(client, imported):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.force_login(UserFactory(roles=["team_lead"], city_codes=["NJ"]))
    order = WorkOrder.objects.get(number="H-SUS")
    html = client.get(reverse("complaints:order", args=[order.pk])).content.decode()
    assert 'data-action="import"' in html
    assert "imported from the history" in html and "new → suspended" in html
