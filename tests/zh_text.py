"""What "this page (or file) speaks Chinese" means in tests: no untranslated English word.

A few technical words are the same in both languages (OLT, SLA, XLSX …): they are allowed.
"""

from __future__ import annotations

import re

# Words staff read as they are in Chinese too.
TECHNICAL = {
    "API", "AVE", "Cronbach", "CSV", "Dillon-Goldstein", "ECharts", "HTML", "ID", "IMAG", "IP",
    "IPTV", "IVR", "LMG", "LOS", "Mbit", "NMS", "OLT", "OLTs", "ONU", "ONUs", "PDF", "PON",
    "SERVQUAL", "SLA", "SMS", "SQM", "VIF", "XLSX",
}  # fmt: skip

WORD = re.compile(r"[A-Za-z][A-Za-z-]*[A-Za-z]")


def english_words(text: str, allowed: set[str] = TECHNICAL) -> list[str]:
    """The English words of TEXT that are not technical terms (codes like A000000001 are
    not words: they hold digits)."""
    found = []
    for match in WORD.finditer(str(text)):
        word = match.group()
        end = match.end()
        if (
            end < len(text)
            and text[end].isdigit()
            or match.start()
            and text[match.start() - 1].isdigit()
        ):
            continue  # part of a code (OLT-00001, C00000001)
        if word not in allowed:
            found.append(word)
    return found
