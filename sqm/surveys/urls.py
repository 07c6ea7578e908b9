from django.urls import path

from sqm.surveys import views

app_name = "surveys"
urlpatterns = [
    path("", views.questionnaire_list, name="list"),
    path("<int:pk>/", views.questionnaire_detail, name="questionnaire"),
    path("<int:pk>/models/new/", views.model_edit, name="model_new"),
    path("<int:pk>/models/<int:model_pk>/", views.model_edit, name="model_edit"),
    path("runs/<int:pk>/", views.run_detail, name="run"),
    path("runs/<int:pk>/export.xlsx", views.run_xlsx, name="run_xlsx"),
    path("runs/<int:pk>/export.pdf", views.run_pdf, name="run_pdf"),
]
