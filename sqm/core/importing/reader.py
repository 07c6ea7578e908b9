"""Streaming readers for CSV, XLSX and JSON Lines that yield (line number, row dict).

Every reader yields rows as dicts of column name → text, so importers parse one shape. A
JSON Lines row is one object per line; its values become text the way a CSV cell would hold
them: null → "", true/false → "1"/"0", numbers as written, a list → its items joined by ";".
A line the reader cannot turn into a row is yielded as {INVALID: reason} for the importer to
report at that line.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.utils.translation import gettext as _

ENCODINGS = {"utf-8": "utf-8-sig", "utf8": "utf-8-sig", "gbk": "gb18030", "gb18030": "gb18030"}
JSON_LINES = {".jsonl", ".ndjson"}
# Marks a row that could not be read; its value is the reason (the row has no other keys).
INVALID = "__invalid__"


class UnreadableFile(Exception):
    """The file as a whole cannot be read (format, encoding, header)."""


@dataclass
class Table:
    header: list[str] | None  # None: JSON Lines, where every line names its own keys
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


def _opener(path: Path):
    """How to read PATH's clear bytes: (open a binary stream, clear size). A sealed upload
    (sqm.core.uploads) is decrypted as it is read; no clear copy is written."""
    from sqm.core import uploads

    if uploads.is_sealed(path):
        return lambda: uploads.open_clear(path)[0], uploads.clear_size(path)
    return lambda: path.open("rb"), path.stat().st_size


def open_table(path: Path, encoding: str | None = None) -> Table:
    """Open PATH (.csv, .xlsx or .jsonl, or such a file sealed as an upload) for streaming;
    a CSV or XLSX header row names the columns, a JSON Lines object its keys."""
    from sqm.core import uploads

    sealed = uploads.is_sealed(path)
    suffix = Path(path.stem).suffix.lower() if sealed else path.suffix.lower()
    if suffix in {".xlsx", ".xlsm"}:
        return _open_xlsx(io.BytesIO(uploads.read_clear(path)) if sealed else path)
    if suffix in JSON_LINES:
        return _open_json_lines(path, encoding)
    if suffix not in {".csv", ".txt", ""}:
        raise UnreadableFile(
            _("unsupported file type %(suffix)s: use .csv, .xlsx or .jsonl") % {"suffix": suffix}
        )
    return _open_csv(path, encoding)


def _open_csv(path: Path, encoding: str | None) -> Table:
    name = ENCODINGS.get((encoding or "utf-8").lower())
    if name is None:
        raise UnreadableFile(_("unknown encoding %(enc)s: use utf-8 or gbk") % {"enc": encoding})
    open_raw, size = _opener(path)
    raw = open_raw()
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

    return Table(
        header=header,
        rows=rows(),
        total_bytes=size,
        position=lambda: size if raw.closed else raw.tell(),
    )


def _open_xlsx(path) -> Table:
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


class _RepeatedKey(Exception):
    pass


def _object(pairs: list[tuple[str, object]]) -> dict[str, object]:
    seen: dict[str, object] = {}
    for key, value in pairs:
        if key in seen:
            raise _RepeatedKey(key)
        seen[key] = value
    return seen


def _text(value: object) -> str:
    """A JSON value as the text a CSV cell would hold."""
    if value is None:
        return ""
    if value is True:
        return "1"
    if value is False:
        return "0"
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, list):
        return ";".join(
            json.dumps(item, ensure_ascii=False) if isinstance(item, list | dict) else _text(item)
            for item in value
        )
    return json.dumps(value, ensure_ascii=False)


def _json_row(text: str) -> dict[str, str]:
    """One line as a row, or {INVALID: reason}."""
    try:
        value = json.loads(text, object_pairs_hook=_object)
    except _RepeatedKey as exc:
        return {INVALID: _("key %(key)s appears more than once") % {"key": exc.args[0]}}
    except json.JSONDecodeError as exc:
        # json's own "line 1" would contradict the file's line number: give the column only.
        return {
            INVALID: _("not valid JSON: %(error)s at column %(column)d")
            % {"error": exc.msg, "column": exc.colno}
        }
    except RecursionError:
        return {INVALID: _("not valid JSON: nested too deeply")}
    except ValueError as exc:  # e.g. an integer longer than Python converts
        return {INVALID: _("not valid JSON: %(error)s") % {"error": exc}}
    if not isinstance(value, dict):
        kind = {list: "an array", str: "a string", bool: "true or false"}.get(type(value))
        return {
            INVALID: _("a line must be a JSON object, not %(kind)s")
            % {"kind": kind or (_("null") if value is None else _("a number"))}
        }
    return {key: _text(item) for key, item in value.items() if not key.startswith("__")}


def _open_json_lines(path: Path, encoding: str | None) -> Table:
    name = ENCODINGS.get((encoding or "utf-8").lower())
    if name is None:
        raise UnreadableFile(_("unknown encoding %(enc)s: use utf-8 or gbk") % {"enc": encoding})
    open_raw, size = _opener(path)
    raw = open_raw()

    def rows() -> Iterator[tuple[int, dict[str, str]]]:
        try:
            for line, data in enumerate(raw, start=1):
                try:
                    text = data.decode(name)
                except UnicodeDecodeError:
                    yield line, {INVALID: _("not valid %(enc)s") % {"enc": encoding or "UTF-8"}}
                    continue
                if line == 1:
                    text = text.removeprefix("\ufeff")
                text = text.strip()
                if not text:
                    continue
                yield line, _json_row(text)
        finally:
            raw.close()

    return Table(
        header=None,
        rows=rows(),
        total_bytes=size,
        position=lambda: size if raw.closed else raw.tell(),
    )
