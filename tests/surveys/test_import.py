"""`sqm import survey FILE --questionnaire Q`: questionnaire file, answers on their scales,
missing answers, all or nothing."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from sqm.core.models import AuditEntry, ChangeLogEntry
from sqm.surveys.models import Item, Questionnaire, Response, StructuralModel
from sqm.surveys.questionnaire import InputError, parse_questionnaire
from sqm.surveys.services import load_questionnaire

DATA = Path(__file__).resolve().parent.parent / "data" / "surveys"
SMALL = DATA / "small.yaml"
HEADER = ["respondent_id", "operator", "wave", "brand", "city", "product",
          "imag1", "imag2", "sat1", "sat2", "val1", "val2", "net1", "hot1", "comp1"]  # fmt: skip
ROWS = [
    ["R1", "中国移动", "2026Q3", "全球通", "南京", "手机",
     "8", "9", "9", "8", "7", "8", "9", "6", "2"],
    ["R2", "中国移动", "2026Q3", "动感地带", "苏州", "宽带",
     "6", "", "7", "NA", "6", "6", "7", "5", "99"],
    ["R3", "中国联通", "2026Q3", "", "南京", "手机",
     "5", "6", "6", "5", "5", "6", "6", "7", "3"],
]  # fmt: skip

pytestmark = pytest.mark.django_db


def write(path: Path, rows, header=HEADER) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def run(*args) -> None:
    call_command("import", *[str(a) for a in args])


def test_it_loads_the_questionnaire_with_its_items_model_and_composite():
    q = load_questionnaire(SMALL)
    assert (q.code, q.own_operator, q.missing_codes) == ("small-2026", "中国移动", ["99"])
    assert q.composite == {"VAL": 0.7, "IMAG": 0.3}
    comp = q.items.get(code="comp1")
    assert (comp.scale_min, comp.scale_max, comp.reverse, comp.construct) == (1, 5, True, "COMP")
    assert q.items.get(code="net1").process == "network"
    assert [i.code for i in q.items.all()][:3] == ["imag1", "imag2", "sat1"]
    model = StructuralModel.objects.get(questionnaire=q, is_default=True)
    assert model.spec["constructs"]["SAT"] == {"mode": "A", "items": ["sat1", "sat2"]}
    assert model.spec["scheme"] == "path" and model.spec["scaled"] is True
    assert ChangeLogEntry.objects.filter(object_repr="imag1", action="create").exists()


def test_it_imports_answers_with_missing_answers_as_null(tmp_path):
    data = write(tmp_path / "survey.csv", ROWS)
    run("survey", data, "--questionnaire", SMALL)
    assert Response.objects.count() == 3
    r2 = Response.objects.get(respondent_id="R2")
    assert r2.answers["imag2"] is None and r2.answers["sat2"] is None
    assert r2.answers["comp1"] is None  # the questionnaire's missing code 99
    assert r2.answers["sat1"] == 7 and r2.is_own and r2.brand == "动感地带"
    assert not Response.objects.get(respondent_id="R3").is_own
    entry = AuditEntry.objects.get(target="import:survey")
    assert entry.details["created"] == 3


def test_a_stored_questionnaire_is_named_by_its_code_and_rows_are_replaced(tmp_path):
    load_questionnaire(SMALL)
    run("survey", write(tmp_path / "a.csv", ROWS), "--questionnaire", "small-2026")
    changed = [list(ROWS[0])]
    changed[0][8] = "3"
    run("survey", write(tmp_path / "b.csv", changed), "--questionnaire", "small-2026")
    assert Response.objects.count() == 3
    assert Response.objects.get(respondent_id="R1").answers["sat1"] == 3


def test_bad_answers_are_reported_by_line_and_item_and_nothing_is_kept(tmp_path, capsys):
    rows = [list(r) for r in ROWS]
    rows[0][8] = "11"  # sat1 on 1–10
    rows[1][14] = "6"  # comp1 on 1–5
    rows[2][6] = "good"
    with pytest.raises(CommandError):
        run("survey", write(tmp_path / "bad.csv", rows), "--questionnaire", SMALL)
    err = capsys.readouterr().err
    assert "bad.csv:2: sat1: 11 is outside the item's scale 1–10" in err
    assert "bad.csv:3: comp1: 6 is outside the item's scale 1–5" in err
    assert "bad.csv:4: imag1: 'good' is not a whole number" in err
    assert not Response.objects.exists()
    assert not Questionnaire.objects.exists()  # loaded with the file, rolled back with it


def test_a_missing_item_column_and_a_repeated_respondent_are_refused(tmp_path, capsys):
    header = [h for h in HEADER if h != "hot1"]
    rows = [[v for h, v in zip(HEADER, r, strict=True) if h != "hot1"] for r in ROWS]
    with pytest.raises(CommandError):
        run("survey", write(tmp_path / "cols.csv", rows, header), "--questionnaire", SMALL)
    assert "cols.csv:1: hot1: required column is missing" in capsys.readouterr().err
    with pytest.raises(CommandError):
        run("survey", write(tmp_path / "twice.csv", [ROWS[0], ROWS[0]]), "--questionnaire", SMALL)
    assert "twice.csv:3: respondent_id: R1 appears again (first on line 2)" in (
        capsys.readouterr().err
    )


def test_the_questionnaire_option_is_required_for_surveys_only(tmp_path):
    data = write(tmp_path / "survey.csv", ROWS)
    with pytest.raises(CommandError, match="--questionnaire is required"):
        run("survey", data)
    with pytest.raises(CommandError, match="no questionnaire with code nope"):
        run("survey", data, "--questionnaire", "nope")


def test_an_answered_item_keeps_its_scale(tmp_path):
    run("survey", write(tmp_path / "survey.csv", ROWS), "--questionnaire", SMALL)
    changed = SMALL.read_text(encoding="utf-8").replace(
        "reverse: true, scale: {min: 1, max: 5}", "reverse: true, scale: {min: 1, max: 7}"
    )
    (tmp_path / "q.yaml").write_text(changed, encoding="utf-8")
    with pytest.raises(InputError, match=r"items\[9\]: 3 responses are stored on 1–5"):
        load_questionnaire(tmp_path / "q.yaml")
    assert Item.objects.get(code="comp1").scale_max == 5


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("construct: IMAG}", "construct: IMAGE}"), r"items\[1\]\.construct: 'IMAGE' is not"),
        (("process: network", "process: net"), r"items\[7\]\.process: 'net' is not one of"),
        (("{VAL: 0.7, IMAG: 0.3}", "{VAL: 0.7, IMAG: 0.2}"), r"composite: the weights must add up"),
        (("[VAL, SAT]]", "[VAL, LOY]]"), r"model\.paths\[3\]: no construct named LOY"),
        (("[VAL, SAT]]", "[VAL, SAT], [SAT, IMAG]]"), r"model\.paths: .*cycle"),
        (("code: sat2", "code: sat1"), r"items\[4\]\.code: sat1 appears again"),
        (("max: 5}", "max: 0}"), r"items\[9\]\.scale: min must be below max"),
        (("own_operator: 中国移动\n", ""), r"own_operator: a value is required"),
        (("scale: {min: 1, max: 10}", "scale: {min: 1, max: 10"), r"small\.yaml:6: not valid YAML"),
    ],
)
def test_questionnaire_mistakes_name_their_key(tmp_path, change, message):
    path = tmp_path / "small.yaml"
    path.write_text(SMALL.read_text(encoding="utf-8").replace(*change), encoding="utf-8")
    with pytest.raises(InputError, match=message):
        parse_questionnaire(path)
