"""The customer side's home-page panel (registered in CustomersConfig.ready()): what the
administrator looks after, customers per city and accounts in use per service."""

from __future__ import annotations

from datetime import datetime

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from sqm.core.home import Figure, Panel, register_panel
from sqm.customers.services import overview


def customers(user, now: datetime) -> dict | None:
    if not user.has_perm("customers.view_customer"):
        return None
    found = overview(user)
    return {
        "title": _("Customers and accounts"),
        "figures": [
            Figure("customers", _("customers"), found["customers"], reverse("customers:customers"))
        ],
        "chart": {
            "axis": found["cities"],
            "bars": [{"name": str(_("customers")), "data": found["customers_per_city"]}],
        },
        "rows_title": _("Accounts in use per service"),
        "rows": [(row["service"], row["n"], "") for row in found["services"]],
    }


def register() -> None:
    register_panel(
        "administrator",
        Panel("customers", "core/panels/numbers.html", customers, 90, charts=True),
    )
