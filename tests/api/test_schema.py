import re
from io import StringIO

import pytest
import yaml
from django.core.management import call_command

pytestmark = pytest.mark.django_db

ENDPOINTS = {
    "/api/v1/auth/token/": {"post"},
    "/api/v1/customers/": {"get"},
    "/api/v1/customers/{id}/": {"get"},
    "/api/v1/customers/{id}/reveal/": {"post"},
    "/api/v1/accounts/": {"get"},
    "/api/v1/accounts/{id}/": {"get"},
    "/api/v1/olts/": {"get", "post"},
    "/api/v1/olts/{id}/": {"get", "put", "patch", "delete"},
    "/api/v1/olts/{id}/accounts/": {"get"},
    "/api/v1/pon-ports/": {"get"},
    "/api/v1/pon-ports/{id}/": {"get"},
    "/api/v1/pon-ports/{id}/accounts/": {"get"},
    "/api/v1/onus/": {"get"},
    "/api/v1/onus/{id}/": {"get"},
    "/api/v1/onus/{id}/accounts/": {"get"},
    "/api/v1/audit-entries/": {"get"},
    "/api/v1/audit-entries/{id}/": {"get"},
    "/api/v1/change-log/": {"get"},
    "/api/v1/change-log/{id}/": {"get"},
    "/api/v1/alerts/": {"get"},
    "/api/v1/alerts/{id}/": {"get"},
    "/api/v1/alerts/{id}/acknowledge/": {"post"},
    "/api/v1/kpi/indicators/": {"get"},
    "/api/v1/kpi/indicators/{code}/": {"get"},
    "/api/v1/kpi/runs/": {"get", "post"},
    "/api/v1/kpi/runs/{id}/": {"get"},
    "/api/v1/kpi/values/": {"get"},
    "/api/v1/kpi/drill-down/": {"get"},
}


def test_the_schema_is_valid_without_warnings():
    out = StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out)
    schema = yaml.safe_load(out.getvalue())
    assert schema["openapi"].startswith("3.")


def test_the_schema_documents_every_endpoint(client):
    response = client.get("/api/v1/schema/?format=json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    documented = {path: set(ops) - {"parameters"} for path, ops in paths.items()}
    for path, methods in ENDPOINTS.items():
        assert methods <= documented.get(path, set()), path


def test_the_schema_documents_errors_and_filters(client):
    paths = client.get("/api/v1/schema/?format=json").json()["paths"]
    customers = paths["/api/v1/customers/"]["get"]
    assert {"200", "400", "401", "403"} <= set(customers["responses"])
    names = {p["name"] for p in customers["parameters"]}
    assert {"tier", "customer_type", "city", "district", "mobile", "id_number"} <= names
    assert "404" in paths["/api/v1/customers/{id}/"]["get"]["responses"]
    assert "409" in paths["/api/v1/olts/{id}/"]["delete"]["responses"]
    assert "429" in paths["/api/v1/auth/token/"]["post"]["responses"]
    assert paths["/api/v1/auth/token/"]["post"].get("security", []) in ([], [{}])


def test_the_docs_page_loads_its_code_from_our_own_static_files(client):
    response = client.get("/api/v1/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assets = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html)
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets)
    assert any(a.endswith("swagger-ui.css") for a in assets)
    for asset in assets:
        assert asset.startswith("/static/"), asset
        assert client.get(asset).status_code == 200, asset
    assert not re.search(r"https?://(?!localhost|127\.0\.0\.1|testserver)", html)
    assert "/api/v1/schema/" in html
