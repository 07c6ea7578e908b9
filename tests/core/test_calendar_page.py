"""The business-calendar page: who may see and edit it, and what the edits do."""

from __future__ import annotations

from datetime import date, time

import pytest
from django.contrib.auth.models import Permission
from django.urls import NoReverseMatch, URLResolver, include, path, reverse
from django.utils import timezone

import sqm.urls
from sqm.core import calendar as business
from sqm.core import calendar_views
from sqm.core import urls as core_urls
from sqm.core.models import CalendarDay, WorkingPeriod
from tests.factories import UserFactory


def _wired() -> bool:
    try:
        reverse("core:calendar_day", args=["2026-01-01"])
    except NoReverseMatch:
        return False
    return True


# Until sqm/core/urls.py routes the calendar to calendar_views, these tests run against the
# project's URLs with exactly those routes added (see docs/calendar.md).
_CALENDAR_ROUTES = [
    path("calendar/", calendar_views.calendar_page, name="calendar"),
    path("calendar/day/<str:day>/", calendar_views.calendar_day, name="calendar_day"),
    path("calendar/load/", calendar_views.calendar_load, name="calendar_load"),
    path("calendar/periods/", calendar_views.calendar_periods, name="calendar_periods"),
]
_core = [p for p in core_urls.urlpatterns if getattr(p, "name", None) != "calendar"]
urlpatterns = [
    p for p in sqm.urls.urlpatterns if not (isinstance(p, URLResolver) and p.namespace == "core")
] + [path("core/", include((_core + _CALENDAR_ROUTES, "core")))]

if not _wired():
    pytestmark = pytest.mark.urls(__name__)

PAGE = "/core/calendar/"
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def fresh_calendar():
    business.invalidate_calendar()
    yield
    business.invalidate_calendar()


@pytest.fixture
def viewer(db):
    """Someone who may look at the calendar but not change it."""
    user = UserFactory(username="viewer")
    user.user_permissions.add(Permission.objects.get(codename="view_calendarday"))
    return user


def day_url(day: str) -> str:
    return f"/core/calendar/day/{day}/"


def cell(response, day: str) -> str:
    """The <td> of DAY in the month grids."""
    html = response.content.decode()
    start = html.index(f'data-date="{day}"')
    return html[html.rindex("<td", 0, start) : html.index("</td>", start)]


