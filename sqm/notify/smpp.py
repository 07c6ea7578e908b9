"""SMPP 3.4 client for the outbox (docs/notify.md).

PDUs are encoded and parsed by smpplib's codec (`smpplib.smpp.make_pdu` / `parse_pdu`); the
socket loop is ours, because smpplib's `Client` reads one response per request and so cannot
keep a window of submit_sm requests outstanding.

- bind as transmitter or transceiver (`bind`), unbind on close;
- submit_sm in UCS-2 (data_coding 8) for Chinese, the SMSC default alphabet (data_coding 0)
  for plain GSM text; long texts as concatenated parts per `rules.split_sms` with an 8-bit
  reference UDH (IEI 0x00: 05 00 03 ref total seq, esm_class 0x40);
- registered_delivery 1 (a receipt for every part, delivered or not);
- a window: at most `window` submit_sm written and not yet answered, and at most `window`
  messages taken from the feed and not yet reported back — so a crash can leave at most
  `window` messages whose fate is unknown; responses matched by sequence number;
- a token bucket of `rate` submit_sm per second (0 = no limit; bursts of rate/10);
- enquire_link after `enquire_seconds` without traffic, and an answer to the SMSC's own;
- a lost connection (closed, reset, no response within `response_timeout`) is re-opened with
  exponential back-off; submit_sm that had no response are written again on the new
  connection (at-least-once: the SMSC may have taken them) and counted in
  `stats.resubmitted`;
- deliver_sm receipts (esm_class 0x04) parsed into `Receipt`s (`id:… stat:DELIVRD …`).
"""

from __future__ import annotations

import logging
import random
import select
import socket
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from smpplib import consts
from smpplib import smpp as codec

from sqm.notify.flow import BackOff, TokenBucket
from sqm.notify.pdu import (
    ConnectionLost,
    Receipt,
    SequenceNumbers,
    SmppError,
    encode_parts,
    field_text,
    parse_receipt,
    read_pdus,
)

log = logging.getLogger(__name__)

BINDS = ("transmitter", "transceiver")
# submit_sm_resp statuses after which trying the same message again cannot help.
PERMANENT_ERRORS = {
    consts.SMPP_ESME_RINVDSTADR,
    consts.SMPP_ESME_RINVDSTTON,
    consts.SMPP_ESME_RINVDSTNPI,
    consts.SMPP_ESME_RINVMSGLEN,
    consts.SMPP_ESME_RINVESMCLASS,
    consts.SMPP_ESME_RX_P_APPN,
    consts.SMPP_ESME_RX_R_APPN,
}


@dataclass(frozen=True)
class SmppConfig:
    host: str
    port: int
    system_id: str = ""
    password: str = ""
    system_type: str = ""
    source_addr: str = ""
    bind: str = "transceiver"
    window: int = 10
    rate: float = 100.0
    enquire_seconds: float = 30.0
    response_timeout: float = 30.0
    connect_timeout: float = 10.0
    backoff_initial: float = 1.0
    backoff_max: float = 60.0
    # Give up opening after this many failed attempts in a row (None: keep trying).
    connect_attempts: int | None = None
    registered_delivery: bool = True

    def __post_init__(self) -> None:
        if self.bind not in BINDS:
            raise ValueError(f"bind must be one of {', '.join(BINDS)}, not {self.bind!r}")
        if self.window < 1:
            raise ValueError("the window must be at least 1")


@dataclass(frozen=True)
class Outgoing:
    """One message to submit: REF identifies it to the caller (the outbox row id)."""

    ref: int
    mobile: str
    text: str


@dataclass
class Result:
    """What became of one message: the SMSC's ids of its parts, or the error."""

    ref: int
    smsc_ids: list[str] = field(default_factory=list)
    parts: int = 0
    error: str = ""
    permanent: bool = False

    @property
    def ok(self) -> bool:
        return not self.error


@dataclass
class Stats:
    binds: int = 0
    connect_failures: int = 0
    connections_lost: int = 0
    submitted: int = 0  # submit_sm written (resubmissions included)
    resubmitted: int = 0  # submit_sm written again after a lost connection
    answered: int = 0
    enquire_links_sent: int = 0
    enquire_links_answered: int = 0
    receipts: int = 0
    max_outstanding: int = 0


# --- the client --------------------------------------------------------------------------


@dataclass
class _Part:
    message: _InFlight
    index: int
    short_message: bytes
    smsc_id: str = ""
    status: int | None = None  # of its submit_sm_resp


