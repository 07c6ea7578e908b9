"""Notifications of what a person must act on: who is told about a work order, and who not.

Each kind: the people who must act get one notification linking to the order; the one who
acted, colleagues with nothing to do and staff of another city get none. Notifications are
written after the change commits (`django_capture_on_commit_callbacks`).
"""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation

from sqm.complaints import notices, sla
from sqm.complaints.models import Department, WorkOrder
from sqm.complaints.records import add_attachment
from sqm.complaints.workorders import do_transition, record_callback
from sqm.core.models import Notification
from tests.complaints.helpers import record
from tests.factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def act(django_capture_on_commit_callbacks):
    """Run a lifecycle step and its after-commit notifications."""

    def run(function, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return function(*args, **kwargs)

    return run


@pytest.fixture
def net(people):
    """The network department: a Nanjing and a Suzhou second-line member, and a Nanjing
    first-line member who may not handle escalated orders."""
    department = Department.objects.get(code="NET")
    sz_second = UserFactory(username="c-sz-second", roles=["second_line"], city_codes=["SZ"])
    department.members.add(people["second"], sz_second, people["first"])
    return department


def told(kind: str, order: WorkOrder | None = None) -> set[str]:
    notes = Notification.objects.filter(kind=kind, read_at__isnull=True)
    if order is not None:
        notes = notes.filter(link=reverse("complaints:order", args=[order.pk]))
    return set(notes.values_list("user__username", flat=True))


def test_an_escalation_tells_the_departments_handlers_in_the_orders_city_only(act, people, net):
    order = act(do_transition, people["first"], record(people["agent"]), "accept")
    act(do_transition, people["first"], order, "escalate", "需二线排查", net)
    # Not the Suzhou member, not the first-line member (may not take it on), not the agent.
    assert told(notices.ESCALATED, order) == {"c-second"}
    note = Notification.objects.get(kind=notices.ESCALATED)
    assert note.link == reverse("complaints:order", args=[order.pk])
    assert note.params == {
        "number": order.number,
        "department": net.name,
        "transfer": False,
    }
    assert order.number in note.message() and net.name in note.message()


def test_taking_an_escalated_order_on_clears_the_departments_notices(act, people, net):
    other = UserFactory(username="c-second-2", roles=["second_line"], city_codes=["NJ"])
    net.members.add(other)
    order = act(do_transition, people["first"], record(people["agent"]), "accept")
    order = act(do_transition, people["first"], order, "escalate", "需二线排查", net)
    assert told(notices.ESCALATED, order) == {"c-second", "c-second-2"}
    act(do_transition, people["second"], order, "claim")
    assert told(notices.ESCALATED, order) == set()  # nothing left to act on for the pool
    assert told(notices.ASSIGNED, order) == set()  # taking it oneself tells nobody


def test_a_rolled_back_escalation_tells_nobody(people, net, django_capture_on_commit_callbacks):
    order = do_transition(people["first"], record(people["agent"]), "accept")
    with django_capture_on_commit_callbacks(execute=False) as pending:
        do_transition(people["first"], order, "escalate", "需二线排查", net)
    # The notice waits for the commit: until then (or on a rollback) nobody is told.
    assert pending and not Notification.objects.exists()


def test_an_order_given_to_me_by_someone_else_tells_me(act, people, net):
    order = act(do_transition, people["first"], record(people["agent"]), "accept")
    order = act(do_transition, people["first"], order, "escalate", "需二线排查", net)
    # A team lead hands it to a named colleague (a bulk or page assignment).
    WorkOrder.objects.filter(pk=order.pk).update(assignee=people["second"])
    order.refresh_from_db()
    act(notices.after_assignment, people["lead"], order, None)
    assert told(notices.ASSIGNED, order) == {"c-second"}
    assert told(notices.ESCALATED, order) == set()  # the pool need not act any more


def test_accepting_an_order_oneself_tells_nobody(act, people):
    act(do_transition, people["first"], record(people["agent"]), "accept")
    assert not Notification.objects.exists()


def test_the_customer_contacting_again_tells_whoever_holds_the_order(act, people, outsider):
    customer = CustomerFactory()
    first = act(record, people["agent"], customer=customer)
    assert first.assignee == people["agent"]
    colleague = UserFactory(username="c-agent-2", roles=["hotline_agent"], city_codes=["NJ"])
    again = act(record, colleague, customer=customer)
    assert again.repeat_of_id == first.pk
    assert told(notices.CUSTOMER_INFO, first) == {"c-agent"}  # not the colleague who took it
    note = Notification.objects.get(kind=notices.CUSTOMER_INFO)
    assert note.params == {"number": first.number, "via": "contact", "new": again.number}
    assert again.number in note.message()


def test_a_contact_about_a_closed_order_tells_nobody(act, people):
    customer = CustomerFactory()
    first = record(people["agent"], customer=customer)
    WorkOrder.objects.filter(pk=first.pk).update(state="closed", closed_at=timezone.now())
    act(record, people["first"], customer=customer)
    assert not Notification.objects.filter(kind=notices.CUSTOMER_INFO).exists()


def test_a_file_added_to_my_order_by_someone_else_tells_me(act, people, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    order = record(people["agent"])
    upload = SimpleUploadedFile("测速截图.png", b"\x89PNG\r\n\x1a\n" + b"0" * 64, "image/png")
    act(add_attachment, people["first"], order, upload)
    assert told(notices.CUSTOMER_INFO, order) == {"c-agent"}
    assert Notification.objects.get().params["via"] == "attachment"
    # My own attachment tells me nothing.
    Notification.objects.all().delete()
    upload = SimpleUploadedFile("录音.txt", "客户补充说明".encode(), "text/plain")
    act(add_attachment, people["agent"], order, upload)
    assert not Notification.objects.exists()


def test_a_dissatisfied_callback_tells_the_remediation_owner(act, people):
    order = do_transition(people["first"], record(people["agent"]), "accept")
    order = do_transition(people["first"], order, "reply", "已更换端口")
    order = do_transition(people["agent"], order, "start_callback")
    act(record_callback, people["agent"], order, "dissatisfied", "仍慢", people["lead"])
    assert told(notices.REMEDIATION, order) == {"c-lead"}


def replied(people, recorder):
    order = do_transition(people["first"], record(recorder), "accept")
    return do_transition(people["first"], order, "reply", "已更换端口")


def test_a_callback_coming_due_tells_the_agent_who_recorded_it(people, outsider):
    order = replied(people, people["agent"])
    notices.check_callbacks(now=order.replied_at)
    assert not Notification.objects.exists()  # not due soon yet
    when = order.callback_due - sla.CALLBACK_WARNING + timedelta(seconds=1)
    assert notices.check_callbacks(now=when) == 1
    # The recorder calls back (首问负责): not the replier (who may not call back), not the
    # city's team lead, not Suzhou's.
    assert told(notices.CALLBACK_DUE, order) == {"c-agent"}
    note = Notification.objects.get(kind=notices.CALLBACK_DUE)
    assert note.params["due"] == order.callback_due.isoformat()
    # The next run looks only at what is new: no second notice.
    assert notices.check_callbacks(now=when + timedelta(minutes=1)) == 0


def test_once_a_callback_is_started_its_caller_is_told(act, people):
    order = replied(people, people["agent"])
    colleague = UserFactory(username="c-agent-2", roles=["hotline_agent"], city_codes=["NJ"])
    act(do_transition, colleague, order, "start_callback")
    notices.check_callbacks(now=order.callback_due - sla.CALLBACK_WARNING + timedelta(seconds=1))
    assert told(notices.CALLBACK_DUE, order) == {"c-agent-2"}


def test_a_recorder_who_may_not_call_back_leaves_the_callback_to_the_citys_team_lead(people):
    order = replied(people, people["first"])  # first-line support has no callback permission
    notices.check_callbacks(now=order.callback_due - sla.CALLBACK_WARNING + timedelta(seconds=1))
    assert told(notices.CALLBACK_DUE, order) == {"c-lead"}  # not Suzhou's lead


def test_a_callback_limit_shorter_than_the_warning_still_tells_once(people):
    before = timezone.now()
    notices.check_callbacks(now=before)
    order = replied(people, people["agent"])
    # Due within the warning time already when replied: told at the next run, once.
    WorkOrder.objects.filter(pk=order.pk).update(callback_due=order.replied_at + timedelta(hours=1))
    after = order.replied_at + timedelta(seconds=30)
    assert notices.check_callbacks(now=after) == 1
    assert notices.check_callbacks(now=after + timedelta(minutes=1)) == 0
    assert told(notices.CALLBACK_DUE) == {"c-agent"}


def test_closing_the_order_clears_its_callback_notices(act, people):
    order = replied(people, people["agent"])
    notices.check_callbacks(now=order.callback_due - sla.CALLBACK_WARNING + timedelta(seconds=1))
    order = act(do_transition, people["agent"], order, "start_callback")
    act(record_callback, people["agent"], order, "satisfied")
    assert told(notices.CALLBACK_DUE, order) == set()


def test_sla_warnings_link_to_the_order(people):
    order = record(people["agent"])
    sla.check_deadlines(now=order.created)
    sla.check_deadlines(now=order.warn_at + timedelta(seconds=1))
    notes = Notification.objects.filter(kind=notices.SLA_WARNING)
    assert {n.link for n in notes} == {reverse("complaints:order", args=[order.pk])}
    assert told(notices.SLA_WARNING) == {"c-agent", "c-lead"}


def test_telling_twice_leaves_one_unread_notice(act, people, net):
    order = act(do_transition, people["first"], record(people["agent"]), "accept")
    order = act(do_transition, people["first"], order, "escalate", "需二线排查", net)
    order = act(do_transition, people["lead"], order, "transfer", "请再查", net)
    notes = Notification.objects.filter(user=people["second"], kind=notices.ESCALATED)
    assert notes.count() == 1
    assert notes.get().params["transfer"] is True  # refreshed by the second notice
    notes.update(read_at=timezone.now())
    act(do_transition, people["lead"], order, "transfer", "第三次", net)
    assert notes.count() == 2 and notes.filter(read_at__isnull=True).count() == 1


def test_no_personal_data_goes_into_a_notice(act, people):
    customer = CustomerFactory(name="李四光", mobile="13912345678")
    act(record, people["agent"], customer=customer)
    colleague = UserFactory(username="c-agent-2", roles=["hotline_agent"], city_codes=["NJ"])
    act(record, colleague, customer=customer)
    note = Notification.objects.get()
    stored = f"{note.text} {note.params} {note.message()}"
    assert "李四光" not in stored and "13912345678" not in stored


@pytest.mark.parametrize(
    "kind, params",
    [
        (notices.ESCALATED, {"department": "网络部", "transfer": False}),
        (notices.ESCALATED, {"department": "网络部", "transfer": True}),
        (notices.ASSIGNED, {}),
        (notices.CUSTOMER_INFO, {"via": "contact", "new": "TS2026010100000002"}),
        (notices.CUSTOMER_INFO, {"via": "attachment"}),
        (notices.REMEDIATION, {}),
        (notices.CALLBACK_DUE, {"due": "2026-01-01T02:00:00+00:00"}),
        (notices.SLA_WARNING, {"due": "2026-01-01T02:00:00+00:00"}),
        (notices.SLA_OVERDUE, {"due": "2026-01-01T02:00:00+00:00"}),
    ],
)
def test_every_kind_reads_in_the_readers_language(people, kind, params):
    note = Notification(
        user=people["agent"], kind=kind, params={"number": "TS2026010100000001", **params}
    )
    english = note.message()
    with translation.override("zh-hans"):
        chinese = note.message()
    assert "TS2026010100000001" in chinese and "工单" in chinese
    assert chinese != english
    if "due" in params:  # deadlines in Shanghai time
        assert "2026-01-01 10:00" in chinese


def test_the_notifications_page_speaks_the_readers_language(client, people):
    """Written by an English-speaking job, read on a Chinese page: the sentence is Chinese."""
    order = record(people["agent"])
    sla.check_deadlines(now=order.created)
    sla.check_deadlines(now=order.warn_at + timedelta(seconds=1))  # runs in English here
    client.force_login(people["agent"])
    page = client.get(reverse("core:notifications"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    text = page.content.decode()
    assert f"工单 {order.number} 已到预警点" in text
    assert "reaches its warning point" not in text


def test_a_colleague_handling_an_order_is_told_when_a_lead_gives_it_to_someone_else(act, people):
    from sqm.complaints.workorders import do_assign

    agent, first, lead = people["agent"], people["first"], people["lead"]
    order = act(do_transition, first, record(agent), "accept")
    other = UserFactory(username="n-first2", roles=["first_line"], city_codes=["NJ"])
    act(do_assign, lead, order, other)
    assert told(notices.TAKEN_OVER, order) == {first.username}
    with translation.override("zh-hans"):
        text = Notification.objects.get(kind=notices.TAKEN_OVER).message()
    assert order.number in text and "n-first2" in text
    assert told(notices.ASSIGNED, order) == {"n-first2"}


def test_a_front_liner_may_not_take_an_order_a_colleague_is_handling(people):
    from django.core.exceptions import PermissionDenied

    from sqm.complaints.workorders import do_assign

    first = people["first"]
    order = do_transition(first, record(people["agent"]), "accept")
    other = UserFactory(username="n-first3", roles=["first_line"], city_codes=["NJ"])
    with pytest.raises(PermissionDenied):
        do_assign(other, order, other)
    assert WorkOrder.objects.get(pk=order.pk).assignee == first
