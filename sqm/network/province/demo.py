"""The network in the demo: a province in motion (docs/faults.md, "Demo").

1. The whole generated alarm history goes through live ingestion (`network.ingest`), in time
   order, so fault events, alarms and outages are what the live path makes of them.
2. The SMS of the past are settled as `sqm faults replay` computes them (the same
   `notify.rules`, one SMS per mobile number per fault event): a fault SMS for every number
   still down when its SMS was due, at `fault_at(start)`, and its recovery SMS at
   `recovery_at(start, end)`; sent and delivered
   at those times when they are past, still scheduled when they are not. (Ingestion alone,
   with no worker sending while it runs, would cancel every fault SMS of an outage that ended
   later in the file.)
3. One live OLT fault is raised "now" through ingestion on the OLT with the most accounts of
   the demo users' city: hundreds of accounts in a demo of 20,000 customers. Its fault SMS are
   caught mid-wave: the first ones delivered, the rest planned over the next LIVE_SPREAD (the
   demo's pace), so the worker `sqm demo` serves with sends them while someone looks. None
   is left `sent` with a receipt to come: no sender of the demo would ever confirm it.

The complaint side adds the batch cause and batch complaints of the live event
(`complaints/province/demo.py`).
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext

from sqm.customers.choices import AccountStatus, Service
from sqm.customers.models import Account
from sqm.network import fault_sms
from sqm.network.alarms import AlarmInput, read_alarm_lines
from sqm.network.choices import FaultState
from sqm.network.ingest import ingest
from sqm.network.models import FaultEvent, Olt, Outage
from sqm.notify.choices import MessageKind, MessageState
from sqm.notify.models import OutboundMessage
from sqm.notify.rules import Rules, current_rules, split_sms
from sqm.notify.texts import UnsafeSmsText

BATCH = 2000  # alarm events per ingestion batch
# The city of the demo users (agent, first line, team lead): the live fault is theirs when
# one of its OLTs has at least LIVE_MIN_ACCOUNTS active accounts.
DEMO_CITY = "NJ"
LIVE_MIN_ACCOUNTS = 100
LIVE_AGE = timedelta(minutes=12)  # the live fault started this long before "now"
LIVE_TYPE = "power-off"
SENT_SHARE = 0.6  # of the live fault's SMS already out when the demo stops the clock
# The rest of the live wave goes out evenly over this long after loading (within the sending
# window): the demo's pace, so that whoever opens the demo in its first hour sees it move.
LIVE_SPREAD = timedelta(hours=1)
RECEIPT_DELAY = (5, 90)  # seconds from sending to the delivery receipt
CHUNK = 2000


def load_alarm_history(load, now: datetime | None = None) -> FaultEvent | None:
    """Ingest the alarm history, settle its SMS as the replay computes them, and raise the
    live fault; returns the live fault event (None without accounts to cut off)."""
    now = now or timezone.now()
    rules = current_rules()
    path = load.file("alarms")
    alarms: list[AlarmInput] = []
    if path.exists():
        with path.open("rb") as handle:
            alarms, _errors = read_alarm_lines(handle)  # the generator writes no bad lines
    history = sorted((a for a in alarms if a.occurred_at <= now), key=_when)
    load.say(gettext("ingesting %(n)s alarm events of the history") % {"n": f"{len(history):,}"})
    for start in range(0, len(history), BATCH):
        batch = history[start : start + BATCH]
        ingest(batch, now=batch[-1].occurred_at, rules=rules)
    settled = settle_history_sms(rules, now)
    load.say(
        gettext("fault SMS of the history: %(delivered)s delivered, %(waiting)s scheduled")
        % {"delivered": f"{settled['delivered']:,}", "waiting": f"{settled['scheduled']:,}"}
    )
    live = raise_live_fault(rules, now)
    if live is not None:
        load.shared["live_fault"] = live.pk  # the complaint side files its batch complaints
        load.say(
            gettext("live fault event %(id)s: %(n)s accounts cut off")
            % {"id": live.pk, "n": f"{live.affected_accounts:,}"}
        )
    return live


def _when(alarm: AlarmInput) -> tuple:
    return (alarm.occurred_at, alarm.line)


def settle_history_sms(rules: Rules, now: datetime) -> dict[str, int]:
    """The SMS of every outage, as the rules (and `sqm faults replay`) say: one fault SMS
    per mobile number per fault event, for a number still down when it was due, and once
    the number was back its recovery SMS (`fault_sms.plan_for_number`); delivered at their
    own times when those are past, scheduled otherwise. Customers who opted out of service
    SMS get none. What ingestion wrote stays for a number with no SMS due yet. Returns how
    many are delivered and scheduled."""
    counts = {"delivered": 0, "scheduled": 0}
    outages = Outage.objects.filter(fault_event__isnull=False).order_by().values_list(
        "pk", "account_id", "fault_event_id", "started_at", "ended_at",
        "account__customer__mobile_hash", "account__customer_id",
        "account__customer__service_sms_opt_out",
    )  # fmt: skip
    spells: dict[tuple[int, str], list[tuple]] = defaultdict(list)
    silent: list[int] = []  # outages of customers who opted out, whose SMS was due: none
    for pk, account, fault, started, ended, mobile_hash, customer, opted in outages.iterator(
        chunk_size=CHUNK
    ):
        if opted:
            if rules.fault_is_sent(started, ended) and rules.fault_at(started) <= now:
                silent.append(pk)
            continue
        number = fault_sms.recipient_of(mobile_hash, customer)
        spells[fault, number].append((started, account, pk, ended))
    plans: list[tuple[list[int], fault_sms.NumberPlan]] = []
    for spell in spells.values():
        spell.sort()
        plan = fault_sms.plan_for_number([(pk, s, e) for s, _a, pk, e in spell], rules)
        if plan is not None and plan.fault_at <= now:
            plans.append(([pk for _s, _a, pk, _e in spell], plan))
    for start in range(0, len(silent), CHUNK):
        OutboundMessage.objects.filter(outage_id__in=silent[start : start + CHUNK]).delete()
    texts = _Texts()
    for start in range(0, len(plans), CHUNK):
        chunk = plans[start : start + CHUNK]
        carriers = Outage.objects.select_related(
            "account__customer", "fault_event__olt", "fault_event__city"
        ).in_bulk([plan.outage for _pks, plan in chunk])
        rows: list[OutboundMessage] = []
        for _pks, plan in chunk:
            rows.extend(_wanted(carriers[plan.outage], plan, now, texts))
        replaced = [pk for pks, _plan in chunk for pk in pks]
        with transaction.atomic():
            OutboundMessage.objects.filter(outage_id__in=replaced).delete()
            OutboundMessage.objects.filter(key__in=[r.key for r in rows]).delete()
            OutboundMessage.objects.bulk_create(rows, batch_size=500)
        for row in rows:
            counts["delivered" if row.state == MessageState.DELIVERED else "scheduled"] += 1
    return counts


def _wanted(
    outage: Outage, plan: fault_sms.NumberPlan, now: datetime, texts: _Texts
) -> list[OutboundMessage]:
    """The messages of one number in one fault event, on OUTAGE (the one PLAN stands for)."""
    fault_text = texts.get(MessageKind.FAULT, outage.fault_event)
    if fault_text is None:
        return []
    mobile = outage.account.customer.mobile
    rows = [_message(outage, MessageKind.FAULT, fault_text, plan.fault_at, now, mobile)]
    if plan.recovery_at is not None:
        recovery_text = texts.get(MessageKind.RECOVERY, outage.fault_event, plan.ended)
        if recovery_text is not None:
            rows.append(
                _message(outage, MessageKind.RECOVERY, recovery_text, plan.recovery_at, now, mobile)
            )
    return rows


class _Texts:
    """Rendered texts by (kind, fault event, recovery time): a fault event's SMS read alike."""

    def __init__(self) -> None:
        self._renderers: dict[str, fault_sms.Renderer] = {}
        self._texts: dict[tuple, str | None] = {}

    def get(self, kind: str, fault: FaultEvent, recovered: datetime | None = None) -> str | None:
        key = (kind, fault.pk, recovered)
        if key not in self._texts:
            if kind not in self._renderers:
                self._renderers[kind] = fault_sms.Renderer(kind)
            try:
                self._texts[key] = self._renderers[kind](fault, recovered)
            except UnsafeSmsText:
                self._texts[key] = None
        return self._texts[key]


