"""A small SMSC for tests, the benchmark and the demo: a real SMPP 3.4 peer on a TCP socket.

PDUs are parsed and built with smpplib's codec, the same as the client's. It answers
bind_transmitter / bind_transceiver / bind_receiver, submit_sm (with a message id, after
`latency` seconds if set), enquire_link and unbind; sends delivery receipts (deliver_sm,
esm_class 0x04, `id:… stat:DELIVRD|UNDELIV …`) to receiver-capable binds after
`receipt_delay`; can refuse some numbers at submit (`reject`), fail them at delivery
(`fail`), or drop the connection after the N-th submit (`drop_after`). Every submit_sm is
recorded (`submits`, and as JSON Lines in `record` when given).

In a test:

    with Smsc(latency=0.01) as smsc:          # a thread on 127.0.0.1, a free port
        client = SmppClient(SmppConfig("127.0.0.1", smsc.port))

From a shell (Ctrl-C stops it):

    python -m sqm.notify.smsc --port 2775 --record var/smsc.jsonl

Django is not needed to run it.
"""

from __future__ import annotations

import argparse
import heapq
import itertools
import json
import selectors
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from smpplib import consts
from smpplib import smpp as codec

from sqm.notify.pdu import ConnectionLost, decode_text, read_pdus, split_udh

RECEIVER_BINDS = {"bind_transceiver", "bind_receiver"}
TRANSMITTER_BINDS = {"bind_transceiver", "bind_transmitter"}


@dataclass
class Submit:
    """One submit_sm as the SMSC received it."""

    number: int  # 1, 2, … in order of arrival over all connections
    connection: int
    sequence: int
    message_id: str
    source: str
    destination: str
    data_coding: int
    esm_class: int
    registered_delivery: int
    short_message: bytes
    udh: tuple[int, int, int] | None  # (reference, total, part) of a concatenated message
    text: str  # this part's text
    received: float  # time.monotonic()
    status: int = 0  # of the submit_sm_resp

    def as_dict(self) -> dict:
        return {
            "number": self.number,
            "connection": self.connection,
            "sequence": self.sequence,
            "message_id": self.message_id,
            "source": self.source,
            "destination": self.destination,
            "data_coding": self.data_coding,
            "esm_class": self.esm_class,
            "registered_delivery": self.registered_delivery,
            "udh": list(self.udh) if self.udh else None,
            "text": self.text,
            "short_message": self.short_message.hex(),
            "status": self.status,
            "received": round(self.received, 6),  # time.monotonic() of the SMSC's process
        }


@dataclass
class _Connection:
    number: int
    sock: socket.socket
    inbuf: bytearray = field(default_factory=bytearray)
    outbuf: bytearray = field(default_factory=bytearray)
    bind: str = ""
    system_id: str = ""
    unanswered: int = 0
    closing: bool = False
    open: bool = True


class _Sequence:
    def __init__(self) -> None:
        self.sequence = 0

    def next_sequence(self) -> int:
        self.sequence = self.sequence % 0x7FFFFFFF + 1
        return self.sequence


