"""Streaming readers for CSV and XLSX that yield (line number, row dict)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.utils.translation import gettext as _

ENCODINGS = {"utf-8": "utf-8-sig", "utf8": "utf-8-sig", "gbk": "gb18030", "gb18030": "gb18030"}


class UnreadableFile(Exception):
    """The file as a whole cannot be read (format, encoding, header)."""


@dataclass
class Table:
    header: list[str]
    rows: Iterator[tuple[int, dict[str, str]]]
    total_bytes: int
    position: callable  # bytes (CSV) or rows (XLSX) consumed so far, for progress
    total_rows: int | None = None


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value).strip()


def open_table(path: Path, encoding: str | None = None) -> Table:
    """Open PATH (.csv or .xlsx) for streaming; the header row names the columns."""
    suffix = path.suffix.lower()
    if suffix in {".xlsx", ".xlsm"}:
        return _open_xlsx(path)
    if suffix not in {".csv", ".txt", ""}:
        raise UnreadableFile(
            _("unsupported file type %(suffix)s: use .csv or .xlsx") % {"suffix": suffix}
        )
    return _open_csv(path, encoding)


def _open_csv(path: Path, encoding: str | None) -> Table:
    name = ENCODINGS.get((encoding or "utf-8").lower())
    if name is None:
        raise UnreadableFile(_("unknown encoding %(enc)s: use utf-8 or gbk") % {"enc": encoding})
    raw = path.open("rb")
    text = io.TextIOWrapper(raw, encoding=name, newline="")
    reader = csv.reader(text)
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raw.close()
        raise UnreadableFile(_("the file is empty: a header row is required")) from None
    except UnicodeDecodeError:
        raw.close()
        raise UnreadableFile(
            _(
                "line 1 is not valid %(enc)s; if the file is GBK, choose GBK as its encoding "
                "(--encoding gbk on the command line)"
            )
            % {"enc": encoding or "UTF-8"}
        ) from None

    def rows() -> Iterator[tuple[int, dict[str, str]]]:
        try:
            line = 1
            while True:
                try:
                    values = next(reader)
                except StopIteration:
                    return
                except UnicodeDecodeError:
                    raise UnreadableFile(
                        _(
                            "after line %(line)d the file is not valid %(enc)s; if it is GBK, "
                            "choose GBK as its encoding (--encoding gbk on the command line)"
                        )
                        % {"line": line, "enc": encoding or "UTF-8"}
                    ) from None
                except csv.Error as exc:
                    raise UnreadableFile(
                        _("line %(line)d: %(error)s") % {"line": reader.line_num, "error": exc}
                    ) from None
                line = reader.line_num
                if not values or all(not v.strip() for v in values):
                    continue
                row = {
                    h: (values[i].strip() if i < len(values) else "") for i, h in enumerate(header)
                }
                if len(values) > len(header):
                    row["__extra__"] = str(len(values) - len(header))
                yield line, row
        finally:
            raw.close()

    size = path.stat().st_size
    return Table(
        header=header,
        rows=rows(),
        total_bytes=size,
        position=lambda: size if raw.closed else raw.tell(),
    )


def _open_xlsx(path: Path) -> Table:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise UnreadableFile(
            _("not a readable .xlsx workbook: %(error)s") % {"error": exc}
        ) from None
    sheet = book.worksheets[0]
    it = sheet.iter_rows(values_only=True)
    try:
        header = [_cell(v) for v in next(it)]
    except StopIteration:
        book.close()
        raise UnreadableFile(_("the sheet is empty: a header row is required")) from None
    while header and not header[-1]:
        header.pop()
    consumed = [1]

    def rows() -> Iterator[tuple[int, dict[str, str]]]:
        try:
            for line, values in enumerate(it, start=2):
                consumed[0] = line
                cells = [_cell(v) for v in values]
                if not any(cells):
                    continue
                yield line, {h: (cells[i] if i < len(cells) else "") for i, h in enumerate(header)}
        finally:
            book.close()

    total = sheet.max_row if isinstance(sheet.max_row, int) else None
    return Table(
        header=header, rows=rows(), total_bytes=0, position=lambda: consumed[0], total_rows=total
    )
