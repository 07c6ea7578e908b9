from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "sqm.api"
    label = "api"
    verbose_name = _("API")

    def ready(self) -> None:
        from sqm.api import signals

        signals.connect()
