from django.urls import path

from sqm.knowledge import analysis_views, article_views, problem_views, views

app_name = "knowledge"
urlpatterns = [
    path("search/", views.search_page, name="search"),
    path("problems/", problem_views.problem_list, name="problems"),
    path("problems/new/", problem_views.problem_new, name="problem_new"),
    path("problems/today/", problem_views.owner_day, name="day"),
    path("problems/<int:pk>/", problem_views.problem_detail, name="problem"),
    path("analysis/", analysis_views.analysis_page, name="analysis"),
    path("handlers/", analysis_views.handler_page, name="handlers"),
    path("articles/", article_views.article_list, name="articles"),
    path("articles/new/", article_views.article_new, name="article_new"),
    path("articles/<int:pk>/", article_views.article_detail, name="article"),
]
