"""Complaint triage: the operator's entry rules (投诉录入补充规定) as one table of rules.

`RULES` is the decision table of docs/complaint-rules.md, row by row and in the same order;
tests/complaints/test_triage.py parses the document and checks that both say the same and
that exactly one row matches every possible intake. Change the two together.

The `reason` sentences are Chinese on purpose and are not wrapped in gettext: they are the
operator's own wording, stored with the record and read by quality staff, so they must not
change with the language of whoever runs triage. Error messages are UI text and translated.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from django.utils.translation import gettext as _

from sqm.complaints.choices import Demand, OrderKind, RecordType, Topic


@dataclass(frozen=True, kw_only=True)
class Intake:
    """The facts an agent records about a contact; all that triage looks at."""

    topic: Topic
    accepted: bool  # the customer explicitly accepted the on-the-spot result
    demands: frozenset[Demand] = frozenset()
    dissatisfied: bool = False  # read for topic `other` only
    needs_handover: bool = False  # dispatch, investigation or another department

    def __post_init__(self) -> None:
        # Accept plain strings and any iterable from callers; store the canonical types.
        object.__setattr__(self, "topic", Topic(self.topic))
        object.__setattr__(self, "demands", frozenset(Demand(d) for d in self.demands))


@dataclass(frozen=True)
class Decision:
    record_type: RecordType
    order: OrderKind | None
    reason: str
    rule: str  # the row of the decision table, e.g. "U3"

    def as_dict(self) -> dict[str, str | None]:
        """The exchange form: these keys, in this order (the rule id stays internal)."""
        return {
            "record_type": self.record_type.value,
            "order": self.order.value if self.order else None,
            "reason": self.reason,
        }


class DemandCondition(StrEnum):
    """The demand conditions the table uses; the values are the document's wording."""

    NONE = "none"
    SOME = "some"
    ASK_REASON_ONLY = "ask_reason only"
    ASK_REASON_AND_ANOTHER = "ask_reason and another"
    SOME_WITHOUT_ASK_REASON = "some without ask_reason"
    NOT_ASK_REASON_AND_ANOTHER = "not (ask_reason and another)"

    def holds(self, demands: frozenset[Demand]) -> bool:
        return _CONDITIONS[self](demands)


def _ask_reason_and_another(demands: frozenset[Demand]) -> bool:
    return Demand.ASK_REASON in demands and len(demands) > 1


_CONDITIONS: dict[DemandCondition, Callable[[frozenset[Demand]], bool]] = {
    DemandCondition.NONE: lambda d: not d,
    DemandCondition.SOME: lambda d: bool(d),
    DemandCondition.ASK_REASON_ONLY: lambda d: d == {Demand.ASK_REASON},
    DemandCondition.ASK_REASON_AND_ANOTHER: _ask_reason_and_another,
    DemandCondition.SOME_WITHOUT_ASK_REASON: lambda d: bool(d) and Demand.ASK_REASON not in d,
    DemandCondition.NOT_ASK_REASON_AND_ANOTHER: lambda d: not _ask_reason_and_another(d),
}


@dataclass(frozen=True)
class Rule:
    """One row of the decision table; a flag of None matches both values."""

    id: str
    topic: Topic
    demands: DemandCondition
    dissatisfied: bool | None
    accepted: bool | None
    needs_handover: bool | None
    record_type: RecordType
    order: OrderKind | None
    reason: str

    def matches(self, intake: Intake) -> bool:
        return (
            intake.topic == self.topic
            and self.demands.holds(intake.demands)
            and self.dissatisfied in (None, intake.dissatisfied)
            and self.accepted in (None, intake.accepted)
            and self.needs_handover in (None, intake.needs_handover)
        )

    @property
    def decision(self) -> Decision:
        return Decision(self.record_type, self.order, self.reason, self.id)


# Short names so the table below reads like the one in the document.
UNSUBSCRIBE, RESEND, BLOCK, REFUND, OTHER = Topic
NONE = DemandCondition.NONE
SOME = DemandCondition.SOME
ASK_ONLY = DemandCondition.ASK_REASON_ONLY
ASK_AND_ANOTHER = DemandCondition.ASK_REASON_AND_ANOTHER
SOME_NO_ASK = DemandCondition.SOME_WITHOUT_ASK_REASON
NOT_ASK_AND_ANOTHER = DemandCondition.NOT_ASK_REASON_AND_ANOTHER
YES, NO, ANY = True, False, None
SERVICE, DIRECT, WORK_ORDER = RecordType
BUSINESS, CONSULTATION, BLOCKING, REFUND_ORDER = OrderKind