def _message(outage: Outage, kind: str, text: str, at: datetime, now: datetime, mobile: str):
    """A message as the worker leaves it: delivered at its own time if that has passed."""
    message = OutboundMessage(
        key=fault_sms.message_key(outage.pk, kind),
        kind=kind,
        account_id=outage.account_id,
        outage_id=outage.pk,
        fault_event_id=outage.fault_event_id,
        text=text,
        send_at=at,
    )
    if at <= now:
        _deliver(message, at, outage.pk, mobile)
    return message


def _deliver(message: OutboundMessage, at: datetime, seed: int, mobile: str) -> None:
    parts = len(split_sms(message.text))
    low, high = RECEIPT_DELAY
    message.state = MessageState.DELIVERED
    message.mobile = mobile
    message.attempts = 1
    message.parts = parts
    message.sent_at = at
    message.done_at = at + timedelta(seconds=low + seed * 7919 % (high - low))
    message.smsc_ids = ",".join(f"D{seed:x}{message.kind[0]}{i}+" for i in range(parts))
    from sqm.core.fields import refresh_personal_fields

    refresh_personal_fields(message)


# --- the live fault ----------------------------------------------------------------------


def live_olt(city: str = DEMO_CITY) -> Olt | None:
    """The OLT with the most active broadband accounts in CITY (if it has at least
    LIVE_MIN_ACCOUNTS), else in the whole province; only OLTs without an active fault, so
    that the live fault is a fault of its own."""
    faulty = FaultEvent.objects.filter(state=FaultState.ACTIVE).values("olt")
    cut_off = Account.objects.filter(
        status=AccountStatus.ACTIVE, service=Service.BROADBAND, onu__isnull=False
    ).exclude(onu__olt__in=faulty)
    for scope in (cut_off.filter(onu__olt__city__code=city), cut_off):
        top = scope.values("onu__olt").annotate(n=Count("pk")).order_by("-n", "onu__olt").first()
        if top is not None and (top["n"] >= LIVE_MIN_ACCOUNTS or scope is cut_off):
            return Olt.objects.get(pk=top["onu__olt"])
    return None


