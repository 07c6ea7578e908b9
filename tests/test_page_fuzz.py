"""Every page a user can open, with hostile values in its query parameters and in the
fields its forms post: never a 500.

The pages are found by walking the URL patterns, so a new page is fuzzed without being
listed here; a pattern with an id in it needs a sample object (SAMPLES), or the test says
so. The parameters are the ones a page's module reads from `request.GET`, the list filters'
keys, and `page`; the posted fields are the ones a view reads from `request.POST` and the
fields of the forms it uses. Each page is requested by an administrator and by a hotline
agent, once per hostile value with every parameter set (each to a different value), and
once per (own parameter, value); each POST view the same way, every post in a savepoint
rolled back, so one post does not change what the next one meets. A NUL in a query is
refused before any view runs (RefuseNulMiddleware), so it is tested on its own: in the
rotations it would hide every other value. Server errors propagate
(raise_request_exception), so a failure names its exception.
"""

from __future__ import annotations

import functools
import inspect
import re
from urllib.parse import quote

import pytest
from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from sqm.api import tokens
from sqm.complaints import queries as complaint_queries
from sqm.complaints import records
from sqm.complaints.models import Category, WorkOrder
from sqm.complaints.workorders import open_work_order
from sqm.core import audit
from sqm.core.models import Alert, ImportJob, Notification
from sqm.network import fault_queries, sms_services
from tests.api.data import build_fault, build_nanjing, build_suzhou
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

# Not pages: the API (schemathesis fuzzes it), Django's admin, log-in, log-out and the
# language switch.
SKIPPED_PREFIXES = ("api/", "admin/", "accounts/login/", "accounts/logout/", "i18n/")

# Query-string values, already percent-encoded: huge, negative and non-numeric numbers,
# digits str.isdigit() accepts but int() refuses (²) or reads (Arabic-Indic ١٢ is 12), the
# UTF-8 bytes of a lone surrogate and an invalid byte (both decode to U+FFFD), 10,000
# characters, the ends of the calendar, markup. No NUL: see NUL below.
HOSTILE = [
    "99999999999999999999",
    "-1",
    "0",
    "abc",
    "1.5",
    quote("²"),
    quote("١٢"),
    "%ED%A0%80",
    "%FF",
    "x" * 10_000,
    "0001-01-01",
    "9999-12-31",
    quote("0001-01-01T00:00:00+14:00"),
    quote("9999-12-31T23:59:59-12:00"),
    quote("<script>alert(1)</script>"),
]

# One of each kind, for each parameter alone.
SHORT_LIST = [
    "99999999999999999999",
    "abc",
    quote("²"),
    "%ED%A0%80",
    "9999-12-31",
    quote("0001-01-01T00:00:00+14:00"),
]
# Refused by the middleware in a query; in a posted body it reaches the view (forms refuse it).
NUL = "%00"
# One of each kind, for each posted field alone ("abc" and the like: the rotations).
POST_LIST = [*(value for value in SHORT_LIST if value != "abc"), NUL]

# Keys the list filters read through their own from_query, beyond what a module's source
# names literally; and what every list reads.
FILTER_KEYS = {
    *complaint_queries.Filters.KEYS,
    "upgraded",
    "repeat",
    "open",
    "created_from",
    "created_to",
    "mobile_hash",
    *fault_queries.HistoryFilters.KEYS,
    "started_from",
    "started_to",
    *sms_services.SmsFilters.KEYS,
    "topic",
    "demands",
    "accepted",
    "dissatisfied",
    "needs_handover",
}
# request.GET.get("q"), request.GET["day"], and data.get("q") where data is request.GET.
GET_READ = re.compile(r"""(?:GET|data|query)(?:\.get|\.getlist)?[(\[]\s*["'](\w+)["']""")
# request.POST.get("version"), request.POST.getlist("ids"), request.POST["confirm"].
POST_READ = re.compile(r"""POST(?:\.get|\.getlist)?[(\[]\s*["'](\w+)["']""")
# A form bound with a prefix posts its fields as "<prefix>-<field>".
PREFIX = re.compile(r"""prefix\s*=\s*["'](\w+)["']""")


def patterns(resolvers=None, prefix: str = ""):
    """(route, name, view) of every URL pattern, with namespaces in the name."""
    for entry in resolvers if resolvers is not None else get_resolver().url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from (
                (sub_route, f"{entry.namespace}:{name}" if entry.namespace else name, view)
                for sub_route, name, view in patterns(entry.url_patterns, route)
            )
        elif isinstance(entry, URLPattern):
            yield route, entry.name, entry.callback


