from django.urls import path

from judging import generation_views, views

urlpatterns = [
    path("judging/configs/", views.judge_config_list, name="judge_config_list"),
    path("judging/configs/new/", views.judge_config_create, name="judge_config_create"),
    path("judging/configs/<slug:name>/", views.judge_config_edit, name="judge_config_edit"),
    path("campaigns/<slug:slug>/judging/", views.judge_job_list, name="judge_job_list"),
    path("judging/jobs/<uuid:public_id>/", views.judge_job_detail, name="judge_job_detail"),
    path("judging/jobs/<uuid:public_id>/<str:action>/", views.judge_job_action, name="judge_job_action"),
    path("generation/endpoints/", generation_views.model_endpoint_list, name="model_endpoint_list"),
    path("generation/endpoints/new/", generation_views.model_endpoint_create, name="model_endpoint_create"),
    path("generation/endpoints/<slug:name>/", generation_views.model_endpoint_edit, name="model_endpoint_edit"),
    path("campaigns/<slug:slug>/generation/", generation_views.generation_job_list, name="generation_job_list"),
    path("generation/jobs/<uuid:public_id>/", generation_views.generation_job_detail, name="generation_job_detail"),
    path("generation/jobs/<uuid:public_id>/<str:action>/", generation_views.generation_job_action,
         name="generation_job_action"),
]
