"""The base of every `sqm` command: its help texts may be lazy translations.

argparse formats help with `re` and `str` methods, which a lazy translation (`gettext_lazy`)
is not, so `sqm demo --help` used to crash. Commands of our apps derive from `BaseCommand`
here; it turns every help text of the parser and its subparsers into a `str` in the language
active when the parser is built, so a command may write `help = _("…")` at class level.
"""

from __future__ import annotations

import argparse

from django.core.management import base
from django.utils.functional import Promise


def _text(value):
    return str(value) if isinstance(value, Promise) else value


def resolve_help_texts(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """PARSER with the lazy help texts of itself, its arguments and its subparsers (at any
    depth) turned into `str` in the active language."""
    seen: set[int] = set()
    pending = [parser]
    while pending:
        current = pending.pop()
        if id(current) in seen:  # aliases share one subparser
            continue
        seen.add(id(current))
        for attribute in ("description", "epilog", "usage"):
            setattr(current, attribute, _text(getattr(current, attribute)))
        for action in current._actions:
            action.help = _text(action.help)
            action.metavar = _text(action.metavar)
            if isinstance(action, argparse._SubParsersAction):
                # The one-line help of each subcommand sits on a pseudo-action of its own.
                for choice in action._choices_actions:
                    choice.help = _text(choice.help)
                pending.extend(action.choices.values())
    return parser


class BaseCommand(base.BaseCommand):
    """Django's command whose help texts may be lazy translations (see the module text)."""

    def create_parser(self, prog_name: str, subcommand: str, **kwargs) -> base.CommandParser:
        return resolve_help_texts(super().create_parser(prog_name, subcommand, **kwargs))
