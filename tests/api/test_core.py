from datetime import timedelta

import pytest
from django.utils import timezone

from sqm.core import audit
from sqm.core.context import acting_as
from sqm.core.models import Alert, AuditEntry
from tests.factories import OltFactory

pytestmark = pytest.mark.django_db


def results(response) -> list[dict]:
    assert response.status_code == 200, response.content
    return response.json()["results"]


@pytest.mark.parametrize("path", ["audit-entries", "change-log", "alerts"])
def test_only_auditors_read_the_logs(api, auditor, agent, network_ops, path):
    assert api(auditor).get(f"/api/v1/{path}/").status_code == 200
    assert api(agent).get(f"/api/v1/{path}/").status_code == 403
    assert api(network_ops).get(f"/api/v1/{path}/").status_code == 403
    assert api(None).get(f"/api/v1/{path}/").status_code == 401


def test_it_filters_the_audit_log_by_action_actor_and_time(api, auditor, agent):
    audit.record("export", user=agent, target="list:1")
    audit.record("export", user=auditor, target="list:2")
    audit.record("import", user=agent, target="file:1")
    client = api(auditor)
    rows = results(client.get("/api/v1/audit-entries/?action=export&actor=agent"))
    assert [(row["actor"], row["target"]) for row in rows] == [("agent", "list:1")]
    later = (timezone.now() + timedelta(minutes=1)).isoformat()
    earlier = (timezone.now() - timedelta(minutes=1)).isoformat()
    assert results(client.get("/api/v1/audit-entries/", {"time_after": later})) == []
    rows = results(client.get("/api/v1/audit-entries/", {"time_after": earlier, "actor": "agent"}))
    assert {row["target"] for row in rows} == {"list:1", "file:1"}


def test_audit_entries_carry_their_hash_chain(api, auditor):
    first = audit.record("export", target="list:1")
    second = audit.record("export", target="list:2")
    body = api(auditor).get(f"/api/v1/audit-entries/{second.pk}/").json()
    assert body["prev_hash"] == first.hash and body["hash"] == second.hash


def test_audit_entries_cannot_be_changed_through_the_api(api, admin):
    entry = audit.record("export", target="list:1")
    client = api(admin)
    assert client.delete(f"/api/v1/audit-entries/{entry.pk}/").status_code == 405
    assert client.patch(f"/api/v1/audit-entries/{entry.pk}/", {}).status_code == 405
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_it_filters_the_change_log_by_type_object_and_user(api, auditor, network_ops):
    with acting_as(network_ops):
        mine = OltFactory()
    other = OltFactory()
    client = api(auditor)
    rows = results(client.get("/api/v1/change-log/?content_type=network.olt&user=netops"))
    assert [(row["object_id"], row["action"]) for row in rows] == [(str(mine.pk), "create")]
    assert rows[0]["content_type"] == "network.olt" and rows[0]["user"] == "netops"
    rows = results(client.get(f"/api/v1/change-log/?content_type=network.olt&object_id={other.pk}"))
    assert [row["user"] for row in rows] == [None]
    assert results(client.get("/api/v1/change-log/?content_type=customers.customer")) == []


def make_alert(subject, message: str = "agent revealed 21 customers within an hour") -> Alert:
    return Alert.objects.create(kind="reveal_rate", subject=subject, message=message)


def test_an_auditor_acknowledges_an_alert_once(api, auditor, admin, agent):
    alert = make_alert(agent)
    response = api(auditor).post(f"/api/v1/alerts/{alert.pk}/acknowledge/")
    assert response.status_code == 200
    assert response.json()["acknowledged_by"] == "auditor"
    first_time = response.json()["acknowledged_at"]
    again = api(admin).post(f"/api/v1/alerts/{alert.pk}/acknowledge/").json()
    assert again["acknowledged_by"] == "auditor" and again["acknowledged_at"] == first_time


def test_it_filters_alerts_by_acknowledgement(api, auditor, agent):
    open_alert, seen = make_alert(agent, "open"), make_alert(agent, "seen")
    api(auditor).post(f"/api/v1/alerts/{seen.pk}/acknowledge/")
    client = api(auditor)
    assert [r["id"] for r in results(client.get("/api/v1/alerts/?acknowledged=false"))] == [
        open_alert.pk
    ]
    assert [r["id"] for r in results(client.get("/api/v1/alerts/?acknowledged=true"))] == [seen.pk]
    assert len(results(client.get("/api/v1/alerts/?subject=agent"))) == 2


def test_an_agent_cannot_acknowledge_alerts(api, agent):
    alert = make_alert(agent)
    assert api(agent).post(f"/api/v1/alerts/{alert.pk}/acknowledge/").status_code == 403
    alert.refresh_from_db()
    assert alert.acknowledged_at is None


def test_it_takes_any_utc_offset_in_time_filters(api, auditor):
    # PostgreSQL refuses offsets beyond ±15:59 in a literal; the filter converts to UTC first.
    audit.record("export", target="list:1")
    client = api(auditor)
    query = {"time_after": "2000-01-01T00:00-19:13", "action": "export"}
    rows = results(client.get("/api/v1/audit-entries/", query))
    assert [row["target"] for row in rows] == ["list:1"]
    response = client.get("/api/v1/change-log/", {"time_before": "0001-01-01T00:00+10:00"})
    assert response.status_code == 400 and "time" in response.json()
