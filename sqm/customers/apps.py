from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "sqm.customers"
    label = "customers"
    verbose_name = _("Customers")

    def ready(self) -> None:
        from sqm.customers import importers, panels, province  # noqa: F401 - importers register

        panels.register()  # home-page panels
        province.register()  # its part of the generated province and the demo