@functools.cache  # reading sources is slow, and every test asks for every view's
def sources(view) -> tuple[list[str], set[type]]:
    """The sources of VIEW and of the functions and classes of its module that it uses,
    directly or not; and the form classes (from anywhere) VIEW itself names (the forms a
    helper builds to show the page again are not what this view reads)."""
    view = inspect.unwrap(view)
    module = inspect.getmodule(view)
    local = {
        name: item
        for name, item in vars(module).items()
        if (inspect.isfunction(item) or inspect.isclass(item))
        and getattr(item, "__module__", None) == module.__name__
    }
    seen, todo, texts = set(), [view], []
    while todo:
        source = inspect.getsource(todo.pop())
        texts.append(source)
        for name in re.findall(r"\b(\w+)\b", source):
            if name in local and name not in seen:
                seen.add(name)
                todo.append(local[name])
    form_classes = {
        item
        for name in re.findall(r"\b(\w+)\b", texts[0])
        if inspect.isclass(item := vars(module).get(name)) and issubclass(item, forms.BaseForm)
    }
    return texts, form_classes


def own_params(view) -> set[str]:
    """The GET parameters the view reads, named literally in its sources."""
    texts, _forms = sources(view)
    return {"page"}.union(*(GET_READ.findall(text) for text in texts))


def own_fields(view) -> set[str]:
    """The POST fields the view reads: named literally in its sources, and the fields of the
    forms it names (under each prefix it names, and without one)."""
    texts, form_classes = sources(view)
    names = set().union(*(POST_READ.findall(text) for text in texts))
    prefixes = set(PREFIX.findall(texts[0]))  # the view's own forms, as it binds them
    for form_class in form_classes:
        for field in form_class.base_fields:
            names.add(field)
            names.update(f"{prefix}-{field}" for prefix in prefixes)
    return names


# Sample values for a route's free-form part: the actions an order in state "new" offers
# (and one it does not), a calendar day.
FREE_FORM = {
    "action": ["accept", "escalate", "transfer", "reply", "nonsense"],
    "day": ["2026-10-01"],
}


def fill(route: str, samples: dict[str, int]) -> str | None:
    """ROUTE with its converters replaced by sample values; None for a route that takes a
    free-form part (a calendar day, an action name): those are POST-only forms."""
    if re.search(r"<str:", route):
        return None
    return "/" + re.sub(r"<(int:)?(\w+)>", lambda match: str(samples[match.group(2)]), route)


def fill_all(route: str, samples: dict[str, int]) -> list[str]:
    """ROUTE filled in every way: each free-form part with each of its FREE_FORM values."""
    found = re.search(r"<str:(\w+)>", route)
    if found is None:
        return [fill(route, samples)]
    return [
        url
        for value in FREE_FORM[found.group(1)]
        for url in fill_all(route.replace(found.group(0), value, 1), samples)
    ]


