from django.urls import path

from sqm.network import views

app_name = "network"
urlpatterns = [
    path("olts/", views.olt_list, name="olts"),
    path("olts/export/", views.olt_export, name="olt_export"),
    path("olts/<int:pk>/", views.olt_detail, name="olt"),
    path("ports/<int:pk>/", views.port_detail, name="port"),
]
