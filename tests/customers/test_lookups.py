"""Look-ups by mobile or ID number: a deliberate act, counted, audited, limited and alerted.

The attack these close: a masked 138****5678 plus an exact-match look-up that answers "one
match" or "none" gives the full number back in 10,000 tries.
"""

from __future__ import annotations

import io
import json
import logging

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from sqm.core.logmask import GunicornLogger, PersonalDataFilter
from sqm.core.masking import mask_numbers
from sqm.core.models import Alert, AlertKind, AuditAction, AuditEntry
from sqm.customers import lookups
from sqm.customers.services import search_customers
from tests.api.data import token_client
from tests.factories import CustomerFactory, UserFactory

MOBILE = "13812345678"
ID_NUMBER = "32010219800101123X"


@pytest.fixture
def customer(db):
    return CustomerFactory(customer_id="NJ-C1", mobile=MOBILE, id_number=ID_NUMBER)


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def lookups_of(user):
    return AuditEntry.objects.filter(actor=user, action=AuditAction.LOOKUP)


# --- who may look up -------------------------------------------------------------------


@pytest.mark.parametrize("role", ["hotline_agent", "first_line", "team_lead"])
def test_the_roles_that_find_callers_may_look_up_by_number(db, customer, role):
    user = UserFactory(username=role, roles=[role], city_codes=["NJ"])
    assert list(search_customers(user, MOBILE)) == [customer]
    assert list(search_customers(user, ID_NUMBER.lower())) == [customer]


@pytest.mark.parametrize("role", ["second_line", "quality_manager", "auditor", "network_ops"])
def test_other_roles_are_refused_a_look_up_by_number(db, customer, role):
    user = UserFactory(username=role, roles=[role], city_codes=["NJ"])
    with pytest.raises(lookups.LookupRefused):
        search_customers(user, MOBILE)
    # The attempt is audited (with the hash), though nothing was looked up.
    entry = lookups_of(user).get()
    assert (entry.target, entry.details["refused"]) == (lookups.REFUSED_TARGET, "role")
    assert MOBILE not in str(entry.details)


def test_a_customer_id_or_account_search_is_not_a_look_up_by_number(quality_manager, customer):
    assert list(search_customers(quality_manager, "NJ-C1")) == [customer]
    assert not lookups_of(quality_manager).exists()


def test_the_customers_page_refuses_a_number_to_a_role_without_look_ups(quality_manager, customer):
    response = logged_in(quality_manager).post("/customers/", {"q": MOBILE})
    assert response.status_code == 403
    assert b"lookup-refused" in response.content
    assert b"NJ-C1" not in response.content


# --- audited with the hash, never the number --------------------------------------------


def test_each_look_up_is_audited_with_the_lookup_hash_and_never_the_number(first_line, customer):
    logged_in(first_line).post("/customers/", {"q": MOBILE})
    entry = lookups_of(first_line).get()
    assert entry.target == "customer:NJ-C1"
    assert entry.details["kind"] == "mobile"
    assert entry.details["lookup_hash"] == lookups.classify(MOBILE).digest
    assert entry.details["found"] == 1
    assert entry.details["channel"] == "page"
    flat = json.dumps([entry.target, entry.reason, entry.details], ensure_ascii=False)
    assert MOBILE not in flat and MOBILE[-8:] not in flat


def test_a_look_up_that_finds_nobody_is_audited_as_a_miss(first_line, customer):
    search_customers(first_line, "13800000000")
    entry = lookups_of(first_line).get()
    assert (entry.target, entry.details["found"]) == (lookups.MISS_TARGET, 0)


def test_the_customers_page_posts_the_number_so_it_stays_out_of_the_url(first_line, customer):
    client = logged_in(first_line)
    page = client.get("/customers/").content.decode()
    assert 'method="post" id="customer-search"' in page
    found = client.post("/customers/", {"q": MOBILE})
    assert found.status_code == 200 and b"NJ-C1" in found.content


