from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "sqm.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from sqm.core import roles, signals

        signals.connect()
        # Every app's post_migrate: permissions of apps after core exist only by then.
        post_migrate.connect(roles.sync_roles, dispatch_uid="sqm-sync-roles")
