"""Who may open what: every page and API endpoint against every role, and against other cities.

Each row names a URL and the roles allowed to use it. For every role (a Nanjing user, or a
provincial one for auditor and administrator) the allowed get 200 and everyone else 403;
anonymous visitors are sent to log in (pages) or get 401 (API). Rows scoped to a city also
check that a Suzhou user of each allowed role gets 404 for a Nanjing object ("detail") or
does not find it in the list ("list").
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import openpyxl
import pytest
from django.test import Client
from rest_framework.test import APIClient

from sqm.core import audit
from sqm.core.models import Alert, ChangeLogEntry, ImportJob
from tests.api.data import build_fault, build_nanjing, build_suzhou, token_client
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ROLES = (
    "hotline_agent",
    "first_line",
    "second_line",
    "team_lead",
    "quality_manager",
    "network_ops",
    "auditor",
    "administrator",
)
PROVINCIAL = {"auditor", "administrator"}  # see every city

EVERYONE = frozenset(ROLES)
CUSTOMER_READERS = frozenset(
    {"hotline_agent", "first_line", "second_line", "team_lead", "quality_manager", "administrator"}
)
ACCOUNT_READERS = CUSTOMER_READERS | {"network_ops"}
TOPOLOGY_READERS = EVERYONE - {"auditor"}
REVEALERS = frozenset({"hotline_agent", "second_line", "team_lead", "administrator"})
TOPOLOGY_EDITORS = frozenset({"network_ops", "administrator"})
IMPORTERS = frozenset({"quality_manager", "network_ops", "administrator"})
AUDITORS = frozenset({"auditor", "administrator"})
RECORDERS = frozenset({"hotline_agent", "first_line", "team_lead", "administrator"})
OVERSEERS = frozenset({"team_lead", "quality_manager", "administrator"})
CAUSE_EDITORS = frozenset({"second_line", "team_lead", "quality_manager", "administrator"})
ADMINISTRATORS = frozenset({"administrator"})
NOC = frozenset({"network_ops", "administrator"})
ALARM_READERS = NOC | {"quality_manager"}
FAULT_READERS = TOPOLOGY_READERS
SURVEY_ANALYSTS = frozenset({"quality_manager", "administrator"})
QUALITY_READERS = frozenset({"team_lead", "quality_manager", "network_ops", "administrator"})
REPORT_WRITERS = frozenset({"quality_manager", "administrator"})
ALARM = {"alarm_id": "M-1", "event": "raise", "olt_id": "OLT-MATRIX", "level": "olt",
         "type": "LOS", "severity": "critical", "occurred_at": "2026-11-22T10:00:00"}  # fmt: skip


@dataclass(frozen=True)
class Row:
    # placeholders: {customer} {account} {olt} {port} {onu} {audit} {change} {alert} {order}
    # {attachment} {cause} {fault} {questionnaire} {run}
    url: str
    allowed: frozenset[str]
    scope: str | None = None  # "list" or "detail": checked against other cities too
    marker: str = ""  # shows that a Nanjing object is in a "list" response
    method: str = "get"
    body: dict = field(default_factory=dict)
    ok: int = 200

    @property
    def is_api(self) -> bool:
        return self.url.startswith("/api/")


ROWS = [
    # Pages.
    Row("/", EVERYONE),
    Row("/customers/", CUSTOMER_READERS, "list", "NJ-C1"),
    Row("/customers/{customer}/", CUSTOMER_READERS, "detail"),
    Row("/customers/export/", CUSTOMER_READERS, "list", "NJ-C1"),
    Row("/customers/accounts/", ACCOUNT_READERS, "list", "NJ-A1"),
    Row("/customers/accounts/{account}/", ACCOUNT_READERS, "detail"),
    Row("/customers/accounts/export/", ACCOUNT_READERS, "list", "NJ-A1"),
    Row("/network/olts/", TOPOLOGY_READERS, "list", "NJ-OLT-1"),
    Row("/network/olts/{olt}/", TOPOLOGY_READERS, "detail"),
    Row("/network/ports/{port}/", TOPOLOGY_READERS, "detail"),
    Row("/network/faults/", FAULT_READERS, "list", "NJ-OLT-1"),
    Row("/network/faults/history/", FAULT_READERS, "list", "NJ-OLT-1"),
    Row("/network/faults/{fault}/", FAULT_READERS, "detail"),
    Row("/network/faults/{fault}/progress/", FAULT_READERS, "detail"),
    Row(
        "/network/faults/{fault}/estimate/",
        NOC,
        "detail",
        method="post",
        body={"estimated_recovery": ""},
        ok=302,
    ),
    Row("/network/faults/unmatched/", ALARM_READERS),
    Row("/network/sms/", FAULT_READERS),
    Row("/network/sms/resend/", NOC, method="post", ok=302),
    Row(
        "/network/faults/{fault}/sms/cancel/",
        NOC,
        "detail",
        method="post",
        body={"confirm": "yes"},
        ok=302,
    ),
    Row("/core/audit/", AUDITORS),
    Row("/core/changelog/", AUDITORS),
    Row("/core/notifications/", EVERYONE),
    Row("/core/alerts/{alert}/acknowledge/", AUDITORS, method="post", ok=302),
    Row("/network/olts/export/", TOPOLOGY_READERS, "list", "NJ-OLT-1"),
    Row("/core/imports/", IMPORTERS),
    Row("/core/imports/", IMPORTERS, method="post"),  # no file: the form again, with errors
    Row("/core/calendar/", ADMINISTRATORS),
    Row(
        "/core/calendar/day/2026-10-08/",
        ADMINISTRATORS,
        method="post",
        body={"action": "clear"},
        ok=302,
    ),
    Row("/core/calendar/load/", ADMINISTRATORS, method="post", body={"year": "2026"}, ok=302),
    Row(
        "/core/calendar/periods/",
        ADMINISTRATORS,
        method="post",
        body={"periods-TOTAL_FORMS": "0", "periods-INITIAL_FORMS": "0"},
        ok=302,
    ),
    Row("/complaints/intake/", RECORDERS),
    Row("/complaints/intake/customer/?lookup=NJ-C1", RECORDERS, "list", "customer-found"),
    Row("/complaints/intake/triage/?topic=refund&accepted=on", RECORDERS),
    Row("/complaints/intake/suggest/?description=网速慢", RECORDERS),
    Row("/complaints/intake/batch-answer/", RECORDERS, method="post", ok=400),
    Row("/complaints/queue/", CUSTOMER_READERS),
    Row("/complaints/orders/", CUSTOMER_READERS, "list", "TSNJMATRIX1"),
    Row("/complaints/orders/{order}/", CUSTOMER_READERS, "detail"),
    Row("/complaints/orders/export/", OVERSEERS, "list", "TSNJMATRIX1"),
    Row("/complaints/overview/", OVERSEERS),
    Row("/complaints/attachments/{attachment}/", CUSTOMER_READERS, "detail"),
    Row("/complaints/causes/", CUSTOMER_READERS),
    Row("/complaints/causes/{cause}/", CUSTOMER_READERS),
    Row("/complaints/causes/", CAUSE_EDITORS, method="post", body={"title": ""}),
    Row("/surveys/", SURVEY_ANALYSTS),
    Row("/surveys/{questionnaire}/", SURVEY_ANALYSTS),
    Row("/surveys/{questionnaire}/models/new/", SURVEY_ANALYSTS),
    Row("/surveys/runs/{run}/", SURVEY_ANALYSTS),
    # The monthly quality report of 2026-10: a draft without a KPI run (objects()).
    Row("/quality/reports/", QUALITY_READERS),
    Row("/quality/reports/2026-10/", QUALITY_READERS),
    Row("/quality/reports/2026-10/edit/", REPORT_WRITERS),
    # Refused (no run to freeze): back to the report with the reason, nothing published.
    Row(
        "/quality/reports/2026-10/publish/",
        REPORT_WRITERS,
        method="post",
        body={"run": "1"},
        ok=302,
    ),
    # The quality dashboard, KPI runs, indicators and a Nanjing drill-down (no facts: empty).
    Row("/quality/", QUALITY_READERS),
    Row("/quality/runs/", QUALITY_READERS),
    Row("/quality/runs/", REPORT_WRITERS, method="post", body={"month": "not a month"}),
    Row("/quality/indicators/", QUALITY_READERS),
    Row("/quality/indicators/BB-REPAIR-TIMELY/", QUALITY_READERS),
    Row("/quality/drill/BB-REPAIR-TIMELY/?month=2026-10&city=NJ", QUALITY_READERS, "detail"),
    # API.
    Row("/api/v1/kpi/indicators/", QUALITY_READERS),
    Row("/api/v1/kpi/indicators/BB-REPAIR-TIMELY/", QUALITY_READERS),
    Row("/api/v1/kpi/runs/", QUALITY_READERS),
    Row("/api/v1/kpi/runs/", REPORT_WRITERS, method="post", body={"month": "2026-10"}, ok=201),
    Row("/api/v1/kpi/values/", QUALITY_READERS),
    Row(
        "/api/v1/kpi/drill-down/?indicator=BB-REPAIR-TIMELY&month=2026-10&city=NJ",
        QUALITY_READERS,
        "detail",
    ),
    Row("/api/v1/customers/", CUSTOMER_READERS, "list", "NJ-C1"),
    Row("/api/v1/customers/{customer}/", CUSTOMER_READERS, "detail"),
    Row(
        "/api/v1/customers/{customer}/reveal/",
        REVEALERS,
        "detail",
        method="post",
        body={"reason": "客户来电核实"},
    ),
    Row("/api/v1/accounts/", ACCOUNT_READERS, "list", "NJ-A1"),
    Row("/api/v1/accounts/{account}/", ACCOUNT_READERS, "detail"),
    Row("/api/v1/olts/", TOPOLOGY_READERS, "list", "NJ-OLT-1"),
    Row("/api/v1/olts/{olt}/", TOPOLOGY_READERS, "detail"),
    Row("/api/v1/olts/{olt}/accounts/", TOPOLOGY_READERS, "detail"),
    Row(
        "/api/v1/olts/{olt}/",
        TOPOLOGY_EDITORS,
        "detail",
        method="patch",
        body={"vendor": "烽火"},
    ),
    Row(
        "/api/v1/olts/",
        TOPOLOGY_EDITORS,
        method="post",
        body={"name": "南京鼓楼OLT09", "city": "NJ"},
        ok=201,
    ),
    Row("/api/v1/alarms/", ALARM_READERS),
    Row("/api/v1/alarms/", NOC, method="post", body=ALARM),
    Row("/api/v1/fault-events/", FAULT_READERS, "list", "NJ-OLT-1"),
    Row("/api/v1/fault-events/{fault}/", FAULT_READERS, "detail"),
    Row("/api/v1/fault-sms/", FAULT_READERS),
    Row(
        "/api/v1/fault-events/{fault}/",
        NOC,
        "detail",
        method="patch",
        body={"estimated_recovery": None},
    ),
    Row("/api/v1/pon-ports/", TOPOLOGY_READERS, "list", "NJ-OLT-1"),
    Row("/api/v1/pon-ports/{port}/", TOPOLOGY_READERS, "detail"),
    Row("/api/v1/pon-ports/{port}/accounts/", TOPOLOGY_READERS, "detail"),
    Row("/api/v1/onus/", TOPOLOGY_READERS, "list", "NJ-ONU-A"),
    Row("/api/v1/onus/{onu}/", TOPOLOGY_READERS, "detail"),
    Row("/api/v1/onus/{onu}/accounts/", TOPOLOGY_READERS, "detail"),
    Row("/api/v1/audit-entries/", AUDITORS),
    Row("/api/v1/audit-entries/{audit}/", AUDITORS),
    Row("/api/v1/change-log/", AUDITORS),
    Row("/api/v1/change-log/{change}/", AUDITORS),
    Row("/api/v1/alerts/", AUDITORS),
    Row("/api/v1/alerts/{alert}/", AUDITORS),
    Row("/api/v1/alerts/{alert}/acknowledge/", AUDITORS, method="post"),
    # Work orders by number. Writes are sent without a body: the allowed get 400 (a 404
    # from another city), so no row changes the order; tests/api/test_work_orders_api.py
    # runs them for real.
    Row(
        "/api/v1/intake/triage/",
        RECORDERS,
        method="post",
        body={"topic": "refund", "accepted": True},
    ),
    Row("/api/v1/work-orders/", RECORDERS, method="post", ok=400),
    Row("/api/v1/work-orders/batch-answer/", RECORDERS, method="post", ok=400),
    Row("/api/v1/work-orders/", CUSTOMER_READERS, "list", "TSNJMATRIX1"),
    Row("/api/v1/work-orders/queue/", CUSTOMER_READERS),
    Row("/api/v1/work-orders/overview/", OVERSEERS),
    Row("/api/v1/work-orders/TSNJMATRIX1/", CUSTOMER_READERS, "detail"),
    Row(
        "/api/v1/work-orders/TSNJMATRIX1/transitions/",
        CUSTOMER_READERS,
        "detail",
        method="post",
        ok=400,
    ),
    Row(
        "/api/v1/work-orders/TSNJMATRIX1/callback/",
        frozenset({"hotline_agent", "team_lead", "quality_manager", "administrator"}),
        "detail",
        method="post",
        ok=400,
    ),
    Row(
        "/api/v1/work-orders/TSNJMATRIX1/breach-reason/",
        CUSTOMER_READERS,
        "detail",
        method="post",
        ok=400,
    ),
    Row("/api/v1/work-orders/TSNJMATRIX1/cause/", CAUSE_EDITORS, "detail", method="post", ok=400),
    Row("/api/v1/complaint-causes/", CUSTOMER_READERS),
    Row("/api/v1/complaint-causes/", CAUSE_EDITORS, method="post", body={"title": ""}, ok=400),
    Row("/api/v1/complaint-categories/", CUSTOMER_READERS),
]


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Nine users per row: argon2's deliberate slowness would dominate this file."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def make_user(role: str, city_code: str):
    if role in PROVINCIAL:
        admin = role == "administrator"
        return UserFactory(
            username=role, roles=[role], all_cities=True, is_superuser=admin, is_staff=admin
        )
    return UserFactory(username=f"{role}-{city_code}", roles=[role], city_codes=[city_code])


@pytest.fixture
def objects() -> dict[str, int]:
    nj = build_nanjing()
    build_suzhou()
    entry = audit.record("export", target="list:customers")
    alert = Alert.objects.create(kind="reveal_rate", message="agent revealed 21 customers")
    order, attachment, cause = _complaint_objects(nj.customer)
    _report_objects()
    return {
        "order": order.pk,
        "attachment": attachment.pk,
        "cause": cause.pk,
        "customer": nj.customer.pk,
        "account": nj.active.pk,
        "olt": nj.olt.pk,
        "port": nj.port.pk,
        "onu": nj.onu.pk,
        "audit": entry.pk,
        "change": ChangeLogEntry.objects.latest("id").pk,
        "alert": alert.pk,
        "fault": build_fault(nj).pk,
        **_survey_objects(),
    }


def _report_objects() -> None:
    """The draft monthly quality report of 2026-10 (no KPI run of the month)."""
    from datetime import date

    from sqm.quality.models import MonthlyReport

    MonthlyReport.objects.create(number=1, month=date(2026, 10, 1))


def _survey_objects() -> dict[str, int]:
    """A questionnaire and an analysis run of it (failed: the page still shows it)."""
    from pathlib import Path

    from sqm.surveys.models import AnalysisRun
    from sqm.surveys.services import load_questionnaire

    q = load_questionnaire(Path(__file__).parent / "data" / "surveys" / "small.yaml")
    run = AnalysisRun.objects.create(questionnaire=q, status="failed", error="no responses")
    return {"questionnaire": q.pk, "run": run.pk}


def _complaint_objects(customer):
    """A Nanjing work order (numbered so lists can be searched for it), an attachment on it
    and a batch cause."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    from sqm.complaints import records
    from sqm.complaints.models import Category, WorkOrder
    from sqm.complaints.workorders import open_work_order

    recorder = UserFactory(username="matrix-recorder", roles=["team_lead"], city_codes=["NJ"])
    order = open_work_order(
        recorder,
        customer=customer,
        channel="hotline",
        category=Category.objects.get(code="NQ.BB.01"),
        description="宽带网速慢",
    )
    WorkOrder.objects.filter(pk=order.pk).update(number="TSNJMATRIX1")
    order.refresh_from_db()
    attachment = records.add_attachment(
        recorder, order, SimpleUploadedFile("note.txt", "客户来电记录".encode())
    )
    cause = records.create_cause(
        recorder, kind="billing_run", title="11月账单重复扣费", started_at=timezone.now()
    )
    return order, attachment, cause


