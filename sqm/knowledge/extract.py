"""The text of an attached document, for the search index (docs/search.md, "Attachment text").

`extract_text` checks what is cheap in this process (the file's size and type) and leaves
the parsing to a child Python process: the parsers read files from outside, and a hostile
PDF or a zip bomb can loop or allocate without end. The child runs with a memory ceiling and
is killed at the time limit. Whatever goes wrong comes back as an `Extracted` with a reason,
never as an exception.

Run as a script, this module is that child: it reads one JSON request on stdin and writes
one JSON result on stdout.
"""

from __future__ import annotations

import codecs
import json
import logging
import math
import os
import re
import signal
import subprocess
import sys
import unicodedata
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, time
from html.parser import HTMLParser
from pathlib import Path, PurePath
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy

logger = logging.getLogger(__name__)

MB = 2**20
DEFAULT_MAX_BYTES = 20 * MB
DEFAULT_MAX_CHARS = 1_000_000
DEFAULT_TIMEOUT = 30.0
# Office files are zips of XML; one whose directory says it unpacks to more than this, or
# holds more entries, is refused before a parser sees it.
MAX_UNZIPPED_BYTES = 256 * MB
MAX_ZIP_ENTRIES = 10_000
# The child's address space: a parser that runs away gets MemoryError instead of the host.
CHILD_MEMORY_BYTES = 2**30

KINDS = {
    ".docx": "docx",
    ".xlsx": "xlsx",
    ".pptx": "pptx",
    ".pdf": "pdf",
    ".html": "html",
    ".htm": "html",
    ".xml": "xml",
    ".txt": "text",
    ".csv": "text",
}
LEGACY_OFFICE = {".doc": ".docx", ".xls": ".xlsx", ".ppt": ".pptx"}
OOXML_KINDS = ("docx", "xlsx", "pptx")

# The reasons, by the code the child reports.
MESSAGES = {
    "missing": gettext_lazy("the file is missing"),
    "empty": gettext_lazy("the file is empty"),
    "too_large": gettext_lazy("file too large (%(size)s MB; the limit is %(limit)s MB)"),
    "unsupported": gettext_lazy("unsupported file type %(ext)s"),
    "no_extension": gettext_lazy("unknown file type (the name has no extension)"),
    "legacy": gettext_lazy("the old Office format %(ext)s cannot be read; save it as %(new)s"),
    "docx": gettext_lazy("not a readable Word document (.docx)"),
    "xlsx": gettext_lazy("not a readable Excel workbook (.xlsx)"),
    "pptx": gettext_lazy("not a readable PowerPoint presentation (.pptx)"),
    "pdf": gettext_lazy("not a readable PDF"),
    "xml": gettext_lazy("not readable XML"),
    "html": gettext_lazy("not a readable HTML page"),
    "text": gettext_lazy("not a text file (neither UTF-8 nor GBK)"),
    "encrypted": gettext_lazy("the file is password-protected"),
    "zip_bomb": gettext_lazy("the document unpacks to more than %(limit)s MB"),
    "dtd": gettext_lazy("XML with a DOCTYPE or entity declarations is not read (a safety rule)"),
    "no_text": gettext_lazy("no text found in the file"),
    "memory": gettext_lazy("the file needs too much memory to read"),
    "timeout": gettext_lazy("timed out after %(seconds)s s"),
    "failed": gettext_lazy("text extraction failed"),
}


@dataclass(frozen=True)
class Extracted:
    text: str  # the document's text, whitespace tidied, "" on failure
    error: str = ""  # empty when it worked; else a short translated reason
    truncated: bool = False


def extract_text(
    path: Path,
    *,
    name: str | None = None,
    max_bytes: int | None = None,
    max_chars: int = DEFAULT_MAX_CHARS,
    timeout: float | None = None,
) -> Extracted:
    """The text of the document at PATH, its type taken from NAME's extension (the uploaded
    file's name; PATH's own name when None). MAX_BYTES and TIMEOUT (seconds) default to the
    settings SQM_ATTACHMENT_MAX_BYTES and SQM_ATTACHMENT_EXTRACT_SECONDS. The reason of a
    failure is translated into the language active when this runs."""
    path = Path(path)
    if max_bytes is None:
        max_bytes = getattr(settings, "SQM_ATTACHMENT_MAX_BYTES", DEFAULT_MAX_BYTES)
    if timeout is None:
        timeout = float(getattr(settings, "SQM_ATTACHMENT_EXTRACT_SECONDS", DEFAULT_TIMEOUT))
    ext = PurePath(name or path.name).suffix.lower()
    try:
        size = path.stat().st_size
    except OSError:
        return _failed("missing")
    if not path.is_file():
        return _failed("missing")
    if size == 0:
        return _failed("empty")
    if size > max_bytes:
        return _failed("too_large", size=f"{size / MB:.1f}", limit=_megabytes(max_bytes))
    if ext in LEGACY_OFFICE:
        return _failed("legacy", ext=ext, new=LEGACY_OFFICE[ext])
    kind = KINDS.get(ext)
    if kind is None and ext:
        return _failed("unsupported", ext=ext)
    if kind is None:
        kind = _sniff(path)
        if kind is None:
            return _failed("no_extension")
    request = {
        "path": str(path.resolve()),
        "kind": kind,
        "max_chars": max_chars,
        "max_unzipped": MAX_UNZIPPED_BYTES,
        "memory": CHILD_MEMORY_BYTES,
        "cpu_seconds": math.ceil(timeout) + 1,
    }
    return _run_child(request, timeout)