def test_the_page_shows_a_year_of_months_with_holidays_and_adjusted_days(client, admin):
    client.force_login(admin)
    response = client.get(PAGE, {"year": 2026}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    assert response.context["year"] == 2026
    assert response.content.decode().count('<table class="month">') == 12
    assert 'data-kind="holiday"' in cell(response, "2026-10-01")
    assert "国庆节" in cell(response, "2026-10-01")
    assert 'data-kind="adjusted"' in cell(response, "2026-10-10")
    assert 'data-kind="weekend"' in cell(response, "2026-10-17")
    assert 'data-kind="workday"' in cell(response, "2026-10-08")
    assert b"calendar.css" in response.content


def test_the_page_defaults_to_the_current_year(client, admin):
    client.force_login(admin)
    response = client.get(PAGE)
    assert response.context["year"] == timezone.localdate().year


def test_a_bad_year_falls_back_to_the_current_year_with_a_message(client, admin):
    client.force_login(admin)
    response = client.get(PAGE, {"year": "next"})
    assert response.status_code == 200
    assert response.context["year"] == timezone.localdate().year
    assert len(list(response.context["messages"])) == 1


def test_a_year_the_package_does_not_know_says_so_and_offers_no_loading(client, admin):
    client.force_login(admin)
    response = client.get(PAGE, {"year": 2099})
    assert b'id="not-covered"' in response.content
    assert reverse("core:calendar_load").encode() not in response.content
    assert 'data-kind="workday"' in cell(response, "2099-01-01")


def test_the_auditor_may_not_see_or_change_the_calendar(client, auditor):
    client.force_login(auditor)
    assert client.get(PAGE).status_code == 403
    response = client.post(day_url("2026-10-08"), {"action": "save", "is_working": "0"})
    assert response.status_code == 403
    assert client.post(reverse("core:calendar_load"), {"year": 2026}).status_code == 403
    assert not CalendarDay.objects.exists()


def test_a_viewer_sees_the_calendar_without_edit_controls(client, viewer):
    client.force_login(viewer)
    response = client.get(PAGE, {"year": 2026, "day": "2026-10-08"})
    assert response.status_code == 200
    assert b'href="/core/calendar/?year=2026&amp;day=' not in response.content
    assert b'name="action"' not in response.content
    assert b"periods-TOTAL_FORMS" not in response.content
    assert client.post(day_url("2026-10-08"), {"is_working": "0"}).status_code == 403
    assert client.post(reverse("core:calendar_periods"), {}).status_code == 403
    assert not CalendarDay.objects.exists()


def test_the_admin_sees_the_editor_of_a_chosen_day(client, admin):
    client.force_login(admin)
    response = client.get(PAGE, {"year": 2026, "day": "2026-10-08"}, **HTMX)
    assert response.context["selected"].date == date(2026, 10, 8)
    assert day_url("2026-10-08").encode() in response.content
    assert 'class="day workday selected"' in cell(response, "2026-10-08")
    assert 'href="/core/calendar/?year=2026&amp;day=2026-10-09"' in cell(response, "2026-10-09")


def test_the_admin_makes_a_working_day_a_named_day_off(client, admin):
    client.force_login(admin)
    response = client.post(
        day_url("2026-10-08"), {"action": "save", "is_working": "0", "name": "台风停工"}, **HTMX
    )
    assert response.status_code == 302
    assert response.url.endswith("?year=2026&day=2026-10-08")
    row = CalendarDay.objects.get(date=date(2026, 10, 8))
    assert (row.is_working, row.name) == (False, "台风停工")
    page = client.get(response.url, **HTMX)
    assert "台风停工" in cell(page, "2026-10-08")
    assert 'data-kind="holiday"' in cell(page, "2026-10-08")
    assert "override" in cell(page, "2026-10-08")
    # htmx swaps only #calendar-main, so the message must be inside it.
    main = page.content.decode().split('id="calendar-main"', 1)[1]
    assert 'class="messages"' in main
    assert not business.get_calendar().is_working_day(date(2026, 10, 8))


def test_toggling_back_to_the_built_in_state_without_a_name_deletes_the_override(client, admin):
    client.force_login(admin)
    client.post(day_url("2026-10-08"), {"action": "save", "is_working": "0", "name": ""})
    assert CalendarDay.objects.filter(date=date(2026, 10, 8)).exists()
    client.post(day_url("2026-10-08"), {"action": "save", "is_working": "1", "name": ""})
    assert not CalendarDay.objects.filter(date=date(2026, 10, 8)).exists()


def test_the_admin_makes_a_weekend_a_working_day_and_resets_it(client, admin):
    client.force_login(admin)
    client.post(day_url("2026-10-17"), {"action": "save", "is_working": "1", "name": "补班"})
    assert CalendarDay.objects.get(date=date(2026, 10, 17)).is_working is True
    assert business.get_calendar().is_working_day(date(2026, 10, 17))
    client.post(day_url("2026-10-17"), {"action": "clear"})
    assert not CalendarDay.objects.exists()
    assert not business.get_calendar().is_working_day(date(2026, 10, 17))


def test_a_day_edit_with_errors_re_renders_the_page(client, admin):
    client.force_login(admin)
    too_long = {"action": "save", "is_working": "0", "name": "长" * 65}
    assert client.post(day_url("2026-10-08"), too_long).status_code == 400
    response = client.post(day_url("2026-10-08"), {"action": "save"}, **HTMX)
    assert response.status_code == 200  # htmx only swaps successful answers
    assert response.context["day_form"].errors
    # The address bar keeps the page, not the POST-only URL.
    assert response["HX-Push-Url"] == "/core/calendar/?year=2026&day=2026-10-08"
    assert not CalendarDay.objects.exists()


def test_an_impossible_day_is_not_found(client, admin):
    client.force_login(admin)
    assert client.post(day_url("2026-02-30"), {"is_working": "0"}).status_code == 404


def test_the_page_only_answers_get_and_the_edits_only_post(client, admin):
    client.force_login(admin)
    assert client.post(PAGE).status_code == 405
    assert client.get(day_url("2026-10-08")).status_code == 405
    assert client.get(reverse("core:calendar_load")).status_code == 405


def test_the_admin_loads_a_year_from_the_built_in_calendar(client, admin):
    client.force_login(admin)
    response = client.post(reverse("core:calendar_load"), {"year": 2026})
    assert response.status_code == 302
    assert CalendarDay.objects.filter(date__year=2026).count() == 39
    page = client.get(response.url)
    assert "override" in cell(page, "2026-10-01")


def test_loading_a_year_the_package_does_not_know_changes_nothing(client, admin):
    client.force_login(admin)
    response = client.post(reverse("core:calendar_load"), {"year": 2099}, follow=True)
    assert not CalendarDay.objects.exists()
    assert [m.level_tag for m in response.context["messages"]] == ["error"]


def periods_data(*rows: tuple[str, str]) -> dict:
    data = {
        "year": "2026",
        "periods-TOTAL_FORMS": str(len(rows)),
        "periods-INITIAL_FORMS": "0",
        "periods-MIN_NUM_FORMS": "0",
        "periods-MAX_NUM_FORMS": "1000",
    }
    for i, (start, end) in enumerate(rows):
        data[f"periods-{i}-start"], data[f"periods-{i}-end"] = start, end
    return data


def test_the_admin_edits_the_working_periods(client, admin):
    client.force_login(admin)
    page = client.get(PAGE, {"year": 2026})
    assert page.context["using_default_periods"]
    data = periods_data(("14:00", "18:00"), ("09:00", "12:00"), ("", ""))
    response = client.post(reverse("core:calendar_periods"), data)
    assert response.status_code == 302
    assert list(WorkingPeriod.objects.values_list("start", "end")) == [
        (time(9), time(12)),
        (time(14), time(18)),
    ]
    assert business.get_calendar().daily_working_time.total_seconds() == 7 * 3600
    page = client.get(PAGE, {"year": 2026})
    assert 'value="14:00"' in page.content.decode()


def test_clearing_every_period_brings_back_the_defaults(client, admin):
    WorkingPeriod.objects.create(start=time(9), end=time(17))
    client.force_login(admin)
    client.post(reverse("core:calendar_periods"), periods_data(("", "")))
    assert not WorkingPeriod.objects.exists()
    assert business.get_calendar().periods == business.DEFAULT_PERIODS


@pytest.mark.parametrize(
    "rows",
    [
        (("08:00", "12:00"), ("11:00", "13:00")),  # overlapping
        (("12:00", "08:00"),),  # reversed
        (("08:00", ""),),  # half a row
        (("8 o'clock", "12:00"),),  # not a time
    ],
)
def test_invalid_working_periods_are_refused_with_an_error(client, admin, rows):
    WorkingPeriod.objects.create(start=time(9), end=time(17))
    client.force_login(admin)
    response = client.post(reverse("core:calendar_periods"), periods_data(*rows))
    assert response.status_code == 400
    formset = response.context["periods_formset"]
    assert formset.non_form_errors() or any(form.errors for form in formset)
    assert list(WorkingPeriod.objects.values_list("start", "end")) == [(time(9), time(17))]
