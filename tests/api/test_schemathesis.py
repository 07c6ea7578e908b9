"""Schemathesis over every operation of our OpenAPI schema, in process, against real data.

Requests go through Django's WSGI handler in this thread, so they share the test's database
connection and transaction: pytest-django's plain `db` (rolled back after each operation)
is enough on SQLite and PostgreSQL alike, and writes (OLT create/update/delete) never leak
into other tests. Django closes "old" connections at each request's start and end; inside a
test transaction that would break it, so we unhook that as Django's own test client does.
"""

from __future__ import annotations

from datetime import date

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from sqm.api.tokens import issue as issue_token
from sqm.core import audit
from sqm.core.models import Alert, ChangeLogEntry
from sqm.quality.models import KpiRun
from tests.api.data import build_fault, token_key

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def openapi() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


OPERATIONS = sorted(
    (path, method.upper())
    for path, item in openapi()["paths"].items()
    for method in item
    if method in {"get", "post", "put", "patch", "delete"}
)


@pytest.fixture
def wsgi_app():
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def existing_ids(nj, sz, agent) -> dict[str, int]:
    """Some of everything, so lists and details have rows to serialise; one id per resource."""
    entry = audit.record("export", user=agent, target="list:customers", details={"rows": 2})
    alert = Alert.objects.create(kind="reveal_rate", subject=agent, message="agent revealed 21")
    return {
        "customers": nj.customer.pk,
        "accounts": nj.active.pk,
        "olts": nj.olt.pk,
        "pon-ports": nj.port.pk,
        "onus": nj.onu.pk,
        "audit-entries": entry.pk,
        "change-log": ChangeLogEntry.objects.latest("id").pk,
        "alerts": alert.pk,
        "fault-events": build_fault(nj).pk,
        "auth/tokens": issue_token(agent, "fuzz", replace=False).token.pk,
        "kpi/runs": KpiRun.objects.create(month=date(2026, 10, 1), engine="duckdb").pk,
    }


def test_every_operation_is_fuzzed():
    assert len(OPERATIONS) >= 25


@pytest.mark.parametrize(("path", "method"), OPERATIONS, ids=[f"{m} {p}" for p, m in OPERATIONS])
def test_the_api_conforms_to_its_schema(db, wsgi_app, existing_ids, admin, path, method):
    schema = schemathesis.openapi.from_dict(openapi())
    schema.app = wsgi_app
    operation = schema[path][method]
    token = token_key(admin)
    headers = {"Authorization": f"Token {token}"}
    if path == "/api/v1/auth/token/":
        headers = {}  # the login itself: with the admin token it would still be anonymous
    cases = operation.as_strategy()
    if "{id}" in path:
        # Random ids mostly miss; mix in cases aimed at a real object so its code runs too.
        resource = path.removeprefix("/api/v1/").split("/{id}")[0]
        real = operation.as_strategy(path_parameters={"id": existing_ids[resource]})
        cases = st.one_of(cases, real)

    @settings(
        max_examples=15,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.filter_too_much,
            HealthCheck.function_scoped_fixture,
        ],
    )
    @given(case=cases)
    def check(case):
        case.call_and_validate(headers=headers, checks=CHECKS)

    check()


# Writes that take a JSON body, and operations that read query parameters: the targets of
# the negative run below.
BODIES = [
    (path, method.upper())
    for path, item in openapi()["paths"].items()
    for method, operation in item.items()
    if "application/json" in operation.get("requestBody", {}).get("content", {})
]
QUERIES = sorted(
    {
        (path, method.upper())
        for path, item in openapi()["paths"].items()
        for method, operation in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
        and any(p.get("in") == "query" for p in operation.get("parameters", []))
    }
    | set(BODIES)
)
LOGIN = "/api/v1/auth/token/"
HOSTILE_BODIES = {
    "nested 100,000 deep": "[" * 100_000,
    "a lone surrogate": '{"name": "\\ud800", "title": "\\udfff"}',
    "not JSON": '{"name": ',
    "invalid UTF-8": b'{"name": "\xff\xfe"}',
    "a number longer than Python converts": '{"id": ' + "9" * 5000 + "}",
}


def test_every_json_write_is_fuzzed():
    assert len(BODIES) >= 8


@pytest.mark.parametrize(("path", "method"), QUERIES, ids=[f"{m} {p}" for p, m in QUERIES])
def test_input_that_breaks_the_schema_gets_no_server_error(
    db, wsgi_app, existing_ids, admin, path, method
):
    """Negative cases (wrong types, missing fields, values out of range) may be refused in
    any documented or undocumented 4xx; never a 5xx."""
    schema = schemathesis.openapi.from_dict(openapi())
    schema.app = wsgi_app
    operation = schema[path][method]
    headers = {} if path == LOGIN else {"Authorization": f"Token {token_key(admin)}"}
    kwargs = {}
    if "{id}" in path:
        resource = path.removeprefix("/api/v1/").split("/{id}")[0]
        kwargs["path_parameters"] = {"id": existing_ids[resource]}
    cases = operation.as_strategy(GenerationMode.NEGATIVE, **kwargs)

    @settings(
        max_examples=8,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=cases)
    def check(case):
        case.call_and_validate(headers=headers, checks=[not_a_server_error])

    check()


@pytest.mark.parametrize(("path", "method"), BODIES, ids=[f"{m} {p}" for p, m in BODIES])
def test_a_malformed_json_body_is_a_bad_request_everywhere(db, existing_ids, admin, path, method):
    """Sent as the schema's client would, by token (the log-in anonymously)."""
    client = APIClient(raise_request_exception=True)
    if path != LOGIN:
        client.credentials(HTTP_AUTHORIZATION=f"Token {token_key(admin)}")
    url = path
    if "{id}" in path:
        resource = path.removeprefix("/api/v1/").split("/{id}")[0]
        url = path.replace("{id}", str(existing_ids[resource]))
    url = url.replace("{number}", "TSNOSUCHORDER")
    for name, body in HOSTILE_BODIES.items():
        response = client.generic(method, url, body, content_type="application/json")
        assert response.status_code in {400, 404}, f"{name}: {response.status_code}"