def _failed(code: str, **params: str) -> Extracted:
    message = str(MESSAGES.get(code, MESSAGES["failed"]))
    return Extracted(text="", error=message % params if params else message)


def _megabytes(size: int) -> str:
    return f"{size / MB:.1f}".removesuffix(".0")


def _sniff(path: Path) -> str | None:
    """The kind of a file whose name has no extension, from its first bytes."""
    try:
        with open(path, "rb") as file:
            head = file.read(1024)
    except OSError:
        return None
    if b"%PDF-" in head:
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return "ooxml"  # the child tells Word, Excel and PowerPoint apart by the zip's parts
    return None


# ---------------------------------------------------------------------------------------
# The child process

# How the parent starts the child: this file as a script, isolated (-I) so neither the
# working directory nor PYTHON* variables put other modules in its way. Tests replace it.
_CHILD_COMMAND = [sys.executable, "-I", str(Path(__file__).resolve())]


def _run_child(request: dict[str, Any], timeout: float) -> Extracted:
    try:
        child = subprocess.Popen(
            _CHILD_COMMAND,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,  # its own process group, so the kill reaches all of it
        )
    except OSError:
        logger.exception("attachment text: the child process did not start")
        return _failed("failed")
    try:
        out, err = child.communicate(json.dumps(request).encode(), timeout=timeout)
    except subprocess.TimeoutExpired:
        return _failed("timeout", seconds=f"{timeout:g}")
    finally:
        if child.poll() is None:
            _kill(child)
    if child.returncode == -signal.SIGXCPU:
        return _failed("timeout", seconds=f"{timeout:g}")
    try:
        result = json.loads(out.decode("utf-8"))
    except ValueError:
        result = None
    if child.returncode != 0 or not isinstance(result, dict):
        logger.warning(
            "attachment text: the child exited with %s: %s",
            child.returncode,
            err.decode("utf-8", "replace")[-2000:],
        )
        return _failed("failed")
    if result.get("error"):
        return _failed(result["error"], **result.get("params", {}))
    if not result.get("text"):
        return _failed("no_text")
    return Extracted(text=result["text"], truncated=bool(result.get("truncated")))


def _kill(child: subprocess.Popen) -> None:
    try:
        os.killpg(child.pid, signal.SIGKILL)
    except OSError:
        child.kill()
    child.communicate()


def _child_main() -> None:
    request = json.loads(sys.stdin.buffer.read())
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (request["memory"], request["memory"]))
    resource.setrlimit(resource.RLIMIT_CPU, (request["cpu_seconds"], request["cpu_seconds"]))
    try:
        result = _parse(request)
    except MemoryError:
        result = {"error": "memory"}
    sys.stdout.buffer.write(json.dumps(result, ensure_ascii=False).encode("utf-8"))


class _Refused(Exception):
    def __init__(self, code: str, **params: str) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


class _Full(Exception):
    """Enough text: the parser stops reading."""


def _parse(request: dict[str, Any]) -> dict[str, Any]:
    path = Path(request["path"])
    kind = request["kind"]
    out = _Collector(request["max_chars"])
    try:
        if kind == "ooxml":
            kind = _ooxml_kind(path)
        if kind in OOXML_KINDS:
            _check_zip(path, kind, request["max_unzipped"])
        PARSERS[kind](path, out)
    except _Full:
        pass
    except _Refused as refused:
        return {"error": refused.code, "params": refused.params}
    except MemoryError:
        raise
    except Exception:  # whatever a broken file makes a parser raise
        return {"error": kind}
    text, truncated = out.result()
    return {"text": text, "truncated": truncated}


