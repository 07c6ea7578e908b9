"""The keyed audit chain (key id, client request id), growing alerts, and on PostgreSQL a
trigger that refuses UPDATE, DELETE and TRUNCATE of audit entries (docs/security.md)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

APPEND_ONLY = """
CREATE OR REPLACE FUNCTION sqm_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION USING
        MESSAGE = 'audit entries are append-only: ' || TG_OP || ' refused',
        ERRCODE = 'insufficient_privilege';
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER sqm_audit_no_change BEFORE UPDATE OR DELETE ON core_auditentry
    FOR EACH ROW EXECUTE FUNCTION sqm_audit_append_only();
CREATE TRIGGER sqm_audit_no_truncate BEFORE TRUNCATE ON core_auditentry
    FOR EACH STATEMENT EXECUTE FUNCTION sqm_audit_append_only();
"""

DROP_APPEND_ONLY = """
DROP TRIGGER IF EXISTS sqm_audit_no_truncate ON core_auditentry;
DROP TRIGGER IF EXISTS sqm_audit_no_change ON core_auditentry;
DROP FUNCTION IF EXISTS sqm_audit_append_only();
"""


def seal(apps, schema_editor) -> None:
    # Entries written before this change are chained with plain SHA-256; one keyed entry
    # chained on their last hash seals them (docs/security.md "Audit log").
    from sqm.core.audit import seal_legacy_entries

    seal_legacy_entries(apps.get_model("core", "AuditEntry"), apps.get_model("core", "AuditHead"))


def on_postgresql(sql: str):
    def run(apps, schema_editor) -> None:
        # SQLite has no roles to refuse anything to; there the keyed chain and the head file
        # are the protection.
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0007_complaint_imports"),
    ]

    operations = [
        migrations.AddField(
            model_name="alert",
            name="count",
            field=models.PositiveIntegerField(default=0, verbose_name="count"),
        ),
        migrations.AddField(
            model_name="auditentry",
            name="client_request_id",
            field=models.CharField(blank=True, max_length=64, verbose_name="client request id"),
        ),
        migrations.AddField(
            model_name="auditentry",
            name="key_id",
            field=models.CharField(blank=True, max_length=32, verbose_name="audit key"),
        ),
        migrations.AlterField(
            model_name="alert",
            name="kind",
            field=models.CharField(
                choices=[
                    ("reveal_rate", "many personal-data reveals"),
                    ("audit_chain", "audit log tampered with"),
                    ("lookup_misses", "many look-ups that found nobody"),
                ],
                max_length=32,
                verbose_name="kind",
            ),
        ),
        migrations.AlterField(
            model_name="auditentry",
            name="action",
            field=models.CharField(
                choices=[
                    ("login", "login"),
                    ("login_failed", "failed login"),
                    ("logout", "logout"),
                    ("locked_out", "locked out"),
                    ("reveal", "personal data revealed"),
                    ("export", "export"),
                    ("export_pii", "export with personal data"),
                    ("permission", "permission change"),
                    ("reveal_alert", "reveal threshold exceeded"),
                    ("key_rotation", "data key rotation"),
                    ("import", "import"),
                    ("lookup", "look-up by number"),
                    ("lookup_alert", "look-up miss threshold exceeded"),
                    ("audit_seal", "audit chain keyed"),
                ],
                max_length=16,
                verbose_name="action",
            ),
        ),
        migrations.AlterField(
            model_name="auditentry",
            name="actor",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="user",
            ),
        ),
        migrations.RunPython(seal, migrations.RunPython.noop),
        migrations.RunPython(on_postgresql(APPEND_ONLY), on_postgresql(DROP_APPEND_ONLY)),
    ]
