import base64
import hashlib
import hmac
import json
import os
import socket
import stat

import pytest
from django.db import connection

from sqm.core import audit
from sqm.core.models import Alert, AlertKind, AuditEntry, AuditHead
from tests.factories import CustomerFactory

OTHER_KEY = "k0ther:" + base64.urlsafe_b64encode(b"o" * 32).decode()


def tamper(sql: str, params=()) -> None:
    """Write to the audit table as someone with database access; on PostgreSQL that needs the
    append-only trigger disabled first, as its owner or a superuser could."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Deferred foreign-key checks of this test's inserts must run before ALTER TABLE.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE core_auditentry DISABLE TRIGGER sqm_audit_no_change")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        cursor.execute(sql, params)


def recompute_chain(digest) -> None:
    """Re-chain every entry with DIGEST(prev_hash, entry) and fix the head row: what a
    database writer does after deleting an entry."""
    prev = audit.GENESIS
    entries = list(AuditEntry.objects.order_by("id"))
    for entry in entries:
        entry.prev_hash = prev
        new_hash = digest(prev, entry)
        tamper(
            "UPDATE core_auditentry SET prev_hash = %s, hash = %s, key_id = %s WHERE id = %s",
            [prev, new_hash, entry.key_id, entry.pk],
        )
        prev = new_hash
    AuditHead.objects.filter(pk=1).update(last_hash=prev, count=len(entries))


def plain_sha256(prev: str, entry: AuditEntry) -> str:
    entry.key_id = ""  # the public algorithm of the unkeyed chain
    return hashlib.sha256(audit._canonical(prev, entry)).hexdigest()


def first_pk() -> int:
    """The oldest entry (the test database already holds the permission changes of migrate)."""
    return AuditEntry.objects.order_by("id").values_list("pk", flat=True).first()


def hmac_with(key: bytes):
    def digest(prev: str, entry: AuditEntry) -> str:
        return hmac.new(key, audit._canonical(prev, entry), hashlib.sha256).hexdigest()

    return digest


@pytest.mark.django_db
def test_it_chains_entries_and_verifies_them():
    for n in range(5):
        audit.record("export", target=f"list:{n}")
    result = audit.verify()
    assert result.ok and result.checked == AuditEntry.objects.count()


@pytest.mark.django_db
def test_it_detects_an_altered_entry():
    entries = [audit.record("export", target=f"list:{n}") for n in range(4)]
    tamper("UPDATE core_auditentry SET target = 'x' WHERE id = %s", [entries[2].pk])
    result = audit.verify()
    assert not result.ok and result.broken_at == entries[2].pk


@pytest.mark.django_db
def test_it_detects_a_removed_entry():
    entries = [audit.record("export", target=f"list:{n}") for n in range(4)]
    tamper("DELETE FROM core_auditentry WHERE id = %s", [entries[1].pk])
    assert not audit.verify().ok


@pytest.mark.django_db
def test_it_detects_the_newest_entries_removed():
    entries = [audit.record("export", target=f"list:{n}") for n in range(4)]
    tamper("DELETE FROM core_auditentry WHERE id = %s", [entries[-1].pk])
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


# --- the keyed chain ---------------------------------------------------------------------


@pytest.mark.django_db
def test_a_chain_recomputed_with_plain_sha256_after_a_deletion_is_detected():
    entries = [audit.record("export", target=f"list:{n}") for n in range(5)]
    tamper("DELETE FROM core_auditentry WHERE id = %s", [entries[2].pk])
    recompute_chain(plain_sha256)
    result = audit.verify()
    assert not result.ok and result.broken_at == first_pk()
    assert "no entry is keyed" in result.problem


@pytest.mark.django_db
def test_a_chain_recomputed_with_plain_sha256_from_a_keyed_entry_on_is_detected():
    """The attacker keeps the first entries as they are and re-chains only from the gap."""
    entries = [audit.record("export", target=f"list:{n}") for n in range(5)]
    tamper("DELETE FROM core_auditentry WHERE id = %s", [entries[2].pk])
    kept = set(AuditEntry.objects.filter(pk__lt=entries[2].pk).values_list("pk", flat=True))

    def sha_after_the_gap(prev, entry):
        return entry.hash if entry.pk in kept else plain_sha256(prev, entry)

    recompute_chain(sha_after_the_gap)
    result = audit.verify()
    assert not result.ok and result.broken_at == entries[3].pk
    assert "not keyed" in result.problem


@pytest.mark.django_db
def test_a_chain_recomputed_with_a_wrong_key_is_detected():
    entries = [audit.record("export", target=f"list:{n}") for n in range(4)]
    tamper("DELETE FROM core_auditentry WHERE id = %s", [entries[1].pk])
    recompute_chain(hmac_with(b"w" * 32))
    result = audit.verify()
    assert not result.ok and result.broken_at == first_pk()
    assert "altered" in result.problem


@pytest.mark.django_db
def test_each_entry_records_the_key_it_was_chained_with_and_rotation_keeps_old_entries_valid(
    settings,
):
    old_id = settings.SQM_AUDIT_KEY.split(",")[0].split(":")[0]
    first = audit.record("export", target="before")
    settings.SQM_AUDIT_KEY = f"{OTHER_KEY},{settings.SQM_AUDIT_KEY}"
    second = audit.record("export", target="after")
    assert (first.key_id, second.key_id) == (old_id, "k0ther")
    assert audit.verify().ok
    settings.SQM_AUDIT_KEY = OTHER_KEY  # the old key dropped too early
    result = audit.verify()
    assert not result.ok and result.broken_at == first_pk()
    assert f"audit key {old_id!r}" in result.problem


@pytest.mark.django_db
def test_entries_written_before_the_chain_was_keyed_still_verify_and_are_sealed():
    before = AuditEntry.objects.count()
    legacy = [audit.record("export", target=f"old:{n}") for n in range(3)]
    recompute_chain(plain_sha256)  # as the entries were written before this change
    keyed = audit.record("export", target="new")
    result = audit.verify()
    assert result.ok and (result.checked, result.legacy) == (before + 4, before + 3)
    # Rewriting the legacy part is caught by the keyed entry that chained on it.
    tamper("DELETE FROM core_auditentry WHERE id = %s", [legacy[1].pk])
    kept = {keyed.pk}
    recompute_chain(lambda prev, e: e.hash if e.pk in kept else plain_sha256(prev, e))
    result = audit.verify()
    assert not result.ok and result.broken_at == keyed.pk


@pytest.mark.django_db
def test_the_upgrade_seals_the_unkeyed_entries_with_one_keyed_entry():
    before = AuditEntry.objects.count()
    for n in range(3):
        audit.record("export", target=f"old:{n}")
    recompute_chain(plain_sha256)
    assert audit.seal_legacy_entries(AuditEntry, AuditHead) == before + 3
    seal = AuditEntry.objects.latest("id")
    assert seal.action == "audit_seal" and seal.key_id
    assert seal.details == {"legacy_entries": before + 3}
    result = audit.verify()
    assert result.ok and (result.checked, result.legacy) == (before + 4, before + 3)


# --- the head file and syslog ------------------------------------------------------------


def heads_in(path) -> list[dict]:
    return [json.loads(line) for line in open(path, encoding="utf-8")]


@pytest.mark.django_db
def test_each_new_head_is_appended_after_commit_to_a_private_file(
    settings, django_capture_on_commit_callbacks
):
    before = AuditEntry.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        first = audit.record("export", target="a")
    with django_capture_on_commit_callbacks(execute=True):
        second = audit.record("export", target="b")
    heads = heads_in(settings.SQM_AUDIT_HEAD_FILE)
    assert [(h["count"], h["hash"]) for h in heads] == [
        (before + 1, first.hash),
        (before + 2, second.hash),
    ]
    assert stat.S_IMODE(os.stat(settings.SQM_AUDIT_HEAD_FILE).st_mode) == 0o600


@pytest.mark.django_db
def test_no_head_is_written_for_a_rolled_back_entry(settings, django_capture_on_commit_callbacks):
    from django.db import transaction

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            audit.record("export", target="undone")
            raise RuntimeError
    assert callbacks == [] and not os.path.exists(settings.SQM_AUDIT_HEAD_FILE)


@pytest.mark.django_db
def test_a_truncated_tail_is_detected_against_the_head_file(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        entries = [audit.record("export", target=f"list:{n}") for n in range(5)]
    # Delete the two newest entries and set the head row back: the chain itself still fits.
    total = AuditEntry.objects.count()
    tamper("DELETE FROM core_auditentry WHERE id >= %s", [entries[3].pk])
    AuditHead.objects.filter(pk=1).update(last_hash=entries[2].hash, count=total - 2)
    result = audit.verify()
    assert not result.ok and result.checked == total - 2
    assert f"head file recorded {total} entries but the database holds {total - 2}" in (
        result.problem
    )


@pytest.mark.django_db
def test_a_rewritten_tail_with_the_key_is_detected_against_the_head_file(
    settings, django_capture_on_commit_callbacks
):
    """Even someone holding the audit key cannot replace recorded entries unnoticed."""
    with django_capture_on_commit_callbacks(execute=True):
        entries = [audit.record("export", target=f"list:{n}") for n in range(4)]
    tamper("DELETE FROM core_auditentry WHERE id = %s", [entries[1].pk])
    _active, keys = audit.audit_keys()
    recompute_chain(hmac_with(keys[entries[0].key_id]))
    audit.record("export", target="filler")  # back to four entries
    result = audit.verify()
    assert not result.ok and result.broken_at == entries[2].pk
    assert "differs from the head file" in result.problem


@pytest.mark.django_db
def test_heads_written_out_of_order_by_concurrent_processes_verify(settings):
    before = AuditEntry.objects.count()
    entries = [audit.record("export", target=f"list:{n}") for n in range(3)]
    with open(settings.SQM_AUDIT_HEAD_FILE, "w", encoding="utf-8") as fh:
        for n in (2, 1, 3):  # the second writer's commit hook ran first
            head = {"count": before + n, "hash": entries[n - 1].hash, "time": "t"}
            fh.write(json.dumps(head) + "\n")
    assert audit.verify().ok


@pytest.mark.django_db
def test_audit_verify_exits_1_when_the_tail_is_cut(django_capture_on_commit_callbacks):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    with django_capture_on_commit_callbacks(execute=True):
        entries = [audit.record("export", target=f"list:{n}") for n in range(3)]
    tamper("DELETE FROM core_auditentry WHERE id = %s", [entries[-1].pk])
    AuditHead.objects.filter(pk=1).update(last_hash=entries[1].hash, count=2)
    with pytest.raises(CommandError, match="newest entries were removed"):
        call_command("audit", "verify")


@pytest.mark.django_db
def test_each_new_head_is_sent_to_syslog_when_configured(
    settings, django_capture_on_commit_callbacks
):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as server:
        server.bind(("127.0.0.1", 0))
        server.settimeout(5)
        settings.SQM_AUDIT_SYSLOG = f"127.0.0.1:{server.getsockname()[1]}"
        with django_capture_on_commit_callbacks(execute=True):
            entry = audit.record("export", target="a")
        message = server.recv(4096).decode()
    assert "sqm-audit-head:" in message and f'"hash":"{entry.hash}"' in message


# --- the append-only table on PostgreSQL -------------------------------------------------


@pytest.mark.django_db
@pytest.mark.skipif(
    os.environ.get("SQM_DATABASE_URL", "").split(":")[0] not in {"postgres", "postgresql"},
    reason="the trigger exists on PostgreSQL only",
)
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE core_auditentry SET reason = 'edited'",
        "DELETE FROM core_auditentry",
        "TRUNCATE core_auditentry",
    ],
)
def test_postgresql_refuses_to_change_or_remove_audit_entries(sql):
    from django.db import DatabaseError, transaction

    audit.record("export", target="kept")
    with connection.cursor() as cursor:
        # The test database lets the runner empty tables with TRUNCATE; production does not.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE core_auditentry ENABLE TRIGGER sqm_audit_no_truncate")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(sql)
    assert AuditEntry.objects.filter(target="kept").exists()


# --- no personal data in the log --------------------------------------------------------


@pytest.mark.django_db
def test_numbers_in_audit_details_are_stored_masked():
    entry = audit.record(
        "export",
        reason="客户 13812345678 来电",
        details={
            "filters": {"q": "15952656611", "mobile": 13912345678, "ids": ["32010219800101123X"]},
            "old_id": "320102800101123",
            "typed": "+86 159-5265-6611",
            "rows": 12,
        },
    )
    stored = AuditEntry.objects.get(pk=entry.pk)
    assert stored.details["filters"] == {
        "q": "159****6611",
        "mobile": "139****5678",
        "ids": ["3201**********123X"],
    }
    assert stored.details["old_id"] == "3201*******1123"
    assert stored.details["typed"] == "+86 159****6611"
    assert stored.details["rows"] == 12
    assert stored.reason == "客户 138****5678 来电"
    assert audit.verify().ok


@pytest.mark.django_db
def test_hex_digests_in_audit_details_are_kept_whole():
    digest = "c313774239949013b47a6" + "0" * 43  # holds a run of 15 digits
    entry = audit.record("lookup", details={"lookup_hash": digest, "q": "13812345678"})
    stored = AuditEntry.objects.get(pk=entry.pk)
    assert stored.details == {"lookup_hash": digest, "q": "138****5678"}
    assert audit.verify().ok


@pytest.mark.django_db
def test_a_customer_export_filtered_by_a_mobile_number_audits_it_masked(client, agent):
    from django.urls import reverse

    CustomerFactory(mobile="15952656611")
    client.force_login(agent)
    response = client.get(reverse("customers:customer_export"), {"q": "15952656611"})
    assert response.status_code == 200
    entry = AuditEntry.objects.filter(action="export").latest("id")
    assert entry.details["filters"]["q"] == "159****6611"
    assert "15952656611" not in json.dumps(entry.details) + entry.reason + entry.target


# --- reveal reasons ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reason", "meaningful"),
    [
        ("回访工单", True),
        ("WO-1234", True),
        ("核实身份 WO-1", True),
        ("回访", False),  # two characters: below the default four
        ("aaaa", False),  # one character repeated
        ("1111111", False),
        ("... ？？！！", False),
        ("a b c", False),
        ("", False),
    ],
)
def test_a_reveal_reason_needs_enough_meaningful_characters(settings, reason, meaningful):
    settings.SQM_REVEAL_REASON_MIN_CHARS = 4
    assert audit.reason_is_meaningful(reason) is meaningful


@pytest.mark.django_db
def test_a_reveal_with_a_too_short_reason_is_refused_and_not_audited(agent, settings):
    from django.core.exceptions import ValidationError

    from sqm.customers.services import reveal_customer

    settings.SQM_REVEAL_REASON_MIN_CHARS = 4
    customer = CustomerFactory()
    for reason in ["ok", "回访", "????", "xxxx"]:
        with pytest.raises(ValidationError):
            reveal_customer(agent, customer, reason)
    assert not AuditEntry.objects.filter(action="reveal").exists()
    assert reveal_customer(agent, customer, "回访工单 WO-7")["mobile"] == customer.mobile


# --- request ids -------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "client_id", ["short", "has spaces in it", "<script>alert(1)</script>", "x" * 65, "13812345678"]
)
def test_a_malformed_client_request_id_is_replaced_and_the_server_id_recorded(
    client, agent, client_id
):
    from django.urls import reverse

    client.force_login(agent)
    response = client.get(reverse("customers:customer_export"), HTTP_X_REQUEST_ID=client_id)
    entry = AuditEntry.objects.filter(action="export").latest("id")
    assert response["X-Request-ID"] != client_id
    assert entry.request_id == response["X-Request-ID"] and len(entry.request_id) == 32
    assert entry.client_request_id == ""


@pytest.mark.django_db
def test_a_well_formed_client_request_id_is_kept_beside_the_server_id(client, agent):
    from django.urls import reverse

    client.force_login(agent)
    response = client.get(reverse("customers:customer_export"), HTTP_X_REQUEST_ID="proxy-42.abc")
    entry = AuditEntry.objects.filter(action="export").latest("id")
    assert response["X-Request-ID"] == "proxy-42.abc" == entry.client_request_id
    assert entry.request_id not in {"", "proxy-42.abc"} and len(entry.request_id) == 32
    assert audit.verify().ok


# --- alerts that grow with the count -----------------------------------------------------


@pytest.mark.django_db
def test_the_alert_grows_with_the_count_and_a_new_one_comes_at_twice_the_threshold(agent):
    def alert_at(count):
        return audit.rate_alert(
            AlertKind.REVEAL_RATE, agent, count, 3, f"agent revealed {count}", {"n": count}
        )

    assert alert_at(3) is None  # at the limit, not over it
    first = alert_at(4)
    assert alert_at(5).pk == first.pk and alert_at(6).pk == first.pk
    first.refresh_from_db()
    assert (first.count, first.message) == (6, "agent revealed 6")
    second = alert_at(7)  # more than twice the threshold
    assert second.pk != first.pk and second.count == 7
    assert alert_at(7).pk == second.pk  # the same count again changes nothing
    assert alert_at(10).pk != second.pk  # more than three times
    assert Alert.objects.filter(subject=agent).count() == 3
    entries = AuditEntry.objects.filter(action="reveal_alert").order_by("id")
    assert [e.details["count"] for e in entries] == [4, 5, 6, 7, 10]
    assert [e.details["change"] for e in entries] == [
        "raised",
        "grown",
        "grown",
        "raised",
        "raised",
    ]


@pytest.mark.django_db
def test_look_up_miss_alerts_are_audited_as_look_up_alerts(agent):
    alert = audit.rate_alert(AlertKind.LOOKUP_MISSES, agent, 11, 10, "agent missed 11")
    assert alert.kind == "lookup_misses" and alert.count == 11
    assert AuditEntry.objects.filter(action="lookup_alert", actor=agent).count() == 1


@pytest.mark.django_db
def test_reveals_grow_the_users_alert_instead_of_staying_at_the_first_count(agent, settings):
    from sqm.customers.services import reveal_customer

    settings.SQM_REVEAL_ALERT_PER_HOUR = 2
    for customer in [CustomerFactory() for _ in range(5)]:
        reveal_customer(agent, customer, "回访工单 WO-9")
    alerts = list(Alert.objects.filter(kind="reveal_rate").order_by("id"))
    assert [a.count for a in alerts] == [4, 5]  # 3 and 4 grew the first; 5 > 2×2
    assert "5 customers" in alerts[1].message