# Fonts such as Noto CJK share one glyph between an ideograph and its Kangxi radical, and
# PDFs printed with them say the radical (U+2F79 for 网): the text would not be found.
_RADICALS = {
    code: unicodedata.normalize("NFKC", chr(code))
    for span in ((0x2E80, 0x2FE0), (0xF900, 0xFB00))
    for code in range(*span)
    if unicodedata.normalize("NFKC", chr(code)) != chr(code)
}
_BREAKS = re.compile(r"\r\n?|[\v\f\x1c-\x1e\x85\u2028\u2029]")
_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1b\x1f\x7f\u200b\ufeff\ud800-\udfff]")
_SPACES = re.compile(r"[ \xa0\u1680\u2000-\u200a\u202f\u205f\u3000]+")


def _tidy(text: str) -> str:
    """TEXT with one space for a run of spaces, no blank run of lines, no stray controls;
    tabs stay (they separate a table's cells)."""
    text = _CONTROLS.sub("", _BREAKS.sub("\n", text)).translate(_RADICALS)
    lines: list[str] = []
    for line in text.split("\n"):
        line = _SPACES.sub(" ", line).strip(" ").rstrip("\t ")
        if line or (lines and lines[-1]):
            lines.append(line)
    return "\n".join(lines).strip("\n")


class _Collector:
    """The text as the parser finds it, tidied, until there is more than MAX_CHARS."""

    def __init__(self, max_chars: int) -> None:
        self.max_chars = max_chars
        self.parts: list[str] = []
        self.length = -1  # of the parts joined by newlines

    def add(self, text: str | None) -> None:
        text = _tidy(text or "")
        if not text:
            return
        self.parts.append(text)
        self.length += len(text) + 1
        if self.length > self.max_chars:
            raise _Full

    def result(self) -> tuple[str, bool]:
        text = "\n".join(self.parts)
        if len(text) <= self.max_chars:
            return text, False
        return text[: self.max_chars].rstrip(), True


def _ooxml_kind(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except zipfile.BadZipFile:
        raise _Refused("no_extension") from None
    for part, kind in (
        ("word/document.xml", "docx"),
        ("xl/workbook.xml", "xlsx"),
        ("ppt/presentation.xml", "pptx"),
    ):
        if part in names:
            return kind
    raise _Refused("no_extension")


# An Office document saved with a password is not a zip but an OLE compound file holding
# an "EncryptionInfo" stream.
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTION_INFO = "EncryptionInfo".encode("utf-16-le")


def _check_zip(path: Path, kind: str, max_unzipped: int) -> None:
    with open(path, "rb") as file:
        head = file.read(8)
        if head == _OLE_MAGIC:
            encrypted = _ENCRYPTION_INFO in head + file.read()
            raise _Refused("encrypted" if encrypted else kind)
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
    except zipfile.BadZipFile:
        raise _Refused(kind) from None
    # The sizes are the directory's word, and zipfile holds each entry to it when reading.
    if len(entries) > MAX_ZIP_ENTRIES or sum(e.file_size for e in entries) > max_unzipped:
        raise _Refused("zip_bomb", limit=_megabytes(max_unzipped))


def _parse_docx(path: Path, out: _Collector) -> None:
    import docx

    _docx_blocks(docx.Document(str(path)), out)


def _docx_blocks(container: Any, out: _Collector) -> None:
    from docx.table import Table

    for block in container.iter_inner_content():
        if isinstance(block, Table):
            _docx_table(block, out)
        else:
            out.add(block.text)


def _docx_table(table: Any, out: _Collector) -> None:
    for row in table.rows:
        cells, nested, previous = [], [], None
        for cell in row.cells:
            if cell._tc is previous:  # a merged cell comes once per grid column it spans
                continue
            previous = cell._tc
            cells.append(" ".join(p.text for p in cell.paragraphs))
            nested.extend(cell.tables)
        out.add("\t".join(_one_line(c) for c in cells))
        for inner in nested:
            _docx_table(inner, out)


def _parse_xlsx(path: Path, out: _Collector) -> None:
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        for sheet in workbook.worksheets:
            # The stored dimension may be wrong either way (too small loses rows, too large
            # pads empty ones): read the rows that are there.
            sheet.reset_dimensions()
            out.add(sheet.title)
            for row in sheet.iter_rows(values_only=True):
                out.add("\t".join(_one_line(_cell_text(value)) for value in row))
    finally:
        workbook.close()


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(" ")
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _parse_pptx(path: Path, out: _Collector) -> None:
    from pptx import Presentation

    for slide in Presentation(str(path)).slides:
        _pptx_shapes(slide.shapes, out)
        if slide.has_notes_slide:
            notes = slide.notes_slide.notes_text_frame
            if notes is not None:
                out.add(notes.text)


def _pptx_shapes(shapes: Any, out: _Collector) -> None:
    from pptx.shapes.group import GroupShape

    for shape in shapes:
        if isinstance(shape, GroupShape):
            _pptx_shapes(shape.shapes, out)
        elif shape.has_text_frame:
            out.add(shape.text_frame.text)
        elif getattr(shape, "has_table", False):
            for row in shape.table.rows:
                out.add("\t".join(_one_line(cell.text) for cell in row.cells))


def _parse_pdf(path: Path, out: _Collector) -> None:
    from pypdf import PdfReader

    with open(path, "rb") as file:
        if b"%PDF-" not in file.read(1024):
            raise _Refused("pdf")
    reader = PdfReader(path, strict=False)
    if reader.is_encrypted:
        try:
            opened = reader.decrypt("")  # many PDFs only restrict printing or copying
        except Exception:
            opened = 0
        if not opened:
            raise _Refused("encrypted")
    pages = broken = 0
    for page in reader.pages:
        pages += 1
        try:
            text = page.extract_text()
        except MemoryError:
            raise
        except Exception:  # one broken page does not lose the others
            broken += 1
            continue
        out.add(text)
    if pages == 0 or broken == pages:
        raise _Refused("pdf")


def _decode(data: bytes, declared: str | None = None) -> str | None:
    """DATA as text: by its byte-order mark, else UTF-8 if it is strictly that, else the
    DECLARED encoding, else GB18030 (a superset of GBK and GB2312); None if none fits."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", "replace")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", "replace")
    for encoding in ("utf-8", declared, "gb18030"):
        if not encoding:
            continue
        try:
            return data.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            pass
    return None


def _parse_text(path: Path, out: _Collector) -> None:
    data = path.read_bytes()
    text = None if b"\x00" in data[:8192] else _decode(data)
    if text is None:
        raise _Refused("text")
    out.add(text)


_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9._-]+)""", re.I)


