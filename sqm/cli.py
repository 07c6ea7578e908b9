"""The `sqm` console script: every Django management command, plus SQM's own."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sqm.settings")
    from sqm.env import ConfigurationError

    argv = list(sys.argv if argv is None else argv)
    argv[0] = "sqm"
    try:
        from django.core.management import execute_from_command_line

        execute_from_command_line(argv)
    except ConfigurationError as exc:
        print(f"sqm: configuration error: {exc}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
