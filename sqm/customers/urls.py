from django.urls import path

from sqm.customers import views

app_name = "customers"
urlpatterns = [
    path("", views.customer_list, name="customers"),
    path("<int:pk>/", views.customer_detail, name="customer"),
    path("accounts/", views.account_list, name="accounts"),
    path("accounts/<int:pk>/", views.account_detail, name="account"),
]
