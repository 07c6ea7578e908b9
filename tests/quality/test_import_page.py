"""The upload page offers the quality fact kinds to those allowed to import them, runs them
as the worker runs every other kind, and refuses a forged kind."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from sqm.core.audit_text import import_kind_label
from sqm.core.importing import jobs, upload_kinds
from sqm.core.models import AuditEntry, ImportJob
from sqm.quality.models import Repair
from tests.factories import UserFactory
from tests.quality.import_files import GOOD, KINDS, csv_bytes, references

QUALITY_LABELS = {
    "repairs": "repairs",
    "activations": "activations",
    "transfers": "specialist transfers",
    "speed_tests": "speed tests",
    "operations": "monthly operations figures",
    "circuits": "dedicated circuits",
    "circuit_outages": "circuit outages",
}


def upload(kind: str = "repairs", rows=None, name: str = "repairs.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, csv_bytes(kind, GOOD[kind] if rows is None else rows))


def offered(client) -> list[str]:
    form = client.get(reverse("core:imports")).context["form"]
    return [kind for kind, _label in form.fields["kind"].choices]


@pytest.fixture
def network_ops(db):
    return UserFactory(username="noc", roles=["network_ops"], city_codes=["NJ"])


@pytest.fixture
def importer_of_customers(db):
    """May use the upload page and import customers, nothing of quality."""
    user = UserFactory(username="loader", city_codes=["NJ"])
    for codename in ("add_importjob", "add_customer"):
        user.user_permissions.add(Permission.objects.get(codename=codename))
    return user


def test_a_quality_manager_is_offered_every_kind_of_fact_besides_the_core_kinds(
    client, quality_manager
):
    client.force_login(quality_manager)
    client.cookies["django_language"] = "en"
    kinds = offered(client)
    assert kinds == ["customers", "accounts", "complaints", *KINDS]
    page = client.get(reverse("core:imports")).content.decode()
    for kind, label in QUALITY_LABELS.items():
        assert f'<option value="{kind}">{label}</option>' in page


def test_network_operations_are_offered_topology_and_the_facts_only(client, network_ops):
    client.force_login(network_ops)
    assert offered(client) == ["topology", *KINDS]


def test_the_survey_is_never_offered_here_since_it_needs_its_questionnaire(quality_manager):
    assert quality_manager.has_perm("surveys.add_response")
    assert "survey" not in dict(upload_kinds(quality_manager))


def test_a_quality_manager_uploads_repairs_and_the_worker_imports_them(client, quality_manager):
    references()
    client.force_login(quality_manager)
    client.cookies["django_language"] = "en"
    response = client.post(reverse("core:imports"), {"kind": "repairs", "file": upload()})
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response.url == reverse("core:import", args=[job.pk])
    assert (job.kind, job.status, job.created_count, job.error_count) == ("repairs", "done", 2, 0)
    assert job.created_by == quality_manager and job.file == ""  # done: the upload is gone
    assert set(Repair.objects.values_list("repair_id", flat=True)) == {"R-001", "R-002"}
    assert jobs.read_progress(job.pk) == {"rows": 2, "fraction": 1.0}
    page = client.get(response.url).content.decode()
    assert 'aria-valuenow="100"' in page and "Kind：repairs" in page
    listing = client.get(reverse("core:imports")).content.decode()
    assert "<td>repairs</td>" in listing
    entry = AuditEntry.objects.get(action="import")
    assert (entry.actor, entry.target) == (quality_manager, "import:repairs")


def test_an_uploaded_file_with_a_bad_row_fails_listing_it_and_imports_nothing(
    client, quality_manager
):
    references()
    client.force_login(quality_manager)
    client.cookies["django_language"] = "en"
    rows = [dict(row) for row in GOOD["repairs"]]
    rows[1]["visit_rating"] = "6"
    client.post(reverse("core:imports"), {"kind": "repairs", "file": upload(rows=rows)})
    job = ImportJob.objects.get()
    assert job.status == "failed"
    assert job.errors == [{"line": 3, "column": "visit_rating", "reason": "6 is outside 1–5"}]
    assert Repair.objects.count() == 0


def test_a_dry_run_upload_of_circuits_checks_and_writes_nothing(client, quality_manager):
    references()
    client.force_login(quality_manager)
    data = {"kind": "circuits", "dry_run": "on", "file": upload("circuits", name="c.csv")}
    client.post(reverse("core:imports"), data)
    job = ImportJob.objects.get()
    assert (job.status, job.dry_run, job.created_count) == ("done", True, 2)
    assert not Repair.objects.exists()
    with translation.override("en"):
        assert job.kind_label == "dedicated circuits"
    with translation.override("zh-hans"):
        assert job.kind_label == "专线电路"


def test_a_first_line_agent_neither_sees_the_page_nor_can_post_repairs(client, first_line):
    client.force_login(first_line)
    assert "repairs" not in dict(upload_kinds(first_line))
    assert client.get(reverse("core:imports")).status_code == 403
    response = client.post(reverse("core:imports"), {"kind": "repairs", "file": upload()})
    assert response.status_code == 403 and not ImportJob.objects.exists()


def test_a_user_of_the_page_without_the_facts_permission_cannot_forge_repairs(
    client, importer_of_customers
):
    client.force_login(importer_of_customers)
    assert offered(client) == ["customers"]
    response = client.post(reverse("core:imports"), {"kind": "repairs", "file": upload()})
    assert response.status_code == 403 and not ImportJob.objects.exists()


def test_a_forged_survey_upload_on_the_generic_page_is_refused(client, quality_manager):
    client.force_login(quality_manager)
    response = client.post(reverse("core:imports"), {"kind": "survey", "file": upload()})
    assert response.status_code == 403 and not ImportJob.objects.exists()


def test_an_unknown_kind_is_a_form_error_not_a_crash(client, quality_manager):
    client.force_login(quality_manager)
    response = client.post(reverse("core:imports"), {"kind": "nonsense", "file": upload()})
    assert response.status_code == 200 and not ImportJob.objects.exists()
    assert response.context["form"].errors["kind"]


@pytest.mark.parametrize(("kind", "label"), sorted(QUALITY_LABELS.items()))
def test_the_audit_log_and_the_job_name_a_kind_by_its_importers_label(kind, label):
    assert import_kind_label(kind) == label
    assert ImportJob(kind=kind).kind_label == label


def test_a_kind_no_longer_registered_is_named_by_its_code():
    assert ImportJob(kind="ivr_old").kind_label == "ivr_old"
