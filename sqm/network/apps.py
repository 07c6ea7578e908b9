from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NetworkConfig(AppConfig):
    name = "sqm.network"
    label = "network"
    verbose_name = _("Network")

    def ready(self) -> None:
        from sqm.network import importers, panels, province  # noqa: F401 - importers register

        panels.register()  # home-page panels
        province.register()  # its part of the generated province and the demo
