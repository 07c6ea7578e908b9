"""The problem library's workflow: open from work orders, link, move along the states
(guarded), the module owner's day."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from sqm.complaints.models import Category
from sqm.core.models import ChangeLogEntry
from sqm.knowledge import problems
from sqm.knowledge.choices import ProblemState
from sqm.knowledge.models import ModuleOwner, Problem
from tests.complaints.helpers import record
from tests.factories import CustomerFactory, UserFactory, city

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(db):
    return {
        "second": UserFactory(username="k-second", roles=["second_line"], city_codes=["NJ"]),
        "agent": UserFactory(username="k-agent", roles=["hotline_agent"], city_codes=["NJ"]),
        "sz": UserFactory(username="k-sz", roles=["second_line"], city_codes=["SZ"]),
        "sz_agent": UserFactory(username="k-sz-agent", roles=["hotline_agent"], city_codes=["SZ"]),
    }


@pytest.fixture
def module(db):
    return Category.objects.get(code="NQ.BB")


def opened(staff, module, *orders, **kwargs) -> Problem:
    return problems.open_problem(
        staff["second"], module=module, title="光猫批量掉线", symptom="晚高峰掉线",
        orders=orders, **kwargs,
    )  # fmt: skip


def test_a_problem_opened_from_work_orders_links_them_and_takes_their_city(staff, module):
    a = record(staff["agent"], description="晚上掉线")
    b = record(staff["agent"], description="频繁掉线")
    problem = opened(staff, module, a, b)
    assert problem.code.startswith("WT") and problem.state == ProblemState.OPEN
    assert set(problem.orders.values_list("number", flat=True)) == {a.number, b.number}
    assert problem.city_id == a.city_id and problem.owner == staff["second"]
    assert list(a.problems.all()) == [problem]  # visible from the order
    assert problem.events.get().action == "open"
    entries = ChangeLogEntry.objects.filter(object_id=str(problem.pk), action="create")
    assert [e.object_repr for e in entries if e.content_type.model == "problem"] == [str(problem)]


def test_the_front_line_may_read_problems_but_not_open_them(staff, module):
    order = record(staff["agent"], description="掉线")
    with pytest.raises(PermissionDenied):
        problems.open_problem(staff["agent"], module=module, title="x", symptom="y", orders=[order])


def test_work_orders_of_another_city_cannot_be_grouped(staff, module):
    sz_order = record(staff["sz_agent"], customer=CustomerFactory(city=city("SZ")))
    with pytest.raises(ValidationError):
        opened(staff, module, sz_order)


def test_a_module_must_be_a_second_level_category(staff):
    with pytest.raises(ValidationError):
        opened(staff, Category.objects.get(code="NQ"))
    with pytest.raises(ValidationError):
        opened(staff, Category.objects.get(code="NQ.BB.01"))


def test_the_states_go_in_order_and_a_cause_must_be_written_first(staff, module):
    problem = opened(staff, module, record(staff["agent"]))
    with pytest.raises(ValidationError):
        problems.do_transition(staff["second"], problem, "solve")
    problems.do_transition(staff["second"], problem, "analyse")
    with pytest.raises(ValidationError, match="root cause"):
        problems.do_transition(staff["second"], problem, "find_cause")
    problems.edit(staff["second"], problem, root_cause="OLT 板卡老化")
    problems.do_transition(staff["second"], problem, "find_cause")
    problems.do_transition(staff["second"], problem, "solve")
    assert problem.solved_at is not None
    problems.do_transition(staff["second"], problem, "archive")
    assert problem.state == ProblemState.ARCHIVED
    steps = list(problem.events.values_list("action", flat=True))
    assert steps == ["open", "analyse", "edit", "find_cause", "solve", "archive"]


def test_two_people_moving_the_same_problem_the_second_gets_a_conflict(staff, module):
    problem = opened(staff, module, record(staff["agent"]))
    stale = Problem.objects.get(pk=problem.pk)
    problems.do_transition(staff["second"], problem, "analyse")
    with pytest.raises(problems.TransitionConflict):
        problems.do_transition(staff["second"], stale, "analyse")


def test_linking_again_adds_only_new_orders_and_unlinking_is_on_the_timeline(staff, module):
    a, b = record(staff["agent"]), record(staff["agent"])
    problem = opened(staff, module, a)
    assert problems.link_orders(staff["second"], problem, [a, b]) == 1
    problems.unlink_order(staff["second"], problem, a)
    assert list(problem.orders.all()) == [b]
    assert [e.action for e in problem.events.all()] == ["open", "link", "unlink"]


def test_a_problem_is_found_by_the_search_in_its_own_kind(staff, module):
    from sqm.knowledge import search

    problem = opened(staff, module, record(staff["agent"]))
    hits = search.search(staff["second"], "光猫批量", search.Filters(kinds=("problem",))).hits
    assert [h.ref for h in hits] == [problem.code]
    assert search.search(staff["sz"], "光猫批量").hits == []


def test_the_owners_day_lists_unlinked_orders_stalled_problems_and_overdue_orders(staff, module):
    ModuleOwner.objects.create(user=staff["second"], module=module)
    linked, loose = record(staff["agent"]), record(staff["agent"])
    problem = opened(staff, module, linked)
    day = problems.owner_day(staff["second"])
    assert [o.pk for o in day.unlinked] == [loose.pk]
    assert day.stalled == []
    problem.events.update(time=timezone.now() - dt.timedelta(days=5))
    assert [p.pk for p in problems.owner_day(staff["second"]).stalled] == [problem.pk]
    type(loose).objects.filter(pk=loose.pk).update(
        resolve_due=timezone.now() - dt.timedelta(hours=1)
    )
    assert loose.pk in [o.pk for o in problems.owner_day(staff["second"]).overdue]


def test_a_problem_spanning_cities_is_the_provinces_and_every_reader_sees_it(staff, module):
    both = UserFactory(username="k-both", roles=["second_line"], city_codes=["NJ", "SZ"])
    sz_agent = staff["sz_agent"]
    nj = record(staff["agent"])
    sz = record(sz_agent, customer=CustomerFactory(city=city("SZ")))
    problem = problems.open_problem(
        both, module=module, title="跨地市", symptom="s", orders=[nj, sz]
    )
    assert problem.city is None
    for user in (both, staff["second"], staff["sz"], staff["agent"]):
        assert Problem.objects.restrict(user).filter(pk=problem.pk).exists()
    assert list(nj.problems.all()) == [problem]


def test_work_orders_are_linked_by_their_numbers_and_the_timeline_names_what_changed(staff, module):
    first, second = record(staff["agent"]), record(staff["agent"])
    problem = opened(staff, module, first)
    assert problems.link_numbers(staff["second"], problem, f" {second.number.lower()}，") == 1
    with pytest.raises(ValidationError, match="TS000"):
        problems.link_numbers(staff["second"], problem, "TS000")
    problems.edit(staff["second"], problem, title=problem.title, root_cause="板卡故障")
    assert problem.events.last().note == str(Problem._meta.get_field("root_cause").verbose_name)


def test_linking_an_order_of_another_city_makes_the_problem_the_provinces(staff, module):
    both = UserFactory(username="k-both2", roles=["second_line"], city_codes=["NJ", "SZ"])
    nj = record(staff["agent"])
    sz = record(staff["sz_agent"], customer=CustomerFactory(city=city("SZ")))
    problem = problems.open_problem(both, module=module, title="t", symptom="s", orders=[nj])
    assert problem.city.code == "NJ"
    problems.link_orders(both, problem, [sz])
    assert problem.city is None
    problems.unlink_order(both, problem, nj)
    assert problem.city.code == "SZ"


def test_two_edits_from_the_same_page_the_second_is_refused_and_a_found_cause_stays(staff, module):
    problem = opened(staff, module, record(staff["agent"]))
    stale = Problem.objects.get(pk=problem.pk)
    problems.edit(staff["second"], problem, title="新标题")
    with pytest.raises(problems.TransitionConflict):
        problems.edit(staff["second"], stale, title="旧页面的标题")
    problems.edit(staff["second"], problem, root_cause="板卡老化")
    problems.do_transition(staff["second"], problem, "find_cause")
    with pytest.raises(ValidationError):
        problems.edit(staff["second"], problem, root_cause="")
