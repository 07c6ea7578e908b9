"""Taking an order on from a colleague reads as a take, not as "X gave it to X"
(issue 12): the colleague's notice and the order's timeline."""

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import pgettext

from sqm.complaints import notices
from sqm.complaints.models import Department
from sqm.complaints.workorders import do_assign, do_transition
from sqm.core.models import Notification
from tests.complaints.helpers import record
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def taken(people, django_capture_on_commit_callbacks):
    """An escalated order c-second handles, then taken on by c-second2 of the department."""
    department = Department.objects.get(code="NET")
    second2 = UserFactory(username="c-second2", roles=["second_line"], city_codes=["NJ"])
    department.members.add(people["second"], second2)
    with django_capture_on_commit_callbacks(execute=True):
        order = do_transition(people["first"], record(people["agent"]), "accept")
        order = do_transition(people["first"], order, "escalate", "需二线排查", department)
        order = do_assign(people["second"], order, people["second"])
        order = do_assign(second2, order, second2)
    return order


def test_the_colleague_is_told_the_order_was_taken_not_given_by_the_taker_to_themself(taken):
    note = Notification.objects.get(kind=notices.TAKEN_OVER)
    assert note.user.username == "c-second"
    with translation.override("zh-hans"):
        text = note.message()
    # The catalogue says 「工单 X 已由 c-second2 领取，不再由你处理。」
    assert "分派给" not in text and "c-second2" in text and taken.number in text
    english = note.message()
    assert english == f"Work order {taken.number} was taken on by c-second2; it is no longer yours."


def test_a_lead_giving_the_order_to_someone_else_still_reads_as_given(people, taken):
    with translation.override("zh-hans"):
        text = notices.RENDERERS[notices.TAKEN_OVER](
            {"number": taken.number, "by": "c-lead", "to": "c-second2"}
        )
    assert "c-lead 已将其分派给 c-second2" in text


def test_the_timeline_shows_a_take_as_take_without_the_name_twice(client, taken):
    client.force_login(taken.assignee)
    page = client.get(
        reverse("complaints:order", args=[taken.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()
    timeline = page[page.index('id="timeline"') :]
    timeline = timeline[: timeline.index("</ol>")]
    with translation.override("zh-hans"):
        take = pgettext("work order action", "take")  # 领取
    assert f"<strong>{take}</strong>" in timeline
    assert '→ <span class="assigned-to">c-second2' not in timeline
    assert "<strong>分派</strong>" not in timeline
