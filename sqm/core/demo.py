"""The demo province and demo users that `sqm demo` sets up once and reuses after.

Core only runs the province parts the apps register (`sqm.core.generator.parts`): the
province is generated once with the parts' demo options, then each part not loaded yet loads
its files, in dependency order, and leaves a marker (`.loaded-<part>`) so that a second run
changes nothing. See docs/generator.md ("Parts").
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group
from django.utils import timezone
from django.utils.translation import gettext

from sqm.core.generator.parts import ProvincePart, ordered_parts
from sqm.core.models import City, User
from sqm.core.roles import ROLES, group_name

# One demo user per role, and a colleague for those who work in a department (the complaint
# part puts them in departments: sqm/complaints/province/demo.py): (user name, role code,
# city codes or None for all cities).
DEMO_USERS: list[tuple[str, str, list[str] | None]] = [
    ("agent", "hotline_agent", ["NJ"]),
    ("firstline", "first_line", ["NJ"]),
    ("firstline2", "first_line", ["NJ"]),
    ("secondline", "second_line", ["NJ", "SZ"]),
    ("secondline2", "second_line", ["NJ", "SZ"]),
    ("billing", "second_line", ["NJ", "SZ"]),
    ("billing2", "second_line", ["NJ"]),
    ("lead", "team_lead", ["NJ"]),
    ("quality", "quality_manager", None),
    ("noc", "network_ops", None),
    ("auditor", "auditor", None),
    ("admin", "administrator", None),
]

# Months of history (complaints, alarms) in the demo, ending today.
DEMO_MONTHS = 6
# The size and seed the demo province was first generated with ("customers=N seed=S").
PROVINCE_MARKER = ".province"


def demo_dir() -> Path:
    return Path(settings.SQM_HOME) / "demo"


@dataclass
class DemoLoad:
    """What a part's demo-load step gets: where the files are and how to import them."""

    out: Path
    customers: int
    seed: int
    today: date
    say: Callable[[str], None]
    files: Mapping[str, str]
    counts: Mapping[str, int] = field(default_factory=dict)  # rows per kind just generated
    # What a part tells the parts after it in this run (the network's live fault event).
    shared: dict[str, Any] = field(default_factory=dict)

    def file(self, kind: str) -> Path:
        return self.out / self.files[kind]

    def wrote(self, kind: str) -> bool:
        """Whether this generation wrote the file of KIND (options may leave one out)."""
        return kind in self.counts

    def import_file(self, kind: str) -> None:
        """`sqm import KIND` of the generated file: the first load of a fresh instance, one
        audited import, no per-row change log. Any bad row stops the demo."""
        from sqm.core.importing import run_import

        self.say(gettext("importing %(kind)s") % {"kind": kind})
        result = run_import(kind, self.file(kind), log_changes=False)
        if not result.ok:
            raise RuntimeError("\n".join(result.error_lines()[:20]))


def marker(part: ProvincePart) -> Path:
    return demo_dir() / f".loaded-{part.name}"


def pending_parts(only: Collection[str] | None = None) -> list[ProvincePart]:
    """The parts (of ONLY, when given) whose files the demo has not loaded yet, in order."""
    return [
        part
        for part in ordered_parts()
        if part.load_demo is not None
        and (only is None or part.name in only)
        and not marker(part).exists()
        and not (part.legacy_marker and (demo_dir() / part.legacy_marker).exists())
    ]


def province_loaded() -> bool:
    return not pending_parts()


def _loaded_as(path: Path, customers: int, seed: int) -> tuple[int, int]:
    """The size and seed a demo province was generated with ("customers=N seed=S")."""
    found = dict(
        part.split("=", 1) for part in path.read_text(encoding="utf-8").split() if "=" in part
    )
    return int(found.get("customers", customers)), int(found.get("seed", seed))


def load_province(
    customers: int,
    seed: int,
    say: Callable[[str], None],
    months: int = DEMO_MONTHS,
    only: Collection[str] | None = None,
    options: Mapping[str, Any] | None = None,
) -> list[str]:
    """Generate the demo province (MONTHS of history ending today) and let each part not
    loaded yet load it, in dependency order; returns the names of the parts loaded.

    A province loaded before keeps its size and seed: the same customers and accounts are
    generated again, and only the parts added since (a new app) load theirs. ONLY limits
    the loading to the parts named; OPTIONS override the parts' demo options."""
    from sqm.core.generator import generate_province

    pending = pending_parts(only)
    if not pending:
        return []
    out = demo_dir()
    out.mkdir(parents=True, exist_ok=True)
    province = out / PROVINCE_MARKER
    if province.exists():
        customers, seed = _loaded_as(province, customers, seed)
    parts = ordered_parts()
    demo_options: dict[str, Any] = {}
    for part in parts:
        demo_options.update(part.demo_options)
    demo_options.update(options or {})
    today = timezone.localdate()
    say(
        gettext(
            "generating a demo province of %(n)s customers (seed %(seed)s) with %(months)s "
            "months of complaints in %(out)s"
        )
        % {"n": f"{customers:,}", "seed": seed, "months": months, "out": out}
    )
    counts = generate_province(
        out, customers=customers, seed=seed, months=months, progress=True, as_of=today,
        **demo_options,
    )  # fmt: skip
    province.write_text(f"customers={customers} seed={seed}\n", encoding="utf-8")
    files = {kind: name for part in parts for kind, name in part.files.items()}
    load = DemoLoad(out, customers, seed, today, say, files, counts)
    for part in pending:
        part.load_demo(load)
        marker(part).write_text(f"customers={customers} seed={seed} as_of={today}\n", "utf-8")
    return [part.name for part in pending]


def ensure_users() -> list[tuple[str, str, str]]:
    """Create missing demo users; returns (user name, role, password) for the new ones only."""
    created = []
    labels = {role.code: role for role in ROLES}
    for username, role_code, city_codes in DEMO_USERS:
        if User.objects.filter(username=username).exists():
            continue
        role = labels[role_code]
        password = secrets.token_urlsafe(9)
        user = User.objects.create_user(
            username=username,
            password=password,
            all_cities=city_codes is None,
            is_staff=role.staff,
            is_superuser=role.superuser,
        )
        user.groups.add(Group.objects.get(name=group_name(role)))
        if city_codes:
            user.cities.set(City.objects.filter(code__in=city_codes))
        created.append((username, str(role.label), password))
    return created
