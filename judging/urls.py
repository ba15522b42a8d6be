from django.urls import path

from judging import views

urlpatterns = [
    path("judging/configs/", views.judge_config_list, name="judge_config_list"),
    path("judging/configs/new/", views.judge_config_create, name="judge_config_create"),
    path("judging/configs/<slug:name>/", views.judge_config_edit, name="judge_config_edit"),
    path("campaigns/<slug:slug>/judging/", views.judge_job_list, name="judge_job_list"),
    path("judging/jobs/<uuid:public_id>/", views.judge_job_detail, name="judge_job_detail"),
    path("judging/jobs/<uuid:public_id>/<str:action>/", views.judge_job_action, name="judge_job_action"),
]
