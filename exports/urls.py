"""URLs of releases: the public datasets pages (and file downloads), and the lead's release pages."""

from django.urls import path

from exports import api, views

urlpatterns = [
    path("datasets/", views.dataset_list, name="dataset_list"),
    path("datasets/<slug:name>/<str:version>/", views.dataset_detail, name="dataset_detail"),
    path("datasets/<slug:name>/<str:version>/report/", views.dataset_report, name="dataset_report"),
    # A DRF view, so that scripts can download restricted files with an API token as well as a session.
    path("datasets/<slug:name>/<str:version>/files/<path:path>", api.DatasetFileApi.as_view(), name="dataset_file"),
    path("campaigns/<slug:slug>/releases/", views.campaign_releases, name="campaign_releases"),
    path("releases/<uuid:public_id>/", views.release_manage, name="release_manage"),
    path("releases/<uuid:public_id>/publish/", views.release_publish, name="release_publish"),
    path("releases/<uuid:public_id>/withdraw/", views.release_withdraw, name="release_withdraw"),
    path("releases/<uuid:public_id>/rebuild/", views.release_rebuild, name="release_rebuild"),
    path("releases/<uuid:public_id>/discard/", views.release_discard, name="release_discard"),
]
