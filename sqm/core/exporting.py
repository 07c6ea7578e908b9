"""Excel exports of lists: masked unless the user may export personal data; always audited."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable
from datetime import datetime

from django.http import FileResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Font

from sqm.core import audit
from sqm.core.models import AuditAction

Column = tuple[str, Callable[[object], object]]


def _cell(value):
    if isinstance(value, datetime):
        return timezone.localtime(value).replace(tzinfo=None)
    return value


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
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=sheet_title[:31])
    bold = Font(bold=True)
    from openpyxl.cell import WriteOnlyCell

    header = []
    for title, _getter in columns:
        cell = WriteOnlyCell(sheet, value=str(title))
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    count = 0
    for row in rows:
        sheet.append([_cell(getter(row)) for _title, getter in columns])
        count += 1
    tmp = tempfile.TemporaryFile(suffix=".xlsx")
    book.save(tmp)
    tmp.seek(0)
    audit.record(
        AuditAction.EXPORT_PII if with_personal_data else AuditAction.EXPORT,
        user=user,
        target=target,
        details={"rows": count, "filters": filters or {}, "personal_data": with_personal_data},
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return FileResponse(
        tmp,
        as_attachment=True,
        filename=f"{filename}-{stamp}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
