"""Personal numbers never reach a log line: access log, error log, Django's own loggers.

Pages post numbers in request bodies, but a script, a bookmark or an old link may still put
`?mobile=13812345678` in a URL, and the access log writes every URL (and Referer) it sees.
Everything that writes log lines goes through `masking.mask_numbers` first: the console handler of
the Django logging configuration has `PersonalDataFilter`, and `sqm serve` runs gunicorn with
`GunicornLogger`, whose access and error lines are masked the same way.
"""

from __future__ import annotations

import logging
from urllib.parse import unquote_plus

from sqm.core.masking import mask_numbers


def mask_line(text: str) -> str:
    """A log line with its numbers masked, also those a URL carries encoded: people type
    `136 2656 4185`, which a query string holds as `136+2656+4185` or `136%202656%204185`.
    Such a line is written decoded."""
    if text and ("%" in text or "+" in text):
        text = unquote_plus(text)
    return mask_numbers(text)


class PersonalDataFilter(logging.Filter):
    """Masks numbers in a record's formatted message (and its exception text) in place."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave it for the handler to report
            return True
        record.msg, record.args = mask_line(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_line(record.exc_text)
        return True


try:
    from gunicorn.glogging import Logger as _GunicornLogger
except ImportError:  # gunicorn is a dependency, but keep the module importable without it
    _GunicornLogger = object


class GunicornLogger(_GunicornLogger):
    """gunicorn's logger with the request line, query, URL and Referer of every access line
    masked, and the error log filtered like Django's."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        return {
            key: mask_line(value) if isinstance(value, str) else value
            for key, value in atoms.items()
        }

    def setup(self, cfg) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            log.addFilter(PersonalDataFilter())
