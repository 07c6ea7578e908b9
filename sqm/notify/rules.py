"""When fault and recovery SMS go out (issue 4 §3), as pure functions of time.

The live path (`network.services`) and `sqm faults replay` both call these; neither has its
own copy of the rules.

- Fault SMS for an outage [t0, t1): planned at s = the first allowed instant ≥ t0 + hold-down,
  sent only if the account is still down at s (t1 is unknown, or t1 > s).
- Recovery SMS: only when the fault SMS was sent, at the first allowed instant ≥ t1.
- Allowed instants: start ≤ local time < end (default 08:00–22:00 Asia/Shanghai).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
_WINDOW = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")


@dataclass(frozen=True)
class Window:
    """Local times of day between which SMS may be sent: [start, end)."""

    start: time = time(8, 0)
    end: time = time(22, 0)
    zone: ZoneInfo = SHANGHAI

    @classmethod
    def parse(cls, text: str) -> Window:
        """'08:00-22:00' → Window; ValueError naming the problem otherwise."""
        match = _WINDOW.match(text.strip())
        if not match:
            raise ValueError(f"{text!r} is not a window like 08:00-22:00")
        h1, m1, h2, m2 = (int(part) for part in match.groups())
        if not (0 <= h1 <= 23 and 0 <= h2 <= 24 and m1 < 60 and m2 < 60):
            raise ValueError(f"{text!r} has an impossible time of day")
        end = time(0, 0) if (h2, m2) == (24, 0) else time(h2, m2)
        window = cls(time(h1, m1), end)
        if window.start == window.end:
            raise ValueError(f"{text!r} is empty")
        return window

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"

    def allows(self, moment: datetime) -> bool:
        local = moment.astimezone(self.zone).time()
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end  # a window across midnight

    def next_allowed(self, moment: datetime) -> datetime:
        """The first allowed instant at or after MOMENT (MOMENT itself when allowed)."""
        if self.allows(moment):
            return moment
        local = moment.astimezone(self.zone)
        opening = datetime.combine(local.date(), self.start, tzinfo=self.zone)
        if opening <= local:
            opening = datetime.combine(local.date() + timedelta(days=1), self.start, self.zone)
        return opening.astimezone(moment.tzinfo)


@dataclass(frozen=True)
class Rules:
    window: Window = Window()
    hold_down: timedelta = timedelta(minutes=5)

    def fault_at(self, started: datetime) -> datetime:
        """When the fault SMS of an outage that started at STARTED is planned."""
        return self.window.next_allowed(started + self.hold_down)

    def fault_is_sent(self, started: datetime, ended: datetime | None) -> bool:
        """Whether the account is still down when the fault SMS is due."""
        return ended is None or ended > self.fault_at(started)

    def recovery_at(self, started: datetime, ended: datetime) -> datetime | None:
        """When the recovery SMS goes, or None (no fault SMS was sent, so no recovery)."""
        if not self.fault_is_sent(started, ended):
            return None
        return self.window.next_allowed(ended)


def current_rules() -> Rules:
    """The rules configured in settings (SQM_SMS_WINDOW, SQM_SMS_HOLD_DOWN_MINUTES)."""
    from django.conf import settings

    return Rules(
        window=Window.parse(settings.SQM_SMS_WINDOW),
        hold_down=timedelta(minutes=settings.SQM_SMS_HOLD_DOWN_MINUTES),
    )


# --- SMS segmentation -------------------------------------------------------------------

GSM_SINGLE, GSM_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67
_GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ ÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)


def ucs2_length(text: str) -> int:
    """Length in UCS-2 code units: characters outside the BMP take two (a surrogate pair)."""
    return sum(2 if ord(char) > 0xFFFF else 1 for char in text)


def is_gsm7(text: str) -> bool:
    return all(char in _GSM7 for char in text)


def split_sms(text: str) -> list[str]:
    """Split TEXT into SMS parts: UCS-2 (any Chinese) 70 characters single, 67 per part of a
    concatenated message; GSM 7-bit text 160 / 153. A surrogate pair is never cut."""
    if is_gsm7(text):
        single, part = GSM_SINGLE, GSM_PART
        if len(text) <= single:
            return [text]
        return [text[i : i + part] for i in range(0, len(text), part)]
    if ucs2_length(text) <= UCS2_SINGLE:
        return [text]
    parts, current, size = [], [], 0
    for char in text:
        width = 2 if ord(char) > 0xFFFF else 1
        if size + width > UCS2_PART:
            parts.append("".join(current))
            current, size = [], 0
        current.append(char)
        size += width
    if current:
        parts.append("".join(current))
    return parts
