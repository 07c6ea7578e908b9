from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KnowledgeConfig(AppConfig):
    name = "sqm.knowledge"
    label = "knowledge"
    verbose_name = _("Problem library and knowledge")

    def ready(self) -> None:
        from sqm.knowledge import articles, panels, province, sources

        sources.register()  # what each kind indexes, and the signals that keep it current
        province.register()  # its part of the demo: the search index
        panels.register()  # the problems of a work order, on its page
        articles.register()  # the expiry reminder's wording
