"""`sqm keys generate|rotate|status`: personal-data keys."""

from __future__ import annotations

from django.core.management.base import CommandError
from django.db.models import Count

from sqm.core import crypto
from sqm.core.commands import BaseCommand
from sqm.core.keys import personal_models, rotate
from sqm.env import is_production, keyfile, new_data_key


class Command(BaseCommand):
    help = (
        "Personal-data keys. `generate` prints a new key for SQM_DATA_KEY; `rotate` "
        "re-encrypts every row still under an older key (put the new key first in "
        "SQM_DATA_KEY, keep the old ones after it until rotation is done); `status` counts "
        "rows per key id. Outside production, `rotate --new-key` adds a fresh key to the "
        "instance's own key file first."
    )

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("generate", help="print a new `id:base64key`")
        rot = sub.add_parser("rotate", help="re-encrypt rows under older keys")
        rot.add_argument(
            "--new-key",
            action="store_true",
            help="(development) add a new active key to SQM_HOME/keys first",
        )
        sub.add_parser("status", help="rows per key id")

    def handle(self, *args, action: str, **options) -> None:
        if action == "generate":
            self.stdout.write(new_data_key())
        elif action == "status":
            active = crypto.keyring().active_id
            for model in personal_models():
                rows = (
                    model._base_manager.values("pii_key_id")
                    .annotate(n=Count("pk"))
                    .order_by("pii_key_id")
                )
                for row in rows:
                    mark = " (active)" if row["pii_key_id"] == active else ""
                    self.stdout.write(f"{model._meta.label}\t{row['pii_key_id']}{mark}\t{row['n']}")
        else:
            if options["new_key"]:
                self._add_dev_key()
            counts = rotate(
                progress=lambda label, n: self.stderr.write(f"\r{label}: {n}", ending="")
            )
            self.stderr.write("")
            for label, n in counts.items():
                self.stdout.write(f"{label}: {n} row(s) re-encrypted")

    def _add_dev_key(self) -> None:
        from django.conf import settings

        path = keyfile("SQM_DATA_KEY")
        if (
            is_production()
            or not path.exists()
            or settings.SQM_DATA_KEY != path.read_text(encoding="utf-8").strip()
        ):
            raise CommandError(
                "--new-key only works with the generated development key file; "
                "in production put the new key first in SQM_DATA_KEY"
            )
        spec = f"{new_data_key()},{settings.SQM_DATA_KEY}"
        path.write_text(spec + "\n", encoding="utf-8")
        settings.SQM_DATA_KEY = spec
        self.stderr.write(f"new active key {crypto.keyring().active_id} written to {path}")
