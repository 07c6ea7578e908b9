"""Senders: what the outbox hands its messages to (docs/notify.md).

A sender has four operations:

- `open()` — connect (SMPP: connect and bind, with back-off);
- `submit(message) -> list of SMSC ids` — one message, all its parts answered (raises
  `SubmitError` when the SMSC refuses it);
- `poll(timeout=0) -> list of Receipt` — delivery receipts received since the last call;
- `close()`.

and one for throughput, used by the outbox: `send(feed, on_results, on_receipts)` pulls
messages from `feed(n)` and reports `Result`s as they complete, keeping up to the sender's
window in flight (the default implementation calls `submit` one message at a time).

`SQM_SMS_BACKEND` picks the sender: `console` (the default: each SMS as one JSON line on
stdout or appended to `SQM_SMS_FILE`) or `smpp` (`SmppSender`, settings `SQM_SMPP_*`).
"""

from __future__ import annotations

import json
import sys
import time
from typing import TextIO

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from sqm.core.masking import mask_mobile
from sqm.notify.pdu import Receipt
from sqm.notify.rules import split_sms
from sqm.notify.smpp import (
    Feed,
    Outgoing,
    ReceiptsHandler,
    Result,
    ResultsHandler,
    SmppClient,
    SmppConfig,
)

__all__ = [
    "ConsoleSender",
    "Outgoing",
    "Receipt",
    "Result",
    "Sender",
    "SmppSender",
    "SubmitError",
    "get_sender",
]


class SubmitError(Exception):
    """The SMSC refused a message (`permanent`: trying again cannot help)."""

    def __init__(self, message: str, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


class Sender:
    """The interface; subclasses implement `submit` (and `send` when they can pipeline)."""

    name = "sender"  # whose heartbeat the worker writes (notify.WorkerHeartbeat)
    window = 1  # messages in flight at once (at most this many may be sent twice on a crash)

    def open(self) -> None:
        pass

    def submit(self, message: Outgoing) -> list[str]:
        raise NotImplementedError

    def poll(self, timeout: float = 0.0) -> list[Receipt]:
        """Receipts received since the last call; waits up to TIMEOUT when there are none."""
        if timeout > 0:
            time.sleep(timeout)
        return []

    def close(self) -> None:
        pass

    def send(
        self, feed: Feed, on_results: ResultsHandler, on_receipts: ReceiptsHandler | None = None
    ) -> None:
        while True:
            batch = list(feed(self.window))
            if not batch:
                return
            results = []
            for message in batch:
                try:
                    ids = self.submit(message)
                except SubmitError as exc:
                    results.append(Result(ref=message.ref, error=str(exc), permanent=exc.permanent))
                else:
                    results.append(Result(ref=message.ref, smsc_ids=ids, parts=len(ids)))
            on_results(results)
            if on_receipts is not None:
                receipts = self.poll()
                if receipts:
                    on_receipts(receipts)


class ConsoleSender(Sender):
    """Writes each SMS as one JSON line (mobile masked) to STREAM, or appended to PATH.

    Every part counts as delivered at the next `poll` (there is no handset to ask)."""

    name = "console"
    window = 100  # messages taken per batch (a crash may print at most these again)

    def __init__(self, path: str | None = None, stream: TextIO | None = None):
        self.path = path
        self.stream = stream
        self._file: TextIO | None = None
        self._count = 0
        self._delivered: list[Receipt] = []

    def open(self) -> None:
        if self.path and self._file is None:
            self._file = open(self.path, "a", encoding="utf-8")

    def _out(self) -> TextIO:
        return self._file or self.stream or sys.stdout

    def submit(self, message: Outgoing) -> list[str]:
        if not message.mobile:
            raise SubmitError("no mobile number", permanent=True)
        parts = split_sms(message.text)
        ids = []
        for _part in parts:
            self._count += 1
            ids.append(f"console-{message.ref}-{self._count}")
        line = {
            "id": message.ref,
            "mobile": mask_mobile(message.mobile),
            "text": message.text,
            "parts": len(parts),
            "smsc_ids": ids,
            "sent_at": timezone.now().isoformat(timespec="seconds"),
        }
        out = self._out()
        out.write(json.dumps(line, ensure_ascii=False) + "\n")
        out.flush()
        self._delivered.extend(Receipt(smsc_id=i, stat="DELIVRD", err="000") for i in ids)
        return ids

    def poll(self, timeout: float = 0.0) -> list[Receipt]:
        receipts, self._delivered = self._delivered, []
        if not receipts and timeout > 0:
            time.sleep(timeout)
        return receipts

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


class SmppSender(Sender):
    """SMPP 3.4 through `smpp.SmppClient`: a window of submit_sm, receipts, reconnects."""

    name = "smpp"

    def __init__(self, config: SmppConfig):
        self.client = SmppClient(config)
        self.window = config.window

    def open(self) -> None:
        self.client.open()

    def submit(self, message: Outgoing) -> list[str]:
        result = self.client.submit(message)
        if not result.ok:
            raise SubmitError(result.error, permanent=result.permanent)
        return result.smsc_ids

    def send(
        self, feed: Feed, on_results: ResultsHandler, on_receipts: ReceiptsHandler | None = None
    ) -> None:
        self.client.send(feed, on_results, on_receipts)

    def poll(self, timeout: float = 0.0) -> list[Receipt]:
        return self.client.poll(timeout)

    def close(self) -> None:
        self.client.close()

    @property
    def resubmitted(self) -> int:
        return self.client.stats.resubmitted


def smpp_config(**overrides) -> SmppConfig:
    """The SMPP settings (SQM_SMPP_*), with OVERRIDES."""
    values = {
        "host": settings.SQM_SMPP_HOST,
        "port": settings.SQM_SMPP_PORT,
        "system_id": settings.SQM_SMPP_SYSTEM_ID,
        "password": settings.SQM_SMPP_PASSWORD,
        "system_type": settings.SQM_SMPP_SYSTEM_TYPE,
        "source_addr": settings.SQM_SMPP_SOURCE_ADDR,
        "bind": settings.SQM_SMPP_BIND,
        "window": settings.SQM_SMPP_WINDOW,
        "rate": settings.SQM_SMPP_RATE,
        "enquire_seconds": settings.SQM_SMPP_ENQUIRE_SECONDS,
    }
    values.update(overrides)
    try:
        return SmppConfig(**values)
    except ValueError as exc:
        raise ImproperlyConfigured(f"SQM_SMPP_*: {exc}") from exc


def get_sender(backend: str | None = None, **overrides) -> Sender:
    """The sender SQM_SMS_BACKEND names (or BACKEND)."""
    backend = backend or settings.SQM_SMS_BACKEND
    if backend == "console":
        return ConsoleSender(path=settings.SQM_SMS_FILE or None)
    if backend == "smpp":
        return SmppSender(smpp_config(**overrides))
    raise ImproperlyConfigured(f"SQM_SMS_BACKEND={backend!r}: expected console or smpp")
