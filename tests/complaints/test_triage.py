"""Triage: the decision table of docs/complaint-rules.md, row by row, and the intake reader.

The table is read from the document itself, and its vocabulary is interpreted here
independently of the code, so the document, the code and this oracle must all agree.
"""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sqm.complaints.choices import Demand, OrderKind, RecordType, Topic
from sqm.complaints.services import (
    Intake,
    IntakeInvalid,
    loads_intake,
    parse_intake,
    read_intakes,
    triage,
)
from sqm.complaints.triage import RULES

DOC = Path(__file__).resolve().parents[2] / "docs" / "complaint-rules.md"
HEADER = "| rule | topic | demands | dissatisfied | accepted | needs_handover | record_type | order | reason |"  # noqa: E501

ASK = Demand.ASK_REASON

# The document's demand conditions, as this test reads them.
CONDITIONS = {
    "none": lambda d: not d,
    "some": lambda d: bool(d),
    "ask_reason only": lambda d: d == {ASK},
    "ask_reason and another": lambda d: ASK in d and len(d) > 1,
    "some without ask_reason": lambda d: bool(d) and ASK not in d,
    "not (ask_reason and another)": lambda d: not (ASK in d and len(d) > 1),
}
FLAGS = {"yes": True, "no": False, "any": None}


@dataclass(frozen=True)
class Row:
    rule: str
    topic: str
    demands: str
    dissatisfied: bool | None
    accepted: bool | None
    needs_handover: bool | None
    record_type: str
    order: str | None
    reason: str

    def matches(self, intake: Intake) -> bool:
        return (
            intake.topic == self.topic
            and CONDITIONS[self.demands](intake.demands)
            and all(
                wanted is None or getattr(intake, flag) is wanted
                for flag, wanted in (
                    ("dissatisfied", self.dissatisfied),
                    ("accepted", self.accepted),
                    ("needs_handover", self.needs_handover),
                )
            )
        )

    def __str__(self) -> str:
        return self.rule


def read_table() -> list[Row]:
    lines = DOC.read_text(encoding="utf-8").splitlines()
    start = lines.index(HEADER) + 2  # skip the |---| line
    rows = []
    for line in itertools.takewhile(lambda text: text.startswith("|"), lines[start:]):
        cells = [cell.strip().strip("`") for cell in line.strip("|").split("|")]
        rule, topic, demands, dissatisfied, accepted, handover, record_type, order, reason = cells
        rows.append(
            Row(
                rule,
                topic,
                demands,
                FLAGS[dissatisfied],
                FLAGS[accepted],
                FLAGS[handover],
                record_type,
                None if order == "null" else order,
                reason,
            )
        )
    return rows


TABLE = read_table()
DEMAND_SETS = [
    frozenset(combo)
    for size in range(len(Demand) + 1)
    for combo in itertools.combinations(list(Demand), size)
]


def every_intake(topics=tuple(Topic)):
    for topic, demands in itertools.product(topics, DEMAND_SETS):
        for dissatisfied, accepted, handover in itertools.product((False, True), repeat=3):
            yield Intake(
                topic=topic,
                demands=demands,
                dissatisfied=dissatisfied,
                accepted=accepted,
                needs_handover=handover,
            )


# --- the document and the code ----------------------------------------------------------


def test_it_reads_a_table_of_28_rules_with_known_vocabulary_from_the_document():
    assert len(TABLE) == 28
    assert len({row.rule for row in TABLE}) == len(TABLE)
    for row in TABLE:
        assert row.topic in Topic.values
        assert row.demands in CONDITIONS
        assert row.record_type in RecordType.values
        assert row.order is None or row.order in OrderKind.values
        assert re.search(r"[\u4e00-\u9fff]", row.reason) and row.reason.endswith("。")