def test_the_intake_look_up_posts_the_number(first_line, customer):
    client = logged_in(first_line)
    page = client.get("/complaints/intake/").content.decode()
    assert 'hx-post="/complaints/intake/customer/"' in page
    found = client.post("/complaints/intake/customer/", {"lookup": MOBILE})
    assert b"NJ-C1" in found.content
    assert lookups_of(first_line).get().details["channel"] == "intake"


# --- the hourly limit --------------------------------------------------------------------


def test_trying_candidates_stops_at_the_hourly_limit_before_the_number_is_found(
    first_line, customer, settings
):
    settings.SQM_LOOKUPS_PER_HOUR = 60
    settings.SQM_LOOKUP_MISS_ALERT = 10_000  # this test is about the limit alone
    client = token_client(first_line)
    candidates = [f"138{n:04d}5678" for n in range(10_000)]
    answers = []
    for candidate in candidates[:70] + [MOBILE]:
        response = client.post("/api/v1/customers/lookup/", {"mobile": candidate}, format="json")
        answers.append(response.status_code)
    assert answers[:60] == [200] * 60
    assert set(answers[60:]) == {429}  # the right number, tried last, is not confirmed
    assert lookups_of(first_line).exclude(target=lookups.REFUSED_TARGET).count() == 60
    # Refused tries are audited too, and keep the limit in force while they go on.
    assert lookups_of(first_line).filter(target=lookups.REFUSED_TARGET).count() == 11


def test_the_page_and_the_intake_answer_429_past_the_limit(first_line, customer, settings):
    settings.SQM_LOOKUPS_PER_HOUR = 1
    client = logged_in(first_line)
    assert client.post("/customers/", {"q": "13800000000"}).status_code == 200
    refused = client.post("/customers/", {"q": MOBILE})
    assert refused.status_code == 429 and b"NJ-C1" not in refused.content
    intake = client.post("/complaints/intake/customer/", {"lookup": MOBILE})
    assert intake.status_code == 429 and b"NJ-C1" not in intake.content
    htmx = client.post(
        "/complaints/intake/customer/", {"lookup": MOBILE}, headers={"HX-Request": "true"}
    )
    assert htmx.status_code == 200 and b"lookup-refused" in htmx.content


def test_the_work_order_list_counts_a_mobile_search_as_a_look_up(first_line, customer, settings):
    settings.SQM_LOOKUPS_PER_HOUR = 1
    client = token_client(first_line)
    assert client.get(f"/api/v1/work-orders/?q={MOBILE}").status_code == 200
    assert client.get(f"/api/v1/work-orders/?q={MOBILE}").status_code == 429
    page = logged_in(first_line).get(f"/complaints/orders/?q={MOBILE}")
    assert page.status_code == 429 and b"lookup-refused" in page.content


# --- look-ups built to confirm a guess -----------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        f"customer_id=NJ-C1&mobile={MOBILE}",
        f"customer_id=NJ-C1&id_number={ID_NUMBER}",
        f"mobile={MOBILE}&id_number={ID_NUMBER}",
        "mobile_hash=" + "a" * 64 + f"&mobile={MOBILE}",
    ],
)
def test_a_look_up_pinned_to_one_known_customer_is_refused(first_line, customer, query):
    response = token_client(first_line).get(f"/api/v1/customers/?{query}")
    assert response.status_code == 400
    assert not lookups_of(first_line).exists()


def test_the_api_filter_by_number_is_counted_like_every_look_up(first_line, customer):
    response = token_client(first_line).get(f"/api/v1/customers/?mobile={MOBILE}")
    assert [c["customer_id"] for c in response.json()["results"]] == ["NJ-C1"]
    assert lookups_of(first_line).get().details["channel"] == "api"


