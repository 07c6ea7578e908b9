"""Reading and checking alarms (the body of `POST /api/v1/alarms/` and of `sqm alarms
ingest` / `sqm faults replay` files; docs/formats.md "alarms")."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext as _

from sqm.core.inputs import loads_json, storable_moment
from sqm.network.outages import LEVELS, Element
from sqm.notify.rules import SHANGHAI

EVENTS = ("raise", "clear")
KEYS = (
    "alarm_id", "event", "olt_id", "level", "frame", "slot", "port", "onu_id", "type",
    "severity", "occurred_at",
)  # fmt: skip
# Critical and major alarms cut the service of every account under the element; minor ones
# (e.g. high-temperature) are recorded but cut nothing (docs/formats.md).
SERVICE_CUTTING = frozenset({"critical", "major"})
# Position keys each level needs (frame/slot/port of an ONU come from the topology).
NEEDS = {"olt": (), "board": ("frame", "slot"), "pon": ("frame", "slot", "port"), "onu": ()}


@dataclass(frozen=True)
class AlarmInput:
    """One checked alarm event; the element is positional (resolved against the topology
    later: an ONU alarm names only its ONU)."""

    alarm_id: str
    event: str
    olt_id: str
    level: str
    frame: int | None
    slot: int | None
    port: int | None
    onu_id: str
    type: str
    severity: str
    occurred_at: datetime
    line: int = 0

    @property
    def cuts_service(self) -> bool:
        return self.severity.lower() in SERVICE_CUTTING

    def element(self) -> Element:
        return Element(self.olt_id, self.level, self.frame, self.slot, self.port, self.onu_id)


@dataclass(frozen=True)
class AlarmError:
    line: int  # 1-based line of a file, or index + 1 in a list
    key: str
    message: str

    def __str__(self) -> str:
        return f"{self.line}: {self.key}: {self.message}"


def _text(
    data: Mapping, key: str, errors: list, line: int, required: bool = True, longest: int = 64
) -> str:
    value = data.get(key)
    if value is None or value == "":
        if required:
            errors.append(AlarmError(line, key, _("required")))
        return ""
    if not isinstance(value, str | int) or isinstance(value, bool):
        errors.append(AlarmError(line, key, _("must be text")))
        return ""
    value = str(value).strip()
    # The columns' own lengths: a longer value would pass here and fail at the database
    # (PostgreSQL refuses it; SQLite would store it whole).
    if len(value) > longest:
        errors.append(AlarmError(line, key, _("longer than %(n)d characters") % {"n": longest}))
    elif any(ord(char) < 32 for char in value):  # NUL and friends: PostgreSQL refuses NUL
        errors.append(AlarmError(line, key, _("holds a control character")))
    return value


def _number(data: Mapping, key: str, errors: list, line: int, required: bool) -> int | None:
    value = data.get(key)
    if value is None or value == "":
        if required:
            errors.append(AlarmError(line, key, _("required at this level")))
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        errors.append(AlarmError(line, key, _("must be a whole number")))
        return None
    try:
        number = int(value)
    except ValueError:
        errors.append(AlarmError(line, key, _("must be a whole number")))
        return None
    if not 0 <= number <= 9999:
        errors.append(AlarmError(line, key, _("out of range 0–9999")))
        return None
    return number


def _moment(data: Mapping, errors: list, line: int) -> datetime | None:
    value = data.get("occurred_at")
    if not isinstance(value, str) or not value.strip():
        errors.append(AlarmError(line, "occurred_at", _("required, ISO 8601")))
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        errors.append(
            AlarmError(line, "occurred_at", _("not an ISO 8601 time: %(v)s") % {"v": value})
        )
        return None
    if moment.tzinfo is None:  # naive times are Asia/Shanghai
        moment = moment.replace(tzinfo=SHANGHAI)
    if not storable_moment(moment):  # the far ends of the calendar overflow when stored
        errors.append(AlarmError(line, "occurred_at", _("out of range years 1901–9998")))
        return None
    return moment


def parse_alarm(data: object, line: int) -> tuple[AlarmInput | None, list[AlarmError]]:
    """Check one alarm object; (alarm, []) or (None, errors naming each key). Keys beyond
    the format are ignored (management systems add their own)."""
    if not isinstance(data, Mapping):
        return None, [AlarmError(line, "-", _("an alarm must be a JSON object"))]
    errors: list[AlarmError] = []
    alarm_id = _text(data, "alarm_id", errors, line)
    event = _text(data, "event", errors, line)
    if event and event not in EVENTS:
        errors.append(AlarmError(line, "event", _("must be raise or clear")))
    olt_id = _text(data, "olt_id", errors, line)
    level = _text(data, "level", errors, line)
    if level and level not in LEVELS:
        errors.append(AlarmError(line, "level", _("must be olt, board, pon or onu")))
    needs = NEEDS.get(level, ())
    frame = _number(data, "frame", errors, line, "frame" in needs)
    slot = _number(data, "slot", errors, line, "slot" in needs)
    port = _number(data, "port", errors, line, "port" in needs)
    onu_id = _text(data, "onu_id", errors, line, required=level == "onu")
    kind = _text(data, "type", errors, line, longest=32)
    severity = _text(data, "severity", errors, line, longest=16)
    moment = _moment(data, errors, line)
    if errors:
        return None, errors
    # Keep only the position the level uses, so equal elements compare equal.
    if level == "olt":
        frame = slot = port = None
    elif level == "board":
        port = None
    if level != "onu":
        onu_id = ""
    alarm = AlarmInput(
        alarm_id, event, olt_id, level, frame, slot, port, onu_id, kind, severity, moment, line
    )
    return alarm, []


def read_alarm_lines(lines: Iterable[str | bytes]) -> tuple[list[AlarmInput], list[AlarmError]]:
    """JSON Lines → checked alarms and the errors of the bad lines (blank lines skipped)."""
    alarms, errors = [], []
    for number, raw in enumerate(lines, start=1):
        if isinstance(raw, bytes):
            try:
                raw = raw.decode("utf-8")
            except UnicodeDecodeError:
                errors.append(AlarmError(number, "-", _("not valid UTF-8")))
                continue
        text = raw.strip().lstrip("\ufeff")
        if not text:
            continue
        try:
            data = loads_json(text)
        except json.JSONDecodeError as exc:
            errors.append(AlarmError(number, "-", _("not JSON: %(e)s") % {"e": exc.msg}))
            continue
        except ValueError as exc:  # nested too deeply, a lone surrogate, a too-long integer
            errors.append(AlarmError(number, "-", _("not JSON: %(e)s") % {"e": exc}))
            continue
        alarm, problems = parse_alarm(data, number)
        if alarm is not None:
            alarms.append(alarm)
        errors.extend(problems)
    return alarms, errors
