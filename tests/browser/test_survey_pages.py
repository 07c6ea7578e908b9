"""A quality manager uploads a satisfaction survey with its questionnaire, runs the analysis
and reads the results: the short boards with their items, the path and importance–performance
charts, the tables, and an XLSX export. A file with one bad answer is refused, naming the line
and the item, and nothing is imported.

Pages are in Chinese; what the tests look for in the text is the zh-hans translation of the
message or label the page uses, so the tests do not depend on the wording of either language.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from pathlib import Path

import pytest
from django.utils import translation
from django.utils.translation import gettext, ngettext
from openpyxl import load_workbook
from playwright.sync_api import expect

from sqm.surveys.choices import Construct, Process, RunStatus
from sqm.surveys.exports import SHEET_NAMES
from sqm.surveys.models import AnalysisRun, Item, Questionnaire, Response
from sqm.surveys.province import responses as generated
from tests.browser.conftest import login
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

QUESTIONNAIRE_URL = re.compile(r"/surveys/(\d+)/$")
RUN_URL = re.compile(r"/surveys/runs/(\d+)/$")
IMPORT_URL = re.compile(r"/core/imports/(\d+)/$")
# The upload imports 1,500 respondents and the run form waits for the analysis (jobs run
# inline in tests): more than the default timeout may pass before the next page shows.
SLOW_MS = 120_000
BAD_LINE = 4  # the header is line 1
BAD_ITEM = "qnet1"  # a network-quality item on the questionnaire's 1–10 scale


@pytest.fixture
def quality(db):
    return UserFactory(username="quality", roles=["quality_manager"], all_cities=True)


@pytest.fixture
def survey(tmp_path) -> tuple[Path, Path]:
    """questionnaire.yaml and survey.csv of one generated wave of 1,500 respondents."""
    for pending in generated.write_surveys(tmp_path, 1, 1500, date(2026, 6, 30), key="browser"):
        pending.commit()
    return tmp_path / "questionnaire.yaml", tmp_path / "survey.csv"


def zh(message: str, **values) -> str:
    """MESSAGE as the Chinese page shows it."""
    with translation.override("zh-hans"):
        text = gettext(message)
    return text % values if values else text


def zh_label(choice) -> str:
    """The label of a choice (Process.NETWORK, ...) as the Chinese page shows it."""
    with translation.override("zh-hans"):
        return str(choice.label)


def zh_plural(singular: str, plural: str, n: int, **values) -> str:
    with translation.override("zh-hans"):
        return ngettext(singular, plural, n) % {"n": n, **values}


def upload(page, questionnaire: Path, responses: Path) -> None:
    """Open the survey page from the top bar and upload the two files."""
    link = page.locator('header nav a[href="/surveys/"]')
    expect(link).to_have_text(zh("Satisfaction surveys"))
    link.click()
    page.wait_for_url("**/surveys/")
    form = page.locator("#survey-upload")
    form.locator("input[name=questionnaire_file]").set_input_files(questionnaire)
    form.locator("input[name=responses]").set_input_files(responses)
    form.locator("button[type=submit]").click()


def error_rows(page) -> list[list[str]]:
    rows = page.locator("#import-errors tbody tr")
    return [
        [text.strip() for text in rows.nth(n).locator("td").all_inner_texts()]
        for n in range(rows.count())
    ]


def test_a_manager_uploads_a_survey_and_sees_the_short_boards(
    page, live_server, quality, survey, tmp_path
):
    login(page, live_server, quality)

    upload(page, *survey)

    # The worker imports the upload (never the web request); its job page shows the count
    # and leads to the questionnaire.
    page.wait_for_url(IMPORT_URL, timeout=SLOW_MS)
    link = page.locator("#import-link")
    expect(link).to_be_visible(timeout=SLOW_MS)
    read = zh(
        "%(rows)s rows read, %(created)s created, %(updated)s updated.",
        rows=1500,
        created=1500,
        updated=0,
    )
    expect(page.locator("#import-status")).to_contain_text(read)
    link.click()
    page.wait_for_url(QUESTIONNAIRE_URL, timeout=SLOW_MS)
    questionnaire = Questionnaire.objects.get()
    assert page.url.endswith(f"/surveys/{questionnaire.pk}/")
    assert Response.objects.filter(questionnaire=questionnaire).count() == 1500
    expect(page.locator("main h1")).to_contain_text(questionnaire.name)

    # Keep the defaults (the questionnaire's default model, all waves) but few resamples.
    run_form = page.locator("#run-form")
    expect(run_form.locator("select[name=structural_model] option:checked")).to_have_text("default")
    run_form.locator("input[name=bootstrap]").fill("20")
    run_form.locator("button[type=submit]").click()

    page.wait_for_url(RUN_URL, timeout=SLOW_MS)
    # Either the progress card polls until the run is done and reloads the page, or the run
    # was done before the page was drawn; either way the results come.
    boards_card = page.locator("#short-boards")
    expect(boards_card).to_be_visible(timeout=SLOW_MS)
    expect(page.locator("#run-status")).to_have_count(0)

    run = AnalysisRun.objects.get()
    assert page.url.endswith(f"/surveys/runs/{run.pk}/")
    assert run.status == RunStatus.DONE, run.error
    assert run.options["bootstrap"] == 20 and run.wave == ""
    assert run.structural_model.name == "default"

    # The short boards: each business process with its items, in the order of the results.
    boards = run.results["ipa"]["short_boards"]
    assert boards, "the generated survey has short boards by construction"
    item_labels = {
        code: f"{code} {text}" for code, text in Item.objects.values_list("code", "text")
    }
    expect(boards_card.locator("h2")).to_have_text(
        zh("Short boards (短板): important and underperforming")
    )
    board_names = [zh_label(Process(b["element"])) for b in boards]
    expect(boards_card.locator("ol > li > strong")).to_have_text(board_names)
    entries = boards_card.locator("ol > li")
    for n, board in enumerate(boards):
        assert board["items"], board
        entry = entries.nth(n)
        for item in board["items"]:
            expect(entry).to_contain_text(item_labels[item["item"]])

    # The charts are drawn (ECharts' SVG renderer): the path diagram names the constructs with
    # their labels and the importance–performance grid names the business processes.
    path_chart = page.locator("#chart-path svg")
    ipa_chart = page.locator("#chart-ipa svg")
    expect(path_chart).to_have_count(1)
    expect(ipa_chart).to_have_count(1)
    expect(path_chart).to_be_visible()
    expect(ipa_chart).to_be_visible()
    expect(path_chart).to_contain_text(zh_label(Construct.SAT))
    for name in board_names:
        expect(ipa_chart).to_contain_text(name)

    # The tables of the results, each with rows.
    for key, title in [
        ("index", "Satisfaction index by segment (0–100)"),
        ("drivers", None),
        ("fuzzy", "Fuzzy comprehensive evaluation (weighted average operator M(·,+))"),
    ]:
        table = page.locator(f"#table-{key}")
        expect(table).to_be_visible()
        expect(table.locator("tbody tr").first).to_be_visible()
        if title:
            expect(table.locator("h2")).to_have_text(zh(title))
    expect(page.locator("#table-drivers thead th").first).to_have_text(zh("Business process"))

    # A picture of the whole page, for a person to look at.
    page.screenshot(path="/tmp/survey-results.png", full_page=True)

    # The XLSX export: a download of the same tables, the short boards with their items.
    with page.expect_download() as started:
        page.locator("#export-xlsx").click()
    download = started.value
    assert download.suggested_filename == f"survey-{questionnaire.code}-{run.pk}.xlsx"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    book = load_workbook(saved, read_only=True)
    with translation.override("zh-hans"):  # the sheets are named in the reader's language
        names = {key: str(SHEET_NAMES[key]) for key in SHEET_NAMES}
    assert {names[k] for k in ("index", "drivers", "ipa", "short_boards", "fuzzy")} <= set(
        book.sheetnames
    )
    rows = list(book[names["short_boards"]].iter_rows(min_row=3, values_only=True))
    assert [(row[0], row[3]) for row in rows] == [
        (zh_label(Process(b["element"])), item_labels[i["item"]])
        for b in boards
        for i in b["items"]
    ]


def test_a_survey_with_one_bad_answer_is_refused_naming_its_line_and_item(
    page, live_server, quality, survey
):
    questionnaire, responses = survey
    with responses.open(encoding="utf-8", newline="") as handle:
        lines = list(csv.reader(handle))
    column = lines[0].index(BAD_ITEM)
    assert lines[BAD_LINE - 1][column] != "77"
    lines[BAD_LINE - 1][column] = "77"
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(lines)
    responses.write_text(out.getvalue(), encoding="utf-8")
    login(page, live_server, quality)

    upload(page, questionnaire, responses)

    # Refused: the job page lists the bad line, and nothing is imported.
    page.wait_for_url(IMPORT_URL, timeout=SLOW_MS)
    expect(page.locator("#import-errors")).to_be_visible(timeout=SLOW_MS)
    reason = zh(
        "%(value)s is outside the item's scale %(low)d–%(high)d", value="77", low=1, high=10
    )
    assert error_rows(page) == [[str(BAD_LINE), BAD_ITEM, reason]]
    expect(page.locator("#import-status p.errorlist")).to_have_text(
        zh_plural(
            "%(n)s bad row; nothing was imported.", "%(n)s bad rows; nothing was imported.", 1
        )
    )
    page.goto("/surveys/")
    expect(page.locator("#questionnaires tbody tr")).to_have_text([zh("No survey yet.")])
    assert not Response.objects.exists()
    assert not Questionnaire.objects.exists()


def test_a_manager_adds_a_structural_model_and_makes_it_the_default(
    page, live_server, quality, survey
):
    from sqm.surveys.models import StructuralModel
    from sqm.surveys.services import load_questionnaire

    questionnaire = load_questionnaire(survey[0])
    login(page, live_server, quality)
    page.goto(f"{live_server.url}/surveys/{questionnaire.pk}/")
    page.locator(f'a[href="/surveys/{questionnaire.pk}/models/new/"]').click()
    form = page.locator("#model-form")
    form.locator("input[name=name]").fill("image-satisfaction")
    form.locator("input[name=is_default]").check()
    # A cycle first: refused, naming the paths, and the text is kept for mending.
    text = "constructs:\n  IMAG: {mode: A}\n  SAT: {mode: A}\npaths: [[IMAG, SAT], [SAT, IMAG]]\n"
    form.locator("textarea[name=text]").fill(text)
    form.locator("button[type=submit]").click()
    expect(page.locator("#model-form .errorlist")).to_contain_text("paths")
    assert not StructuralModel.objects.filter(name="image-satisfaction").exists()
    form.locator("textarea[name=text]").fill(text.replace(", [SAT, IMAG]]", "]"))
    form.locator("button[type=submit]").click()
    page.wait_for_url(QUESTIONNAIRE_URL)
    expect(page.locator("main .messages")).to_contain_text(zh("The model is saved."))
    item = page.locator("main li", has_text="image-satisfaction")
    expect(item.locator(".tag")).to_have_text(zh("default"))
    saved = StructuralModel.objects.get(name="image-satisfaction")
    assert saved.is_default and saved.spec["paths"] == [["IMAG", "SAT"]]
    assert not StructuralModel.objects.get(name="default").is_default
