from django.urls import include, path

app_name = "quality"
urlpatterns = [
    path("reports/", include("sqm.quality.report_urls")),
]