# The decision table. Rows are disjoint, so their order only mirrors the document.
# fmt: off
RULES: tuple[Rule, ...] = tuple(Rule(*row) for row in (
    # id   topic        demands              dissat. accepted handover record_type order
    ("U1", UNSUBSCRIBE, NONE,                ANY, YES, ANY, SERVICE,    BUSINESS,
     "客户仅要求退订且接受现场办理，不属于投诉，办理退订业务单。"),
    ("U2", UNSUBSCRIBE, NONE,                ANY, NO,  ANY, WORK_ORDER, BUSINESS,
     "客户要求退订但不接受现场处理结果，视为对首次答复不满，记为投诉工单，同时办理退订业务单。"),
    ("U3", UNSUBSCRIBE, SOME,                ANY, YES, NO,  DIRECT,     BUSINESS,
     "客户退订时询问订购原因、反映不知情订购或提出其他明确诉求，属于投诉；已现场处理且客户明确接受，记为直接答复投诉，同时办理退订业务单。"),
    ("U4", UNSUBSCRIBE, SOME,                ANY, NO,  ANY, WORK_ORDER, BUSINESS,
     "客户退订时询问订购原因、反映不知情订购或提出其他明确诉求，属于投诉；客户不接受首次答复，记为投诉工单，同时办理退订业务单。"),
    ("U5", UNSUBSCRIBE, SOME,                ANY, YES, YES, WORK_ORDER, BUSINESS,
     "客户退订时询问订购原因、反映不知情订购或提出其他明确诉求，属于投诉；需派单、核查或转其他部门处理，记为投诉工单，同时办理退订业务单。"),

    ("R1", RESEND,      NONE,                ANY, YES, ANY, SERVICE,    CONSULTATION,
     "客户仅要求补发信息且接受处理结果，不属于投诉，现场补发或办理咨询单。"),
    ("R2", RESEND,      NONE,                ANY, NO,  ANY, WORK_ORDER, CONSULTATION,
     "客户要求补发信息但不接受现场处理结果，视为对首次答复不满，记为投诉工单，同时办理咨询单。"),
    ("R3", RESEND,      SOME,                ANY, YES, NO,  DIRECT,     CONSULTATION,
     "客户要求补发信息并询问原因或提出其他明确诉求，属于投诉；已现场处理且客户明确接受，记为直接答复投诉，同时办理咨询单。"),
    ("R4", RESEND,      SOME,                ANY, NO,  ANY, WORK_ORDER, CONSULTATION,
     "客户要求补发信息并询问原因或提出其他明确诉求，属于投诉；客户不接受首次答复，记为投诉工单，同时办理咨询单。"),
    ("R5", RESEND,      SOME,                ANY, YES, YES, WORK_ORDER, CONSULTATION,
     "客户要求补发信息并询问原因或提出其他明确诉求，属于投诉；需派单、核查或转其他部门处理，记为投诉工单，同时办理咨询单。"),

    ("B1", BLOCK,       NONE,                ANY, YES, ANY, SERVICE,    BLOCKING,
     "客户仅要求屏蔽信息且接受处理结果，不属于投诉，现场屏蔽或办理屏蔽单。"),
    ("B2", BLOCK,       ASK_ONLY,            ANY, YES, ANY, SERVICE,    BLOCKING,
     "客户要求屏蔽信息并询问原因，但未提出其他明确诉求且接受处理结果，按规定不属于投诉，现场屏蔽或办理屏蔽单。"),
    ("B3", BLOCK,       SOME_NO_ASK,         ANY, YES, ANY, SERVICE,    BLOCKING,
     "客户要求屏蔽信息并提出其他明确诉求，但未询问原因且接受处理结果，按规定不属于投诉，现场屏蔽或办理屏蔽单。"),
    ("B4", BLOCK,       NOT_ASK_AND_ANOTHER, ANY, NO,  ANY, WORK_ORDER, BLOCKING,
     "客户要求屏蔽信息但不接受现场处理结果，视为对首次答复不满，记为投诉工单，同时办理屏蔽单。"),
    ("B5", BLOCK,       ASK_AND_ANOTHER,     ANY, YES, NO,  DIRECT,     BLOCKING,
     "客户要求屏蔽信息，既询问原因又提出其他明确诉求，属于投诉；已现场处理且客户明确接受，记为直接答复投诉，同时办理屏蔽单。"),
    ("B6", BLOCK,       ASK_AND_ANOTHER,     ANY, NO,  ANY, WORK_ORDER, BLOCKING,
     "客户要求屏蔽信息，既询问原因又提出其他明确诉求，属于投诉；客户不接受首次答复，记为投诉工单，同时办理屏蔽单。"),
    ("B7", BLOCK,       ASK_AND_ANOTHER,     ANY, YES, YES, WORK_ORDER, BLOCKING,
     "客户要求屏蔽信息，既询问原因又提出其他明确诉求，属于投诉；需派单、核查或转其他部门处理，记为投诉工单，同时办理屏蔽单。"),

    ("F1", REFUND,      NONE,                ANY, YES, NO,  DIRECT,     REFUND_ORDER,
     "退费一律属于投诉；客户仅要求退费、明确接受且无需派单或转办，记为直接答复投诉，办理退费单。"),
    ("F2", REFUND,      NONE,                ANY, YES, YES, WORK_ORDER, REFUND_ORDER,
     "退费一律属于投诉；客户仅要求退费，但需派单或转其他部门处理，记为投诉工单，同时办理退费单。"),
    ("F3", REFUND,      NONE,                ANY, NO,  ANY, WORK_ORDER, REFUND_ORDER,
     "退费一律属于投诉；客户不接受首次答复，记为投诉工单，同时办理退费单。"),
    ("F4", REFUND,      SOME,                ANY, ANY, ANY, WORK_ORDER, REFUND_ORDER,
     "退费一律属于投诉；客户在退费之外还要求赔偿或提出其他明确诉求，记为投诉工单，同时办理退费单。"),

    ("O1", OTHER,       SOME,                YES, YES, NO,  DIRECT,     None,
     "客户表达不满并提出明确诉求，属于投诉；已现场处理且客户明确接受，记为直接答复投诉。"),
    ("O2", OTHER,       SOME,                YES, NO,  ANY, WORK_ORDER, None,
     "客户表达不满并提出明确诉求，属于投诉；客户不接受首次答复，记为投诉工单。"),
    ("O3", OTHER,       SOME,                YES, YES, YES, WORK_ORDER, None,
     "客户表达不满并提出明确诉求，属于投诉；需派单、核查或转其他部门处理，记为投诉工单。"),
    ("O4", OTHER,       NONE,                ANY, ANY, YES, SERVICE,    CONSULTATION,
     "客户未提出明确诉求，不属于投诉；需派单、核查或转其他部门处理，办理咨询单。"),
    ("O5", OTHER,       NONE,                ANY, ANY, NO,  SERVICE,    None,
     "客户未提出明确诉求，不属于投诉，现场答复即可。"),
    ("O6", OTHER,       SOME,                NO,  ANY, YES, SERVICE,    CONSULTATION,
     "客户未表达不满，不属于投诉；需派单、核查或转其他部门处理，办理咨询单。"),
    ("O7", OTHER,       SOME,                NO,  ANY, NO,  SERVICE,    None,
     "客户未表达不满，不属于投诉，现场答复即可。"),
))
# fmt: on