def _parse_html(path: Path, out: _Collector) -> None:
    data = path.read_bytes()
    declared = _META_CHARSET.search(data[:4096])
    text = _decode(data, declared and declared.group(1).decode("ascii"))
    if text is None:
        text = data.decode("gb18030", "replace")
    parser = _VisibleText(out)
    parser.feed(text)
    parser.close()
    parser.flush()


class _VisibleText(HTMLParser):
    """What a browser shows of an HTML page, as lines: no script, style or template;
    whitespace collapsed as HTML does; a line per block, a tab between table cells."""

    HIDDEN = frozenset({"script", "style", "template", "noscript"})
    BLOCKS = frozenset(
        "address article aside blockquote br caption dd details div dl dt fieldset figcaption "
        "figure footer form h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section summary "
        "table title tr ul".split()
    )
    CELLS = frozenset({"td", "th"})

    def __init__(self, out: _Collector) -> None:
        super().__init__(convert_charrefs=True)
        self.out = out
        self.hidden = 0
        self.line: list[str] = []

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in self.HIDDEN:
            self.hidden += 1
        elif tag in self.BLOCKS:
            self.flush()
        elif tag in self.CELLS and self.line:
            self.line.append("\t")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in self.BLOCKS:
            self.flush()

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.line.append(re.sub(r"[ \t\n\r\f]+", " ", data))

    def flush(self) -> None:
        self.out.add("".join(self.line))
        self.line = []


_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._-]+)""")
# Entities are declared only in a DTD: without one, no billion laughs and no external file.
_XML_DTD = re.compile(r"<!\s*(DOCTYPE|ENTITY)", re.I)


def _parse_xml(path: Path, out: _Collector) -> None:
    from xml.etree import ElementTree

    data = path.read_bytes()
    declared = _XML_ENCODING.match(data)
    text = _decode(data, declared and declared.group(1).decode("ascii"))
    if text is None:
        raise _Refused("xml")
    if _XML_DTD.search(text):
        raise _Refused("dtd")
    # Parsed as text, so the declaration's encoding (GBK, which expat lacks) must go.
    root = ElementTree.fromstring(_XML_DECLARATION.sub("", text, count=1))
    for piece in root.itertext():
        out.add(piece)


PARSERS = {
    "docx": _parse_docx,
    "xlsx": _parse_xlsx,
    "pptx": _parse_pptx,
    "pdf": _parse_pdf,
    "html": _parse_html,
    "xml": _parse_xml,
    "text": _parse_text,
}


if __name__ == "__main__":
    _child_main()
