from django.contrib import admin
from django.urls import include, path

from sqm.core import home, static_views

urlpatterns = [
    path("", home.home, name="home"),
    path("favicon.ico", static_views.favicon, name="favicon"),
    path("accounts/", include("sqm.core.auth_urls")),
    path("accounts/tokens/", include("sqm.api.page_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("core/", include("sqm.core.urls")),
    path("customers/", include("sqm.customers.urls")),
    path("network/", include("sqm.network.urls")),
    path("complaints/", include("sqm.complaints.urls")),
    path("surveys/", include("sqm.surveys.urls")),
    path("knowledge/", include("sqm.knowledge.urls")),
    path("quality/", include("sqm.quality.urls")),
    path("api/v1/", include("sqm.api.urls")),
    path("admin/", admin.site.urls),
]
