"""URLs under /api/v1/: every app's endpoints, token log-in, the OpenAPI schema and its docs."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from sqm.api import auth as auth_api
from sqm.api.auth import obtain_token
from sqm.complaints import api as complaints_api
from sqm.core import api as core_api
from sqm.customers import api as customers_api
from sqm.network import api as network_api

router = DefaultRouter()
for app_api in (customers_api, network_api, core_api, complaints_api, auth_api):
    app_api.register(router)

urlpatterns = [
    path("", include(router.urls)),
    path("auth/token/", obtain_token, name="auth-token"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
]
