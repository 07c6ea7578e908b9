"""The fault SMS timing rules (issue 4 §3), at the edges of the window and the hold-down."""

from datetime import datetime, timedelta

import pytest

from sqm.notify.rules import SHANGHAI, Rules, Window, split_sms

RULES = Rules()


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("moment", "allowed"),
    [("2026-11-22 07:59:59", False), ("2026-11-22 08:00:00", True),
     ("2026-11-22 21:59:59", True), ("2026-11-22 22:00:00", False)],
)  # fmt: skip
def test_the_window_includes_eight_and_excludes_ten_at_night(moment, allowed):
    assert Window().allows(at(moment)) is allowed


def test_a_fault_raised_at_night_and_cleared_before_eight_sends_nothing():
    assert not RULES.fault_is_sent(at("2026-11-21 23:10"), at("2026-11-22 06:30"))
    assert RULES.recovery_at(at("2026-11-21 23:10"), at("2026-11-22 06:30")) is None


def test_a_night_fault_cleared_at_nine_sends_at_eight_and_at_nine():
    started, ended = at("2026-11-21 23:10"), at("2026-11-22 09:00")
    assert RULES.fault_at(started) == at("2026-11-22 08:00")
    assert RULES.fault_is_sent(started, ended)
    assert RULES.recovery_at(started, ended) == at("2026-11-22 09:00")


def test_the_hold_down_delays_the_fault_sms_and_a_short_outage_sends_nothing():
    started = at("2026-11-22 10:00")
    assert RULES.fault_at(started) == at("2026-11-22 10:05")
    assert not RULES.fault_is_sent(started, at("2026-11-22 10:04"))
    assert not RULES.fault_is_sent(started, at("2026-11-22 10:05"))  # up again when due
    assert RULES.fault_is_sent(started, at("2026-11-22 10:06"))


def test_a_fault_at_21_56_waits_for_the_morning_because_of_the_hold_down():
    assert RULES.fault_at(at("2026-11-22 21:56")) == at("2026-11-23 08:00")
    assert RULES.fault_at(at("2026-11-22 21:54")) == at("2026-11-22 21:59")


def test_a_recovery_at_21_59_goes_at_once_and_at_22_00_the_next_morning():
    started = at("2026-11-22 12:00")
    assert RULES.recovery_at(started, at("2026-11-22 21:59")) == at("2026-11-22 21:59")
    assert RULES.recovery_at(started, at("2026-11-22 22:00")) == at("2026-11-23 08:00")


def test_a_fault_at_07_59_is_sent_at_eight_oh_four():
    assert RULES.fault_at(at("2026-11-22 07:59")) == at("2026-11-22 08:04")


def test_window_and_hold_down_are_settings():
    rules = Rules(window=Window.parse("09:00-21:00"), hold_down=timedelta(minutes=0))
    assert rules.fault_at(at("2026-11-22 08:30")) == at("2026-11-22 09:00")
    with pytest.raises(ValueError):
        Window.parse("8-22")


def test_chinese_text_is_split_into_67_character_parts_beyond_70():
    assert split_sms("中" * 70) == ["中" * 70]
    parts = split_sms("中" * 150)
    assert [len(p) for p in parts] == [67, 67, 16]
    assert "".join(parts) == "中" * 150


def test_plain_text_uses_gsm_sizes_and_surrogate_pairs_are_not_cut():
    assert len(split_sms("a" * 160)) == 1
    assert [len(p) for p in split_sms("a" * 200)] == [153, 47]
    text = "中" * 66 + "😀" + "中" * 10  # the emoji takes two UCS-2 units
    parts = split_sms(text)
    assert parts[0] == "中" * 66 and parts[1].startswith("😀")
