"""A refused request is one warning line in the log, not a traceback (the demo's log was
buried under them), with the personal-data mask still on the handler; and every option of
`sqm demo` says what it is for (--host had no help), in English and in Chinese."""

from __future__ import annotations

import io
import logging

import pytest
from django.core.management import load_command_class
from django.test import Client
from django.urls import reverse
from django.utils import translation

from sqm.core.logmask import PersonalDataFilter


@pytest.fixture
def console():
    """What the configured console handler writes, read from a buffer."""
    (handler,) = [h for h in logging.getLogger().handlers if type(h) is logging.StreamHandler]
    buffer = io.StringIO()
    # Assigned, not setStream(): that flushes the old stream, which an earlier test's
    # output capture may have closed.
    previous, handler.stream = handler.stream, buffer
    yield handler, buffer
    handler.stream = previous


def test_a_403_is_one_warning_line_without_a_traceback(console, agent):
    handler, buffer = console
    client = Client()
    client.force_login(agent)
    assert client.get(reverse("core:audit")).status_code == 403
    lines = buffer.getvalue().splitlines()
    assert lines == ["Forbidden (Permission denied): /core/audit/"]
    assert any(isinstance(f, PersonalDataFilter) for f in handler.filters)


def test_other_errors_keep_their_traceback(console):
    handler, buffer = console
    try:
        raise ValueError("broken 13812345678")
    except ValueError:
        logging.getLogger("django.request").error("Internal Server Error: /x/", exc_info=True)
    text = buffer.getvalue()
    assert "Traceback" in text and "ValueError: broken 138****5678" in text


def _demo_options() -> list:
    parser = load_command_class("sqm.core", "demo").create_parser("sqm", "demo")
    return [action for action in parser._actions if action.option_strings]


def test_every_option_of_sqm_demo_has_a_help_text():
    missing = [action.option_strings for action in _demo_options() if not action.help]
    assert missing == []


def test_the_demos_host_option_is_explained_in_chinese():
    with translation.override("zh-hans"):
        (host,) = [action for action in _demo_options() if "--host" in action.option_strings]
    assert str(host.help).startswith("服务监听的地址")
