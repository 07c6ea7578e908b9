import pytest
from django.db import connection

from sqm.core import audit
from sqm.core.models import AuditEntry


@pytest.mark.django_db
def test_it_chains_entries_and_verifies_them():
    for n in range(5):
        audit.record("export", target=f"list:{n}")
    result = audit.verify()
    assert result.ok and result.checked == AuditEntry.objects.count()


@pytest.mark.django_db
def test_it_detects_an_altered_entry():
    entries = [audit.record("export", target=f"list:{n}") for n in range(4)]
    with connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditentry SET target = 'x' WHERE id = %s", [entries[2].pk])
    result = audit.verify()
    assert not result.ok and result.broken_at == entries[2].pk


@pytest.mark.django_db
def test_it_detects_a_removed_entry():
    entries = [audit.record("export", target=f"list:{n}") for n in range(4)]
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditentry WHERE id = %s", [entries[1].pk])
    assert not audit.verify().ok


@pytest.mark.django_db
def test_it_detects_the_newest_entries_removed():
    entries = [audit.record("export", target=f"list:{n}") for n in range(4)]
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditentry WHERE id = %s", [entries[-1].pk])
    assert not audit.verify().ok


@pytest.mark.django_db
def test_it_refuses_to_update_or_delete_through_the_orm():
    entry = audit.record("export")
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        AuditEntry.objects.get(pk=entry.pk).delete()


@pytest.mark.django_db
def test_an_auditor_sees_and_acknowledges_a_reveal_alert(client, auditor, agent):
    from django.urls import reverse

    from sqm.core.models import Alert

    alert = Alert.objects.create(kind="reveal_rate", subject=agent, message="agent revealed 21")
    client.force_login(auditor)
    assert "agent revealed 21" in client.get(reverse("core:audit")).content.decode()
    assert client.get(reverse("core:alert_ack", args=[alert.pk])).status_code == 405
    client.post(reverse("core:alert_ack", args=[alert.pk]))
    alert.refresh_from_db()
    assert alert.acknowledged_by == auditor and alert.acknowledged_at is not None
    assert "agent revealed 21" not in client.get(reverse("core:audit")).content.decode()


@pytest.mark.django_db
def test_a_hotline_agent_cannot_acknowledge_alerts(client, agent):
    from django.urls import reverse

    from sqm.core.models import Alert

    alert = Alert.objects.create(kind="reveal_rate", subject=agent, message="x")
    client.force_login(agent)
    assert client.post(reverse("core:alert_ack", args=[alert.pk])).status_code == 403
