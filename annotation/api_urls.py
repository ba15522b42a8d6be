from django.urls import path

from annotation import api, hot_paths, upload_api

urlpatterns = [
    path("campaigns/", api.CampaignsApi.as_view(), name="api_campaigns"),
    path("campaigns/<slug:slug>/members/", api.MembersApi.as_view(), name="api_members"),
    path("campaigns/<slug:slug>/members/<str:username>/", api.MemberApi.as_view(), name="api_member"),
    path("campaigns/<slug:slug>/annotators/<str:handle>/tier/", api.AnnotatorTierApi.as_view(),
         name="api_annotator_tier"),
    path("me/token/", api.MyTokenApi.as_view(), name="api_my_token"),
    path("my-work/", api.MyWorkApi.as_view(), name="api_my_work"),
    path("campaigns/<slug:slug>/next/", hot_paths.next_item, name="api_next_item"),
    path("items/<uuid:public_id>/", api.ItemApi.as_view(), name="api_item"),
    path("items/<uuid:public_id>/draft/", api.DraftApi.as_view(), name="api_draft"),
    path("items/<uuid:public_id>/rating/", hot_paths.rating_submit, name="api_rating"),
    path("items/<uuid:public_id>/known-answer/", api.KnownAnswerApi.as_view(), name="api_known_answer"),
    path("items/<uuid:public_id>/skip/", api.SkipApi.as_view(), name="api_skip"),
    path("campaigns/<slug:slug>/batches/", api.BatchesApi.as_view(), name="api_batches"),
    path("campaigns/<slug:slug>/assign/", api.AssignApi.as_view(), name="api_assign"),
    path("campaigns/<slug:slug>/open/", api.OpenApi.as_view(), name="api_open"),
    path("campaigns/<slug:slug>/progress/", api.ProgressApi.as_view(), name="api_progress"),
    path("campaigns/<slug:slug>/qc/", api.QualityApi.as_view(), name="api_qc"),
    path("campaigns/<slug:slug>/qc/<str:handle>/lift/", api.GoldPauseLiftApi.as_view(), name="api_gold_pause_lift"),
    path("assignments/<uuid:public_id>/reassign/", api.ReassignApi.as_view(), name="api_reassign"),
    path("batches/<uuid:public_id>/close/", api.CloseBatchApi.as_view(), name="api_close_batch"),
    path("campaigns/<slug:slug>/uploads/", upload_api.CampaignUploadsApi.as_view(), name="api_campaign_uploads"),
    path("rubrics/uploads/", upload_api.RubricUploadsApi.as_view(), name="api_rubric_uploads"),
    path("series/<slug:name>/uploads/", upload_api.SeriesUploadsApi.as_view(), name="api_series_uploads"),
    path("uploads/<uuid:public_id>/", upload_api.UploadApi.as_view(), name="api_upload"),
]
