"""URLs under /api/v1/: every app's endpoints, token log-in, the OpenAPI schema and its docs.

The API layer knows no domain app: each installed app that has an `api` module with a
`register(router)` function adds its endpoints (found like Django's admin finds `admin.py`).
The API's own endpoints (tokens; the audit log, change log and alerts over core) come last.
"""

from importlib import import_module

from django.apps import apps
from django.urls import include, path
from django.utils.module_loading import module_has_submodule
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from sqm.api import audit as audit_api
from sqm.api import auth as auth_api
from sqm.api.auth import obtain_token


def app_routes(router: DefaultRouter) -> DefaultRouter:
    """ROUTER with the endpoints of every installed app that registers some, in the order
    of INSTALLED_APPS."""
    for app in apps.get_app_configs():
        if app.name == "sqm.api" or not module_has_submodule(app.module, "api"):
            continue
        register = getattr(import_module(f"{app.name}.api"), "register", None)
        if register is not None:
            register(router)
    return router


router = app_routes(DefaultRouter())
audit_api.register(router)
auth_api.register(router)

urlpatterns = [
    path("", include(router.urls)),
    path("auth/token/", obtain_token, name="auth-token"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
]