def test_it_follows_the_documented_table_row_by_row_in_the_same_order():
    in_code = [
        (
            rule.id,
            rule.topic.value,
            rule.demands.value,
            rule.dissatisfied,
            rule.accepted,
            rule.needs_handover,
            rule.record_type.value,
            rule.order.value if rule.order else None,
            rule.reason,
        )
        for rule in RULES
    ]
    in_doc = [
        (
            row.rule,
            row.topic,
            row.demands,
            row.dissatisfied,
            row.accepted,
            row.needs_handover,
            row.record_type,
            row.order,
            row.reason,
        )
        for row in TABLE
    ]
    assert in_code == in_doc


def test_it_finds_exactly_one_documented_row_for_every_possible_intake():
    count = 0
    for intake in every_intake():
        matching = [row.rule for row in TABLE if row.matches(intake)]
        assert len(matching) == 1, (intake, matching)
        count += 1
    assert count == 5 * 256 * 8


def test_its_own_rules_are_disjoint_so_their_order_does_not_matter():
    for intake in every_intake():
        assert len([rule.id for rule in RULES if rule.matches(intake)]) == 1, intake


@pytest.mark.parametrize("row", TABLE, ids=str)
def test_it_decides_every_intake_a_row_describes_as_that_row_says(row: Row):
    described = [intake for intake in every_intake((Topic(row.topic),)) if row.matches(intake)]
    assert described, f"{row.rule} describes no intake"
    for intake in described:
        decision = triage(intake)
        assert decision.rule == row.rule
        assert decision.as_dict() == {
            "record_type": row.record_type,
            "order": row.order,
            "reason": row.reason,
        }


# --- the operator's wording, spelled out ----------------------------------------------------


def decide(topic: str, *demands: str, accepted=True, handover=False, dissatisfied=False):
    intake = Intake(
        topic=topic,
        demands=demands,
        accepted=accepted,
        needs_handover=handover,
        dissatisfied=dissatisfied,
    )
    return triage(intake)


def test_it_records_a_plain_accepted_unsubscribe_as_a_service_with_a_business_order():
    decision = decide("unsubscribe")
    assert (decision.record_type, decision.order) == ("service", "business")
    assert decision.reason == "客户仅要求退订且接受现场办理，不属于投诉，办理退订业务单。"


@pytest.mark.parametrize("topic", ["unsubscribe", "resend"])
def test_it_makes_asking_the_reason_alone_a_complaint_where_the_rule_says_or(topic):
    assert decide(topic, "ask_reason").record_type == "direct_answer_complaint"
    assert decide(topic, "apology").record_type == "direct_answer_complaint"


def test_it_makes_blocking_a_complaint_only_with_the_reason_and_another_demand():
    assert decide("block", "ask_reason").record_type == "service"
    assert decide("block", "apology").record_type == "service"
    assert decide("block", "apology", "manager").record_type == "service"
    assert decide("block", "ask_reason", "apology").record_type == "direct_answer_complaint"


def test_it_counts_subscription_without_knowledge_as_a_complaint_on_unsubscribe():
    decision = decide("unsubscribe", "unknowing_subscription", handover=True)
    assert (decision.record_type, decision.order) == ("complaint_work_order", "business")


def test_it_makes_a_plain_accepted_refund_a_direct_answer_complaint_with_a_refund_order():
    decision = decide("refund")
    assert (decision.record_type, decision.order) == ("direct_answer_complaint", "refund")


@pytest.mark.parametrize(
    "demands, accepted, handover",
    [(("compensation",), True, False), ((), True, True), ((), False, False)],
)
def test_it_makes_a_refund_with_more_demands_or_a_handover_a_work_order(
    demands, accepted, handover
):
    decision = decide("refund", *demands, accepted=accepted, handover=handover)
    assert (decision.record_type, decision.order) == ("complaint_work_order", "refund")


def test_it_makes_a_service_topic_not_accepted_a_complaint_work_order():
    for topic, order in [("unsubscribe", "business"), ("resend", "consultation")]:
        decision = decide(topic, accepted=False)
        assert (decision.record_type, decision.order) == ("complaint_work_order", order)
    assert decide("block", "ask_reason", accepted=False).record_type == "complaint_work_order"


