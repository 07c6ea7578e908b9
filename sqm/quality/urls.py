from django.urls import include, path

from sqm.quality import views

app_name = "quality"
urlpatterns = [
    path("", views.dashboard_page, name="dashboard"),
    path("runs/", views.run_list, name="runs"),
    path("runs/<int:pk>/", views.run_detail, name="run"),
    path("indicators/", views.indicator_list, name="indicators"),
    path("indicators/<code>/", views.indicator_detail, name="indicator"),
    path("drill/<code>/", views.drill, name="drill"),
    path("reports/", include("sqm.quality.report_urls")),
]
