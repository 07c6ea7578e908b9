"""Survey pages: upload, model configuration, an analysis run with progress, results, exports."""

from __future__ import annotations

import io
import shutil
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from sqm.core.models import AuditEntry, ImportJob
from sqm.surveys.models import AnalysisRun, Questionnaire, Response, StructuralModel
from sqm.surveys.province import responses as generated
from tests.factories import UserFactory
from tests.zh_text import english_words


@pytest.fixture
def manager(db):
    return UserFactory(username="quality", roles=["quality_manager"], all_cities=True)


@pytest.fixture
def files(tmp_path):
    for pending in generated.write_surveys(tmp_path, 1, 1500, date(2026, 6, 30), key="pages"):
        pending.commit()
    return tmp_path


def upload(client, files, follow=False, **extra):
    data = {
        "questionnaire_file": SimpleUploadedFile(
            "questionnaire.yaml", (files / "questionnaire.yaml").read_bytes()
        ),
        "responses": SimpleUploadedFile("survey.csv", (files / "survey.csv").read_bytes()),
        **extra,
    }
    return client.post(reverse("surveys:list"), data, follow=follow)


@pytest.fixture
def run(client, manager, files, django_capture_on_commit_callbacks):
    client.force_login(manager)
    assert upload(client, files).status_code == 302
    q = Questionnaire.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("surveys:questionnaire", args=[q.pk]),
            {"structural_model": q.structural_models.get().pk, "wave": "", "bootstrap": "20",
             "enter": "0.05", "remove": "0.10", "grades": "100,80,60,40,20"},
        )  # fmt: skip
    assert response.status_code == 302
    return AnalysisRun.objects.get()


def test_an_uploaded_survey_is_imported_by_the_worker_with_its_questionnaire(
    client, manager, files
):
    client.force_login(manager)
    response = upload(client, files)
    job = ImportJob.objects.get()
    assert response.url == reverse("core:import", args=[job.pk])  # the job page follows it
    q = Questionnaire.objects.get()
    assert (job.kind, job.status, job.created_count) == ("survey", "done", 1500)
    assert Response.objects.count() == 1500
    link = reverse("surveys:questionnaire", args=[q.pk])
    assert f'href="{link}"' in client.get(response.url).content.decode()
    page = client.get(link).content.decode()
    assert "qnet1" in page and q.name in page


def test_a_bad_row_is_listed_and_nothing_is_imported(client, manager, files):
    client.force_login(manager)
    text = (files / "survey.csv").read_text(encoding="utf-8").splitlines()
    cells = text[3].split(",")
    cells[-1] = "77"  # the last item, on a 1–10 or 1–5 scale
    text[3] = ",".join(cells)
    (files / "survey.csv").write_text("\n".join(text) + "\n", encoding="utf-8")
    page = upload(client, files, follow=True).content.decode()
    assert 'id="import-errors"' in page and "77" in page
    assert not Response.objects.exists() and not Questionnaire.objects.exists()


def test_the_run_shows_short_boards_tables_and_charts(client, run):
    assert run.status == "done", run.error
    page = client.get(reverse("surveys:run", args=[run.pk])).content.decode()
    assert 'id="short-boards"' in page and 'id="chart-ipa"' in page
    for key in ("index", "gaps", "paths", "constructs", "drivers", "ipa", "fuzzy", "servqual"):
        assert f'id="table-{key}"' in page
    assert run.results["ipa"]["short_boards"]
    first = run.results["ipa"]["short_boards"][0]["element"]
    from sqm.surveys.choices import Process

    assert str(Process(first).label) in page


def test_the_status_fragment_polls_until_done(client, manager, run):
    AnalysisRun.objects.filter(pk=run.pk).update(status="running", progress=0.4, stage="bootstrap")
    fragment = client.get(reverse("surveys:run", args=[run.pk]), HTTP_HX_REQUEST="true")
    assert (
        b'hx-trigger="every 1s"' in fragment.content and b'aria-valuenow="40"' in fragment.content
    )
    AnalysisRun.objects.filter(pk=run.pk).update(status="done")
    done = client.get(reverse("surveys:run", args=[run.pk]), HTTP_HX_REQUEST="true")
    assert done["HX-Refresh"] == "true"


def test_the_xlsx_export_holds_every_table_and_is_audited(client, run):
    response = client.get(reverse("surveys:run_xlsx", args=[run.pk]), HTTP_ACCEPT_LANGUAGE="en")
    book = load_workbook(io.BytesIO(response.content))
    assert {
        "satisfaction index",
        "competitor gaps",
        "path coefficients",
        "drivers",
        "importance and performance",
        "short boards",
        "fuzzy evaluation",
    } <= set(book.sheetnames)
    drivers = book["drivers"]
    assert drivers["A2"].value and drivers.max_row > 3
    assert AuditEntry.objects.filter(action="export", target=f"survey-run:{run.pk}").exists()


