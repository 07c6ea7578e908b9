"""`sqm COMMAND --help` works for every command of our apps and every subcommand, in English
and in Chinese (lazy translated help texts once crashed argparse)."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
from django.core.management import load_command_class
from django.utils import translation

from sqm.core.commands import BaseCommand

SQM = Path(__file__).resolve().parent.parent / "sqm"


def _commands() -> list[tuple[str, str]]:
    """(app module, command name) of every file under sqm/*/management/commands/."""
    found = []
    for path in sorted(SQM.glob("*/management/commands/*.py")):
        if not path.stem.startswith("_"):
            found.append((f"sqm.{path.parts[-4]}", path.stem))
    return found


def _subcommand_paths(parser: argparse.ArgumentParser) -> list[list[str]]:
    """Every path of subcommand names under PARSER, at any depth (e.g. ["verify"])."""
    paths = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, subparser in action.choices.items():
                paths.append([name])
                paths.extend([name, *deeper] for deeper in _subcommand_paths(subparser))
    return paths


def _invocations() -> list[tuple[str, list[str]]]:
    invocations = []
    for app, name in _commands():
        parser = load_command_class(app, name).create_parser("sqm", name)
        invocations.append((app, [name]))
        invocations.extend((app, [name, *path]) for path in _subcommand_paths(parser))
    return invocations


def _help(app: str, words: list[str], capsys) -> str:
    command = load_command_class(app, words[0])
    with pytest.raises(SystemExit) as exited:
        command.run_from_argv(["sqm", *words, "--help"])
    assert exited.value.code == 0, capsys.readouterr().err
    return capsys.readouterr().out


def test_the_discovery_finds_the_commands_and_subcommands_that_once_crashed():
    invoked = {" ".join(words) for _app, words in _invocations()}
    assert {"demo", "import", "audit", "audit verify", "calendar show", "keys rotate"} <= invoked


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize(
    ("app", "words"), _invocations(), ids=lambda v: " ".join(v) if isinstance(v, list) else None
)
def test_every_command_and_subcommand_prints_its_help(app, words, language, capsys):
    with translation.override(language):
        out = _help(app, words, capsys)
    assert out.startswith(f"usage: sqm {' '.join(words)}")


@pytest.mark.parametrize(("app", "name"), _commands())
def test_every_command_derives_from_the_base_that_resolves_lazy_help(app, name):
    assert isinstance(load_command_class(app, name), BaseCommand)


@pytest.mark.parametrize("name", ["demo", "import", "audit"])
def test_a_lazy_help_text_is_printed_in_the_active_language(name, capsys):
    command = load_command_class("sqm.core", name)
    for language in ("en", "zh-hans"):
        with translation.override(language):
            out = _help("sqm.core", [name], capsys)
            expected = str(command.help)
        # argparse re-wraps the text (and may break Chinese anywhere): compare without spaces.
        assert "".join(expected.split()) in "".join(out.split())
