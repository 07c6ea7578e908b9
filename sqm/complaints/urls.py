from django.urls import path

from sqm.complaints import list_views, views

app_name = "complaints"
urlpatterns = [
    path("intake/", views.intake, name="intake"),
    path("intake/customer/", views.intake_customer, name="intake_customer"),
    path("intake/triage/", views.intake_triage, name="intake_triage"),
    path("intake/suggest/", views.intake_suggest, name="intake_suggest"),
    path("intake/batch-answer/", views.batch_answer, name="batch_answer"),
    path("queue/", list_views.queue, name="queue"),
    path("pool/", list_views.pool, name="pool"),
    path("orders/", list_views.order_list, name="orders"),
    path("orders/export/", list_views.order_export, name="order_export"),
    path("orders/bulk/", list_views.bulk_action, name="bulk"),
    path("orders/<int:pk>/", views.order_detail, name="order"),
    path("orders/<int:pk>/act/<str:action>/", views.order_action, name="order_action"),
    path("orders/<int:pk>/assign/", views.order_assign, name="order_assign"),
    path("orders/<int:pk>/note/", views.order_note, name="order_note"),
    path("orders/<int:pk>/callback/", views.order_callback, name="order_callback"),
    path("orders/<int:pk>/attach/", views.order_attach, name="order_attach"),
    path("orders/<int:pk>/breach-reason/", views.order_breach_reason, name="order_breach"),
    path("orders/<int:pk>/cause/", views.order_link_cause, name="order_cause"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment"),
    path("overview/", list_views.overview, name="overview"),
    path("causes/", views.cause_list, name="causes"),
    path("causes/<int:pk>/", views.cause_detail, name="cause"),
]
