from django.urls import path

from sqm.core import calendar_views, views

app_name = "core"
urlpatterns = [
    path("audit/", views.audit_log, name="audit"),
    path("audit/verify/", views.audit_verify, name="audit_verify"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/<int:pk>/open/", views.open_notification, name="notification_open"),
    path("alerts/<int:pk>/acknowledge/", views.acknowledge_alert, name="alert_ack"),
    path("changelog/", views.change_log, name="changelog"),
    path("imports/", views.imports, name="imports"),
    path("imports/<int:pk>/", views.import_detail, name="import"),
    path("calendar/", calendar_views.calendar_page, name="calendar"),
    path("calendar/day/<str:day>/", calendar_views.calendar_day, name="calendar_day"),
    path("calendar/load/", calendar_views.calendar_load, name="calendar_load"),
    path("calendar/periods/", calendar_views.calendar_periods, name="calendar_periods"),
]
