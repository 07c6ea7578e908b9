"""The one writer of every XLSX and CSV export (docs/security.md, "Exports").

Lists are masked unless the user may export personal data, and every export is audited.
Whatever a cell holds, it is written as data, never as something the spreadsheet runs:

- XLSX: every string cell gets the string data type explicitly. openpyxl would otherwise
  take a string starting with ``=`` for a formula (and ``#N/A`` for an error); a typed
  string is shown as text and never evaluated. A string that starts with a formula
  character (``= + - @``, tab, carriage return) is also given Excel's quote prefix, so that
  editing the cell in Excel keeps it text. Numbers, dates and booleans keep their types.
- CSV: a CSV file has no types, so a string that starts with a formula character is
  prefixed with a single quote (the OWASP CSV-injection advice) and every string is quoted;
  numbers are written bare so that spreadsheets still read them as numbers.

A masked value such as ``=****`` (a name starting with ``=``) is therefore text, not an
invalid formula. Build new exports on `xlsx_response` / `csv_response`, or on `XlsxWriter` /
`CsvWriter` when the file is not a list of model rows (the survey results are).
"""

from __future__ import annotations

import csv
import io
import re
import tempfile
from collections.abc import Callable, Iterable
from datetime import date, datetime, time
from decimal import Decimal
from typing import IO

from django.http import FileResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from sqm.core import audit
from sqm.core.masking import mask_numbers
from sqm.core.models import AuditAction

Column = tuple[str, Callable[[object], object]]

# A spreadsheet reads a cell starting with one of these as a formula (or the start of one).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_BOLD = Font(bold=True)
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def starts_like_formula(text: str) -> bool:
    return text.startswith(FORMULA_PREFIXES)


def plain_value(value: object) -> object:
    """The value as a spreadsheet holds it: numbers, dates and booleans as they are (aware
    times in local time, without zone), anything else as a string."""
    if value is None or isinstance(value, (bool, int, float, Decimal, str)):
        return value
    if isinstance(value, datetime):
        return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
    if isinstance(value, (date, time)):
        return value
    return str(value)  # lazy translations, choices labels, model instances


def xlsx_cell(sheet, value: object, *, bold: bool = False) -> WriteOnlyCell:
    """One cell of an export: strings always typed as strings, never formulas."""
    value = plain_value(value)
    if isinstance(value, str):
        # Control characters XML cannot hold would make openpyxl refuse the whole file.
        value = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # openpyxl inferred "f" from a leading "=", "e" from "#N/A"
        if starts_like_formula(value):
            cell.quotePrefix = True
    if bold:
        cell.font = _BOLD
    return cell


class XlsxSheet:
    """A write-only sheet whose rows go through `xlsx_cell`."""

    def __init__(self, sheet) -> None:
        self._sheet = sheet

    def append(self, values: Iterable[object], *, bold: bool = False) -> None:
        self._sheet.append([xlsx_cell(self._sheet, v, bold=bold) for v in values])


class XlsxWriter:
    """A workbook written row by row (write-only: constant memory for any row count)."""

    def __init__(self) -> None:
        self.book = Workbook(write_only=True)

    def _sheet_title(self, title: object) -> str:
        """TITLE (a translated name, say) as Excel accepts it: at most 31 characters, none
        of []:*?/\\, and unique in the book (Excel refuses a file that breaks these)."""
        text = _SHEET_FORBIDDEN.sub(" ", str(title)).strip(" '")[:31] or "Sheet"
        taken = {name.casefold() for name in self.book.sheetnames}
        unique, n = text, 2
        while unique.casefold() in taken:
            suffix = f" ({n})"
            unique, n = text[: 31 - len(suffix)] + suffix, n + 1
        return unique

    def add_sheet(self, title: str, *, freeze: str | None = None) -> XlsxSheet:
        sheet = self.book.create_sheet(title=self._sheet_title(title))
        if freeze:
            sheet.freeze_panes = freeze  # before the first row: write-only sheets stream
        return XlsxSheet(sheet)

    def save(self, target: IO[bytes]) -> None:
        self.book.save(target)

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        self.save(buffer)
        return buffer.getvalue()


def csv_value(value: object) -> object:
    """A CSV field: formula-like strings behind a single quote; numbers bare."""
    value = plain_value(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float, Decimal)):
        return value
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    text = str(value)
    return "'" + text if starts_like_formula(text) else text


class CsvWriter:
    """CSV rows through `csv_value`; strings quoted, numbers not (QUOTE_NONNUMERIC)."""

    def __init__(self, stream: IO[str]) -> None:
        self._writer = csv.writer(stream, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\r\n")

    def writerow(self, values: Iterable[object]) -> None:
        self._writer.writerow([csv_value(v) for v in values])


def _audit(user, target: str, count: int, with_personal_data: bool, filters, fmt: str) -> None:
    audit.record(
        AuditAction.EXPORT_PII if with_personal_data else AuditAction.EXPORT,
        user=user,
        target=target,
        details={
            "rows": count,
            "filters": filters or {},
            "personal_data": with_personal_data,
            "format": fmt,
        },
    )


def _row(row: object, columns: list[Column], with_personal_data: bool) -> list[object]:
    """One row's cells. In a masked export, free text (a description, a note) that holds a
    mobile or ID number has it masked too: the columns that are personal data are masked by
    their getters, but people type numbers into any text."""
    values = [getter(row) for _title, getter in columns]
    if with_personal_data:
        return values
    return [mask_numbers(v) if isinstance(v, str) else v for v in values]


def _stamped(filename: str, ext: str) -> str:
    return f"{filename}-{timezone.localtime().strftime('%Y%m%d-%H%M')}.{ext}"


def xlsx_response(
    rows: Iterable[object],
    columns: list[Column],
    *,
    filename: str,
    sheet_title: str,
    user,
    target: str,
    with_personal_data: bool,
    filters: dict | None = None,
) -> FileResponse:
    """Stream ROWS into a write-only workbook on disk and send it; audit the export."""
    writer = XlsxWriter()
    sheet = writer.add_sheet(sheet_title)
    sheet.append([title for title, _getter in columns], bold=True)
    count = 0
    for row in rows:
        sheet.append(_row(row, columns, with_personal_data))
        count += 1
    tmp = tempfile.TemporaryFile(suffix=".xlsx")
    writer.save(tmp)
    tmp.seek(0)
    _audit(user, target, count, with_personal_data, filters, "xlsx")
    return FileResponse(
        tmp, as_attachment=True, filename=_stamped(filename, "xlsx"), content_type=XLSX_TYPE
    )


def csv_response(
    rows: Iterable[object],
    columns: list[Column],
    *,
    filename: str,
    user,
    target: str,
    with_personal_data: bool,
    filters: dict | None = None,
) -> FileResponse:
    """The same as `xlsx_response` as UTF-8 CSV (with a BOM, which Excel needs to read
    Chinese)."""
    tmp = tempfile.TemporaryFile(suffix=".csv")
    text = io.TextIOWrapper(tmp, encoding="utf-8-sig", newline="")
    writer = CsvWriter(text)
    writer.writerow([title for title, _getter in columns])
    count = 0
    for row in rows:
        writer.writerow(_row(row, columns, with_personal_data))
        count += 1
    text.flush()
    text.detach()  # keep the file open for the response
    tmp.seek(0)
    _audit(user, target, count, with_personal_data, filters, "csv")
    return FileResponse(
        tmp,
        as_attachment=True,
        filename=_stamped(filename, "csv"),
        content_type="text/csv; charset=utf-8",
    )
