"""A real import holds the write lock only for a few set-based statements (issue 11 §5).

Rows are made ready (encrypted, hashed, snapshotted for the change log, create or update
decided) and staged in a TEMP table before the write transaction opens; the transaction then
runs the same few statements for 5 rows as for 45. Measured by behaviour, not by time: the
statements inside the transaction are counted, and a second connection to a file database
tries to take the write lock while the import checks and stages.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

import sqm.customers.importers
from sqm.core import crypto
from sqm.core.importing import base, run_import
from sqm.core.models import AuditEntry, ChangeLogEntry
from sqm.customers.models import Account, Customer
from tests.core.test_imports import (
    ACCOUNT_HEADER,
    CUSTOMER_HEADER,
    TOPOLOGY,
    TOPOLOGY_HEADER,
    write_csv,
)
from tests.core.test_uploads import customer_rows

ROOT = Path(__file__).resolve().parents[2]


class InTransaction:
    """The statements run inside the import's write transaction (deeper than the test's own
    savepoints), and how many rows their parameters carried."""

    def __init__(self) -> None:
        self.outside = len(connection.savepoint_ids)
        self.statements: list[str] = []
        self.sql: list[str] = []
        self.rows = 0

    def __call__(self, execute, sql, params, many, context):
        if len(connection.savepoint_ids) > self.outside:
            self.statements.append(sql.lstrip().split(None, 1)[0].upper())
            self.sql.append(sql)
            self.rows += len(params) if many else 1
        return execute(sql, params, many, context)


def import_counting(kind: str, path: Path) -> tuple[base.ImportResult, InTransaction]:
    seen = InTransaction()
    with connection.execute_wrapper(seen):
        result = run_import(kind, path)
    assert result.ok, result.error_lines()
    return result, seen


@pytest.fixture
def small_batches(monkeypatch):
    """Batches of 10 rows, so 45 rows are five batches: a per-batch write would show."""
    monkeypatch.setattr(base, "BATCH_SIZE", 10)


@pytest.mark.django_db
def test_the_write_transaction_runs_as_many_statements_for_45_customers_as_for_5(
    tmp_path, small_batches
):
    rows = customer_rows(51)
    run_import("customers", write_csv(tmp_path / "first.csv", CUSTOMER_HEADER, rows[:1]))
    few, many = rows[1:6], rows[6:]  # measured after the first audit entry made its head row
    _result, small = import_counting(
        "customers", write_csv(tmp_path / "a.csv", CUSTOMER_HEADER, few)
    )
    result, large = import_counting(
        "customers", write_csv(tmp_path / "b.csv", CUSTOMER_HEADER, many)
    )
    assert result.created == 45 and Customer.objects.count() == 51
    assert large.statements == small.statements  # O(1), not one INSERT per batch or row
    assert large.rows == small.rows
    assert ChangeLogEntry.objects.filter(action="create").count() == 51
    assert AuditEntry.objects.filter(target="import:customers").count() == 3


@pytest.mark.django_db
def test_updating_45_customers_runs_as_many_statements_as_updating_5_and_logs_each_change(
    tmp_path, small_batches
):
    rows = customer_rows(50)
    run_import("customers", write_csv(tmp_path / "all.csv", CUSTOMER_HEADER, rows))
    for row in rows:
        row[1] = "赵六"  # every name changes
        row[2] = "137" + row[2][3:]  # and every mobile
    _r, small = import_counting(
        "customers", write_csv(tmp_path / "a.csv", CUSTOMER_HEADER, rows[:5])
    )
    result, large = import_counting(
        "customers", write_csv(tmp_path / "b.csv", CUSTOMER_HEADER, rows[5:])
    )
    assert (result.created, result.updated) == (0, 45)
    assert large.statements == small.statements and large.rows == small.rows
    customer = Customer.objects.get(customer_id=rows[7][0])
    assert customer.name == "赵六" and customer.mobile == rows[7][2]
    assert customer.mobile_hash == crypto.lookup_hash(rows[7][2])  # looked up by its new number
    assert customer.pii_key_id == crypto.keyring().active_id
    change = ChangeLogEntry.objects.get(action="update", object_id=str(customer.pk))
    assert change.before["mobile"] != change.after["mobile"]
    assert rows[7][2] not in json.dumps(change.after)  # masked, as every change-log entry
    assert ChangeLogEntry.objects.filter(action="update").count() == 50


@pytest.mark.django_db
def test_reimporting_unchanged_customers_writes_nothing_but_the_audit_entry(tmp_path):
    rows = customer_rows(3)
    run_import("customers", write_csv(tmp_path / "c.csv", CUSTOMER_HEADER, rows))
    rows[1][1] = "孙八"  # one of three changes
    result, seen = import_counting(
        "customers", write_csv(tmp_path / "d.csv", CUSTOMER_HEADER, rows)
    )
    assert (result.created, result.updated) == (0, 3)  # counted as before: every row found
    updates = [sql for sql in seen.sql if sql.startswith('UPDATE "customers_customer"')]
    assert len(updates) == 1
    assert ChangeLogEntry.objects.filter(action="update").count() == 1
    again, seen = import_counting("customers", write_csv(tmp_path / "d.csv", CUSTOMER_HEADER, rows))
    assert (again.created, again.updated) == (0, 3)
    assert not [sql for sql in seen.sql if "customers_customer" in sql or "changelog" in sql]
    assert ChangeLogEntry.objects.filter(action="update").count() == 1


@pytest.mark.django_db
def test_accounts_are_written_set_based_with_their_references_resolved(tmp_path, small_batches):
    run_import("topology", write_csv(tmp_path / "t.csv", TOPOLOGY_HEADER, TOPOLOGY))
    customers = customer_rows(30)
    run_import("customers", write_csv(tmp_path / "c.csv", CUSTOMER_HEADER, customers))

    def accounts(rows):
        return [
            [f"A{i}", c[0], "broadband" if i % 2 else "mobile", "active", "某路1号", "100",
             "2024-01-01T00:00:00+08:00", "ONU-1" if i % 2 else ""]
            for i, c in rows
        ]  # fmt: skip

    few = accounts(list(enumerate(customers))[:5])
    many = accounts(list(enumerate(customers))[5:])
    _r, small = import_counting("accounts", write_csv(tmp_path / "a.csv", ACCOUNT_HEADER, few))
    result, large = import_counting("accounts", write_csv(tmp_path / "b.csv", ACCOUNT_HEADER, many))
    assert result.created == 25 and large.statements == small.statements
    account = Account.objects.select_related("customer", "onu").get(account_id="A7")
    assert account.customer.customer_id == customers[7][0] and account.onu.onu_id == "ONU-1"
    assert account.address == "某路1号" and account.bandwidth_mbps == 100


@pytest.mark.django_db
def test_a_customer_created_between_staging_and_writing_is_updated_not_duplicated(
    tmp_path, monkeypatch
):
    """The stage drifted: nothing of it is written, the spooled rows are written the plain
    way, still in one transaction."""
    rows = customer_rows(3)
    path = write_csv(tmp_path / "c.csv", CUSTOMER_HEADER, rows)
    importer = sqm.customers.importers.CustomerImporter
    begin = importer.begin

    def begin_after_another_writer(self):
        monkeypatch.setattr(importer, "begin", begin)  # the other writer's import: as it is
        run_import("customers", write_csv(tmp_path / "one.csv", CUSTOMER_HEADER, rows[1:2]))
        begin(self)

    monkeypatch.setattr(importer, "begin", begin_after_another_writer)
    result = run_import("customers", path)
    assert result.ok and (result.created, result.updated) == (2, 1)
    assert Customer.objects.count() == 3


@pytest.mark.django_db
def test_a_customer_saved_between_staging_and_writing_is_logged_from_its_new_state(
    tmp_path, monkeypatch
):
    rows = customer_rows(2)
    run_import("customers", write_csv(tmp_path / "c.csv", CUSTOMER_HEADER, rows))
    rows[0][1] = "钱七"
    path = write_csv(tmp_path / "d.csv", CUSTOMER_HEADER, rows)
    importer = sqm.customers.importers.CustomerImporter
    begin = importer.begin

    def begin_after_an_edit(self):
        customer = Customer.objects.get(customer_id=rows[0][0])
        customer.address = "另一个地址"
        customer.save()  # another user, meanwhile
        begin(self)

    monkeypatch.setattr(importer, "begin", begin_after_an_edit)
    assert run_import("customers", path).ok
    customer = Customer.objects.get(customer_id=rows[0][0])
    last = ChangeLogEntry.objects.filter(object_id=str(customer.pk)).order_by("-id").first()
    assert last.action == "update" and last.before["address"] != ""  # the edit, not the stage


@pytest.mark.django_db
def test_the_stage_holds_no_personal_data_in_clear(tmp_path, monkeypatch):
    """SQLite may spill its temporary database to a file: what is staged is ciphertext,
    lookup hashes and masked snapshots only."""
    rows = customer_rows(3)
    rows[0][10] = "南京市玄武区中山路1号"  # an address too
    importer = sqm.customers.importers.CustomerImporter
    begin, staged = importer.begin, []

    def begin_reading_the_stage(self):
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT * FROM {self.stage.table}")
            staged.extend(str(value) for row in cursor.fetchall() for value in row)
        begin(self)

    monkeypatch.setattr(importer, "begin", begin_reading_the_stage)
    assert run_import("customers", write_csv(tmp_path / "c.csv", CUSTOMER_HEADER, rows)).ok
    assert staged
    for clear in (rows[0][2], rows[0][3], rows[0][1], "中山路1号"):
        assert not [value for value in staged if clear in value]


@pytest.mark.django_db
def test_on_sqlite_older_than_3_33_the_import_writes_the_plain_way(tmp_path, monkeypatch):
    """UPDATE … FROM came with SQLite 3.33; Django runs on 3.31."""
    if connection.vendor != "sqlite":
        pytest.skip("a SQLite version")
    monkeypatch.setattr(connection.Database, "sqlite_version_info", (3, 32, 3))
    stages = []
    make_stage = sqm.customers.importers.CustomerImporter.make_stage
    monkeypatch.setattr(
        sqm.customers.importers.CustomerImporter,
        "make_stage",
        lambda self: stages.append(1) or make_stage(self),
    )
    rows = customer_rows(3)
    run_import("customers", write_csv(tmp_path / "c.csv", CUSTOMER_HEADER, rows))
    rows[0][1] = "周九"
    result = run_import("customers", write_csv(tmp_path / "d.csv", CUSTOMER_HEADER, rows))
    assert result.ok and (result.created, result.updated) == (0, 3)
    assert Customer.objects.get(customer_id=rows[0][0]).name == "周九"
    assert stages == []  # no TEMP table, no UPDATE … FROM


CHILD = """
import json, sqlite3, sys
from pathlib import Path
import django
django.setup()
from django.conf import settings
from django.core.management import call_command
call_command("migrate", verbosity=0)
import sqm.customers.importers
from sqm.core.importing import run_import, staging