@pytest.fixture
def samples(admin) -> dict[str, dict[str, int]]:
    """A small province: Nanjing and Suzhou's network, a work order with an attachment, a
    batch cause, a fault, an alert, an import job, a questionnaire with a model and a run.
    Keyed by URL name, then by the route's parameter name."""
    from datetime import date
    from pathlib import Path

    from sqm.quality.models import KpiRun
    from sqm.surveys.models import AnalysisRun, StructuralModel
    from sqm.surveys.services import load_questionnaire

    nj = build_nanjing()
    build_suzhou()
    recorder = UserFactory(username="fuzz-recorder", roles=["team_lead"], city_codes=["NJ"])
    order = open_work_order(
        recorder,
        customer=nj.customer,
        channel="hotline",
        category=Category.objects.get(code="NQ.BB.01"),
        description="宽带网速慢",
    )
    attachment = records.add_attachment(
        recorder, order, SimpleUploadedFile("note.txt", "客户来电记录".encode())
    )
    cause = records.create_cause(
        recorder, kind="billing_run", title="重复扣费", started_at=timezone.now()
    )
    WorkOrder.objects.filter(pk=order.pk).update(cause=cause)
    from sqm.knowledge import articles, problems

    problem = problems.open_problem(
        recorder, module=Category.objects.get(code="NQ.BB"), title="网速慢", symptom="晚上慢",
        orders=[order],
    )  # fmt: skip
    article = articles.create_article(recorder, title="网速慢口径", script="请重启光猫")
    fault = build_fault(nj)
    audit.record("export", user=admin, target="list:customers")
    alert = Alert.objects.create(kind="reveal_rate", subject=admin, message="revealed 21")
    job = ImportJob.objects.create(
        kind="topology", file="imports/t.csv", original_name="t.csv", created_by=admin
    )
    questionnaire = load_questionnaire(Path(__file__).parent / "data" / "surveys" / "small.yaml")
    model = StructuralModel.objects.filter(questionnaire=questionnaire).first()
    run = AnalysisRun.objects.create(questionnaire=questionnaire, status="failed", error="x")
    kpi_run = KpiRun.objects.create(
        month=date(2026, 10, 1), engine="duckdb", status="failed", error="x"
    )
    note = Notification.objects.create(
        user=admin, kind="order_assigned", link=f"/complaints/orders/{order.pk}/"
    )
    token = tokens.issue(admin, "fuzz").token
    return {
        "api_tokens:revoke": {"pk": token.pk},
        "customers:customer": {"pk": nj.customer.pk},
        "customers:account": {"pk": nj.active.pk},
        "network:olt": {"pk": nj.olt.pk},
        "network:port": {"pk": nj.port.pk},
        "network:fault": {"pk": fault.pk},
        "network:fault_estimate": {"pk": fault.pk},
        "network:fault_close_stale": {"pk": fault.pk},
        "network:fault_progress": {"pk": fault.pk},
        "network:fault_sms_cancel": {"pk": fault.pk},
        "core:alert_ack": {"pk": alert.pk},
        "core:import": {"pk": job.pk},
        "core:notification_open": {"pk": note.pk},
        "complaints:order": {"pk": order.pk},
        "complaints:order_action": {"pk": order.pk},
        "complaints:order_callback": {"pk": order.pk},
        "complaints:order_assign": {"pk": order.pk},
        "complaints:order_note": {"pk": order.pk},
        "complaints:order_attach": {"pk": order.pk},
        "complaints:order_breach": {"pk": order.pk},
        "complaints:order_cause": {"pk": order.pk},
        "complaints:attachment": {"pk": attachment.pk},
        "complaints:cause": {"pk": cause.pk},
        "surveys:questionnaire": {"pk": questionnaire.pk},
        "surveys:model_new": {"pk": questionnaire.pk},
        "surveys:model_edit": {
            "pk": questionnaire.pk,
            "model_pk": model.pk if model else 1,
        },
        "surveys:run": {"pk": run.pk},
        "surveys:run_xlsx": {"pk": run.pk},
        "surveys:run_pdf": {"pk": run.pk},
        # The monthly report of a month without a run or a report: its pages must still
        # refuse hostile input (tests/quality/test_report.py fuzzes one with figures).
        "quality:report": {"month": "2026-10"},
        "quality:report_edit": {"month": "2026-10"},
        "quality:report_publish": {"month": "2026-10"},
        "quality:report_export": {"month": "2026-10", "fmt": "html"},
        # A failed KPI run (its page without figures); an indicator's page and drill-down.
        "quality:run": {"pk": kpi_run.pk},
        "quality:indicator": {"code": "BB-REPAIR-TIMELY"},
        "quality:drill": {"code": "BB-REPAIR-TIMELY"},
        "knowledge:problem": {"pk": problem.pk},
        "knowledge:article": {"pk": article.pk},
    }


def pages(samples, post: bool = False) -> list[tuple[str, str, object]]:
    """(url, name, view) of every pattern outside SKIPPED_PREFIXES that can be filled in; for
    POST also those with a free-form part, once per sample value."""
    found, missing = [], []
    for route, name, view in patterns():
        if route.startswith(SKIPPED_PREFIXES):
            continue
        if re.search(r"<(int:)?\w+>", route) and name not in samples:
            missing.append(f"{name} ({route})")
            continue
        urls = (
            fill_all(route, samples.get(name, {})) if post else [fill(route, samples.get(name, {}))]
        )
        found.extend((url, name, view) for url in urls if url is not None)
    assert not missing, "give these patterns a sample object in `samples`: " + ", ".join(missing)
    return found


def request(client: Client, url: str, query: str):
    """GET URL?QUERY; a server error is an exception naming the page and the query."""
    try:
        return client.get(f"{url}?{query}" if query else url)
    except Exception as exc:  # noqa: BLE001 - re-raised with the request that caused it
        raise AssertionError(f"GET {url}?{query[:200]} raised {exc!r}") from exc


def send(client: Client, url: str, body: str):
    """POST the form BODY (percent-encoded, like a query) to URL in a savepoint rolled back
    afterwards; a server error is an exception naming the view and the body."""
    try:
        with transaction.atomic():
            response = client.post(url, body, content_type="application/x-www-form-urlencoded")
            transaction.set_rollback(True)
    except Exception as exc:  # noqa: BLE001 - re-raised with the request that caused it
        raise AssertionError(f"POST {url} {body[:200]} raised {exc!r}") from exc
    return response


