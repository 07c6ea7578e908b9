"""Pages of the api app under /accounts/tokens/ (the user's menu)."""

from django.urls import path

from sqm.api import views

app_name = "api_tokens"
urlpatterns = [
    path("", views.token_list, name="list"),
    path("<int:pk>/revoke/", views.token_revoke, name="revoke"),
]
