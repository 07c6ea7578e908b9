"""The demo province and demo users that `sqm demo` sets up once and reuses after."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import Group
from django.utils.translation import gettext

from sqm.core.models import City, User
from sqm.core.roles import ROLES, group_name

# One demo user per role: (user name, role code, city codes or None for all cities).
DEMO_USERS: list[tuple[str, str, list[str] | None]] = [
    ("agent", "hotline_agent", ["NJ"]),
    ("firstline", "first_line", ["NJ"]),
    ("secondline", "second_line", ["NJ", "SZ"]),
    ("lead", "team_lead", ["NJ"]),
    ("quality", "quality_manager", None),
    ("noc", "network_ops", None),
    ("auditor", "auditor", None),
    ("admin", "administrator", None),
]


def demo_dir() -> Path:
    return Path(settings.SQM_HOME) / "demo"


def province_loaded() -> bool:
    return (demo_dir() / ".imported").exists()


def load_province(customers: int, seed: int, say: Callable[[str], None]) -> None:
    """Generate the province files and import them (topology, customers, accounts)."""
    import sqm.customers.importers  # noqa: F401 - registers the importers
    import sqm.network.importers  # noqa: F401
    from sqm.core.generator import generate_province
    from sqm.core.importing import run_import

    out = demo_dir()
    out.mkdir(parents=True, exist_ok=True)
    say(
        gettext("generating a demo province of %(n)s customers (seed %(seed)s) in %(out)s")
        % {"n": f"{customers:,}", "seed": seed, "out": out}
    )
    generate_province(out, customers=customers, seed=seed, progress=True)
    for kind in ("topology", "customers", "accounts"):
        say(gettext("importing %(kind)s") % {"kind": kind})
        # The first load of a fresh instance: one audited import, no per-row change log.
        result = run_import(kind, out / f"{kind}.csv", log_changes=False)
        if not result.ok:
            raise RuntimeError("\n".join(result.error_lines()[:20]))
    (out / ".imported").write_text(f"customers={customers} seed={seed}\n", encoding="utf-8")


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