importer = sqm.customers.importers.CustomerImporter
seen = []

def other_writer_can_write(where):
    db = sqlite3.connect(settings.DATABASES["default"]["NAME"], timeout=0, isolation_level=None)
    try:
        db.execute("BEGIN IMMEDIATE")
        db.execute("COMMIT")
        seen.append([where, True])
    except sqlite3.OperationalError:
        seen.append([where, False])
    db.close()

def wrap(cls, name, where, after=False):
    original = getattr(cls, name)
    def wrapped(*args, **kwargs):
        if not after:
            other_writer_can_write(where)
        value = original(*args, **kwargs)
        if after:
            other_writer_can_write(where)
        return value
    setattr(cls, name, wrapped)

wrap(importer, "check", "check")
wrap(staging.Stage, "_fill", "staging", after=True)
wrap(importer, "begin", "write")
result = run_import("customers", Path(sys.argv[1]))
print(json.dumps({"ok": result.ok, "created": result.created, "seen": seen}))
"""


def test_another_connection_can_write_the_database_while_the_import_checks_and_stages(tmp_path):
    """On a file database in WAL mode, as `sqm serve` runs it (an in-memory test database
    cannot show the lock). The probe is refused inside the write transaction: it works."""
    path = write_csv(tmp_path / "c.csv", CUSTOMER_HEADER, customer_rows(30))
    env = {k: v for k, v in os.environ.items() if not k.startswith("SQM_")}
    env.update(SQM_HOME=str(tmp_path / "home"), DJANGO_SETTINGS_MODULE="sqm.settings")
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(path)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    found = json.loads(out.stdout.strip().splitlines()[-1])
    assert found["ok"] and found["created"] == 30
    assert found["seen"] == [["check", True], ["staging", True], ["write", False]]
