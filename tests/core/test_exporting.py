"""Every export goes through the shared writer (sqm/core/exporting.py): a cell that starts
like a formula is text, never a formula, in XLSX and CSV; numbers stay numbers."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from sqm.core import exporting
from sqm.core.exporting import CsvWriter, XlsxWriter, csv_response
from sqm.surveys import exports as survey_exports
from tests.factories import CustomerFactory, OltFactory, UserFactory

HOSTILE = '=HYPERLINK("http://x","y")'


@pytest.fixture
def quality(db):
    return UserFactory(username="quality", roles=["quality_manager"], all_cities=True)


def sheet_of(content: bytes):
    return load_workbook(io.BytesIO(content)).worksheets[0]


def test_a_personal_data_export_writes_a_formula_like_name_as_the_exact_text(client, quality):
    CustomerFactory(customer_id="C-EVIL", name=HOSTILE)
    client.force_login(quality)
    response = client.get(reverse("customers:customer_export"), {"pii": "1"})
    sheet = sheet_of(b"".join(response.streaming_content))
    cell = sheet.cell(row=2, column=2)  # customer ID, then name
    assert sheet.cell(row=2, column=1).value == "C-EVIL"
    assert cell.data_type == "s" and cell.value == HOSTILE
    assert cell.quotePrefix  # Excel keeps it text when the cell is edited


def test_a_masked_export_never_produces_an_invalid_formula(client, agent):
    CustomerFactory(customer_id="C-EVIL", name=HOSTILE)
    client.force_login(agent)
    response = client.get(reverse("customers:customer_export"))
    sheet = sheet_of(b"".join(response.streaming_content))
    cell = sheet.cell(row=2, column=2)
    assert cell.value == "=" + "*" * (len(HOSTILE) - 1)  # the masked name, as text
    assert cell.data_type == "s"
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)


def test_the_olt_export_writes_a_formula_like_olt_name_as_text(client, agent):
    OltFactory(olt_id="OLT-EVIL", name="@SUM(1+1)*cmd|' /C calc'!A0", district="-玄武区")
    client.force_login(agent)
    response = client.get(reverse("network:olt_export"))
    sheet = sheet_of(b"".join(response.streaming_content))
    row = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == "OLT-EVIL")
    assert row[1].value == "@SUM(1+1)*cmd|' /C calc'!A0" and row[1].data_type == "s"
    assert row[5].value == "-玄武区" and row[5].data_type == "s"
    assert row[6].data_type == "n"  # counts stay numbers


def test_a_negative_number_stays_numeric_while_a_formula_like_string_is_text():
    writer = XlsxWriter()
    writer.add_sheet("t").append([-5, "-1+2", 2.5, "#N/A", "\tx", "普通文字"])
    cells = sheet_of(writer.to_bytes())[1]
    assert (cells[0].value, cells[0].data_type) == (-5, "n")
    assert (cells[1].value, cells[1].data_type) == ("-1+2", "s")
    assert (cells[2].value, cells[2].data_type) == (2.5, "n")
    assert (cells[3].value, cells[3].data_type) == ("#N/A", "s")  # not an error cell either
    assert (cells[4].value, cells[4].data_type) == ("\tx", "s")
    assert not cells[5].quotePrefix  # only formula-like text is marked


def test_control_characters_xml_cannot_hold_do_not_break_an_export():
    writer = XlsxWriter()
    writer.add_sheet("t").append(["a\x01b"])
    assert sheet_of(writer.to_bytes())["A1"].value == "a\ufffdb"


def test_the_survey_export_writes_its_labels_through_the_shared_writer(monkeypatch):
    # Labels come from imported questionnaires and survey data (competitor names).
    table = ("=title", ["Segment", "+competitor"], [["=cmd|' /C calc'!A0", -0.5]])
    monkeypatch.setattr(survey_exports, "tables", lambda run: {"index": table})
    used = []
    real = exporting.xlsx_cell
    monkeypatch.setattr(exporting, "xlsx_cell", lambda *a, **k: used.append(a[1]) or real(*a, **k))
    sheet = load_workbook(io.BytesIO(survey_exports.workbook(run=None))).worksheets[0]
    assert {"=title", "+competitor", "=cmd|' /C calc'!A0"} <= set(used)
    assert (sheet["A1"].value, sheet["A1"].data_type) == ("=title", "s")
    assert (sheet["B2"].value, sheet["B2"].data_type) == ("+competitor", "s")
    assert (sheet["A3"].value, sheet["A3"].data_type) == ("=cmd|' /C calc'!A0", "s")
    assert (sheet["B3"].value, sheet["B3"].data_type) == (-0.5, "n")
    assert sheet.freeze_panes == "A3"


def test_a_csv_export_puts_a_quote_before_formula_like_text_and_keeps_numbers_bare():
    stream = io.StringIO()
    CsvWriter(stream).writerow(
        [HOSTILE, "-1+2", "@x", "+86", "\tx", "\rx", -5, 2.5, True, None, "王小明"]
    )
    line = stream.getvalue()
    assert line.startswith('"\'=HYPERLINK(""http://x"",""y"")","\'-1+2","\'@x","\'+86",')
    assert ',-5,2.5,1,"","王小明"\r\n' in line
    (row,) = csv.reader(io.StringIO(line), quoting=csv.QUOTE_NONNUMERIC)
    assert row[:6] == ["'" + HOSTILE, "'-1+2", "'@x", "'+86", "'\tx", "'\rx"]
    assert row[6] == -5.0


def test_a_csv_list_export_is_utf8_with_a_bom_and_audited(agent):
    from sqm.core.models import AuditEntry

    CustomerFactory(customer_id="C-EVIL", name=HOSTILE)
    response = csv_response(
        [("C-EVIL", "=****")],
        [("customer ID", lambda r: r[0]), ("name", lambda r: r[1])],
        filename="customers",
        user=agent,
        target="list:customers",
        with_personal_data=False,
    )
    content = b"".join(response.streaming_content)
    assert content.startswith("\ufeff".encode())
    assert content.decode("utf-8-sig") == '"customer ID","name"\r\n"C-EVIL","\'=****"\r\n'
    entry = AuditEntry.objects.get(target="list:customers")
    assert entry.details["rows"] == 1 and entry.details["format"] == "csv"


def test_a_masked_export_masks_a_number_typed_into_free_text(agent):
    from sqm.core.exporting import xlsx_response

    columns = [("note", lambda row: row), ("n", lambda row: 13812345678)]
    rows = ["客户另留号码 13812345678，身份证 32010219800101123X"]
    masked = xlsx_response(
        rows, columns, filename="x", sheet_title="x", user=agent, target="t",
        with_personal_data=False,
    )  # fmt: skip
    sheet = sheet_of(b"".join(masked.streaming_content))
    assert (
        sheet.cell(row=2, column=1).value == "客户另留号码 138****5678，身份证 3201**********123X"
    )
    assert sheet.cell(row=2, column=2).value == 13812345678  # numbers are data, not text
    full = xlsx_response(
        rows, columns, filename="x", sheet_title="x", user=agent, target="t",
        with_personal_data=True,
    )  # fmt: skip
    assert "13812345678" in sheet_of(b"".join(full.streaming_content)).cell(row=2, column=1).value
