"""Hostile review of the quality app: city scoping of the API's targets, hostile query
parameters on every quality page and API (a 4xx, never a 500), a run whose values cannot be
stored (failed, not 'running' for ever), the compute button pressed many times (one queued
run), and targets that no unit can have (negative, a share over 100 %)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from sqm.quality import services
from sqm.quality.choices import RunStatus
from sqm.quality.facts import Month
from sqm.quality.models import Indicator, IndicatorTarget, KpiRun
from tests.factories import UserFactory
from tests.quality.facts_helpers import account, city, repair

pytestmark = pytest.mark.django_db
OCTOBER = Month.parse("2026-10")


@pytest.fixture
def computed(db):
    repair(account("NJ"), "2026-10-10 08:00", "2026-10-12 10:00", repair_id="R-LATE")
    repair(account("SZ"), "2026-10-03 08:00", "2026-10-03 12:00", repair_id="R-SZ")
    return services.compute_now(OCTOBER)


@pytest.fixture
def province_manager(db):
    return UserFactory(username="province-quality", roles=["quality_manager"], all_cities=True)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


HOSTILE = [
    "9999-99",
    "0001-01",
    "x" * 5000,
    "２０２６-１０",  # full-width digits
    "2026-10' OR 1=1--",
    "\x00",
    "2026-13",
    "-1",
    "苏州",  # another city's name
    "account",  # a column of another fact
]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_parameters_on_the_quality_pages_and_api_are_never_a_server_error(
    computed, quality_manager, value
):
    drill = reverse("quality:drill", args=["BB-REPAIR-TIMELY"])
    requests = [
        (reverse("quality:dashboard"), {"month": value, "indicator": value, "product": value}),
        (reverse("quality:indicator", args=["BB-REPAIR-TIMELY"]), {"month": value}),
        (drill, {"month": value, "city": "NJ"}),
        (drill, {"month": "2026-10", "city": value}),
        (drill, {"month": "2026-10", "city": "NJ", "district": value, "cause": value}),
        (reverse("quality:runs"), {"page": value}),
        (reverse("quality:reports"), {"page": value}),
        ("/api/v1/kpi/values/", {"month": value}),
        ("/api/v1/kpi/values/", {"run": value}),
        ("/api/v1/kpi/values/", {"indicator": value, "city": value}),
        ("/api/v1/kpi/runs/", {"month": value}),
        ("/api/v1/kpi/drill-down/", {"indicator": "BB-REPAIR-TIMELY", "month": value}),
        ("/api/v1/kpi/drill-down/", {"indicator": value, "month": "2026-10"}),
        ("/api/v1/kpi/indicators/", {"product": value}),
    ]
    client = client_for(quality_manager)
    for url, query in requests:
        response = client.get(url, query)
        assert response.status_code < 500, (url, query, response.status_code)
        if query.get("city") == "苏州":  # another city: refused, or no rows of it
            assert response.status_code in (400, 404) or response.json()["results"] == []
    if "\x00" in value:
        return
    for path in ("/quality/indicators/", "/quality/drill/", "/quality/reports/"):
        response = client.get(f"{path}{value}/")
        assert response.status_code in (400, 404), (path, response.status_code)
    assert client.get(f"/api/v1/kpi/indicators/{value}/").status_code == 404
    assert client.get(f"/quality/reports/{value}/export.xlsx").status_code == 404


def test_the_api_shows_a_nanjing_manager_no_suzhou_targets(quality_manager):
    indicator = Indicator.objects.get(code="BB-REPAIR-TIMELY")
    services.set_target(indicator, 2026, 0.99, 0.97, city=city("SZ"))
    services.set_target(indicator, 2026, 0.96, 0.94, city=city("NJ"))
    services.set_target(indicator, 2026, 0.95, 0.93)
    found = api_for(quality_manager).get("/api/v1/kpi/indicators/BB-REPAIR-TIMELY/").json()
    assert sorted(str(t["city"]) for t in found["targets"]) == ["NJ", "None"]
    listed = api_for(quality_manager).get("/api/v1/kpi/indicators/").json()["results"]
    assert all(t["city"] in (None, "NJ") for row in listed for t in row["targets"])


def test_the_api_shows_a_province_manager_every_target(province_manager):
    indicator = Indicator.objects.get(code="BB-REPAIR-TIMELY")
    services.set_target(indicator, 2026, 0.99, 0.97, city=city("SZ"))
    found = api_for(province_manager).get("/api/v1/kpi/indicators/BB-REPAIR-TIMELY/").json()
    assert [t["city"] for t in found["targets"]] == ["SZ"]


def test_a_run_whose_values_cannot_be_stored_fails_instead_of_running_for_ever(monkeypatch, db):
    def full_disk(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "store_values", full_disk)
    run = services.queue_run(OCTOBER)
    with pytest.raises(RuntimeError):
        services.do_compute_run(run.pk)
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED and run.error == "disk full"
    assert not run.values.exists()


def test_a_failed_run_shows_its_error_on_its_page(quality_manager):
    run = services.queue_run(OCTOBER)
    KpiRun.objects.filter(pk=run.pk).update(status=RunStatus.FAILED, error="disk full")
    page = client_for(quality_manager).get(run.get_absolute_url())
    assert 'id="run-error"' in page.content.decode() and "disk full" in page.content.decode()


def test_pressing_compute_many_times_queues_one_run_of_the_month(quality_manager):
    client = client_for(quality_manager)
    for _ in range(5):
        response = client.post(reverse("quality:runs"), {"month": "2026-10", "engine": "duckdb"})
        assert response.status_code == 302
    api = api_for(quality_manager)
    for _ in range(5):
        assert api.post("/api/v1/kpi/runs/", {"month": "2026-10"}, format="json").status_code == 201
    assert KpiRun.objects.count() == 1
    # A different request (another indicator set) is a run of its own.
    body = {"month": "2026-10", "indicators": ["BB-REPAIR-TIMELY"]}
    api.post("/api/v1/kpi/runs/", body, format="json")
    assert KpiRun.objects.count() == 2


def test_a_run_already_computing_does_not_stop_a_new_request(quality_manager):
    running = services.queue_run(OCTOBER)
    KpiRun.objects.filter(pk=running.pk).update(status=RunStatus.RUNNING)
    client_for(quality_manager).post(
        reverse("quality:runs"), {"month": "2026-10", "engine": "duckdb"}
    )
    assert KpiRun.objects.filter(status=RunStatus.QUEUED).count() == 1


@pytest.mark.parametrize(
    ("code", "body"),
    [
        ("BB-REPAIR-TIMELY", {"year": "2026", "target": "-5"}),
        ("BB-REPAIR-TIMELY", {"year": "2026", "target": "250"}),
        ("BB-REPAIR-TIMELY", {"year": "2026", "target": "95", "warning": "-1"}),
        ("BB-VISIT-RATING", {"year": "2026", "target": "-0.5"}),
    ],
)
def test_a_target_no_unit_can_have_is_refused(province_manager, code, body):
    url = reverse("quality:indicator", args=[code])
    response = client_for(province_manager).post(url, body)
    assert response.status_code == 200 and response.context["form"].errors
    assert not IndicatorTarget.objects.exists()


def test_every_quality_post_without_a_csrf_token_is_refused(province_manager):
    from sqm.quality import report_services

    report_services.create_report(Month.parse("2026-09"), province_manager, compute=False)
    client = Client(enforce_csrf_checks=True)
    client.force_login(province_manager)
    posts = [
        (reverse("quality:runs"), {"month": "2026-10", "engine": "duckdb"}),
        (reverse("quality:indicator", args=["BB-REPAIR-TIMELY"]), {"year": "2026", "target": "95"}),
        (reverse("quality:reports"), {"month": "2026-08"}),
        (reverse("quality:report_edit", args=["2026-09"]), {"summary": "x"}),
        (reverse("quality:report_publish", args=["2026-09"]), {"run": "1"}),
        ("/api/v1/kpi/runs/", {"month": "2026-10"}),
    ]
    for url, body in posts:
        assert client.post(url, body).status_code == 403, url
    assert not KpiRun.objects.exists() and not IndicatorTarget.objects.exists()


def test_a_run_claimed_twice_is_computed_once(db):
    repair(account("NJ"), "2026-10-10 08:00", "2026-10-12 10:00")
    run = services.queue_run(OCTOBER)
    first = services.do_compute_run(run.pk)
    count = first.values.count()
    assert services.do_compute_run(run.pk) is None  # already done: nothing to claim
    assert KpiRun.objects.get(pk=run.pk).values.count() == count


def test_an_indicator_asked_twice_is_computed_once(
    quality_manager, django_capture_on_commit_callbacks
):
    repair(account("NJ"), "2026-10-10 08:00", "2026-10-12 10:00")
    body = {"month": "2026-10", "indicators": ["BB-REPAIR-TIMELY", "BB-REPAIR-TIMELY"]}
    with django_capture_on_commit_callbacks(execute=True):
        response = api_for(quality_manager).post("/api/v1/kpi/runs/", body, format="json")
    run = KpiRun.objects.get(pk=response.json()["id"])
    assert run.status == RunStatus.DONE, run.error
    assert run.indicators == ["BB-REPAIR-TIMELY"]
    assert run.values.filter(breakdown="city", key="南京").count() == 1


def test_a_run_of_one_indicator_differs_from_a_full_run_only_in_that_indicator(computed):
    repair(account("NJ"), "2026-10-20 08:00", "2026-10-25 08:00")  # another late repair
    narrow = services.compute_now(OCTOBER, codes=["BB-REPAIR-TIMELY"])
    changed = services.differences(computed, narrow)
    assert changed and {row["indicator"] for row in changed} == {"BB-REPAIR-TIMELY"}
    # Back from the narrow run to a full one: the other indicators did not vanish either.
    assert {row["indicator"] for row in services.differences(narrow, computed)} == {
        "BB-REPAIR-TIMELY"
    }
