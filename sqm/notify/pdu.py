"""SMPP 3.4 PDUs as the outbox needs them: text to short_message parts (UCS-2 or the SMSC
default alphabet, concatenated with an 8-bit reference UDH), received short_message back to
text, delivery receipts, and framing of a byte stream into PDUs. Encoding and parsing of the
PDUs themselves is smpplib's codec (`smpplib.smpp.make_pdu` / `parse_pdu`)."""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass

from smpplib import consts
from smpplib import smpp as codec
from smpplib.gsm import gsm_encode

from sqm.notify.rules import is_gsm7, split_sms

DATA_CODING_DEFAULT = consts.SMPP_ENCODING_DEFAULT  # 0: SMSC default alphabet (GSM 03.38)
DATA_CODING_UCS2 = consts.SMPP_ENCODING_ISO10646  # 8
ESM_UDHI = consts.SMPP_GSMFEAT_UDHI  # 0x40: short_message starts with a user data header
ESM_RECEIPT = 0x04  # deliver_sm: SMSC delivery receipt
# Receipt states that end a message, and which of them mean it arrived.
FINAL_STATES = {"DELIVRD", "EXPIRED", "DELETED", "UNDELIV", "REJECTD", "UNKNOWN"}
DELIVERED = "DELIVRD"
# message_state TLV values (SMPP 3.4 §5.2.28) → the stat words of the receipt text.
MESSAGE_STATES = {
    1: "ENROUTE",
    2: "DELIVRD",
    3: "EXPIRED",
    4: "DELETED",
    5: "UNDELIV",
    6: "ACCEPTD",
    7: "UNKNOWN",
    8: "REJECTD",
}
_RECEIPT = re.compile(
    rb"id:(?P<id>\S+).*?stat:(?P<stat>[A-Za-z]+)(?:.*?err:(?P<err>\w+))?", re.S | re.I
)


class SmppError(Exception):
    """The SMSC refused something (a bind) or the link broke; the message says what."""


class ConnectionLost(SmppError):
    pass


@dataclass(frozen=True)
class Receipt:
    """A delivery receipt for one part: final (`stat` in FINAL_STATES) or progress."""

    smsc_id: str
    stat: str
    err: str = ""

    @property
    def final(self) -> bool:
        return self.stat in FINAL_STATES

    @property
    def delivered(self) -> bool:
        return self.stat == DELIVERED


def encode_parts(text: str, reference: int) -> tuple[int, int, list[bytes]]:
    """(data_coding, esm_class, short_message of each part) for TEXT.

    Parts as `rules.split_sms` cuts them; more than one part get the UDH 05 00 03 REF TOTAL
    SEQ (8-bit reference) in front and esm_class UDHI."""
    pieces = split_sms(text)
    if len(pieces) > 255:
        raise ValueError(f"a text of {len(text)} characters needs more than 255 SMS parts")
    if is_gsm7(text):
        coding, encode = DATA_CODING_DEFAULT, gsm_encode
    else:
        coding, encode = DATA_CODING_UCS2, lambda piece: piece.encode("utf-16-be")
    if len(pieces) == 1:
        return coding, 0, [encode(pieces[0])]
    total, ref = len(pieces), reference % 256
    return (
        coding,
        ESM_UDHI,
        [bytes((5, 0, 3, ref, total, seq)) + encode(p) for seq, p in enumerate(pieces, 1)],
    )


def split_udh(short_message: bytes, esm_class: int) -> tuple[tuple[int, int, int] | None, bytes]:
    """((reference, total, part) or None, the text bytes) of a received short_message."""
    if not esm_class & ESM_UDHI or not short_message:
        return None, short_message
    length = short_message[0]
    header, body = short_message[1 : 1 + length], short_message[1 + length :]
    position = 0
    while position + 2 <= len(header):
        iei, size = header[position], header[position + 1]
        value = header[position + 2 : position + 2 + size]
        if iei == 0x00 and size == 3:
            return (value[0], value[1], value[2]), body
        if iei == 0x08 and size == 4:  # 16-bit reference
            return (value[0] << 8 | value[1], value[2], value[3]), body
        position += 2 + size
    return None, body


def decode_text(body: bytes, data_coding: int) -> str:
    if data_coding == DATA_CODING_UCS2:
        return body.decode("utf-16-be", errors="replace")
    if data_coding == DATA_CODING_DEFAULT:
        from smpplib.gsm import GSM_CHARACTER_TABLE

        return "".join(GSM_CHARACTER_TABLE[b] if b < 128 else "?" for b in body)
    return body.decode("latin-1")


def parse_receipt(pdu) -> Receipt | None:
    """The receipt a deliver_sm carries, or None (not a receipt / unreadable)."""
    if not (pdu.esm_class or 0) & ESM_RECEIPT:
        return None
    text = pdu.short_message or getattr(pdu, "message_payload", None) or b""
    match = _RECEIPT.search(text)
    smsc_id = field_text(getattr(pdu, "receipted_message_id", None))
    stat = MESSAGE_STATES.get(getattr(pdu, "message_state", None) or 0, "")
    err = ""
    if match:
        smsc_id = smsc_id or match["id"].decode("ascii", "replace")
        stat = match["stat"].decode("ascii").upper()
        err = (match["err"] or b"").decode("ascii", "replace")
    if not smsc_id or not stat:
        return None
    return Receipt(smsc_id=smsc_id, stat=stat, err=err)


def field_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.rstrip(b"\0").decode("ascii", "replace")
    return str(value)


class SequenceNumbers:
    """What smpplib asks its `client` for: the current and the next sequence number."""

    def __init__(self) -> None:
        self.sequence = 0

    def next_sequence(self) -> int:
        self.sequence = self.sequence % 0x7FFFFFFF + 1
        return self.sequence


class _ParseOnly:
    """A `client` for parsing: received requests keep their own sequence numbers."""

    sequence = 0

    def next_sequence(self) -> int:
        return 0


_PARSER = _ParseOnly()


def read_pdus(buffer: bytearray) -> list:
    """Take every complete PDU off the front of BUFFER (parsed by smpplib)."""
    pdus = []
    while len(buffer) >= 16:
        (length,) = struct.unpack(">L", buffer[:4])
        if length < 16 or length > 65536:
            raise ConnectionLost(f"malformed PDU length {length}")
        if len(buffer) < length:
            break
        raw = bytes(buffer[:length])
        del buffer[:length]
        pdus.append(codec.parse_pdu(raw, client=_PARSER, allow_unknown_opt_params=True))
    return pdus
