"""Uploaded files are sealed on arrival, deleted after a success, kept sealed after a failure
until the purge; imports check every row reading only, then write in one transaction."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from django.utils import timezone

import sqm.customers.importers  # noqa: F401 - registers the importers
import sqm.network.importers  # noqa: F401
from sqm.core import uploads
from sqm.core.importing import run_import
from sqm.core.models import ImportJob
from sqm.core.validators import id_check_digit
from sqm.customers.models import Account, Customer
from tests.core.test_imports import (
    ACCOUNT_HEADER,
    CUSTOMER_HEADER,
    GOOD_CUSTOMERS,
    TOPOLOGY,
    TOPOLOGY_HEADER,
    write_csv,
)
from tests.factories import UserFactory

MOBILE = GOOD_CUSTOMERS[0][2].encode()  # 13812345678
ID_NUMBER = GOOD_CUSTOMERS[0][3].encode()


@pytest.fixture
def quality(db):
    return UserFactory(username="quality", roles=["quality_manager"], all_cities=True)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    # Under Django's own handlers every upload would go to a temporary file here first.
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 0
    settings.FILE_UPLOAD_TEMP_DIR = tmp_path / "upload-tmp"
    settings.FILE_UPLOAD_TEMP_DIR.mkdir()
    return settings.MEDIA_ROOT


def csv_bytes(rows) -> bytes:
    lines = [",".join(CUSTOMER_HEADER)] + [",".join(r) for r in rows]
    return ("\n".join(lines) + "\n").encode("utf-8")


def files_holding(needle: bytes, *folders: Path) -> list[Path]:
    return [
        path
        for folder in folders
        if folder.is_dir()
        for path in folder.rglob("*")
        if path.is_file() and needle in path.read_bytes()
    ]


def customer_rows(n: int) -> list[list[str]]:
    """N valid customers with distinct mobile and ID numbers."""
    rows = []
    for i in range(n):
        first17 = f"32010219800101{i % 1000:03d}"
        rows.append([
            f"G{i:06d}", "张三", f"139{i:08d}", first17 + id_check_digit(first17), "public",
            "normal", "南京", "玄武区", "0", "0", "",
        ])  # fmt: skip
    return rows


def test_a_successful_upload_never_leaves_the_mobile_number_in_clear_on_disk(
    client, quality, media, settings, monkeypatch, tmp_path
):
    """Checked while the worker writes (the file is then at its fullest on disk), and after."""
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path / "tmp"))  # the import's spool
    (tmp_path / "tmp").mkdir()
    folders = (media, settings.FILE_UPLOAD_TEMP_DIR, tmp_path / "tmp")
    seen_during_write: list[list[Path]] = []
    importer = sqm.customers.importers.CustomerImporter
    original = importer.write

    def write(self, batch, **kwargs):
        seen_during_write.append(
            files_holding(MOBILE, *folders) + files_holding(ID_NUMBER, *folders)
        )
        return original(self, batch, **kwargs)

    monkeypatch.setattr(importer, "write", write)
    client.force_login(quality)
    upload = SimpleUploadedFile("customers.csv", csv_bytes(GOOD_CUSTOMERS), "text/csv")
    client.post(reverse("core:imports"), {"kind": "customers", "file": upload})
    job = ImportJob.objects.get()
    assert job.status == "done" and Customer.objects.count() == 2
    assert seen_during_write == [[]]  # one batch written, no clear copy anywhere meanwhile
    assert job.file.name == ""  # its file is gone with the success
    assert files_holding(MOBILE, *folders) == []
    assert [p for p in media.rglob("*") if p.is_file()] == []


def test_a_failed_upload_is_kept_only_sealed_and_purged_after_the_keep_time(
    client, quality, media, settings
):
    client.force_login(quality)
    bad = [row[:] for row in GOOD_CUSTOMERS]
    bad[1][2] = "123"
    content = csv_bytes(bad)
    upload = SimpleUploadedFile("customers.csv", content, "text/csv")
    client.post(reverse("core:imports"), {"kind": "customers", "file": upload})
    job = ImportJob.objects.get()
    assert job.status == "failed" and job.file.name
    kept = uploads.media_path(job.file.name)
    assert kept.is_file() and MOBILE not in kept.read_bytes()
    assert "王小明".encode() not in kept.read_bytes()
    assert uploads.read_clear(kept) == content  # the same file, readable with the data key
    assert files_holding(MOBILE, media) == []

    keep = timedelta(hours=settings.SQM_UPLOAD_KEEP_HOURS)
    assert uploads.purge(job.finished + keep - timedelta(minutes=1)) == 0
    assert kept.is_file()
    assert uploads.purge(job.finished + keep + timedelta(minutes=1)) == 1
    assert not kept.exists()
    job.refresh_from_db()
    assert job.file.name == "" and job.errors  # the errors stay to be read


def test_the_hourly_purge_task_removes_old_kept_files(client, quality, media, settings):
    from sqm.core.tasks import purge_uploads

    client.force_login(quality)
    upload = SimpleUploadedFile("customers.csv", b"customer_id\nC1\n", "text/csv")
    client.post(reverse("core:imports"), {"kind": "customers", "file": upload})
    job = ImportJob.objects.get()
    assert job.status == "failed" and uploads.media_path(job.file.name).is_file()
    old = timezone.now() - timedelta(hours=settings.SQM_UPLOAD_KEEP_HOURS + 1)
    ImportJob.objects.filter(pk=job.pk).update(finished=old)
    purge_uploads.call_local()
    assert not uploads.media_path(job.file.name).exists()


def test_an_upload_the_form_refuses_leaves_no_file(client, quality, media):
    client.force_login(quality)
    upload = SimpleUploadedFile("customers.pdf", csv_bytes(GOOD_CUSTOMERS), "application/pdf")
    response = client.post(reverse("core:imports"), {"kind": "customers", "file": upload})
    assert response.status_code == 200 and not ImportJob.objects.exists()
    assert [p for p in media.rglob("*") if p.is_file()] == []


def test_a_sealed_file_altered_or_cut_short_is_refused(tmp_path):
    path = tmp_path / "x.csv.sealed"
    writer = uploads.SealedWriter(path)
    writer.write(b"a" * (uploads.CHUNK + 10))
    writer.close()
    sealed = path.read_bytes()
    path.write_bytes(sealed[: len(MAGIC_AND_ONE_CHUNK(sealed))])  # the last chunk dropped
    with pytest.raises(uploads.SealedFileError):
        uploads.read_clear(path)
    flipped = bytearray(sealed)
    flipped[-1] ^= 1
    path.write_bytes(bytes(flipped))
    with pytest.raises(uploads.SealedFileError):
        uploads.read_clear(path)


def MAGIC_AND_ONE_CHUNK(sealed: bytes) -> bytes:  # noqa: N802 - reads as the bytes it returns
    header = len(uploads.MAGIC) + 1 + sealed[len(uploads.MAGIC)] + 8
    first = int.from_bytes(sealed[header : header + 4], "big")
    return sealed[: header + 4 + first]


class Statements:
    """Every SQL statement the connection runs, and whether an atomic block was open."""

    def __init__(self) -> None:
        self.sql: list[str] = []

    def __call__(self, execute, sql, params, many, context):
        self.sql.append(sql.lstrip().split(None, 1)[0].upper())
        return execute(sql, params, many, context)

    def writes(self) -> list[str]:
        kinds = {"INSERT", "UPDATE", "DELETE", "SAVEPOINT", "BEGIN", "REPLACE"}
        return [s for s in self.sql if s in kinds]


@pytest.mark.django_db
def test_a_dry_run_writes_nothing_and_opens_no_transaction(tmp_path):
    path = write_csv(tmp_path / "c.csv", CUSTOMER_HEADER, GOOD_CUSTOMERS)
    seen = Statements()
    with connection.execute_wrapper(seen):
        result = run_import("customers", path, dry_run=True)
    assert result.ok and result.created == 2  # what a real run would create
    assert seen.sql and seen.writes() == []  # not even a savepoint: no write lock taken
    assert not Customer.objects.exists()


@pytest.mark.django_db
def test_a_file_with_a_bad_last_row_is_refused_before_anything_is_written(tmp_path):
    rows = customer_rows(2100)  # more than one batch of 2,000 before the bad row
    rows[-1][2] = "123"
    path = write_csv(tmp_path / "c.csv", CUSTOMER_HEADER, rows)
    seen = Statements()
    with connection.execute_wrapper(seen):
        result = run_import("customers", path)
    assert [(e.line, e.column) for e in result.errors] == [(2101, "mobile")]
    assert seen.writes() == []
    assert not Customer.objects.exists()


@pytest.mark.django_db
def test_rows_are_read_and_checked_before_the_write_transaction_opens(tmp_path, monkeypatch):
    importer = sqm.customers.importers.CustomerImporter
    depth_outside = len(connection.savepoint_ids)
    depths: dict[str, set[int]] = {"clean": set(), "write": set()}
    clean, write = importer.clean_row, importer.write

    def clean_row(self, line, row):
        depths["clean"].add(len(connection.savepoint_ids))
        return clean(self, line, row)

    def write_batch(self, batch, **kwargs):
        depths["write"].add(len(connection.savepoint_ids))
        return write(self, batch, **kwargs)

    monkeypatch.setattr(importer, "clean_row", clean_row)
    monkeypatch.setattr(importer, "write", write_batch)
    path = write_csv(tmp_path / "c.csv", CUSTOMER_HEADER, customer_rows(4500))
    result = run_import("customers", path)
    assert result.ok and Customer.objects.count() == 4500
    assert depths == {"clean": {depth_outside}, "write": {depth_outside + 1}}


@pytest.mark.django_db
def test_an_account_whose_customer_vanished_between_check_and_write_rolls_back(
    tmp_path, monkeypatch
):
    """The write pass checks references again inside its transaction: still all or nothing."""
    run_import("topology", write_csv(tmp_path / "t.csv", TOPOLOGY_HEADER, TOPOLOGY))
    run_import("customers", write_csv(tmp_path / "c.csv", CUSTOMER_HEADER, GOOD_CUSTOMERS))
    rows = [  # account_id, customer_id, service, status, address, bandwidth, opened_at, onu_id
        ["A1", "C001", "mobile", "active", "", "", "2024-01-01T00:00:00+08:00", ""],
        ["A2", "C002", "mobile", "active", "", "", "2024-01-01T00:00:00+08:00", ""],
    ]
    path = write_csv(tmp_path / "a.csv", ACCOUNT_HEADER, rows)
    importer = sqm.customers.importers.AccountImporter
    begin = importer.begin

    def begin_after_a_delete(self):
        Customer.objects.filter(customer_id="C002").delete()  # another writer, meanwhile
        begin(self)

    monkeypatch.setattr(importer, "begin", begin_after_a_delete)
    result = run_import("accounts", path)
    assert [(e.line, e.column) for e in result.errors] == [(3, "customer_id")]
    assert result.created == 0
    assert not Account.objects.exists()
    assert Customer.objects.filter(customer_id="C002").exists()  # rolled back with the rest
