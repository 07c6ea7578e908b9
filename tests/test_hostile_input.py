"""Hostile input gets a 4xx (or a sane page), never a 500 (issue 11 §6).

Every client here re-raises a server error instead of turning it into a 500 page, so a
regression fails with the exception that caused it.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from sqm.complaints import records
from sqm.complaints.models import ComplaintCause
from sqm.core import audit
from sqm.core.importing.base import RowInvalid
from sqm.core.importing.fields import timestamp
from sqm.core.inputs import MAX_PAGE, loads_json, page_number, parse_day, parse_id, parse_whole
from sqm.network.alarms import read_alarm_lines
from sqm.network.models import AlarmEvent
from tests.api.data import build_fault, build_nanjing, token_client

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999"
FAR_ENDS = ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00"]
NAIVE_FAR_ENDS = ["0001-01-01T00:00", "9999-12-31T23:59"]
DEEP = "[" * 100_000
SURROGATE = '{"alarm_id": "\\ud800", "event": "raise"}'


def page_client(user) -> Client:
    client = Client(raise_request_exception=True)
    client.force_login(user)
    return client


def api_client(user) -> APIClient:
    client = token_client(user, language="en")  # the messages asserted are the English ones
    client.raise_request_exception = True
    return client


@pytest.fixture
def nj():
    return build_nanjing()


@pytest.fixture
def cause(admin):
    return records.create_cause(
        admin, kind="billing_run", title="重复扣费", started_at=timezone.now()
    )


# --- page numbers -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["/complaints/orders/", "/complaints/queue/", "/complaints/causes/", "cause"]
)
def test_a_huge_page_number_shows_an_empty_page_instead_of_overflowing_the_offset(
    admin, cause, url
):
    url = f"/complaints/causes/{cause.pk}/" if url == "cause" else url
    response = page_client(admin).get(url, {"page": HUGE})
    assert response.status_code == 200
    assert response.context["page"].number == MAX_PAGE
    assert list(response.context["page"]) == []


def test_page_numbers_are_read_as_whole_numbers_between_one_and_the_bound():
    assert page_number("3") == 3
    assert page_number(" 2 ") == 2
    assert page_number(None) == 1
    assert page_number("abc") == 1
    assert page_number("-5") == 1
    assert page_number("9" * 5000) == 1  # longer than int() converts
    assert page_number(HUGE) == MAX_PAGE


def test_ids_are_positive_ascii_whole_numbers_a_bigint_holds():
    assert parse_id("42") == 42
    for bad in (None, "", "abc", "-1", "0", "1e3", "١٢", HUGE, "4.0", "\x00"):
        assert parse_id(bad) is None, bad


def test_whole_numbers_are_ascii_digits_within_their_bounds():
    assert parse_whole("0") == 0 and parse_whole(" 7 ") == 7
    assert parse_whole("5", low=6) is None and parse_whole("5", high=4) is None
    # "²".isdigit() is true, yet int("²") raises; int("١٢") is 12.
    for bad in (None, "", "²", "١٢", "-0", "+1", HUGE):
        assert parse_whole(bad) is None, bad


# --- ids in the intake look-ups and form ------------------------------------------------


@pytest.mark.parametrize("customer", ["abc", HUGE, "-1", "1.5"])
def test_the_intake_suggestions_ignore_a_customer_id_that_is_not_one(agent, customer):
    response = page_client(agent).get(
        "/complaints/intake/suggest/", {"description": "网速慢", "customer": customer}
    )
    assert response.status_code == 200
    assert response.context["similar"] == []


@pytest.mark.parametrize("customer", ["abc", HUGE, "-1"])
def test_the_intake_form_with_a_customer_id_that_is_not_one_shows_its_errors(agent, nj, customer):
    response = page_client(agent).post(
        "/complaints/intake/",
        {"customer": customer, "account": "x", "channel": "hotline", "topic": "other"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["customer"]
    assert response.context["customer"] is None


def test_the_batch_answer_refuses_ids_that_are_not_ids(agent):
    response = page_client(agent).post(
        "/complaints/intake/batch-answer/", {"customer": "abc", "fault_event": HUGE}
    )
    assert response.status_code == 400


# --- the ends of the calendar -----------------------------------------------------------


@pytest.mark.parametrize("moment", NAIVE_FAR_ENDS + FAR_ENDS)
def test_a_batch_cause_form_at_the_ends_of_the_calendar_is_refused_with_a_message(admin, moment):
    response = page_client(admin).post(
        "/complaints/causes/", {"kind": "billing_run", "title": "重复扣费", "started_at": moment}
    )
    assert response.status_code == 200  # the page again, with the error
    assert "started_at" in response.context["form"].errors
    assert not ComplaintCause.objects.exists()


@pytest.mark.parametrize("moment", NAIVE_FAR_ENDS + FAR_ENDS)
def test_a_fault_estimate_at_the_ends_of_the_calendar_is_refused(admin, nj, moment):
    fault = build_fault(nj)
    response = page_client(admin).post(
        f"/network/faults/{fault.pk}/estimate/", {"estimated_recovery": moment}
    )
    assert response.status_code == 400
    fault.refresh_from_db()
    assert fault.estimated_recovery is None


@pytest.mark.parametrize("moment", FAR_ENDS)
def test_the_api_refuses_times_at_the_ends_of_the_calendar(admin, nj, moment):
    api = api_client(admin)
    alarm = {"alarm_id": "H-1", "event": "raise", "olt_id": "NJ-OLT-1", "level": "olt",
             "type": "LOS", "severity": "critical", "occurred_at": moment}  # fmt: skip
    response = api.post("/api/v1/alarms/", alarm, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["key"] == "occurred_at"
    assert not AlarmEvent.objects.exists()

    fault = build_fault(nj)
    response = api.patch(
        f"/api/v1/fault-events/{fault.pk}/", {"estimated_recovery": moment}, format="json"
    )
    assert response.status_code == 400
    assert "estimated_recovery" in response.json()

    cause = {"kind": "billing_run", "title": "重复扣费", "started_at": moment}
    response = api.post("/api/v1/complaint-causes/", cause, format="json")
    assert response.status_code == 400
    assert "started_at" in response.json()


def test_days_are_iso_days_between_the_bounds():
    assert str(parse_day(" 2026-12-01 ")) == "2026-12-01"
    for bad in (None, "", "abc", "2026-02-30", "0001-01-01", "9999-12-31", "١٢"):
        assert parse_day(bad) is None, bad


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "2026-02-30"])
def test_the_audit_log_ignores_a_day_it_cannot_filter_by(auditor, admin, day):
    # The day after 9999-12-31 overflowed; 0001-01-01 at +08:00 overflowed on SQLite.
    audit.record("export", user=admin, target="list:customers")
    response = page_client(auditor).get("/core/audit/", {"day": day})
    assert response.status_code == 200
    assert response.context["day"] is None
    assert len(response.context["page"]) >= 1  # unfiltered: the entry above is listed


def test_an_import_refuses_a_time_at_the_ends_of_the_calendar_naming_the_column():
    with pytest.raises(RowInvalid) as refused:
        timestamp({"opened_at": FAR_ENDS[0]}, "opened_at")
    assert refused.value.column == "opened_at"
    assert timestamp({"opened_at": "2026-11-22T08:00:00+08:00"}, "opened_at").year == 2026


# --- malformed JSON ----------------------------------------------------------------------

JSON_POSTS = [
    "/api/v1/work-orders/",
    "/api/v1/work-orders/batch-answer/",
    "/api/v1/intake/triage/",
    "/api/v1/complaint-causes/",
    "/api/v1/olts/",
]


@pytest.mark.parametrize("url", JSON_POSTS)
@pytest.mark.parametrize("body", [DEEP, SURROGATE], ids=["deep", "surrogate"])
def test_deeply_nested_json_or_a_lone_surrogate_is_a_bad_request(admin, url, body):
    response = api_client(admin).post(url, body, content_type="application/json")
    assert response.status_code == 400
    assert "Malformed JSON" in response.json()["detail"]


@pytest.mark.parametrize("body", [DEEP, SURROGATE], ids=["deep", "surrogate"])
def test_the_token_log_in_answers_malformed_json_anonymously_with_a_bad_request(body):
    client = APIClient(raise_request_exception=True)
    response = client.post("/api/v1/auth/token/", body, content_type="application/json")
    assert response.status_code == 400


@pytest.mark.parametrize("body", [DEEP, SURROGATE], ids=["deep", "surrogate"])
def test_the_alarm_api_answers_malformed_json_like_a_bad_alarm(admin, body):
    response = api_client(admin).post("/api/v1/alarms/", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["counts"] == {"rejected": 1}
    assert not AlarmEvent.objects.exists()


def test_alarm_files_report_a_line_nested_too_deeply_as_a_bad_line():
    alarms, errors = read_alarm_lines([DEEP, SURROGATE, "1" * 5000])
    assert alarms == []
    assert [error.line for error in errors] == [1, 2, 3]


def test_the_json_reader_keeps_good_documents_and_refuses_surrogates_in_keys_too():
    assert loads_json('{"a": ["中文", {"b": null}]}') == {"a": ["中文", {"b": None}]}
    with pytest.raises(ValueError):
        loads_json('{"\\udfff": 1}')
    with pytest.raises(ValueError):
        loads_json(DEEP)


# --- NUL, which PostgreSQL refuses in any statement ------------------------------------


@pytest.mark.parametrize(
    "url", ["/core/audit/?action=%00", "/network/faults/?city=x%00", "/customers/?q=%00&x=1"]
)
def test_a_nul_in_a_query_parameter_is_a_bad_request(admin, url):
    response = page_client(admin).get(url)
    assert response.status_code == 400


def test_a_nul_in_a_json_string_is_a_bad_request(admin):
    alarm = '{"alarm_id": "A\\u0000", "event": "raise", "olt_id": "NJ-OLT-1", "level": "olt"}'
    response = api_client(admin).post("/api/v1/alarms/", alarm, content_type="application/json")
    assert response.status_code == 400
    assert not AlarmEvent.objects.exists()


def test_the_api_names_the_parameter_holding_a_nul_in_its_error_shape(admin):
    response = api_client(admin).get("/api/v1/alarms/?alarm_id=%00")
    assert response.status_code == 400
    assert list(response.json()) == ["alarm_id"]


@pytest.mark.parametrize("back", ["abc", "99999999", "complaints:orders"])
def test_the_batch_answer_goes_back_only_to_a_path_of_this_site(agent, back):
    response = page_client(agent).post("/complaints/intake/batch-answer/", {"next": back})
    assert response.status_code == 400


def test_an_anonymous_upload_is_sent_to_log_in_before_its_body_is_read(client, db):
    import io

    upload = io.BytesIO(b"customer_id,mobile\nC1,13812345678\n")
    upload.name = "customers.csv"
    response = client.post("/core/imports/", {"kind": "customers", "file": upload})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    from django.conf import settings

    incoming = settings.MEDIA_ROOT / "uploads"
    assert not incoming.exists() or not any(p.is_file() for p in incoming.rglob("*"))


@pytest.mark.parametrize(
    "url",
    [
        "/admin/complaints/complaintcause/?city=99999999999999999999",
        "/admin/complaints/workorder/?customer=99999999999999999999",
        "/admin/complaints/category/?parent=99999999999999999999",
    ],
)
def test_an_admin_list_filter_too_large_for_the_database_is_a_bad_filter(admin, url):
    response = page_client(admin).get(url)
    # SQLite cannot bind the number: a bad filter; PostgreSQL compares it and finds nothing.
    assert response.status_code in (200, 302)
    if response.status_code == 302:
        assert response["Location"].endswith("?e=1")
