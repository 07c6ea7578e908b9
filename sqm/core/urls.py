from django.urls import path

from sqm.core import views

app_name = "core"
urlpatterns = [
    path("audit/", views.audit_log, name="audit"),
    path("changelog/", views.change_log, name="changelog"),
    path("imports/", views.imports, name="imports"),
    path("imports/<int:pk>/", views.import_detail, name="import"),
    path("calendar/", views.calendar, name="calendar"),
]
