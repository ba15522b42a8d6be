from django.urls import path

from judging import api

urlpatterns = [
    path("judge-configs/", api.ConfigsApi.as_view(), name="api_judge_configs"),
    path("judge-configs/<slug:name>/", api.ConfigApi.as_view(), name="api_judge_config"),
    path("campaigns/<slug:slug>/judge-jobs/", api.CampaignJobsApi.as_view(), name="api_judge_jobs"),
    path("campaigns/<slug:slug>/judge-estimate/", api.EstimateApi.as_view(), name="api_judge_estimate"),
    path("judge-jobs/<uuid:public_id>/", api.JobApi.as_view(), name="api_judge_job"),
    *[path(f"judge-jobs/<uuid:public_id>/{action}/", api.JobActionApi.as_view(action=action),
           name=f"api_judge_job_{action.replace('-', '_')}")
      for action in ("pause", "resume", "cancel", "retry-failures")],
]