class Smsc:
    """The server; `start()` runs it in a daemon thread, `serve()` in the calling thread."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        system_id: str | None = None,
        password: str | None = None,
        latency: float = 0.0,
        receipts: bool = True,
        receipt_delay: float = 0.0,
        fail: Iterable[str] = (),
        reject: Iterable[str] = (),
        drop_after: int | None = None,
        record: str | Path | None = None,
        keep: bool = True,
    ):
        self.host, self.requested_port = host, port
        self.system_id, self.password = system_id, password
        self.latency, self.receipts, self.receipt_delay = latency, receipts, receipt_delay
        self.fail, self.reject = set(fail), set(reject)
        self.drop_after = drop_after
        self.record_path = Path(record) if record else None
        self.keep = keep  # keep `submits` in memory (the benchmark turns it off)
        self.port = 0
        # What happened, for tests (read them after `wait_for`; ints are safe to read).
        self.submits: list[Submit] = []
        self.submit_count = 0
        self.binds: list[tuple[int, str, str]] = []  # (connection, command, system_id)
        self.enquire_links = 0
        self.unbinds = 0
        self.receipts_sent = 0
        self.max_unanswered = 0  # most submit_sm of one connection waiting for a response
        self.connections = 0
        self._lock = threading.Lock()
        self._conns: dict[socket.socket, _Connection] = {}
        self._timers: list[tuple[float, int, Callable[[], None]]] = []
        self._tick = itertools.count()
        self._sequence = _Sequence()
        self._ids = itertools.count(1)
        self._undelivered_receipts: list[bytes] = []
        self._selector = selectors.DefaultSelector()
        self._listener: socket.socket | None = None
        self._wake_r, self._wake_w = socket.socketpair()
        self._stop = threading.Event()
        self._drop_all = threading.Event()
        self._thread: threading.Thread | None = None
        self._record = None

    # --- lifecycle ---------------------------------------------------------------------

    def bind_socket(self) -> int:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((self.host, self.requested_port))
        listener.listen(64)
        listener.setblocking(False)
        self._listener = listener
        self.port = listener.getsockname()[1]
        self._selector.register(listener, selectors.EVENT_READ, "listener")
        self._selector.register(self._wake_r, selectors.EVENT_READ, "wake")
        if self.record_path:
            self.record_path.parent.mkdir(parents=True, exist_ok=True)
            self._record = self.record_path.open("a", encoding="utf-8")
        return self.port

    def start(self) -> Smsc:
        self.bind_socket()
        self._thread = threading.Thread(target=self._run, name=f"smsc:{self.port}", daemon=True)
        self._thread.start()
        return self

    def serve(self) -> None:
        if self._listener is None:
            self.bind_socket()
        self._run()

    def stop(self) -> None:
        self._stop.set()
        self._wake()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def __enter__(self) -> Smsc:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def drop_connections(self) -> None:
        """Close every client connection at once (without unbind), as a crashed SMSC would."""
        self._drop_all.set()
        self._wake()

    def wait_for(self, condition: Callable[[Smsc], bool], timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition(self):
                return True
            time.sleep(0.005)
        return condition(self)

    def _wake(self) -> None:
        try:
            self._wake_w.send(b"x")
        except OSError:
            pass

    # --- the loop ----------------------------------------------------------------------

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                timeout = None
                if self._timers:
                    timeout = max(0.0, self._timers[0][0] - time.monotonic())
                for key, events in self._selector.select(timeout):
                    if key.data == "listener":
                        self._accept()
                    elif key.data == "wake":
                        self._wake_r.recv(4096)
                    else:
                        self._io(key.data, events)
                if self._drop_all.is_set():
                    self._drop_all.clear()
                    for conn in list(self._conns.values()):
                        self._close(conn)
                now = time.monotonic()
                while self._timers and self._timers[0][0] <= now:
                    _due, _n, action = heapq.heappop(self._timers)
                    action()
                self._flush_record()
        finally:
            for conn in list(self._conns.values()):
                self._close(conn)
            if self._listener is not None:
                self._selector.unregister(self._listener)
                self._listener.close()
            self._selector.close()
            self._wake_r.close()
            self._wake_w.close()
            if self._record is not None:
                self._record.close()

    def _accept(self) -> None:
        try:
            sock, _address = self._listener.accept()
        except BlockingIOError:
            return
        sock.setblocking(False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.connections += 1
        conn = _Connection(self.connections, sock)
        self._conns[sock] = conn
        self._selector.register(sock, selectors.EVENT_READ, conn)

    def _io(self, conn: _Connection, events: int) -> None:
        if events & selectors.EVENT_WRITE:
            self._flush(conn)
        if not conn.open or not events & selectors.EVENT_READ:
            return
        try:
            data = conn.sock.recv(262144)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            self._close(conn)
            return
        conn.inbuf += data
        try:
            pdus = read_pdus(conn.inbuf)
        except ConnectionLost:
            self._close(conn)
            return
        for pdu in pdus:
            if not conn.open:
                break
            self._handle(conn, pdu)

    def _close(self, conn: _Connection) -> None:
        if not conn.open:
            return
        conn.open = False
        self._conns.pop(conn.sock, None)
        try:
            self._selector.unregister(conn.sock)
        except (KeyError, ValueError):
            pass
        conn.sock.close()

    def _send(self, conn: _Connection, pdu) -> None:
        if not conn.open:
            return
        conn.outbuf += pdu.generate()
        self._flush(conn)

    def _flush(self, conn: _Connection) -> None:
        while conn.outbuf and conn.open:
            try:
                sent = conn.sock.send(conn.outbuf)
            except (BlockingIOError, InterruptedError):
                break
            except OSError:
                self._close(conn)
                return
            del conn.outbuf[:sent]
        if not conn.open:
            return
        wanted = selectors.EVENT_READ | (selectors.EVENT_WRITE if conn.outbuf else 0)
        self._selector.modify(conn.sock, wanted, conn)
        if conn.closing and not conn.outbuf:
            self._close(conn)

    def _later(self, delay: float, action: Callable[[], None]) -> None:
        if delay <= 0:
            action()
        else:
            heapq.heappush(self._timers, (time.monotonic() + delay, next(self._tick), action))

    def _response(self, request, command: str, status: int = 0, **fields):
        pdu = codec.make_pdu(command, client=self._sequence, status=status, **fields)
        pdu.sequence = request.sequence
        return pdu

    # --- PDUs --------------------------------------------------------------------------

    def _handle(self, conn: _Connection, pdu) -> None:
        command = pdu.command
        if command in ("bind_transmitter", "bind_transceiver", "bind_receiver"):
            self._bind(conn, pdu)
        elif command == "submit_sm":
            self._submit(conn, pdu)
        elif command == "enquire_link":
            self.enquire_links += 1
            self._send(conn, self._response(pdu, "enquire_link_resp"))
        elif command == "unbind":
            self.unbinds += 1
            self._send(conn, self._response(pdu, "unbind_resp"))
            conn.closing = True
            self._flush(conn)
        elif command in ("deliver_sm_resp", "enquire_link_resp", "unbind_resp"):
            pass
        else:
            nack = codec.make_pdu(
                "generic_nack", client=self._sequence, status=consts.SMPP_ESME_RINVCMDID
            )
            nack.sequence = pdu.sequence
            self._send(conn, nack)

    def _bind(self, conn: _Connection, pdu) -> None:
        system_id = _text(pdu.system_id)
        status = 0
        if conn.bind:
            status = consts.SMPP_ESME_RALYBND
        elif self.system_id is not None and system_id != self.system_id:
            status = consts.SMPP_ESME_RINVSYSID
        elif self.password is not None and _text(pdu.password) != self.password:
            status = consts.SMPP_ESME_RINVPASWD
        self._send(
            conn, self._response(pdu, f"{pdu.command}_resp", status=status, system_id="sqm-smsc")
        )
        if status:
            return
        conn.bind, conn.system_id = pdu.command, system_id
        with self._lock:
            self.binds.append((conn.number, pdu.command, system_id))
        if conn.bind in RECEIVER_BINDS and self._undelivered_receipts:
            waiting, self._undelivered_receipts = self._undelivered_receipts, []
            for raw in waiting:
                conn.outbuf += raw
            self._flush(conn)

    def _submit(self, conn: _Connection, pdu) -> None:
        if conn.bind not in TRANSMITTER_BINDS:
            self._send(
                conn,
                self._response(pdu, "submit_sm_resp", status=consts.SMPP_ESME_RINVBNDSTS),
            )
            return
        esm_class, coding = pdu.esm_class or 0, pdu.data_coding or 0
        short_message = pdu.short_message or b""
        udh, body = split_udh(short_message, esm_class)
        destination = _text(pdu.destination_addr)
        status = consts.SMPP_ESME_RSUBMITFAIL if destination in self.reject else 0
        message_id = "" if status else f"{next(self._ids):010x}"
        self.submit_count += 1
        submit = Submit(
            number=self.submit_count,
            connection=conn.number,
            sequence=pdu.sequence,
            message_id=message_id,
            source=_text(pdu.source_addr),
            destination=destination,
            data_coding=coding,
            esm_class=esm_class,
            registered_delivery=pdu.registered_delivery or 0,
            short_message=short_message,
            udh=udh,
            text=decode_text(body, coding),
            received=time.monotonic(),
            status=status,
        )
        if self.keep:
            with self._lock:
                self.submits.append(submit)
        if self._record is not None:
            self._record.write(json.dumps(submit.as_dict(), ensure_ascii=False) + "\n")
        if self.drop_after is not None and self.submit_count == self.drop_after:
            self._close(conn)  # no response: the client cannot know whether it arrived
            return
        conn.unanswered += 1
        self.max_unanswered = max(self.max_unanswered, conn.unanswered)

        def answer() -> None:
            conn.unanswered -= 1
            self._send(
                conn,
                self._response(
                    pdu,
                    "submit_sm_resp",
                    status=status,
                    **({"message_id": message_id} if message_id else {}),
                ),
            )
            if not status and self.receipts and submit.registered_delivery & 1:
                self._later(self.receipt_delay, lambda: self._receipt(conn, submit))

        self._later(self.latency, answer)

    def _receipt(self, conn: _Connection, submit: Submit) -> None:
        failed = submit.destination in self.fail
        stat, err, state = ("UNDELIV", "001", 5) if failed else ("DELIVRD", "000", 2)
        stamp = datetime.now().strftime("%y%m%d%H%M")
        text = (
            f"id:{submit.message_id} sub:001 dlvrd:{'000' if failed else '001'} "
            f"submit date:{stamp} done date:{stamp} stat:{stat} err:{err} text:"
        ).encode("ascii")
        pdu = codec.make_pdu(
            "deliver_sm",
            client=self._sequence,
            service_type="",
            source_addr_ton=0,
            source_addr_npi=1,
            source_addr=submit.destination,
            dest_addr_ton=0,
            dest_addr_npi=0,
            destination_addr=submit.source,
            esm_class=0x04,
            data_coding=0,
            short_message=text,
            receipted_message_id=submit.message_id,
            message_state=state,
        )
        raw = pdu.generate()
        self.receipts_sent += 1
        target = conn if conn.open and conn.bind in RECEIVER_BINDS else None
        if target is None:
            target = next(
                (c for c in self._conns.values() if c.open and c.bind in RECEIVER_BINDS), None
            )
        if target is None:
            self._undelivered_receipts.append(raw)
            return
        target.outbuf += raw
        self._flush(target)

    def _flush_record(self) -> None:
        if self._record is not None:
            self._record.flush()

    # --- helpers for tests -------------------------------------------------------------

    def received(self) -> list[Submit]:
        with self._lock:
            return list(self.submits)


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.rstrip(b"\0").decode("latin-1")
    return str(value)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m sqm.notify.smsc",
        description="A small SMPP 3.4 SMSC for tests, the benchmark and the demo.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=2775, help="0 picks a free port")
    parser.add_argument("--record", metavar="FILE", help="append every submit_sm as JSON Lines")
    parser.add_argument("--system-id", help="accept binds of this system_id only")
    parser.add_argument("--password", help="accept binds with this password only")
    parser.add_argument(
        "--latency-ms", type=float, default=0.0, help="delay before each submit_sm_resp"
    )
    parser.add_argument(
        "--receipt-delay-ms", type=float, default=50.0, help="delay before each receipt"
    )
    parser.add_argument("--no-receipts", action="store_true", help="send no delivery receipts")
    parser.add_argument(
        "--fail", action="append", default=[], metavar="NUMBER", help="receipt UNDELIV"
    )
    parser.add_argument(
        "--reject", action="append", default=[], metavar="NUMBER", help="submit refused"
    )
    args = parser.parse_args(argv)
    smsc = Smsc(
        args.host,
        args.port,
        system_id=args.system_id,
        password=args.password,
        latency=args.latency_ms / 1000,
        receipts=not args.no_receipts,
        receipt_delay=args.receipt_delay_ms / 1000,
        fail=args.fail,
        reject=args.reject,
        record=args.record,
        keep=False,
    )
    port = smsc.bind_socket()
    print(f"SMSC listening on {args.host}:{port}", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: smsc._stop.set() or smsc._wake())
    try:
        smsc.serve()
    except KeyboardInterrupt:
        pass
    print(f"SMSC stopped after {smsc.submit_count} submit_sm", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