def request(row: Row, url: str, user, role: str = ""):
    """Send ROW's request as USER (None: anonymous), by token for the API."""
    body = dict(row.body)
    if row.method == "post" and row.url == "/api/v1/olts/":
        body["olt_id"] = f"OLT-NEW-{role or 'anonymous'}-{user.pk if user else 0}"
    if row.is_api:
        client = token_client(user) if user else APIClient()
        return getattr(client, row.method)(url, body, format="json")
    client = Client()
    if user:
        client.force_login(user)
    return getattr(client, row.method)(url, body)


def body_text(response) -> str:
    """The response's text; for spreadsheet exports, the text of every cell."""
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if response["Content-Type"].startswith("application/vnd.openxmlformats"):
        book = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
        return " ".join(
            str(value)
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
            for value in row
            if value is not None
        )
    return content.decode()


def describe(row: Row) -> str:
    return f"{row.method.upper()} {row.url}"


@pytest.mark.parametrize("row", ROWS, ids=describe)
def test_each_role_gets_exactly_what_the_matrix_allows(row, objects):
    url = row.url.format(**objects)
    problems = []
    for role in ROLES:
        user = make_user(role, "NJ")
        response = request(row, url, user, role)
        expected = row.ok if role in row.allowed else 403
        if response.status_code != expected:
            problems.append(f"{role}: {response.status_code}, expected {expected}")
        elif row.scope == "list" and role in row.allowed and row.marker not in body_text(response):
            problems.append(f"{role}: {row.marker} missing from its own city's list")
    assert not problems, f"{describe(row)}: " + "; ".join(problems)


