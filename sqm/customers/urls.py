from django.urls import path

from sqm.customers import views

app_name = "customers"
urlpatterns = [
    path("", views.customer_list, name="customers"),
    path("export/", views.customer_export, name="customer_export"),
    path("accounts/export/", views.account_export, name="account_export"),
    path("<int:pk>/", views.customer_detail, name="customer"),
    path("accounts/", views.account_list, name="accounts"),
    path("accounts/<int:pk>/", views.account_detail, name="account"),
]