def triage(intake: Intake) -> Decision:
    """The record type (and the order raised alongside) for an intake, by the entry rules."""
    for rule in RULES:
        if rule.matches(intake):
            return rule.decision
    # Unreachable: the table covers every intake (tested over all of them).
    raise LookupError(f"no triage rule matches {intake!r}")


# --- reading intakes ---------------------------------------------------------------------


class IntakeInvalid(ValueError):
    """An intake that cannot be triaged; `problems` are (key, reason) pairs, "-" = whole."""

    def __init__(self, problems: list[tuple[str, str]]):
        super().__init__("; ".join(f"{key}: {reason}" for key, reason in problems))
        self.problems = problems


def _show(value: object) -> str:
    """A value as the caller wrote it (JSON), cut short so one bad line stays one line."""
    text = json.dumps(value, ensure_ascii=False)
    text = text if len(text) <= 60 else text[:59] + "…"
    # A lone surrogate (valid in JSON, not in UTF-8) would make writing the message fail.
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _key(key: object) -> str:
    """An unknown key as printed in `name:line: key: reason`: kept on one line, readable."""
    text = str(key)
    return text if text and text.isprintable() and text.strip() == text else _show(text)


def _one_of(choices: type[Topic] | type[Demand]) -> str:
    return ", ".join(choices.values)


def _parse_topic(value: object) -> Topic:
    if isinstance(value, str) and value in Topic.values:
        return Topic(value)
    raise ValueError(
        _("%(value)s is not one of %(allowed)s")
        % {"value": _show(value), "allowed": _one_of(Topic)}
    )


def _parse_demands(value: object) -> frozenset[Demand]:
    if not isinstance(value, list):
        raise ValueError(
            _("must be a list of %(allowed)s, got %(value)s")
            % {"value": _show(value), "allowed": _one_of(Demand)}
        )
    for item in value:
        if not (isinstance(item, str) and item in Demand.values):
            raise ValueError(
                _("%(value)s is not one of %(allowed)s")
                % {"value": _show(item), "allowed": _one_of(Demand)}
            )
    return frozenset(Demand(item) for item in value)


