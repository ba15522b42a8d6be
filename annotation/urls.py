from django.urls import path

from annotation import views

urlpatterns = [
    path("", views.home, name="home"),
    path("campaigns/<slug:slug>/", views.campaign_detail, name="campaign_detail"),
    path("rubrics/", views.rubric_list, name="rubric_list"),
    path("rubrics/new/", views.rubric_create, name="rubric_create"),
    path("rubrics/<slug:key>/", views.rubric_detail, name="rubric_detail"),
    path("rubrics/<slug:key>/edit/", views.rubric_edit, name="rubric_edit"),
]
