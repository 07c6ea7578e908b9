"""The complaint category tree: seeded defaults, the level rules, routing to departments."""

import pytest
from django.core.exceptions import ValidationError

from sqm.complaints import services
from sqm.complaints.choices import NeedArea
from sqm.complaints.models import Category, Department

pytestmark = pytest.mark.django_db


def test_the_default_tree_is_seeded_with_three_levels():
    assert Category.objects.filter(level=1).count() == 4  # one per need area
    assert set(Category.objects.filter(level=2).values_list("need_area", flat=True)) == set(
        NeedArea.values
    )
    leaves = list(services.filing_categories())
    assert leaves and all(c.level == 3 for c in leaves)
    assert Category.objects.get(code="NQ.BB.01").path == "网络质量 › 家庭宽带 › 网速慢"


def test_every_filing_category_routes_to_a_need_area_and_a_department():
    for category in services.filing_categories():
        need_area, department = services.routing_of(category)
        assert need_area in NeedArea.values and department.kind == "back_office"
    assert services.routing_of(Category.objects.get(code="BP.VA.01"))[1].code == "MKT"


def test_routing_is_refused_above_the_second_level():
    with pytest.raises(ValueError):
        services.routing_of(Category.objects.get(code="NQ"))


def test_a_fourth_level_is_refused():
    leaf = Category.objects.get(code="NQ.BB.01")
    with pytest.raises(ValidationError):
        Category(parent=leaf, code="X", name="太深").full_clean()


def test_a_second_level_category_needs_its_routing():
    root = Category.objects.get(code="NQ")
    with pytest.raises(ValidationError):
        Category(parent=root, code="NQ.X", name="新类").full_clean()
    department = Department.objects.get(code="NET")
    Category(
        parent=root, code="NQ.X", name="新类", need_area="network_quality", department=department
    ).full_clean()


def test_routing_is_only_set_on_the_second_level():
    department = Department.objects.get(code="NET")
    with pytest.raises(ValidationError):
        Category(
            code="ZZ", name="根", need_area="network_quality", department=department
        ).full_clean()


def test_administrators_edit_the_tree_and_each_edit_is_logged(admin):
    from sqm.core.context import acting_as
    from sqm.core.models import ChangeLogEntry

    category = Category.objects.get(code="NQ.BB.01")
    with acting_as(admin):
        category.name = "宽带网速慢"
        category.save()
    entry = ChangeLogEntry.objects.filter(action="update").latest("id")
    assert entry.user == admin and entry.after["name"] == "宽带网速慢"


def test_loading_the_defaults_again_keeps_administrators_edits():
    from sqm.complaints.categories import load_defaults

    Category.objects.filter(code="NQ.BB.01").update(name="宽带网速慢")
    assert load_defaults(Department, Category) == (0, 0)
    assert Category.objects.get(code="NQ.BB.01").name == "宽带网速慢"


def test_frontline_roles_may_read_the_tree(agent):
    assert Category.objects.restrict(agent).count() == Category.objects.count()
