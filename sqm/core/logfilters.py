"""Log filters besides the personal-data mask (sqm.core.logmask)."""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied


class OneLineRefusals(logging.Filter):
    """A refused request (403: PermissionDenied, also a used-up limit) is one warning line.

    Django logs "Forbidden (Permission denied): /path" with the exception's traceback, which
    says nothing a reader needs (the refusal is the expected outcome) and buried the demo's
    log under tracebacks. The line itself is kept.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, PermissionDenied):
            record.exc_info = None
            record.exc_text = None
        return True