def _parse_flag(value: object) -> bool:
    # JSON true/false only: 0/1 or "yes" would hide a caller's mistake.
    if isinstance(value, bool):
        return value
    raise ValueError(_("must be true or false, got %(value)s") % {"value": _show(value)})


_PARSERS: dict[str, Callable[[object], object]] = {
    "topic": _parse_topic,
    "demands": _parse_demands,
    "dissatisfied": _parse_flag,
    "accepted": _parse_flag,
    "needs_handover": _parse_flag,
}
KEYS = tuple(_PARSERS)
REQUIRED = ("topic", "accepted")


def parse_intake(data: Mapping[str, object]) -> Intake:
    """Validate intake facts in the exchange form (JSON types); raise IntakeInvalid.

    `topic` and `accepted` are required: no default is safe for them. `demands` defaults to
    none and the other flags to false (a complaint needs dissatisfaction stated explicitly).
    Every problem is reported, in the order of the keys, then the missing keys.
    """
    if not isinstance(data, Mapping):
        raise IntakeInvalid(
            [("-", _("an intake must be a JSON object, got %(value)s") % {"value": _show(data)})]
        )
    problems: list[tuple[str, str]] = []
    values: dict[str, object] = {}
    for key, value in data.items():
        parse = _PARSERS.get(key)
        if parse is None:
            unknown = _("unknown key; the keys are %(keys)s") % {"keys": ", ".join(KEYS)}
            problems.append((_key(key), unknown))
            continue
        try:
            values[key] = parse(value)
        except ValueError as exc:
            problems.append((key, str(exc)))
    problems += [(key, _("a value is required")) for key in REQUIRED if key not in data]
    if problems:
        raise IntakeInvalid(problems)
    return Intake(**values)


def _no_repeated_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    seen: dict[str, object] = {}
    for key, value in pairs:
        if key in seen:
            raise IntakeInvalid([(_key(key), _("appears more than once"))])
        seen[key] = value
    return seen


def loads_intake(text: str) -> Intake:
    """One JSON object of intake facts; raise IntakeInvalid."""
    try:
        data = json.loads(text, object_pairs_hook=_no_repeated_keys)
    except IntakeInvalid:
        raise  # a repeated key, found while parsing
    except json.JSONDecodeError as exc:
        # json's own "line 1 column 5" would contradict our line number: give the column only.
        raise IntakeInvalid(
            [
                (
                    "-",
                    _("not valid JSON: %(error)s at column %(column)d")
                    % {"error": exc.msg, "column": exc.colno},
                )
            ]
        ) from None
    except RecursionError:
        raise IntakeInvalid([("-", _("not valid JSON: nested too deeply"))]) from None
    except ValueError as exc:  # e.g. an integer longer than Python converts
        raise IntakeInvalid([("-", _("not valid JSON: %(error)s") % {"error": exc})]) from None
    return parse_intake(data)


@dataclass(frozen=True)
class LineError:
    line: int
    key: str
    reason: str

    def format(self, name: str) -> str:
        return f"{name}:{self.line}: {self.key}: {self.reason}"


@dataclass
class IntakeBatch:
    """JSON Lines of intakes, read in full: (line, intake) pairs and every problem."""

    intakes: list[tuple[int, Intake]] = field(default_factory=list)
    errors: list[LineError] = field(default_factory=list)
    lines: int = 0  # non-empty lines read

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def bad_lines(self) -> int:
        return len({error.line for error in self.errors})


def read_intakes(lines: Iterable[str | bytes]) -> IntakeBatch:
    """Read every line before anything is decided, so a bad line stops the whole batch.

    Lines may be bytes (UTF-8, a BOM on the first line accepted) or text; blank lines are
    skipped but still counted, so line numbers are the file's physical lines.
    """
    batch = IntakeBatch()
    for number, raw in enumerate(lines, start=1):
        if isinstance(raw, bytes):
            try:
                raw = raw.decode("utf-8")
            except UnicodeDecodeError:
                batch.lines += 1
                batch.errors.append(LineError(number, "-", _("not valid UTF-8")))
                continue
        if number == 1:
            raw = raw.removeprefix("\ufeff")
        raw = raw.rstrip("\r\n")  # else json reports an error at the end as "line 2"
        if not raw.strip():
            continue
        batch.lines += 1
        try:
            batch.intakes.append((number, loads_intake(raw)))
        except IntakeInvalid as exc:
            batch.errors.extend(LineError(number, key, reason) for key, reason in exc.problems)
    return batch
