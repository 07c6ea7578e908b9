"""No API response but the reveal carries a customer's personal data in plaintext."""

import pytest
from django.contrib.contenttypes.models import ContentType
from drf_spectacular.generators import SchemaGenerator

from sqm.core.models import Alert, AuditEntry, ChangeLogEntry
from sqm.customers.models import Customer
from tests.api.data import ADDRESS, ID_NUMBER, MOBILE, NAME, build_fault
from tests.complaints.helpers import record

pytestmark = pytest.mark.django_db

PLAINTEXT = {"mobile": MOBILE, "id_number": ID_NUMBER, "name": NAME, "address": ADDRESS}


def get_paths() -> list[str]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return sorted(path for path, ops in schema["paths"].items() if "get" in ops)


def object_ids(nj, order) -> dict[str, object]:
    customer_type = ContentType.objects.get_for_model(Customer)
    return {
        "work-orders": order.number,
        "customers": nj.customer.pk,
        "accounts": nj.active.pk,
        "olts": nj.olt.pk,
        "pon-ports": nj.port.pk,
        "onus": nj.onu.pk,
        "audit-entries": AuditEntry.objects.get(action="reveal").pk,
        "change-log": ChangeLogEntry.objects.get(
            content_type=customer_type, object_id=str(nj.customer.pk)
        ).pk,
        "alerts": Alert.objects.get().pk,
        "fault-events": build_fault(nj).pk,
        "kpi/runs": _kpi_run().pk,
        "kpi/indicators": "BB-REPAIR-TIMELY",
    }


def _kpi_run():
    from sqm.quality import services
    from sqm.quality.facts import Month

    return services.compute_now(Month.parse("2026-10"), codes=["BB-REPAIR-TIMELY"])


def assert_no_plaintext(body: str, where: str) -> None:
    for field, value in PLAINTEXT.items():
        assert value not in body, f"plaintext {field} in {where}"


@pytest.mark.parametrize("who", ["admin", "agent"])
def test_no_read_endpoint_returns_plaintext_personal_data(api, admin, agent, nj, who, request):
    revealed = api(agent).post(
        f"/api/v1/customers/{nj.customer.pk}/reveal/", {"reason": "核实身份"}, format="json"
    )
    assert revealed.json()["mobile"] == MOBILE  # the one place it may appear
    Alert.objects.create(kind="reveal_rate", subject=agent, message="agent revealed 21")
    order = record(agent, customer=nj.customer, description="宽带网速慢")
    client = api(request.getfixturevalue(who))
    ids = object_ids(nj, order)
    paths = get_paths()
    assert len(paths) >= 16
    for template in paths:
        resource = template.removeprefix("/api/v1/").split("/")[0]
        if resource == "kpi":  # the indicators' endpoints sit one level down
            resource = "/".join(template.removeprefix("/api/v1/").split("/")[:2])
        for key in ("{id}", "{number}", "{code}"):
            if key in template:
                template = template.replace(key, str(ids[resource]))
        path = template
        for query in ("", f"?mobile={MOBILE}", f"?id_number={ID_NUMBER}&limit=1"):
            response = client.get(path + query)
            assert response.status_code in (200, 400, 403), (path, response.status_code)
            assert_no_plaintext(response.content.decode(), path + query)


def test_the_change_log_of_a_customer_holds_only_masked_values(api, auditor, nj):
    rows = api(auditor).get("/api/v1/change-log/?content_type=customers.customer").json()
    (row,) = rows["results"]
    assert row["after"]["mobile"] == "138****5678"
    assert_no_plaintext(str(rows), "change log")
