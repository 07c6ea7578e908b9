"""The monthly report's pages (mounted under /quality/reports/ by quality.urls)."""

from django.urls import path

from sqm.quality import report_views as views

urlpatterns = [
    path("", views.report_list, name="reports"),
    path("<month>/", views.report_detail, name="report"),
    path("<month>/edit/", views.report_edit, name="report_edit"),
    path("<month>/publish/", views.report_publish, name="report_publish"),
    path("<month>/export.<fmt>", views.report_export, name="report_export"),
]
