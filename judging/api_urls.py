from django.urls import path

from judging import api, generation_api

urlpatterns = [
    path("judge-configs/", api.ConfigsApi.as_view(), name="api_judge_configs"),
    path("judge-configs/<slug:name>/", api.ConfigApi.as_view(), name="api_judge_config"),
    path("campaigns/<slug:slug>/judge-jobs/", api.CampaignJobsApi.as_view(), name="api_judge_jobs"),
    path("campaigns/<slug:slug>/judge-estimate/", api.EstimateApi.as_view(), name="api_judge_estimate"),
    path("judge-jobs/<uuid:public_id>/", api.JobApi.as_view(), name="api_judge_job"),
    *[path(f"judge-jobs/<uuid:public_id>/{action}/", api.JobActionApi.as_view(action=action),
           name=f"api_judge_job_{action.replace('-', '_')}")
      for action in ("pause", "resume", "cancel", "retry-failures")],
    path("model-endpoints/", generation_api.EndpointsApi.as_view(), name="api_model_endpoints"),
    path("model-endpoints/<slug:name>/", generation_api.EndpointApi.as_view(), name="api_model_endpoint"),
    path("campaigns/<slug:slug>/generation-jobs/", generation_api.CampaignGenerationJobsApi.as_view(),
         name="api_generation_jobs"),
    path("campaigns/<slug:slug>/generation-estimate/", generation_api.GenerationEstimateApi.as_view(),
         name="api_generation_estimate"),
    path("generation-jobs/<uuid:public_id>/", generation_api.GenerationJobApi.as_view(), name="api_generation_job"),
    *[path(f"generation-jobs/<uuid:public_id>/{action}/", generation_api.GenerationJobActionApi.as_view(action=action),
           name=f"api_generation_job_{action.replace('-', '_')}")
      for action in ("pause", "resume", "cancel", "retry-failures")],
]
