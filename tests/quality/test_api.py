"""The KPI API (/api/v1/kpi/…): the registry, runs (read and queue), values and the
drill-down, permission-checked and city-scoped like the pages; bad input is a 400."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from sqm.quality import services
from sqm.quality.choices import RunStatus
from sqm.quality.facts import Month
from sqm.quality.models import KpiRun
from tests.factories import UserFactory
from tests.quality.facts_helpers import account, complaint, repair

pytestmark = pytest.mark.django_db
OCTOBER = Month.parse("2026-10")


@pytest.fixture
def computed(db):
    """Nanjing: three repairs restored in October, R-LATE after 50 h; Suzhou: one in time."""
    nj = account("NJ")
    repair(nj, "2026-10-02 08:00", "2026-10-02 20:00")
    repair(nj, "2026-10-05 08:00", "2026-10-06 08:00")
    repair(nj, "2026-10-10 08:00", "2026-10-12 10:00", repair_id="R-LATE")
    repair(account("SZ"), "2026-10-03 08:00", "2026-10-03 12:00", repair_id="R-SZ")
    return services.compute_now(OCTOBER)


@pytest.fixture
def province_manager(db):
    return UserFactory(username="province-quality", roles=["quality_manager"], all_cities=True)


def api(user) -> APIClient:
    client = APIClient(raise_request_exception=True)
    client.force_authenticate(user)
    return client


def test_the_registry_lists_every_indicator_and_finds_one_by_code(quality_manager):
    client = api(quality_manager)
    listed = client.get("/api/v1/kpi/indicators/", {"limit": 1000}).json()
    codes = {i["code"] for i in listed["results"]}
    assert len(codes) == 66 and "BB-REPAIR-TIMELY" in codes
    one = client.get("/api/v1/kpi/indicators/BB-REPAIR-TIMELY/").json()
    assert (one["name_zh"], one["unit"], one["better"]) == ("障碍修复及时率", "ratio", "higher")
    assert "city" in one["breakdowns"]
    assert client.get("/api/v1/kpi/indicators/NOPE/").status_code == 404
    dedicated = client.get("/api/v1/kpi/indicators/", {"product": "dedicated", "limit": 100})
    assert {i["product"] for i in dedicated.json()["results"]} == {"dedicated"}


def test_values_of_a_month_come_from_its_newest_full_run_scoped_to_the_city(
    computed, quality_manager, province_manager
):
    query = {"month": "2026-10", "indicator": "BB-REPAIR-TIMELY"}
    mine = api(quality_manager).get("/api/v1/kpi/values/", query).json()["results"]
    assert [(v["breakdown"], v["city"]) for v in mine] == [("city", "NJ"), ("province", None)]
    nanjing = mine[0]
    assert (nanjing["numerator"], nanjing["denominator"]) == (2, 3)
    assert nanjing["status"] == "missed" and nanjing["run"] == computed.pk
    assert nanjing["month"] == "2026-10"
    everything = api(province_manager).get("/api/v1/kpi/values/", query).json()["results"]
    assert {(v["breakdown"], v["city"]) for v in everything} == {
        ("province", None),
        ("city", "NJ"),
        ("city", "SZ"),
    }
    by_city = api(province_manager).get(
        "/api/v1/kpi/values/", {**query, "city": "SZ", "run": computed.pk}
    )
    assert [v["value"] for v in by_city.json()["results"]] == [1.0]


def test_a_month_without_a_full_run_has_no_values(computed, province_manager):
    response = api(province_manager).get("/api/v1/kpi/values/", {"month": "2026-09"})
    assert response.json()["count"] == 0


def test_the_drill_down_lists_the_late_repair_with_local_times(computed, quality_manager):
    response = api(quality_manager).get(
        "/api/v1/kpi/drill-down/",
        {"indicator": "BB-REPAIR-TIMELY", "month": "2026-10", "city": "NJ"},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["fact"] == "repairs" and body["more"] is False
    assert [row["ref"] for row in body["rows"]] == ["R-LATE"]
    row = body["rows"][0]
    assert row["reported"] == "2026-10-10T08:00:00+08:00"
    assert row["restored"] == "2026-10-12T10:00:00+08:00"
    assert row["in_time"] is False and row["hours"] == pytest.approx(50)
    assert "48/72" in body["description"]


def test_a_complaint_count_drills_down_to_its_work_order_numbers(province_manager):
    acct = account("NJ")
    order = complaint(acct, "2026-10-02 10:00")
    response = api(province_manager).get(
        "/api/v1/kpi/drill-down/", {"indicator": "BB-COMPLAINTS-PER-10K", "month": "2026-10"}
    )
    assert [row["ref"] for row in response.json()["rows"]] == [order.number]


def test_a_nanjing_user_cannot_drill_into_suzhou_or_the_province(computed, quality_manager):
    client = api(quality_manager)
    for query in ({"city": "SZ"}, {}):
        response = client.get(
            "/api/v1/kpi/drill-down/",
            {"indicator": "BB-REPAIR-TIMELY", "month": "2026-10", **query},
        )
        assert response.status_code == 404


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/api/v1/kpi/drill-down/", {"indicator": "NOPE", "month": "2026-10"}),
        ("/api/v1/kpi/drill-down/", {"indicator": "BB-REPAIR-TIMELY"}),
        ("/api/v1/kpi/drill-down/", {"indicator": "BB-REPAIR-TIMELY", "month": "2026-13"}),
        ("/api/v1/kpi/drill-down/", {"indicator": "BB-REPAIR-TIMELY", "month": "x" * 5000}),
        (
            "/api/v1/kpi/drill-down/",
            {"indicator": "BB-REPAIR-TIMELY", "month": "2026-10", "cause": "x" * 5000},
        ),
        ("/api/v1/kpi/values/", {"month": "abc"}),
        ("/api/v1/kpi/values/", {"run": "99999999999999999999"}),
        ("/api/v1/kpi/values/", {"run": "-1"}),
        ("/api/v1/kpi/values/", {"breakdown": "galaxy"}),
        ("/api/v1/kpi/runs/", {"month": "0000-00"}),
        ("/api/v1/kpi/runs/", {"status": "sleeping"}),
        ("/api/v1/kpi/indicators/", {"phase": "never"}),
    ],
)
def test_hostile_parameters_are_a_bad_request(computed, province_manager, path, query):
    assert api(province_manager).get(path, query).status_code == 400


def test_users_without_the_indicators_are_refused_and_strangers_must_log_in(computed, agent):
    for path in (
        "/api/v1/kpi/indicators/",
        "/api/v1/kpi/runs/",
        "/api/v1/kpi/values/",
        "/api/v1/kpi/drill-down/?indicator=BB-REPAIR-TIMELY&month=2026-10&city=NJ",
    ):
        assert api(agent).get(path).status_code == 403, path
        assert APIClient().get(path).status_code == 401, path


def test_a_manager_queues_a_run_the_worker_computes(
    quality_manager, django_capture_on_commit_callbacks
):
    repair(account("NJ"), "2026-10-10 08:00", "2026-10-12 10:00")
    with django_capture_on_commit_callbacks(execute=True):
        response = api(quality_manager).post(
            "/api/v1/kpi/runs/",
            {"month": "2026-10", "indicators": ["BB-REPAIR-TIMELY"], "breakdowns": ["city"]},
            format="json",
        )
    assert response.status_code == 201
    body = response.json()
    assert (body["month"], body["status"], body["engine"]) == ("2026-10", "queued", "duckdb")
    run = KpiRun.objects.get(pk=body["id"])
    assert run.status == RunStatus.DONE
    detail = api(quality_manager).get(f"/api/v1/kpi/runs/{run.pk}/").json()
    assert detail["status"] == "done" and detail["created_by"] == "quality"
    values = api(quality_manager).get("/api/v1/kpi/values/", {"run": run.pk}).json()
    assert [(v["indicator"], v["city"], v["value"]) for v in values["results"]] == [
        ("BB-REPAIR-TIMELY", "NJ", 0.0)
    ]


@pytest.mark.parametrize(
    "body",
    [
        {"month": "2026-13"},
        {"month": "10/2026"},
        {},
        {"month": "2026-10", "engine": "excel"},
        {"month": "2026-10", "indicators": ["NOPE"]},
        {"month": "2026-10", "breakdowns": ["galaxy"]},
        {"month": "2026-10", "breakdowns": []},
        {"month": "2026-10", "indicators": "BB-REPAIR-TIMELY"},
    ],
)
def test_a_run_request_that_cannot_run_is_a_bad_request(quality_manager, body):
    response = api(quality_manager).post("/api/v1/kpi/runs/", body, format="json")
    assert response.status_code == 400
    assert not KpiRun.objects.exists()


def test_a_viewer_may_read_runs_but_not_queue_one(computed):
    lead = UserFactory(username="lead", roles=["team_lead"], city_codes=["NJ"])
    client = api(lead)
    assert client.get("/api/v1/kpi/runs/").json()["count"] == 1
    response = client.post("/api/v1/kpi/runs/", {"month": "2026-10"}, format="json")
    assert response.status_code == 403


def test_runs_filter_by_month(computed, province_manager):
    client = api(province_manager)
    assert client.get("/api/v1/kpi/runs/", {"month": "2026-10"}).json()["count"] == 1
    assert client.get("/api/v1/kpi/runs/", {"month": "2026-09"}).json()["count"] == 0


def test_a_run_lists_what_changed_since_the_previous_run_of_its_month(computed, quality_manager):
    repair(account("NJ"), "2026-10-20 08:00", "2026-10-25 08:00")  # late, in Nanjing
    repair(account("SZ"), "2026-10-20 08:00", "2026-10-25 08:00")  # late, in Suzhou
    second = services.compute_now(OCTOBER)
    client = api(quality_manager)
    changed = client.get(f"/api/v1/kpi/runs/{second.pk}/differences/").json()
    timely = {(d["breakdown"], d["key"]): (d["before"], d["after"]) for d in changed
              if d["indicator"] == "BB-REPAIR-TIMELY"}  # fmt: skip
    assert timely[("city", "南京")] == (pytest.approx(2 / 3), pytest.approx(0.5))
    assert timely[("province", "")] == (pytest.approx(0.75), pytest.approx(0.5))
    assert ("city", "苏州") not in timely  # not this user's city
    assert client.get(f"/api/v1/kpi/runs/{computed.pk}/differences/").json() == []
