"""PDF from HTML with headless Chromium (Debian's, installed by scripts/system-deps.sh): the
same page a user sees, charts included, printed with the CJK fonts of the machine."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.utils.translation import gettext as _


class PdfError(RuntimeError):
    """Chromium is missing or failed; the message says which."""


def chromium() -> str:
    configured = getattr(settings, "SQM_CHROMIUM", "") or ""
    found = configured or shutil.which("chromium") or shutil.which("chromium-browser")
    if not found or not os.access(found, os.X_OK):
        raise PdfError(_("PDF export needs Chromium (apt-get install chromium)"))
    return found


def static_path(name: str) -> str:
    """A static file as a file:// URL, for pages printed from disk."""
    found = finders.find(name)
    if not found:
        raise PdfError(f"static file {name} not found")
    return Path(found).as_uri()


def html_to_pdf(html: str, *, timeout: int = 60) -> bytes:
    """Print HTML (a whole document; static files referenced with `static_path`) to PDF.
    Scripts run first (virtual time budget), so ECharts charts are drawn; they should turn
    their animation off."""
    binary = chromium()
    with tempfile.TemporaryDirectory(prefix="sqm-pdf-") as folder:
        page = Path(folder) / "page.html"
        out = Path(folder) / "page.pdf"
        page.write_text(html, encoding="utf-8")
        command = [
            binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--no-first-run", "--allow-file-access-from-files", "--no-pdf-header-footer",
            f"--user-data-dir={folder}/profile", "--virtual-time-budget=5000",
            f"--print-to-pdf={out}", page.as_uri(),
        ]  # fmt: skip
        try:
            done = subprocess.run(command, capture_output=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired as exc:
            raise PdfError(_("Chromium did not finish the PDF in time")) from exc
        if not out.exists() or out.stat().st_size == 0:
            tail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-3:]
            raise PdfError(_("Chromium could not print the PDF") + ": " + " ".join(tail))
        return out.read_bytes()
