"""`sqm survey pls`: the model file, the response table, JSON lines and the error messages."""

import io
import json
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import Workbook

DATA = Path(__file__).resolve().parent.parent / "data" / "ecsi"
MODEL = """\
constructs:
  IMAG: {mode: A, items: [imag1, imag2, imag3, imag4, imag5]}
  EXPE: {mode: A, items: [expe1, expe2, expe3, expe4, expe5]}
  QUAL: {mode: A, items: [qual1, qual2, qual3, qual4, qual5]}
  VAL: {mode: A, items: [val1, val2, val3, val4]}
  SAT: {mode: A, items: [sat1, sat2, sat3, sat4]}
  LOY: {mode: A, items: [loy1, loy2, loy3, loy4]}
paths:
  - [IMAG, EXPE]
  - [IMAG, SAT]
  - [IMAG, LOY]
  - [EXPE, QUAL]
  - [EXPE, VAL]
  - [EXPE, SAT]
  - [QUAL, VAL]
  - [QUAL, SAT]
  - [VAL, SAT]
  - [SAT, LOY]
scheme: centroid
scaled: false
"""


@pytest.fixture
def model(tmp_path):
    path = tmp_path / "ecsi.yaml"
    path.write_text(MODEL)
    return path


def run(*args):
    out = io.StringIO()
    call_command("survey", "pls", *map(str, args), "--json", stdout=out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_it_prints_plspm_estimates_as_json_lines(model):
    lines = run("--data", DATA / "satisfaction.csv", "--model", model)
    paths = {(x["from"], x["to"]): x["estimate"] for x in lines if x["type"] == "path"}
    assert paths["IMAG", "EXPE"] == pytest.approx(0.57895912845279, abs=1e-6)
    assert paths["VAL", "SAT"] == pytest.approx(0.589330650016017, abs=1e-6)
    outer = {x["item"]: x for x in lines if x["type"] == "outer"}
    assert outer["imag1"]["weight"] == pytest.approx(0.0982418501741741, abs=1e-6)
    assert outer["imag1"]["loading"] == pytest.approx(0.70932650116601, abs=1e-6)
    sat = next(x for x in lines if x["type"] == "construct" and x["name"] == "SAT")
    assert sat["r2"] == pytest.approx(0.707320949544597, abs=1e-6)
    assert sat["cronbach_alpha"] == pytest.approx(0.894, abs=5e-4)  # exact check in test_pls
    assert sat["dg_rho"] == pytest.approx(0.927, abs=5e-4)
    fit = lines[-1]
    assert fit["type"] == "fit"
    assert fit["gof"] == pytest.approx(0.609741624338411, abs=1e-6)
    assert (fit["respondents"], fit["dropped"]) == (250, 0)


def test_the_bootstrap_adds_intervals_around_each_path(model):
    lines = run("--data", DATA / "satisfaction.csv", "--model", model, "--bootstrap", 30)
    for line in (x for x in lines if x["type"] == "path"):
        assert line["ci_low"] <= line["ci_high"]
        assert line["std_error"] > 0
    imag_expe = next(x for x in lines if x["type"] == "path" and x["to"] == "EXPE")
    assert imag_expe["ci_low"] < imag_expe["estimate"] < imag_expe["ci_high"]
    assert lines[-1]["resamples"] == 30


def test_it_reads_xlsx_and_leaves_out_respondents_with_a_missing_answer(model, tmp_path):
    rows = (DATA / "satisfaction.csv").read_text().splitlines()
    book = Workbook()
    sheet = book.active
    sheet.append([c.strip('"') for c in rows[0].split(",")])
    for n, row in enumerate(rows[1:]):
        cells = [c.strip('"') for c in row.split(",")]
        values = [cells[0], *[int(v) for v in cells[1:-1]], cells[-1]]
        if n < 3:
            values[3] = None  # imag3 not answered
        sheet.append(values)
    path = tmp_path / "responses.xlsx"
    book.save(path)
    fit = run("--data", path, "--model", model)[-1]
    assert (fit["respondents"], fit["dropped"]) == (247, 3)


def test_a_non_numeric_answer_is_named_by_line_and_column(model, tmp_path):
    path = tmp_path / "bad.csv"
    shutil.copy(DATA / "satisfaction.csv", path)
    lines = path.read_text().splitlines()
    cells = lines[5].split(",")
    cells[2] = '"eight"'  # imag2 of the fifth respondent
    lines[5] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(CommandError, match=r"bad\.csv:6: imag2: not a number: 'eight'"):
        run("--data", path, "--model", model)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ("mode: A, items: [loy1", "mode: C, items: [loy1"),
            r"constructs\.LOY\.mode: must be A or B",
        ),
        (("  - [SAT, LOY]", "  - [SAT, LOY]\n  - [LOY, IMAG]"), "cycle"),
        (("scheme: centroid", "scheme: fastest"), "scheme: must be one of"),
        (("loy4]", "loy9]"), "no column named loy9"),
    ],
)
def test_a_bad_model_file_is_refused_with_the_key_at_fault(model, change, message):
    model.write_text(MODEL.replace(*change))
    with pytest.raises(CommandError, match=message):
        run("--data", DATA / "satisfaction.csv", "--model", model)
