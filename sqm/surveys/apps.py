from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "sqm.surveys"
    label = "surveys"
    verbose_name = _("Surveys")

    def ready(self) -> None:
        from sqm.surveys import importers, panels, province  # noqa: F401 - importers register

        panels.register()  # home-page panels
        province.register()  # its part of the generated province and the demo