def live_times(rules: Rules, now: datetime) -> tuple[datetime, datetime]:
    """When the live fault started, and until when its SMS went out (the demo's "now", or
    the close of the last sending window when the window is shut now: the rest wait for the
    morning)."""
    started = now - LIVE_AGE
    if rules.fault_at(started) < now:
        return started, now
    last_open = now
    for _step in range(24 * 12):  # back in 5-minute steps to the last allowed moment
        last_open -= timedelta(minutes=5)
        if rules.window.allows(last_open):
            break
    return last_open - 3 * LIVE_AGE, last_open


def raise_live_fault(rules: Rules, now: datetime) -> FaultEvent | None:
    """Power off the OLT of `live_olt` through live ingestion and send the first part of
    its fault SMS wave; the live fault event (None when there is no OLT with accounts)."""
    olt = live_olt()
    if olt is None:
        return None
    started, sending_until = live_times(rules, now)
    alarm = AlarmInput(
        alarm_id=f"DEMO-{olt.olt_id}-{started:%Y%m%d%H%M}",
        event="raise",
        olt_id=olt.olt_id,
        level="olt",
        frame=None,
        slot=None,
        port=None,
        onu_id="",
        type=LIVE_TYPE,
        severity="critical",
        occurred_at=started,
    )
    ingest([alarm], now=started, rules=rules)
    fault = (
        FaultEvent.objects.filter(olt=olt, level="olt", state=FaultState.ACTIVE)
        .order_by("-started_at")
        .first()
    )
    if fault is not None:
        send_first_wave(fault, rules, sending_until, now)
        pace_the_rest(fault, rules, now)
    return fault


def send_first_wave(fault: FaultEvent, rules: Rules, until: datetime, now: datetime) -> int:
    """Mark the first SENT_SHARE of FAULT's waiting fault SMS as sent between their planned
    time and UNTIL, each delivered by NOW (a message left `sent` would wait for a receipt no
    sender of the demo ever sends); the rest stay scheduled. Returns how many went out."""
    waiting = list(
        OutboundMessage.objects.filter(
            fault_event=fault, kind=MessageKind.FAULT, state=MessageState.SCHEDULED
        )
        .select_related("account__customer")
        .order_by("pk")
    )
    due = [m for m in waiting if m.send_at < until]
    out = math.ceil(len(due) * SENT_SHARE)
    sent: list[OutboundMessage] = []
    for i, message in enumerate(due[:out]):
        start = message.send_at
        at = start + (until - start) * (i + 1) / (out + 1)
        _deliver(message, at, message.pk, message.account.customer.mobile)
        # The receipt came back before NOW, however late it was sent.
        message.done_at = min(message.done_at, at + (max(now, at) - at) / 2)
        sent.append(message)
    fields = ["state", "mobile", "pii_key_id", "attempts", "parts", "sent_at", "done_at",
              "smsc_ids"]  # fmt: skip
    OutboundMessage.objects.bulk_update(sent, fields, batch_size=500)
    return len(sent)


def pace_the_rest(fault: FaultEvent, rules: Rules, now: datetime) -> int:
    """Plan FAULT's fault SMS still scheduled evenly over the LIVE_SPREAD after NOW (never
    earlier than planned), each moved into the sending window when it falls outside; returns
    how many were planned.

    Left as they are while the window is shut: they wait for its opening like any other."""
    if not rules.window.allows(now):
        return 0
    rest = list(
        OutboundMessage.objects.filter(
            fault_event=fault, kind=MessageKind.FAULT, state=MessageState.SCHEDULED
        ).order_by("send_at", "pk")
    )
    for i, message in enumerate(rest):
        at = now + LIVE_SPREAD * (i + 1) / len(rest)
        message.send_at = rules.window.next_allowed(max(message.send_at, at))
    OutboundMessage.objects.bulk_update(rest, ["send_at"], batch_size=500)
    return len(rest)
