from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplaintsConfig(AppConfig):
    name = "sqm.complaints"
    label = "complaints"
    verbose_name = _("Complaints")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from sqm.complaints import importers, province  # noqa: F401 - importers register

        province.register()  # its part of the generated province and the demo

        from sqm.complaints import notices, sla
        from sqm.complaints.models import Category, SlaPolicy

        for model in (SlaPolicy, Category):
            post_save.connect(sla.forget_policies, sender=model, dispatch_uid=f"sla-{model}")
            post_delete.connect(sla.forget_policies, sender=model, dispatch_uid=f"sla-d-{model}")
        notices.register()
        # The pre-processing panel of the customer and account pages (customers knows no
        # complaints).
        from sqm.complaints import customer_panels

        customer_panels.register()
        from sqm.complaints import fault_panels

        fault_panels.register()  # batch cause and orders on the fault event page
        from sqm.complaints import panels

        panels.register()  # home-page panels