@dataclass
class _InFlight:
    outgoing: Outgoing
    data_coding: int
    esm_class: int
    parts: list[_Part] = field(default_factory=list)
    answered: int = 0

    def result(self) -> Result:
        errors = [p for p in self.parts if p.status]
        if errors:
            status = errors[0].status
            return Result(
                ref=self.outgoing.ref,
                smsc_ids=[p.smsc_id for p in self.parts if p.smsc_id],
                parts=len(self.parts),
                error=f"submit_sm_resp 0x{status:08X} "
                f"{consts.DESCRIPTIONS.get(status, 'unknown status')}",
                permanent=status in PERMANENT_ERRORS,
            )
        return Result(
            ref=self.outgoing.ref, smsc_ids=[p.smsc_id for p in self.parts], parts=len(self.parts)
        )


Feed = Callable[[int], Iterable[Outgoing]]
ResultsHandler = Callable[[list[Result]], None]
ReceiptsHandler = Callable[[list[Receipt]], None]


class SmppClient:
    """One SMPP session (re-opened as needed). Not thread-safe: one thread drives it."""

    def __init__(self, config: SmppConfig, clock: Callable[[], float] = time.monotonic):
        self.config = config
        self.clock = clock
        self.stats = Stats()
        self.bucket = TokenBucket(config.rate, clock=clock)
        self.backoff = BackOff(config.backoff_initial, config.backoff_max)
        self._sequence = SequenceNumbers()
        self._socket: socket.socket | None = None
        self._buffer = bytearray()
        self._out = bytearray()  # PDUs queued for one sendall
        self._outstanding: dict[int, tuple[_Part, float]] = {}  # sequence → (part, written)
        self._pending: deque[_Part] = deque()  # parts to write
        self._in_flight: dict[int, _InFlight] = {}  # ref → message not yet reported
        self._done: list[Result] = []
        self._receipts: list[Receipt] = []
        self._enquiries: dict[int, float] = {}  # enquire_link sequence → written
        self._last_traffic = clock()
        self._reference = random.randrange(256)
        # Asked between reconnection attempts: True stops `open` with an SmppError.
        self.should_stop: Callable[[], bool] = lambda: False

    # --- connection --------------------------------------------------------------------

    @property
    def bound(self) -> bool:
        return self._socket is not None

    def open(self) -> None:
        """Connect and bind, retrying with back-off (see `connect_attempts`)."""
        while self._socket is None:
            try:
                self._connect()
            except (OSError, SmppError) as exc:
                self.stats.connect_failures += 1
                attempts = self.config.connect_attempts
                if self.should_stop() or (
                    attempts is not None and self.backoff.failures + 1 >= attempts
                ):
                    self.backoff.reset()
                    raise SmppError(
                        f"cannot bind to {self.config.host}:{self.config.port}: {exc}"
                    ) from exc
                delay = self.backoff.next()
                log.warning(
                    "SMPP %s:%s: %s; trying again in %.1f s",
                    self.config.host,
                    self.config.port,
                    exc,
                    delay,
                )
                time.sleep(delay)
        self.backoff.reset()

    def _connect(self) -> None:
        cfg = self.config
        sock = socket.create_connection((cfg.host, cfg.port), timeout=cfg.connect_timeout)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.settimeout(cfg.response_timeout)
            bind = codec.make_pdu(
                f"bind_{cfg.bind}",
                client=self._sequence,
                system_id=cfg.system_id,
                password=cfg.password,
                system_type=cfg.system_type,
                interface_version=0x34,
                addr_ton=0,
                addr_npi=0,
                address_range="",
            )
            sock.sendall(bind.generate())
            buffer = bytearray()
            deadline = self.clock() + cfg.response_timeout
            while True:
                pdus = read_pdus(buffer)
                response = next((p for p in pdus if p.command == f"bind_{cfg.bind}_resp"), None)
                if response is not None:
                    break
                if self.clock() > deadline:
                    raise ConnectionLost("no bind response")
                data = sock.recv(65536)
                if not data:
                    raise ConnectionLost("the SMSC closed the connection during bind")
                buffer += data
            if response.status:
                raise SmppError(
                    f"bind_{cfg.bind} refused: 0x{response.status:08X} "
                    f"{consts.DESCRIPTIONS.get(response.status, 'unknown status')}"
                )
        except BaseException:
            sock.close()
            raise
        self._socket, self._buffer = sock, buffer
        self._last_traffic = self.clock()
        self.stats.binds += 1
        log.info("SMPP bound as %s to %s:%s", cfg.bind, cfg.host, cfg.port)

    def _lose(self, reason: object) -> None:
        """The link is gone: forget the socket; unanswered parts go back to be written."""
        log.warning("SMPP connection to %s lost: %s", self.config.host, reason)
        self.stats.connections_lost += 1
        if self._socket is not None:
            try:
                self._socket.close()
            except OSError:
                pass
        self._socket = None
        self._buffer = bytearray()
        self._out = bytearray()
        self._enquiries.clear()
        again = [part for _seq, (part, _at) in sorted(self._outstanding.items())]
        self._outstanding.clear()
        self.stats.resubmitted += len(again)
        self._pending.extendleft(reversed(again))

    def close(self) -> None:
        """Unbind (waiting briefly for the answer) and close."""
        if self._socket is None:
            return
        try:
            unbind = codec.make_pdu("unbind", client=self._sequence)
            self._write(unbind)
            deadline = self.clock() + min(self.config.response_timeout, 5.0)
            while self._socket is not None and self.clock() < deadline:
                if any(p.command == "unbind_resp" for p in self._read(0.2)):
                    break
        except (OSError, SmppError):
            pass
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    # --- the loop ----------------------------------------------------------------------

    def send(
        self,
        feed: Feed,
        on_results: ResultsHandler,
        on_receipts: ReceiptsHandler | None = None,
    ) -> None:
        """Submit what FEED(n) hands out (at most n messages a call) until it hands out none
        and every message taken has been reported to ON_RESULTS. Receipts that arrive
        meanwhile go to ON_RECEIPTS (else they wait for `poll`).

        A message's window place is freed only after ON_RESULTS returned for it."""
        window = self.config.window
        exhausted = False
        while True:
            if self._socket is None:
                try:
                    self.open()
                except SmppError as exc:
                    self._give_up(on_results, exc)
                    raise
            try:
                if not exhausted and not self._pending:
                    room = min(window - len(self._in_flight), self.bucket.available())
                    if room > 0:
                        batch = list(feed(room))
                        if not batch:
                            exhausted = True
                        for outgoing in batch:
                            self._take(outgoing)
                while self._pending and len(self._outstanding) < window and self.bucket.take():
                    self._submit(self._pending.popleft())
                self._flush()
                if self._done:
                    self._report(on_results)
                    continue
                if exhausted and not self._in_flight:
                    return
                if self._pending and len(self._outstanding) < window:
                    timeout = self.bucket.wait()  # waiting for a token
                elif not exhausted and not self._pending and len(self._in_flight) < window:
                    timeout = self.bucket.wait()  # room, waiting for a token to feed
                else:
                    timeout = 1.0  # waiting for responses
                self._read(timeout)
                self._report(on_results)
                if on_receipts is not None and self._receipts:
                    receipts, self._receipts = self._receipts, []
                    on_receipts(receipts)
            except (OSError, ConnectionLost) as exc:
                self._lose(exc)

    def submit(self, outgoing: Outgoing) -> Result:
        """Submit one message and wait for the answers of all its parts."""
        results: list[Result] = []
        queue = [outgoing]

        def feed(n: int) -> list[Outgoing]:
            taken = queue[:n]
            del queue[:n]
            return taken

        self.send(feed, results.extend)
        return results[0]

    def poll(self, timeout: float = 0.0) -> list[Receipt]:
        """Read for up to TIMEOUT seconds (answering enquire_link, sending one when idle) and
        return the receipts received since the last call."""
        deadline = self.clock() + timeout
        while True:
            if self._socket is None:
                self.open()
            try:
                self._read(max(0.0, deadline - self.clock()))
            except (OSError, ConnectionLost) as exc:
                self._lose(exc)
            if self.clock() >= deadline:
                break
        receipts, self._receipts = self._receipts, []
        return receipts

    # --- internals ---------------------------------------------------------------------

    def _take(self, outgoing: Outgoing) -> None:
        self._reference = (self._reference + 1) % 256
        try:
            coding, esm_class, payloads = encode_parts(outgoing.text, self._reference)
        except (ValueError, UnicodeError) as exc:
            self._done.append(Result(ref=outgoing.ref, error=str(exc), permanent=True))
            return
        if not outgoing.mobile:
            self._done.append(Result(ref=outgoing.ref, error="no mobile number", permanent=True))
            return
        message = _InFlight(outgoing, coding, esm_class)
        message.parts = [_Part(message, i, payload) for i, payload in enumerate(payloads)]
        self._in_flight[outgoing.ref] = message
        self._pending.extend(message.parts)

    def _submit(self, part: _Part) -> None:
        message, cfg = part.message, self.config
        pdu = codec.make_pdu(
            "submit_sm",
            client=self._sequence,
            service_type="",
            source_addr_ton=consts.SMPP_TON_ALNUM
            if cfg.source_addr and not cfg.source_addr.isdigit()
            else consts.SMPP_TON_UNK,
            source_addr_npi=consts.SMPP_NPI_UNK,
            source_addr=cfg.source_addr,
            dest_addr_ton=consts.SMPP_TON_UNK,
            dest_addr_npi=consts.SMPP_NPI_ISDN,
            destination_addr=message.outgoing.mobile,
            esm_class=message.esm_class,
            protocol_id=0,
            priority_flag=0,
            registered_delivery=1 if cfg.registered_delivery else 0,
            data_coding=message.data_coding,
            short_message=part.short_message,
        )
        self._write(pdu, flush=False)
        self._outstanding[pdu.sequence] = (part, self.clock())
        self.stats.submitted += 1
        self.stats.max_outstanding = max(self.stats.max_outstanding, len(self._outstanding))

    def _write(self, pdu, flush: bool = True) -> None:
        """Queue PDU for the socket; write everything queued unless FLUSH is false."""
        self._out += pdu.generate()
        if flush:
            self._flush()

    def _flush(self) -> None:
        if not self._out:
            return
        if self._socket is None:
            raise ConnectionLost("not connected")
        data, self._out = bytes(self._out), bytearray()
        try:
            self._socket.sendall(data)
        except OSError as exc:
            raise ConnectionLost(exc) from exc
        self._last_traffic = self.clock()

    def _read(self, timeout: float) -> list:
        """Wait up to TIMEOUT for data, act on every PDU that came; return them."""
        sock = self._socket
        if sock is None:
            raise ConnectionLost("not connected")
        now = self.clock()
        timeout = min(timeout, self._keepalive_due(now))
        readable, _, _ = select.select([sock], [], [], max(0.0, timeout))
        pdus = []
        if readable:
            try:
                data = sock.recv(262144)
            except OSError as exc:
                raise ConnectionLost(exc) from exc
            if not data:
                raise ConnectionLost("the SMSC closed the connection")
            self._buffer += data
            pdus = read_pdus(self._buffer)
            self._last_traffic = self.clock()
            try:
                for pdu in pdus:
                    self._handle(pdu)
            finally:
                self._flush()
        self._keepalive(self.clock())
        return pdus

    def _keepalive_due(self, now: float) -> float:
        """Seconds until the link needs attention (an enquire_link or a timeout check)."""
        due = self._last_traffic + self.config.enquire_seconds - now
        oldest = min((at for _part, at in self._outstanding.values()), default=None)
        if oldest is not None:
            due = min(due, oldest + self.config.response_timeout - now)
        return max(0.0, due)

    def _keepalive(self, now: float) -> None:
        cfg = self.config
        stale = [at for _part, at in self._outstanding.values()] + list(self._enquiries.values())
        if stale and now - min(stale) > cfg.response_timeout:
            raise ConnectionLost(f"no response for {cfg.response_timeout:g} s")
        if now - self._last_traffic >= cfg.enquire_seconds and not self._enquiries:
            pdu = codec.make_pdu("enquire_link", client=self._sequence)
            self._write(pdu)
            self._enquiries[pdu.sequence] = now
            self.stats.enquire_links_sent += 1

    def _respond(self, request, command: str) -> None:
        response = codec.make_pdu(command, client=self._sequence)
        response.sequence = request.sequence
        self._write(response, flush=False)

    def _handle(self, pdu) -> None:
        command = pdu.command
        if command == "submit_sm_resp" or (
            command == "generic_nack" and pdu.sequence in self._outstanding
        ):
            entry = self._outstanding.pop(pdu.sequence, None)
            if entry is None:
                log.warning("SMPP: a response to unknown sequence %s", pdu.sequence)
                return
            part = entry[0]
            part.status = pdu.status or 0
            part.smsc_id = field_text(getattr(pdu, "message_id", None)) if not pdu.status else ""
            self.stats.answered += 1
            message = part.message
            message.answered += 1
            if message.answered == len(message.parts):
                self._done.append(message.result())
        elif command == "deliver_sm":
            self._respond(pdu, "deliver_sm_resp")
            receipt = parse_receipt(pdu)
            if receipt is not None:
                self.stats.receipts += 1
                self._receipts.append(receipt)
            else:
                log.info("SMPP: ignoring a deliver_sm that is not a receipt")
        elif command == "enquire_link":
            self._respond(pdu, "enquire_link_resp")
        elif command == "enquire_link_resp":
            self._enquiries.pop(pdu.sequence, None)
            self.stats.enquire_links_answered += 1
        elif command == "unbind":
            self._respond(pdu, "unbind_resp")
            raise ConnectionLost("the SMSC unbound")
        elif command == "unbind_resp":
            pass
        else:
            log.warning("SMPP: unexpected %s (status 0x%08X)", command, pdu.status or 0)

    def _give_up(self, on_results: ResultsHandler, reason: object) -> None:
        """No connection to be had: report every message taken as not sent."""
        self._pending.clear()
        self._outstanding.clear()
        self._done.extend(
            Result(ref=ref, parts=len(m.parts), error=f"not sent: {reason}")
            for ref, m in self._in_flight.items()
        )
        self._report(on_results)

    def _report(self, on_results: ResultsHandler) -> None:
        if not self._done:
            return
        done, self._done = self._done, []
        on_results(done)
        for result in done:
            self._in_flight.pop(result.ref, None)
