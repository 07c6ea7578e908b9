"""Every page a user can open, with hostile values in its query parameters: never a 500.

The pages are found by walking the URL patterns, so a new page is fuzzed without being
listed here; a pattern with an id in it needs a sample object (SAMPLES), or the test says
so. The parameters are the ones a page's module reads from `request.GET`, the list filters'
keys, and `page`. Each page is requested by an administrator and by a hotline agent, once
per hostile value with every parameter set to it, and once per (own parameter, value).
Server errors propagate (raise_request_exception), so a failure names its exception.
"""

from __future__ import annotations

import inspect
import re
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

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

# Not pages: the API (schemathesis fuzzes it), Django's admin, log-in and language switch.
SKIPPED_PREFIXES = ("api/", "admin/", "accounts/", "i18n/")

# Query-string values, already percent-encoded: huge, negative and non-numeric numbers, a
# NUL, the UTF-8 bytes of a lone surrogate and an invalid byte (both decode to U+FFFD),
# 10,000 characters, the ends of the calendar, markup.
HOSTILE = [
    "99999999999999999999",
    "-1",
    "0",
    "abc",
    "1.5",
    "%00",
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
SHORT_LIST = ["99999999999999999999", "abc", "%00", "%ED%A0%80", quote("0001-01-01T00:00:00+14:00")]

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


def own_params(view) -> set[str]:
    """The GET parameters the view reads: named literally in its source or in the sources
    of the functions and classes of its module that it uses, directly or not."""
    view = inspect.unwrap(view)
    module = inspect.getmodule(view)
    local = {
        name: item
        for name, item in vars(module).items()
        if (inspect.isfunction(item) or inspect.isclass(item))
        and getattr(item, "__module__", None) == module.__name__
    }
    seen, todo, names = set(), [view], {"page"}
    while todo:
        source = inspect.getsource(todo.pop())
        names |= set(GET_READ.findall(source))
        for name in re.findall(r"\b(\w+)\b", source):
            if name in local and name not in seen:
                seen.add(name)
                todo.append(local[name])
    return names


def fill(route: str, samples: dict[str, int]) -> str | None:
    """ROUTE with its converters replaced by sample values; None for a route that takes a
    free-form part (a calendar day, an action name): those are POST-only forms."""

    def value(match: re.Match) -> str:
        name = match.group(2)
        return str(samples[name])

    if re.search(r"<str:", route):
        return None
    return "/" + re.sub(r"<(int:)?(\w+)>", value, route)


@pytest.fixture
def samples(admin) -> dict[str, dict[str, int]]:
    """A small province: Nanjing and Suzhou's network, a work order with an attachment, a
    batch cause, a fault, an alert, an import job, a questionnaire with a model and a run.
    Keyed by URL name, then by the route's parameter name."""
    from pathlib import Path

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
    fault = build_fault(nj)
    audit.record("export", user=admin, target="list:customers")
    alert = Alert.objects.create(kind="reveal_rate", subject=admin, message="revealed 21")
    job = ImportJob.objects.create(
        kind="topology", file="imports/t.csv", original_name="t.csv", created_by=admin
    )
    questionnaire = load_questionnaire(Path(__file__).parent / "data" / "surveys" / "small.yaml")
    model = StructuralModel.objects.filter(questionnaire=questionnaire).first()
    run = AnalysisRun.objects.create(questionnaire=questionnaire, status="failed", error="x")
    note = Notification.objects.create(
        user=admin, kind="order_assigned", link=f"/complaints/orders/{order.pk}/"
    )
    return {
        "customers:customer": {"pk": nj.customer.pk},
        "customers:account": {"pk": nj.active.pk},
        "network:olt": {"pk": nj.olt.pk},
        "network:port": {"pk": nj.port.pk},
        "network:fault": {"pk": fault.pk},
        "network:fault_estimate": {"pk": fault.pk},
        "network:fault_progress": {"pk": fault.pk},
        "network:fault_sms_cancel": {"pk": fault.pk},
        "core:alert_ack": {"pk": alert.pk},
        "core:import": {"pk": job.pk},
        "core:notification_open": {"pk": note.pk},
        "complaints:order": {"pk": order.pk},
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
    }


def pages(samples) -> list[tuple[str, str, object]]:
    """(url, name, view) of every pattern outside SKIPPED_PREFIXES that can be filled in."""
    found, missing = [], []
    for route, name, view in patterns():
        if route.startswith(SKIPPED_PREFIXES):
            continue
        if "<" in route and "<str:" not in route and name not in samples:
            missing.append(f"{name} ({route})")
            continue
        url = fill(route, samples.get(name, {}))
        if url is not None:
            found.append((url, name, view))
    assert not missing, "give these patterns a sample object in `samples`: " + ", ".join(missing)
    return found


def request(client: Client, url: str, query: str):
    """GET URL?QUERY; a server error is an exception naming the page and the query."""
    try:
        return client.get(f"{url}?{query}" if query else url)
    except Exception as exc:  # noqa: BLE001 - re-raised with the request that caused it
        raise AssertionError(f"GET {url}?{query[:200]} raised {exc!r}") from exc


def rotations(params: list[str]) -> list[str]:
    """One query string per hostile value, every parameter set, each to a different value:
    over the strings every parameter meets every value once."""
    return [
        "&".join(f"{key}={HOSTILE[(i + j) % len(HOSTILE)]}" for j, key in enumerate(params))
        for i in range(len(HOSTILE))
    ]


@pytest.mark.parametrize("role", ["administrator", "hotline_agent"])
def test_no_page_answers_hostile_query_parameters_with_a_server_error(samples, admin, role):
    user = admin
    if role != "administrator":
        user = UserFactory(username="fuzz-agent", roles=["hotline_agent"], city_codes=["NJ"])
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
        # Alone, so no other parameter's error can hide it; repeated, for getlist readers.
        for key in sorted(own_params(view)):
            for value in SHORT_LIST:
                response = request(client, url, f"{key}={value}&{key}=1")
                assert response.status_code < 500, f"{url}?{key}={value[:40]}"
    assert opened >= (30 if role == "administrator" else 12)