def test_a_role_without_look_ups_gets_403_with_the_reason_from_the_api(quality_manager, customer):
    client = token_client(quality_manager)
    response = client.get(f"/api/v1/customers/?mobile={MOBILE}", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 403
    assert "mobile or ID number" in response.json()["detail"]
    assert client.post("/api/v1/customers/lookup/", {"mobile": MOBILE}).status_code == 403


# --- an alert for a burst of misses ------------------------------------------------------


def test_a_burst_of_misses_raises_an_alert_for_auditors(first_line, customer, settings):
    settings.SQM_LOOKUP_MISS_ALERT = 5
    for n in range(5):
        search_customers(first_line, f"1380000000{n}")
    assert not Alert.objects.filter(kind=AlertKind.LOOKUP_MISSES).exists()
    search_customers(first_line, "13800000009")
    alert = Alert.objects.get(kind=AlertKind.LOOKUP_MISSES)
    assert alert.subject == first_line
    assert MOBILE not in alert.message


# --- never in a log line -----------------------------------------------------------------


def test_numbers_are_masked_in_log_lines():
    line = f'"GET /customers/?q={MOBILE}&id_number={ID_NUMBER} HTTP/1.1" ref=+86{MOBILE}'
    masked = mask_numbers(line)
    assert MOBILE not in masked and ID_NUMBER not in masked
    assert "138****5678" in masked and "3201**********123X" in masked
    # Order numbers, timestamps and longer digit runs are left alone.
    assert mask_numbers("TS20261201000123 1733011200123456") == "TS20261201000123 1733011200123456"


def test_the_django_log_handlers_mask_numbers(caplog):
    record = logging.LogRecord(
        "django.server", logging.INFO, __file__, 1, '"%s" %s', (f"GET /?mobile={MOBILE}", 200), None
    )
    PersonalDataFilter().filter(record)
    assert MOBILE not in record.getMessage()
    from django.conf import settings

    assert "personal_data" in settings.LOGGING["handlers"]["console"]["filters"]
    assert settings.LOGGING["loggers"]["django.server"]["handlers"] == ["console"]


def test_gunicorn_access_lines_are_masked():
    from gunicorn.config import Config

    class Request:
        method, path, query, version = "GET", "/api/v1/customers/", f"mobile={MOBILE}", (1, 1)
        uri = f"/api/v1/customers/?mobile={MOBILE}"
        headers = [("REFERER", f"http://sqm/customers/?q={MOBILE}")]

    class Response:
        status, response_length, sent, headers = "200 OK", 10, 10, []

    logger = GunicornLogger(Config())
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": Request.uri, "QUERY_STRING": Request.query,
               "SERVER_PROTOCOL": "HTTP/1.1", "HTTP_REFERER": Request.headers[0][1]}  # fmt: skip
    from datetime import timedelta

    atoms = logger.atoms(Response(), Request(), environ, timedelta(seconds=0.01))
    assert MOBILE not in json.dumps({k: str(v) for k, v in atoms.items()})


# --- the CLI -----------------------------------------------------------------------------


def test_the_cli_reads_numbers_from_stdin_and_prints_masked_customers(first_line, customer):
    out = io.StringIO()
    call_command(
        "customers", "lookup", "--user", "firstline", stdin=io.StringIO(MOBILE + "\n"), stdout=out
    )
    line = json.loads(out.getvalue())
    assert line["customers"][0]["customer_id"] == "NJ-C1"
    assert line["customers"][0]["mobile"] == "138****5678"
    assert lookups_of(first_line).get().details["channel"] == "cli"


def test_the_cli_refuses_a_user_whose_role_may_not_look_up(quality_manager, customer):
    with pytest.raises(CommandError, match="stdin:1"):
        call_command("customers", "lookup", "--user", "quality", stdin=io.StringIO(MOBILE + "\n"))


# --- reveals are limited too -------------------------------------------------------------


