"""The demo's staffing (sqm.core.demo.DEMO_USERS, sqm.complaints.province.demo): everyone
who handles work orders is in a department, each department with members has at least two
working in the same city, so a pool has colleagues and "assign to a colleague" can be tried."""

import pytest

from sqm.complaints import workorders
from sqm.complaints.models import Department
from sqm.complaints.province.demo import DEMO_DEPARTMENTS, join_departments
from sqm.core import demo
from sqm.core.models import User
from tests.complaints.helpers import record

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    created = demo.ensure_users()
    join_departments()
    return {name: password for name, _role, password in created}


def handlers() -> list[User]:
    return [
        u
        for u in User.objects.filter(is_superuser=False)
        if u.has_perm(workorders.FRONT) or u.has_perm(workorders.BACK)
        if not u.has_perm(workorders.OVERSEE)  # the team lead oversees every department
    ]


def test_every_demo_user_who_handles_work_orders_is_in_a_department(staff):
    for name in ("firstline2", "secondline2", "billing", "billing2"):
        assert staff[name]  # new users get a password printed like the others
    assert all(person.departments.exists() for person in handlers())


def test_each_department_with_members_has_two_who_share_a_city(staff):
    staffed = Department.objects.filter(members__isnull=False).distinct()
    assert {d.code for d in staffed} == set(DEMO_DEPARTMENTS)
    for department in staffed:
        members = list(department.members.all())
        assert len(members) >= 2, department.code
        shared = set.intersection(*(set(m.cities.values_list("code", flat=True)) for m in members))
        assert "NJ" in shared, department.code


def test_no_one_is_the_only_member_of_a_department(staff):
    secondline = User.objects.get(username="secondline")
    assert set(secondline.departments.values_list("code", flat=True)) == {"NET-2L", "NET"}


def test_front_and_second_liners_can_assign_to_a_named_colleague(staff):
    firstline, secondline = (User.objects.get(username=n) for n in ("firstline", "secondline"))
    assert "firstline2" in {u.username for u in workorders.colleagues(firstline)}
    order = record(User.objects.get(username="agent"))
    for action in ("accept", "escalate"):
        order = workorders.do_transition(
            firstline, order, action, "需网络二线处理",
            department=Department.objects.get(code="NET-2L"),
        )  # fmt: skip
    assert {u.username for u in workorders.holders(order)} >= {"secondline", "secondline2"}
    assert "secondline2" in {u.username for u in workorders.colleagues(secondline)}


def test_joining_twice_changes_nothing(staff):
    before = sorted(Department.members.through.objects.values_list("department_id", "user_id"))
    join_departments()
    after = sorted(Department.members.through.objects.values_list("department_id", "user_id"))
    assert before == after