def rotations(params: list[str]) -> list[str]:
    """One query string per hostile value, every parameter set, each to a different value:
    over the strings every parameter meets every value once."""
    return [
        "&".join(f"{key}={HOSTILE[(i + j) % len(HOSTILE)]}" for j, key in enumerate(params))
        for i in range(len(HOSTILE))
    ]


def fuzz_user(admin, role: str):
    if role == "administrator":
        return admin
    return UserFactory(username="fuzz-agent", roles=["hotline_agent"], city_codes=["NJ"])


@pytest.mark.parametrize("role", ["administrator", "hotline_agent"])
def test_no_page_answers_hostile_query_parameters_with_a_server_error(samples, admin, role):
    user = fuzz_user(admin, role)
    client = Client(raise_request_exception=True)
    client.force_login(user)
    targets = pages(samples)
    every = sorted(FILTER_KEYS.union(*(own_params(view) for _url, _name, view in targets)))
    opened = 0
    for url, _name, view in targets:
        first = request(client, url, "")
        if first.status_code in {403, 404, 405}:  # not this user's page, or POST-only
            continue
        opened += 1
        for query in rotations(every):
            response = request(client, url, query)
            assert response.status_code < 500, f"{url}?{query[:200]}"
        if role != "administrator":
            continue  # the agent sees fewer rows; the rotations are enough
        # Alone, so no other parameter's error can hide it; repeated, for getlist readers
        # (last, as get() reads the last value).
        for key in sorted(own_params(view)):
            for value in SHORT_LIST:
                response = request(client, url, f"{key}=1&{key}={value}")
                assert response.status_code < 500, f"{url}?{key}={value[:40]}"
    assert opened >= (30 if role == "administrator" else 12)


def test_a_nul_in_any_query_parameter_is_refused_before_the_page_runs(samples, admin):
    client = Client(raise_request_exception=True)
    client.force_login(admin)
    for url, _name, view in pages(samples):
        for key in sorted(own_params(view)):
            response = request(client, url, f"{key}=a{NUL}b")
            assert response.status_code == 400, f"{url}?{key}=a%00b"


# --- posted forms ------------------------------------------------------------------------


@pytest.fixture
def valid_fields(samples) -> dict[str, str]:
    """A plausible value for the fields most forms need, so that one hostile field at a time
    gets past the others' checks to the code that reads it."""
    from django.contrib.auth import get_user_model

    from sqm.complaints.models import Department

    order = samples["complaints:order"]["pk"]
    holder = get_user_model().objects.get(username="fuzz-recorder")
    department = Department.objects.exclude(kind="front_line").first()
    values = {
        "version": "0",
        "note": "客户来电",
        "internal-note": "客户说晚上更慢",
        "assignee": str(holder.pk),
        "department": str(department.pk) if department else "1",
        "ids": str(order),
        "message": "1",
        "confirm": "yes",
        "outcome": "satisfied",
        "reason": "线路故障",
        "kind": "billing_run",
        "title": "重复扣费",
        "started_at": "2026-11-01 08:00",
        "estimated_recovery": "2026-11-01 18:00",
        "next": "/complaints/orders/",
    }
    return {key: quote(value) for key, value in values.items()}


def post_targets(client: Client, samples) -> list[tuple[str, object, list[str]]]:
    """(url, view, fields) of the views reading a posted form that CLIENT's user may use: an
    empty post is answered with neither 405 (GET only) nor 403/404 (not this user's). A
    view that reads no field (a page answering POST like GET) is left to the GET fuzz."""
    found = []
    for url, _name, view in pages(samples, post=True):
        fields = own_fields(view)
        if not fields or send(client, url, "").status_code in {403, 404, 405}:
            continue
        found.append((url, view, sorted(fields | {"version", "next"})))
    return found


@pytest.mark.parametrize("role", ["administrator", "hotline_agent"])
def test_no_form_answers_hostile_posted_fields_with_a_server_error(
    samples, valid_fields, admin, role
):
    client = Client(raise_request_exception=True)
    client.force_login(fuzz_user(admin, role))
    targets = post_targets(client, samples)
    for url, _view, fields in targets:
        # Every field, each to a different value.
        for body in rotations(fields):
            response = send(client, url, body)
            assert response.status_code < 500, f"POST {url} {body[:200]}"
        if role != "administrator":
            continue  # the agent reaches fewer forms; the rotations are enough
        # One field at a time, the others valid; a NUL too (the middleware only reads queries).
        for key in fields:
            others = "&".join(
                f"{k}={v}" for k, v in valid_fields.items() if k in fields and k != key
            )
            for value in POST_LIST:
                body = f"{others}&{key}=1&{key}={value}"
                response = send(client, url, body)
                assert response.status_code < 500, f"POST {url} {body[:200]}"
    assert len(targets) >= (25 if role == "administrator" else 5)
