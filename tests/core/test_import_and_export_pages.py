"""The upload page runs the same import as the command; exports are masked and audited."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from sqm.core.models import AuditEntry, ImportJob
from sqm.customers.models import Customer
from tests.core.test_imports import CUSTOMER_HEADER, GOOD_CUSTOMERS
from tests.factories import CustomerFactory, UserFactory


def csv_upload(rows, name="customers.csv"):
    lines = [",".join(CUSTOMER_HEADER)] + [",".join(r) for r in rows]
    return SimpleUploadedFile(name, ("\n".join(lines) + "\n").encode("utf-8"), "text/csv")


@pytest.fixture
def quality(db):
    return UserFactory(username="quality", roles=["quality_manager"], all_cities=True)


@pytest.mark.django_db
def test_an_upload_imports_and_shows_the_result(client, quality):
    client.force_login(quality)
    response = client.post(
        reverse("core:imports"), {"kind": "customers", "file": csv_upload(GOOD_CUSTOMERS)}
    )
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response.url == reverse("core:import", args=[job.pk])
    assert job.status == "done" and job.created_count == 2
    assert Customer.objects.count() == 2
    page = client.get(response.url).content.decode()
    assert 'aria-valuenow="100"' in page


@pytest.mark.django_db
def test_an_upload_with_bad_rows_lists_them_and_imports_nothing(client, quality):
    client.force_login(quality)
    client.cookies["django_language"] = "en"  # errors are kept in the uploader's language
    bad = [row[:] for row in GOOD_CUSTOMERS]
    bad[1][2] = "123"
    client.post(reverse("core:imports"), {"kind": "customers", "file": csv_upload(bad)})
    job = ImportJob.objects.get()
    assert job.status == "failed" and job.error_count == 1
    assert job.errors == [
        {"line": 3, "column": "mobile", "reason": "'123' is not an 11-digit mainland mobile number"}
    ]
    assert Customer.objects.count() == 0
    page = client.get(reverse("core:import", args=[job.pk])).content.decode()
    assert "import-errors" in page and "mobile" in page


@pytest.mark.django_db
def test_the_upload_form_refuses_other_file_types(client, quality):
    client.force_login(quality)
    upload = SimpleUploadedFile("customers.pdf", b"%PDF-1.4", "application/pdf")
    response = client.post(reverse("core:imports"), {"kind": "customers", "file": upload})
    assert response.status_code == 200 and not ImportJob.objects.exists()


@pytest.mark.django_db
def test_a_user_cannot_see_another_users_import(client, quality, admin):
    client.force_login(quality)
    client.post(reverse("core:imports"), {"kind": "customers", "file": csv_upload(GOOD_CUSTOMERS)})
    job = ImportJob.objects.get()
    client.force_login(admin)
    assert client.get(reverse("core:import", args=[job.pk])).status_code == 404


def sheet_rows(response):
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    return [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]


@pytest.mark.django_db
def test_the_customer_export_is_masked_and_audited(client, agent):
    CustomerFactory(mobile="13812345678", name="王小明")
    client.force_login(agent)
    response = client.get(reverse("customers:customer_export") + "?pii=1")  # not permitted
    rows = sheet_rows(response)
    assert rows[1][1:3] == ["王**", "138****5678"]
    entry = AuditEntry.objects.latest("id")
    assert (entry.action, entry.actor, entry.details["rows"]) == ("export", agent, 1)


@pytest.mark.django_db
def test_a_quality_manager_may_export_personal_data_and_it_is_audited(client, quality):
    CustomerFactory(mobile="13812345678", name="王小明")
    client.force_login(quality)
    rows = sheet_rows(client.get(reverse("customers:customer_export") + "?pii=1"))
    assert rows[1][1:3] == ["王小明", "13812345678"]
    entry = AuditEntry.objects.latest("id")
    assert entry.action == "export_pii" and entry.details["personal_data"] is True


@pytest.mark.django_db
def test_an_export_holds_only_the_users_cities(client, outsider):
    CustomerFactory()
    client.force_login(outsider)
    assert len(sheet_rows(client.get(reverse("customers:customer_export")))) == 1  # header


@pytest.mark.django_db
def test_upload_errors_are_in_chinese_by_default(client, quality):
    client.force_login(quality)
    bad = [row[:] for row in GOOD_CUSTOMERS]
    bad[1][2] = "123"
    client.post(reverse("core:imports"), {"kind": "customers", "file": csv_upload(bad)})
    assert "手机号码" in ImportJob.objects.get().errors[0]["reason"]
