from django.urls import path

from exports import api

urlpatterns = [
    path("datasets/", api.DatasetListApi.as_view(), name="api_datasets"),
    path("datasets/<slug:name>/<str:version>/", api.DatasetApi.as_view(), name="api_dataset"),
    path("campaigns/<slug:slug>/releases/", api.CampaignReleasesApi.as_view(), name="api_campaign_releases"),
    path("campaigns/<slug:slug>/ratings/", api.CampaignRatingsApi.as_view(), name="api_campaign_ratings"),
    path("releases/<uuid:public_id>/", api.ReleaseApi.as_view(), name="api_release"),
    path("releases/<uuid:public_id>/publish/", api.ReleasePublishApi.as_view(), name="api_release_publish"),
    path("releases/<uuid:public_id>/withdraw/", api.ReleaseWithdrawApi.as_view(), name="api_release_withdraw"),
]
