from axes import apps as axes_apps
from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "sqm.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from sqm.core import calendar, lookups, roles, signals  # noqa: F401 (lookups registers)

        signals.connect()
        calendar.connect_signals()
        from sqm.core import panels

        panels.register()  # the auditor's home panel
        # After the last app's post_migrate: only then do every app's permissions exist.
        # (Once per migrate, so the audit log gets one entry per changed group.)
        from django.apps import apps

        last_app = [a for a in apps.get_app_configs() if a.models_module is not None][-1]
        post_migrate.connect(roles.sync_roles, sender=last_app, dispatch_uid="sqm-sync-roles")


class AxesConfig(axes_apps.AppConfig):
    """django-axes under a name of ours: it has none, and the admin showed its label, AXES.

    Listed in INSTALLED_APPS by its path; `default = False` so that `sqm.core` still picks
    CoreConfig as its own config (a module with two configs picks none by itself).
    """

    default = False
    verbose_name = _("Sign-in protection")
