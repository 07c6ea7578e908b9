from django.urls import path

from sqm.network import fault_views, sms_views, views

app_name = "network"
urlpatterns = [
    path("olts/", views.olt_list, name="olts"),
    path("olts/export/", views.olt_export, name="olt_export"),
    path("olts/<int:pk>/", views.olt_detail, name="olt"),
    path("ports/<int:pk>/", views.port_detail, name="port"),
    path("faults/", fault_views.fault_list, name="faults"),
    path("faults/history/", fault_views.fault_history, name="fault_history"),
    path("faults/unmatched/", fault_views.unmatched_alarms, name="unmatched_alarms"),
    path("faults/<int:pk>/", fault_views.fault_detail, name="fault"),
    path("faults/<int:pk>/estimate/", fault_views.fault_estimate, name="fault_estimate"),
    path("faults/<int:pk>/close/", fault_views.fault_close_stale, name="fault_close_stale"),
    path("faults/close-stale/", fault_views.fault_close_stale_bulk, name="faults_close_stale"),
    path("faults/<int:pk>/progress/", fault_views.fault_progress, name="fault_progress"),
    path("faults/<int:pk>/sms/cancel/", sms_views.sms_cancel, name="fault_sms_cancel"),
    path("sms/", sms_views.sms_list, name="fault_sms"),
    path("sms/resend/", sms_views.sms_resend, name="fault_sms_resend"),
]