@pytest.mark.parametrize("row", ROWS, ids=describe)
def test_anonymous_visitors_must_log_in(row, objects):
    response = request(row, row.url.format(**objects), None)
    if row.is_api:
        assert response.status_code == 401
    else:
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


CITY_ROWS = [row for row in ROWS if row.scope]


@pytest.mark.parametrize("row", CITY_ROWS, ids=describe)
def test_users_of_another_city_do_not_see_nanjing(row, objects):
    url = row.url.format(**objects)
    problems = []
    for role in sorted(row.allowed - PROVINCIAL):
        response = request(row, url, make_user(role, "SZ"), role)
        if row.scope == "detail" and response.status_code != 404:
            problems.append(f"{role}: {response.status_code}, expected 404")
        if row.scope == "list":
            if response.status_code != 200:
                problems.append(f"{role}: {response.status_code}, expected 200")
            elif row.marker in body_text(response):
                problems.append(f"{role}: sees {row.marker}")
    assert not problems, f"{describe(row)} from Suzhou: " + "; ".join(problems)


def test_an_import_is_visible_to_the_user_who_started_it_only(client):
    owner = make_user("network_ops", "NJ")
    job = ImportJob.objects.create(
        kind="topology", file="imports/topology.csv", original_name="topology.csv", created_by=owner
    )
    url = f"/core/imports/{job.pk}/"
    expected = {
        owner: 200,
        make_user("quality_manager", "NJ"): 404,  # may import, but this one is not theirs
        make_user("administrator", "NJ"): 404,
        make_user("hotline_agent", "NJ"): 403,
    }
    for user, status in expected.items():
        client.force_login(user)
        assert client.get(url).status_code == status, user.username
