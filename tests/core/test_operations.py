"""The instance as operators run it: a fresh SQM_HOME, production refusal, audit verify."""

import os
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from sqm.core import audit


def sqm(args, home, **env_overrides):
    # A fresh process as an operator would start it: none of the test run's SQM_ settings,
    # nor the async escape hatch the browser tests' conftest sets for their own process.
    env = {
        k: v
        for k, v in os.environ.items()
        if (not k.startswith("SQM_") or k == "SQM_JOBS_IMMEDIATE")
        and k != "DJANGO_ALLOW_ASYNC_UNSAFE"
    }
    env.update(SQM_HOME=str(home), **env_overrides)
    return subprocess.run(
        [sys.executable, "-m", "sqm.cli", *args], env=env, capture_output=True, text=True
    )


def test_an_empty_home_and_migrate_give_a_working_instance(tmp_path):
    home = tmp_path / "fresh"
    assert sqm(["migrate", "-v0"], home).returncode == 0
    assert (home / "sqm.sqlite3").exists()
    assert {p.name for p in (home / "keys").iterdir()} == {
        "sqm_secret_key",
        "sqm_data_key",
        "sqm_lookup_key",
        "sqm_audit_key",
    }
    mode = sqm(
        [
            "shell",
            "-c",
            "from django.db import connection; c = connection.cursor(); "
            "print(c.execute('PRAGMA journal_mode').fetchone()[0])",
        ],
        home,
    )
    assert mode.stdout.strip().splitlines()[-1] == "wal"


def test_production_refuses_to_start_without_explicit_keys(tmp_path):
    result = sqm(["check"], tmp_path / "prod", SQM_ENV="production")
    assert result.returncode == 1
    assert "SQM_ENV=production but SQM_SECRET_KEY is not set" in result.stderr
    assert not (tmp_path / "prod" / "keys").exists()


def test_production_reads_keys_from_files(tmp_path):
    keys = {}
    for name, value in {
        "SQM_SECRET_KEY": "x" * 50,
        "SQM_DATA_KEY": sqm(["keys", "generate"], tmp_path / "dev").stdout.strip(),
        "SQM_LOOKUP_KEY": "y" * 43,
        "SQM_AUDIT_KEY": sqm(["keys", "generate"], tmp_path / "dev").stdout.strip(),
    }.items():
        path = tmp_path / name.lower()
        path.write_text(value + "\n")
        keys[f"{name}_FILE"] = str(path)
    result = sqm(
        ["check", "--deploy", "--fail-level", "CRITICAL"],
        tmp_path / "prod",
        SQM_ENV="production",
        SQM_ALLOWED_HOSTS="sqm.example",
        **keys,
    )
    assert result.returncode == 0, result.stderr


def test_a_malformed_data_key_is_a_clear_configuration_error(tmp_path):
    result = sqm(["keys", "status"], tmp_path / "bad", SQM_DATA_KEY="nonsense")
    assert result.returncode == 1
    assert "SQM_DATA_KEY must be" in result.stderr


@pytest.mark.django_db
def test_audit_verify_exits_1_naming_the_tampered_entry(capsys):
    entries = [audit.record("export", target=f"list:{n}") for n in range(3)]
    call_command("audit", "verify")
    assert "audit log intact" in capsys.readouterr().out
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # as the table's owner could
            # Deferred foreign-key checks of this test's inserts must run before ALTER TABLE.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE core_auditentry DISABLE TRIGGER sqm_audit_no_change")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        cursor.execute(
            "UPDATE core_auditentry SET reason = 'edited' WHERE id = %s", [entries[1].pk]
        )
    with pytest.raises(CommandError, match=f"broken at entry {entries[1].pk}"):
        call_command("audit", "verify")


def test_usage_errors_exit_2(tmp_path):
    assert sqm(["import", "nonsense", "x.csv"], tmp_path / "u").returncode == 2
    assert (
        sqm(["import", "customers", str(tmp_path / "missing.csv")], tmp_path / "u").returncode == 1
    )