def test_it_needs_dissatisfaction_and_a_demand_for_a_complaint_on_other_topics():
    assert decide("other", "apology", dissatisfied=True).record_type == "direct_answer_complaint"
    assert decide("other", "apology", dissatisfied=False).record_type == "service"
    assert decide("other", dissatisfied=True, accepted=False).record_type == "service"
    assert decide("other", dissatisfied=True, handover=True).order == "consultation"
    assert decide("other").order is None


def test_it_ignores_the_dissatisfied_flag_on_the_four_named_topics():
    for intake in every_intake((Topic.UNSUBSCRIBE, Topic.RESEND, Topic.BLOCK, Topic.REFUND)):
        if intake.dissatisfied:
            calm = Intake(
                topic=intake.topic,
                demands=intake.demands,
                accepted=intake.accepted,
                needs_handover=intake.needs_handover,
            )
            assert triage(intake) == triage(calm)


# --- properties ------------------------------------------------------------------------------

json_intakes = st.fixed_dictionaries(
    {"topic": st.sampled_from(Topic.values), "accepted": st.booleans()},
    optional={
        "demands": st.lists(st.sampled_from(Demand.values), max_size=10),
        "dissatisfied": st.booleans(),
        "needs_handover": st.booleans(),
    },
)


@given(json_intakes)
def test_it_gives_every_valid_intake_an_allowed_decision_and_never_a_refund_service(data):
    decision = triage(parse_intake(data))
    out = decision.as_dict()
    assert list(out) == ["record_type", "order", "reason"]
    assert out["record_type"] in RecordType.values
    assert out["order"] is None or out["order"] in OrderKind.values
    assert out["reason"]
    if data["topic"] == "refund":
        assert out["record_type"] != "service"
        assert out["order"] == "refund"
    if out["record_type"] == "direct_answer_complaint":
        assert data["accepted"] and not data.get("needs_handover", False)


@given(json_intakes)
def test_it_reads_the_json_form_of_an_intake_back_to_the_same_facts(data):
    intake = loads_intake(json.dumps(data))
    assert intake.topic == data["topic"]
    assert intake.accepted is data["accepted"]
    assert intake.demands == set(data.get("demands", []))
    assert intake.dissatisfied is data.get("dissatisfied", False)
    assert intake.needs_handover is data.get("needs_handover", False)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=10,
)


@given(
    st.dictionaries(
        st.sampled_from(
            [*Topic.values, "topic", "accepted", "demands", "dissatisfied", "needs_handover", "x"]
        ),
        json_values,
    )
)
def test_it_either_reads_any_json_object_or_names_each_problem_key(data):
    try:
        intake = parse_intake(data)
    except IntakeInvalid as exc:
        assert exc.problems
        assert all(key and reason for key, reason in exc.problems)
    else:
        assert triage(intake).record_type in RecordType.values


@given(st.text())
def test_it_never_fails_on_any_line_of_text_except_with_a_named_problem(text):
    batch = read_intakes([text])
    # A byte-order mark opening the first line is accepted and dropped, like any reader's.
    blank = not text.removeprefix("\ufeff").strip()
    assert len(batch.intakes) + batch.bad_lines == (0 if blank else 1)


# --- reading intakes ---------------------------------------------------------------------------


def problems(data) -> list[tuple[str, str]]:
    with pytest.raises(IntakeInvalid) as caught:
        parse_intake(data)
    return caught.value.problems


def test_it_defaults_missing_demands_and_flags_to_nothing_said():
    intake = parse_intake({"topic": "other", "accepted": True})
    assert intake == Intake(topic=Topic.OTHER, accepted=True)
    assert (intake.demands, intake.dissatisfied, intake.needs_handover) == (set(), False, False)


