"""Attachment text (sqm/knowledge/extract.py), from small real files made here."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from django.utils import translation

from sqm.knowledge import extract
from sqm.knowledge.extract import Extracted, extract_text

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(autouse=True)
def english():
    # The reasons are asserted in English, whatever the catalogue says in Chinese.
    with translation.override("en"):
        yield


def make_docx(path: Path) -> Path:
    import docx

    document = docx.Document()
    document.add_heading("宽带故障处理说明", level=1)
    document.add_paragraph("用户反映宽带断网，光猫LOS灯红色闪烁。")
    table = document.add_table(rows=2, cols=3)
    for cell, text in zip(table.rows[0].cells, ["地市", "故障", "处理"], strict=True):
        cell.text = text
    for cell, text in zip(table.rows[1].cells, ["南京", "PON口下线", "更换光模块"], strict=True):
        cell.text = text
    document.add_paragraph("处理完毕后回访用户。")
    document.save(path)
    return path


def hand_written_pdf(text: str) -> bytes:
    """A one-page PDF showing TEXT (ASCII) in Helvetica, its cross-reference table exact."""
    stream = f"BT /F1 18 Tf 20 100 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 400 144] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    pdf = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(pdf))
        pdf += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(pdf)
    pdf += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    pdf += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    pdf += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(pdf)


def test_a_docx_gives_its_chinese_paragraphs_and_its_table_row_by_row(tmp_path):
    result = extract_text(make_docx(tmp_path / "说明.docx"))

    assert result == Extracted(
        text="宽带故障处理说明\n用户反映宽带断网，光猫LOS灯红色闪烁。\n"
        "地市\t故障\t处理\n南京\tPON口下线\t更换光模块\n处理完毕后回访用户。"
    )


def test_a_merged_docx_cell_is_read_once(tmp_path):
    import docx

    document = docx.Document()
    table = document.add_table(rows=2, cols=3)
    table.cell(0, 0).merge(table.cell(0, 2)).text = "投诉汇总"
    for cell, text in zip(table.rows[1].cells, ["南京", "12", "3"], strict=True):
        cell.text = text
    document.save(tmp_path / "merged.docx")

    assert extract_text(tmp_path / "merged.docx").text == "投诉汇总\n南京\t12\t3"


def test_an_xlsx_gives_every_sheet_with_the_cells_of_a_row_joined_by_tabs(tmp_path):
    from datetime import datetime

    from openpyxl import Workbook

    workbook = Workbook()
    first = workbook.active
    first.title = "投诉明细"
    first.append(["工单号", "地市", "描述", "时长"])
    first.append(["WO-001", "南京", "宽带断网", 2.0])
    first.append([None, None, None, None])
    first.append(["WO-002", "苏州", "网速慢\n晚上更明显", 1.5])
    second = workbook.create_sheet("汇总")
    second.append(["日期", datetime(2026, 3, 1)])
    second["C5"] = "=1+1"  # a formula never computed keeps no value: nothing to read
    second["A6"] = "合计"
    workbook.save(tmp_path / "complaints.xlsx")

    result = extract_text(tmp_path / "complaints.xlsx")

    assert result.error == ""
    assert result.text == (
        "投诉明细\n工单号\t地市\t描述\t时长\nWO-001\t南京\t宽带断网\t2\n"
        "WO-002\t苏州\t网速慢 晚上更明显\t1.5\n汇总\n日期\t2026-03-01\n合计"
    )


def test_a_pptx_gives_its_slide_text_tables_and_speaker_notes(tmp_path):
    from pptx import Presentation
    from pptx.util import Inches

    presentation = Presentation()
    slide = presentation.slides.add_slide(presentation.slide_layouts[5])  # title only
    slide.shapes.title.text = "三月投诉分析"
    table = slide.shapes.add_table(2, 2, Inches(1), Inches(2), Inches(6), Inches(1)).table
    table.cell(0, 0).text = "问题"
    table.cell(0, 1).text = "工单数"
    table.cell(1, 0).text = "机顶盒无信号"
    table.cell(1, 1).text = "37"
    slide.notes_slide.notes_text_frame.text = "重点讲携号转网"
    presentation.save(tmp_path / "analysis.pptx")

    result = extract_text(tmp_path / "analysis.pptx")

    assert result == Extracted(text="三月投诉分析\n问题\t工单数\n机顶盒无信号\t37\n重点讲携号转网")


def test_a_hand_written_pdf_gives_its_text(tmp_path):
    (tmp_path / "notice.pdf").write_bytes(hand_written_pdf("Fibre cut at OLT07, 10086"))

    assert extract_text(tmp_path / "notice.pdf") == Extracted(text="Fibre cut at OLT07, 10086")


@pytest.mark.browser
def test_a_pdf_printed_by_chromium_gives_its_chinese_text_with_ideographs_not_radicals(
    tmp_path,
):
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: run `make system-deps` (apt-get install chromium)")
    page = tmp_path / "notice.html"
    page.write_text(
        "<html><head><meta charset='utf-8'></head>"
        "<body><h1>故障通知</h1><p>宽带断网，请重启光猫。</p></body></html>",
        encoding="utf-8",
    )
    pdf = tmp_path / "notice.pdf"
    subprocess.run(
        [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--no-first-run", "--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri()],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip

    result = extract_text(pdf)

    # Noto CJK maps 网 to the Kangxi radical ⽹ (U+2F79); the text says the ideograph.
    assert result == Extracted(text="故障通知\n宽带断网，请重启光猫。")


def test_a_pdf_locked_with_a_password_is_reported_as_such(tmp_path):
    from pypdf import PdfReader, PdfWriter

    (tmp_path / "plain.pdf").write_bytes(hand_written_pdf("secret plan"))
    writer = PdfWriter(clone_from=PdfReader(tmp_path / "plain.pdf"))
    writer.encrypt(user_password="1234", owner_password="owner")
    writer.write(tmp_path / "locked.pdf")

    assert extract_text(tmp_path / "locked.pdf") == Extracted(
        text="", error="the file is password-protected"
    )


def test_a_pdf_that_only_restricts_copying_is_read(tmp_path):
    from pypdf import PdfReader, PdfWriter

    (tmp_path / "plain.pdf").write_bytes(hand_written_pdf("open to read"))
    writer = PdfWriter(clone_from=PdfReader(tmp_path / "plain.pdf"))
    writer.encrypt(user_password="", owner_password="owner", permissions_flag=0)
    writer.write(tmp_path / "restricted.pdf")

    assert extract_text(tmp_path / "restricted.pdf").text == "open to read"


def test_html_gives_the_visible_text_without_script_or_style(tmp_path):
    (tmp_path / "page.html").write_text(
        "<!DOCTYPE html><html><head><title>故障公告</title>"
        "<style>p { color: red } /* 样式 */</style>"
        "<script>var hidden = '脚本里的字';</script></head>"
        "<body><p>南京  玄武区\n  光缆中断，</p><p>预计 2 小时&nbsp;恢复 &amp; 回访。</p>"
        "<table><tr><th>区县</th><th>用户数</th></tr><tr><td>玄武</td><td>120</td></tr></table>"
        "<template><p>模板</p></template><noscript>请开启脚本</noscript></body></html>",
        encoding="utf-8",
    )

    result = extract_text(tmp_path / "page.html")

    assert result == Extracted(
        text="故障公告\n南京 玄武区 光缆中断，\n预计 2 小时 恢复 & 回访。\n区县\t用户数\n玄武\t120"
    )


def test_a_gbk_html_page_is_decoded_by_its_meta_charset(tmp_path):
    (tmp_path / "old.htm").write_bytes(
        '<html><head><meta charset="gb2312"></head><body>携号转网</body></html>'.encode("gbk")
    )

    assert extract_text(tmp_path / "old.htm").text == "携号转网"


def test_xml_gives_its_text_nodes(tmp_path):
    (tmp_path / "alarm.xml").write_bytes(
        '<?xml version="1.0" encoding="GBK"?>\n'
        '<alarms><alarm id="A1"><olt>南京玄武OLT07</olt><text>PON口 LOS</text></alarm>'
        "<alarm><text>光猫掉电</text></alarm></alarms>".encode("gbk")
    )

    assert extract_text(tmp_path / "alarm.xml") == Extracted(
        text="南京玄武OLT07\nPON口 LOS\n光猫掉电"
    )


def test_xml_declaring_entities_is_refused_before_parsing(tmp_path):
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        "<lolz>&lol2;</lolz>"
    )
    (tmp_path / "laughs.xml").write_text(laughs, encoding="utf-8")

    assert extract_text(tmp_path / "laughs.xml") == Extracted(
        text="", error="XML with a DOCTYPE or entity declarations is not read (a safety rule)"
    )


def test_broken_xml_is_reported(tmp_path):
    (tmp_path / "broken.xml").write_text("<a><b>宽带</a>", encoding="utf-8")

    assert extract_text(tmp_path / "broken.xml").error == "not readable XML"


def test_a_gbk_text_file_is_read_as_gbk(tmp_path):
    (tmp_path / "note.txt").write_bytes("用户投诉网速慢，已派单。\r\n".encode("gbk"))

    assert extract_text(tmp_path / "note.txt") == Extracted(text="用户投诉网速慢，已派单。")


def test_a_utf8_text_file_with_a_byte_order_mark_loses_the_mark(tmp_path):
    (tmp_path / "note.txt").write_bytes("\ufeff套餐退订\n\n\n\n彩铃".encode())

    assert extract_text(tmp_path / "note.txt") == Extracted(text="套餐退订\n\n彩铃")


def test_a_gbk_csv_is_read_as_text(tmp_path):
    (tmp_path / "orders.csv").write_bytes("工单号,描述\nWO-1,机顶盒无信号\n".encode("gbk"))

    assert extract_text(tmp_path / "orders.csv").text == "工单号,描述\nWO-1,机顶盒无信号"


def test_a_binary_file_named_txt_is_not_text(tmp_path):
    (tmp_path / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe")

    assert extract_text(tmp_path / "image.txt").error == "not a text file (neither UTF-8 nor GBK)"


def test_a_docx_that_is_not_a_zip_is_reported_as_unreadable(tmp_path):
    (tmp_path / "report.docx").write_bytes(b"this is not a Word document at all")

    assert extract_text(tmp_path / "report.docx") == Extracted(
        text="", error="not a readable Word document (.docx)"
    )


def test_a_workbook_renamed_to_docx_is_reported_as_unreadable(tmp_path):
    from openpyxl import Workbook

    Workbook().save(tmp_path / "book.docx")

    assert extract_text(tmp_path / "book.docx").error == "not a readable Word document (.docx)"


def test_a_password_protected_office_document_is_reported_as_such(tmp_path):
    # What Office writes for a password: an OLE compound file with an EncryptionInfo stream.
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 1000
    (tmp_path / "locked.xlsx").write_bytes(ole + "EncryptionInfo".encode("utf-16-le"))

    assert extract_text(tmp_path / "locked.xlsx").error == "the file is password-protected"


def test_a_file_over_the_size_limit_is_refused_unread(tmp_path, settings):
    settings.SQM_ATTACHMENT_MAX_BYTES = 2**20
    path = make_docx(tmp_path / "big.docx")
    with open(path, "ab") as file:
        file.write(b"\x00" * int(1.3 * 2**20))

    assert extract_text(path) == Extracted(
        text="", error="file too large (1.3 MB; the limit is 1 MB)"
    )
    assert extract_text(path, max_bytes=2 * 2**20).error == "not a readable Word document (.docx)"


def test_an_unsupported_type_is_named_in_the_reason(tmp_path):
    (tmp_path / "setup.exe").write_bytes(b"MZ\x90\x00")
    (tmp_path / "old.doc").write_bytes(b"\xd0\xcf\x11\xe0")

    assert extract_text(tmp_path / "setup.exe").error == "unsupported file type .exe"
    assert extract_text(tmp_path / "old.doc").error == (
        "the old Office format .doc cannot be read; save it as .docx"
    )


def test_the_type_comes_from_the_uploaded_name_or_else_from_the_first_bytes(tmp_path):
    make_docx(tmp_path / "upload-7f3a")
    (tmp_path / "blob").write_bytes(hand_written_pdf("no extension"))
    (tmp_path / "mystery").write_bytes(b"just some bytes")

    assert "光猫LOS灯" in extract_text(tmp_path / "upload-7f3a", name="说明.DOCX").text
    assert "光猫LOS灯" in extract_text(tmp_path / "upload-7f3a").text
    assert extract_text(tmp_path / "blob").text == "no extension"
    assert extract_text(tmp_path / "mystery").error == (
        "unknown file type (the name has no extension)"
    )
    assert extract_text(tmp_path / "blob", name="a.exe").error == "unsupported file type .exe"


def test_an_empty_or_missing_file_is_reported(tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"")

    assert extract_text(tmp_path / "empty.txt").error == "the file is empty"
    assert extract_text(tmp_path / "gone.txt").error == "the file is missing"


def test_a_document_without_text_says_so(tmp_path):
    (tmp_path / "blank.html").write_text("<html><body><img src=x.png></body></html>")

    assert extract_text(tmp_path / "blank.html").error == "no text found in the file"


def test_a_zip_bomb_is_refused_by_its_directory_before_parsing(tmp_path, monkeypatch):
    monkeypatch.setattr(extract, "MAX_UNZIPPED_BYTES", 2**20)
    bomb = make_docx(tmp_path / "bomb.docx")
    with zipfile.ZipFile(bomb, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/media/padding.bin", b"\x00" * (2 * 2**20))  # a few KB packed
    assert bomb.stat().st_size < 64 * 1024

    assert extract_text(bomb) == Extracted(text="", error="the document unpacks to more than 1 MB")


def test_text_beyond_max_chars_is_cut_and_flagged(tmp_path):
    (tmp_path / "long.txt").write_text("宽带" * 50 + "\n" + "网速" * 50, encoding="utf-8")

    cut = extract_text(tmp_path / "long.txt", max_chars=30)
    whole = extract_text(tmp_path / "long.txt", max_chars=201)

    assert cut == Extracted(text="宽带" * 15, truncated=True)
    assert whole == Extracted(text="宽带" * 50 + "\n" + "网速" * 50)


def test_a_parse_over_the_time_limit_is_killed_and_reported(tmp_path, monkeypatch):
    pid_file = tmp_path / "child.pid"
    # A child that hangs as a hostile file would make the parser hang.
    hang = f"import os, time; open({str(pid_file)!r}, 'w').write(str(os.getpid())); time.sleep(600)"
    monkeypatch.setattr(extract, "_CHILD_COMMAND", [sys.executable, "-c", hang])
    (tmp_path / "slow.txt").write_text("宽带", encoding="utf-8")

    result = extract_text(tmp_path / "slow.txt", timeout=0.5)

    assert result == Extracted(text="", error="timed out after 0.5 s")
    if pid_file.exists():  # the child may be killed before it wrote its id
        with pytest.raises(ProcessLookupError):
            os.kill(int(pid_file.read_text()), 0)


def test_the_time_limit_comes_from_the_settings(tmp_path, monkeypatch, settings):
    settings.SQM_ATTACHMENT_EXTRACT_SECONDS = 0.25
    monkeypatch.setattr(
        extract, "_CHILD_COMMAND", [sys.executable, "-c", "import time; time.sleep(600)"]
    )
    (tmp_path / "slow.txt").write_text("宽带", encoding="utf-8")

    assert extract_text(tmp_path / "slow.txt").error == "timed out after 0.25 s"


def test_a_child_that_dies_is_a_failure_not_an_exception(tmp_path, monkeypatch):
    monkeypatch.setattr(extract, "_CHILD_COMMAND", [sys.executable, "-c", "raise SystemExit(3)"])
    (tmp_path / "note.txt").write_text("宽带", encoding="utf-8")

    assert extract_text(tmp_path / "note.txt").error == "text extraction failed"
