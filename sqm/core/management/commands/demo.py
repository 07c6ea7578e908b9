"""`sqm demo`: a working platform on the embedded database in one command."""

from __future__ import annotations

from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from sqm.core import demo
from sqm.core.commands import BaseCommand


class Command(BaseCommand):
    help = _(
        "Set up and serve a demo: migrate the embedded database, generate and import a "
        "demo province, create one demo user per role (passwords printed once), then "
        "serve web and worker. Later runs reuse what exists and start in seconds."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--customers",
            type=int,
            default=20_000,
            help=_("customers in the demo province (default 20000)"),
        )
        parser.add_argument("--seed", type=int, default=2026, help=_("generator seed"))
        parser.add_argument(
            "--host",
            default="127.0.0.1",
            help=_(
                "address to serve on (default 127.0.0.1: this machine only; 0.0.0.0 for "
                "other machines of the network)"
            ),
        )
        parser.add_argument(
            "--port", type=int, default=8000, help=_("port to serve on (default 8000)")
        )
        parser.add_argument(
            "--no-serve", action="store_true", help=_("set up only, do not start the server")
        )

    def handle(
        self, *args, customers: int, seed: int, host: str, port: int, no_serve: bool, **options
    ) -> None:
        if customers < 1:
            raise CommandError(gettext("--customers must be at least 1"))
        call_command("migrate", interactive=False, verbosity=0)
        # Users first: the parts' demo steps give them work (queues, batch complaints).
        new_users = demo.ensure_users()
        if not demo.load_province(customers, seed, say=self.stdout.write):
            self.stdout.write(gettext("demo province already loaded; reusing it"))
        if new_users:
            self.stdout.write("\n" + gettext("Demo users (shown only now — note the passwords):"))
            for username, role, password in new_users:
                # Pad by display width: a Chinese character takes two columns.
                pad = 24 - sum(2 if ord(ch) > 0x2E7F else 1 for ch in role)
                self.stdout.write(f"  {username:<12} {role}{' ' * max(pad, 1)}{password}")
            self.stdout.write("")
        else:
            self.stdout.write(
                gettext(
                    "demo users exist (their passwords were printed when they were "
                    "created; `sqm changepassword USER` sets a new one)"
                )
            )
        if not no_serve:
            call_command("serve", host=host, port=port)