def test_reveals_past_the_hourly_limit_are_refused_with_429(agent, settings):
    settings.SQM_REVEALS_PER_HOUR = 2
    settings.SQM_REVEAL_ALERT_PER_HOUR = 100
    customers = [CustomerFactory(), CustomerFactory(), CustomerFactory()]
    client = logged_in(agent)
    for customer in customers[:2]:
        page = client.post(customer.get_absolute_url(), {"reason": "回访工单核实"})
        assert page.status_code == 200 and b"revealed" in page.content
    refused = client.post(customers[2].get_absolute_url(), {"reason": "回访工单核实"})
    assert refused.status_code == 429
    assert customers[2].mobile.encode() not in refused.content
    api = token_client(agent).post(
        f"/api/v1/customers/{customers[2].pk}/reveal/", {"reason": "回访工单核实"}, format="json"
    )
    assert api.status_code == 429
    assert AuditEntry.objects.filter(actor=agent, action=AuditAction.REVEAL).count() == 2


def test_an_import_error_quotes_a_mistyped_mobile_number_masked(db, tmp_path):
    import sqm.customers.importers  # noqa: F401 - registers the importer
    from sqm.core.importing import run_import

    path = tmp_path / "customers.csv"
    path.write_text(
        "customer_id,name,mobile,id_number,customer_type,tier,city,district,"
        "marketing_consent,service_sms_opt_out\n"
        "C1,张三,1381234567,32010219800101123X,public,normal,NJ,玄武区,0,0\n",
        encoding="utf-8",
    )
    result = run_import("customers", path)
    assert [e.reason for e in result.errors] == [
        "'138***4567' is not an 11-digit mainland mobile number"
    ]


def test_the_work_order_search_posts_and_comes_back_with_the_lookup_hash(first_line, customer):
    client = logged_in(first_line)
    response = client.post("/complaints/orders/", {"q": MOBILE, "state": ""})
    assert response.status_code == 302
    assert MOBILE not in response["Location"]
    assert "mobile_hash=" + lookups.classify(MOBILE).digest in response["Location"]
    page = client.get(response["Location"])
    assert page.status_code == 200 and MOBILE.encode() not in page.content
    assert b'id="number-search"' in page.content


def test_a_refused_export_is_a_page_in_the_users_language(quality_manager, customer):
    response = logged_in(quality_manager).post("/customers/export/", {"q": MOBILE})
    assert response.status_code == 403
    assert response["Content-Type"].startswith("text/html")
    assert "按手机号码或身份证号码查找客户" in response.content.decode()


def test_a_failed_login_with_a_number_for_a_user_name_is_audited_masked(client, db):
    client.post("/accounts/login/", {"username": MOBILE, "password": "wrong-password"})
    entry = AuditEntry.objects.get(action=AuditAction.LOGIN_FAILED)
    assert MOBILE not in entry.target and "138****5678" in entry.target


@pytest.mark.parametrize(
    "line",
    [
        '"GET /complaints/orders/?q=138+1234+5678 HTTP/1.1"',
        '"GET /complaints/orders/?q=138%201234%205678 HTTP/1.1"',
        '"GET /x?id=320102%2019800101%20123X HTTP/1.1"',
    ],
)
def test_numbers_a_url_carries_encoded_are_masked_in_log_lines(line):
    from sqm.core.logmask import mask_line

    masked = mask_line(line)
    assert "138****5678" in masked or "3201**********123X" in masked
    assert "1234" not in masked and "19800101" not in masked


def test_import_errors_never_quote_a_number_in_clear(db, tmp_path):
    import sqm.customers.importers  # noqa: F401 - registers the importer
    from sqm.core.importing import run_import

    path = tmp_path / "customers.csv"
    path.write_text(
        "customer_id,name,mobile,id_number,customer_type,tier,city,district,"
        "marketing_consent,service_sms_opt_out\n"
        f"C1,张三,{MOBILE},{ID_NUMBER},{MOBILE},normal,{ID_NUMBER},玄武区,0,0\n",
        encoding="utf-8",
    )
    result = run_import("customers", path)
    text = " ".join(e.reason for e in result.errors)
    assert result.errors and MOBILE not in text and ID_NUMBER not in text