def test_the_xlsx_export_in_chinese_has_chinese_sheet_names_titles_and_headers(client, run):
    response = client.get(
        reverse("surveys:run_xlsx", args=[run.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    book = load_workbook(io.BytesIO(response.content))
    assert {"满意度指数", "路径系数", "驱动因素", "短板", "模糊综合评价"} <= set(book.sheetnames)
    untranslated = {}
    for sheet in book.worksheets:
        title, header = [[c.value for c in row] for row in sheet.iter_rows(max_row=2)]
        texts = [sheet.title, title[0]] + [h for h in header if isinstance(h, str)]
        words = [w for t in texts for w in english_words(t)]
        if words:
            untranslated[sheet.title] = words
    assert not untranslated, untranslated


@pytest.mark.skipif(not shutil.which("chromium"), reason="Chromium is not installed")
def test_the_pdf_export_is_a_pdf_printed_by_chromium(client, run):
    response = client.get(reverse("surveys:run_pdf", args=[run.pk]))
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF") and len(response.content) > 10_000


def test_a_model_is_configured_on_its_page(client, run):
    q = run.questionnaire
    text = "constructs:\n  IMAG: {mode: A}\n  SAT: {mode: A}\npaths: [[IMAG, SAT]]\n"
    response = client.post(reverse("surveys:model_new", args=[q.pk]),
                           {"name": "simple", "is_default": "on", "text": text})  # fmt: skip
    assert response.status_code == 302
    simple = StructuralModel.objects.get(name="simple")
    assert simple.is_default and simple.spec["constructs"]["SAT"]["items"]
    assert not StructuralModel.objects.get(name="default").is_default
    bad = client.post(reverse("surveys:model_new", args=[q.pk]),
                      {"name": "bad", "text": "constructs:\n  XX: {mode: A}\n"})  # fmt: skip
    assert "constructs.XX" in bad.content.decode()  # the error names the key


def test_people_without_the_survey_role_are_turned_away(client, agent):
    client.force_login(agent)
    assert client.get(reverse("surveys:list")).status_code == 403


def test_the_demo_loads_and_analyses_a_survey_once(db, settings, tmp_path):
    from sqm.core import demo

    settings.SQM_HOME = tmp_path
    said = []
    loaded = demo.load_province(
        30, 1, said.append, months=0, only={"survey"}, options={"survey_respondents": 400}
    )
    assert loaded == ["survey"]
    run = AnalysisRun.objects.get()
    assert run.status == "done", run.error
    assert Response.objects.count() == 2 * 400
    assert demo.load_province(30, 1, said.append, only={"survey"}) == []  # its marker
    assert AnalysisRun.objects.count() == 1


def test_without_chromium_the_pdf_export_says_so_and_audits_nothing(client, run, settings):
    settings.SQM_CHROMIUM = "/nonexistent/chromium"
    response = client.get(reverse("surveys:run_pdf", args=[run.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("surveys:run", args=[run.pk])
    assert "Chromium" in response.content.decode()
    assert not AuditEntry.objects.filter(action="export", target=f"survey-run:{run.pk}").exists()


def test_a_run_that_cannot_be_analysed_fails_with_its_reason_shown(
    client, run, django_capture_on_commit_callbacks
):
    from sqm.surveys.csi import Options
    from sqm.surveys.services import start_analysis

    q = run.questionnaire
    with django_capture_on_commit_callbacks(execute=True):
        failed = start_analysis(q, q.structural_models.get(), "1999Q1", Options(), run.created_by)
    failed.refresh_from_db()
    assert failed.status == "failed" and failed.results is None and failed.finished
    page = client.get(reverse("surveys:run", args=[failed.pk])).content.decode()
    assert 'id="run-error"' in page and "中国移动" in page
    assert 'hx-trigger="every 1s"' not in page  # nothing left to poll


def test_responses_for_a_stored_questionnaire_lead_to_that_questionnaire(client, manager, files):
    from pathlib import Path

    from sqm.surveys.services import load_questionnaire

    client.force_login(manager)
    chosen = load_questionnaire(files / "questionnaire.yaml")
    load_questionnaire(Path(__file__).parent.parent / "data" / "surveys" / "small.yaml")  # newer
    response = client.post(reverse("surveys:list"), {
        "questionnaire": chosen.pk,
        "responses": SimpleUploadedFile("survey.csv", (files / "survey.csv").read_bytes()),
    })  # fmt: skip
    job = ImportJob.objects.get()
    assert response.url == reverse("core:import", args=[job.pk])
    assert job.options["link"] == reverse("surveys:questionnaire", args=[chosen.pk])
    assert chosen.responses.count() == 1500
