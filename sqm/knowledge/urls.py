from django.urls import path

from sqm.knowledge import views

app_name = "knowledge"
urlpatterns = [
    path("search/", views.search_page, name="search"),
]