def test_it_requires_the_topic_and_whether_the_customer_accepted():
    assert problems({}) == [("topic", "a value is required"), ("accepted", "a value is required")]


def test_it_names_an_unknown_key():
    assert problems({"topic": "other", "accepted": True, "colour": "red"}) == [
        (
            "colour",
            "unknown key; the keys are topic, demands, dissatisfied, accepted, needs_handover",
        )
    ]


def test_it_names_an_unknown_topic_and_an_unknown_demand():
    assert problems({"topic": "unsub", "accepted": True, "demands": ["apology", "hug"]}) == [
        ("topic", '"unsub" is not one of unsubscribe, resend, block, refund, other'),
        (
            "demands",
            '"hug" is not one of ask_reason, unknowing_subscription, restore, compensation, '
            "apology, manager, rule_change, other",
        ),
    ]


@pytest.mark.parametrize("value, shown", [(1, "1"), ("true", '"true"'), (None, "null")])
def test_it_accepts_only_json_booleans_as_flags(value, shown):
    assert problems({"topic": "block", "accepted": value, "needs_handover": value}) == [
        ("accepted", f"must be true or false, got {shown}"),
        ("needs_handover", f"must be true or false, got {shown}"),
    ]


def test_it_wants_demands_as_a_list():
    assert problems({"topic": "block", "accepted": True, "demands": "apology"}) == [
        (
            "demands",
            "must be a list of ask_reason, unknowing_subscription, restore, "
            'compensation, apology, manager, rule_change, other, got "apology"',
        ),
    ]


def test_it_counts_a_demand_listed_twice_once():
    intake = parse_intake({"topic": "block", "accepted": True, "demands": ["apology"] * 2})
    assert intake.demands == {Demand.APOLOGY}


@pytest.mark.parametrize(
    "line, reason",
    [
        ("{bad", "not valid JSON: Expecting property name enclosed in double quotes at column 2"),
        ("[1, 2]", "an intake must be a JSON object, got [1, 2]"),
        ('"refund"', 'an intake must be a JSON object, got "refund"'),
        ("[" * 100_000, "not valid JSON: nested too deeply"),
    ],
)
def test_it_rejects_a_line_that_is_not_one_json_object_as_a_whole(line, reason):
    with pytest.raises(IntakeInvalid) as caught:
        loads_intake(line)
    assert caught.value.problems == [("-", reason)]


def test_it_rejects_a_key_given_twice():
    with pytest.raises(IntakeInvalid) as caught:
        loads_intake('{"topic": "other", "topic": "refund", "accepted": true}')
    assert caught.value.problems == [("topic", "appears more than once")]


def test_it_keeps_each_message_on_one_line_whatever_the_key_or_value():
    batch = read_intakes(['{"topic": "\\ud800", "a\\nb": 1, "accepted": true}'])
    assert [(e.key, e.reason.split(" is not")[0]) for e in batch.errors] == [
        ("topic", '"\\ud800"'),
        (
            '"a\\nb"',
            "unknown key; the keys are topic, demands, dissatisfied, accepted, needs_handover",
        ),
    ]
    for error in batch.errors:
        error.format("stdin").encode("utf-8")  # no lone surrogate left


def test_it_reads_all_lines_with_physical_line_numbers_skipping_blank_ones():
    batch = read_intakes(
        [
            '\ufeff{"topic": "refund", "accepted": true}\n',
            "\n",
            "   \n",
            b'{"topic": "block", "accepted": 1}\n',
            b"\xff\xfe\n",
            '{"topic": "resend", "accepted": false}',
        ]
    )
    assert [(line, intake.topic) for line, intake in batch.intakes] == [
        (1, "refund"),
        (6, "resend"),
    ]
    assert [e.format("stdin") for e in batch.errors] == [
        "stdin:4: accepted: must be true or false, got 1",
        "stdin:5: -: not valid UTF-8",
    ]
    assert (batch.lines, batch.bad_lines, batch.ok) == (4, 2, False)
