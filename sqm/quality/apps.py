from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QualityConfig(AppConfig):
    name = "sqm.quality"
    label = "quality"
    verbose_name = _("Service quality")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from sqm.quality import importers, panels, province  # noqa: F401 - importers register
        from sqm.quality.registry import sync_after_migrate

        post_migrate.connect(sync_after_migrate, sender=self)
        panels.register()  # home-page panels
        province.register()  # its part of the generated province and the demo
