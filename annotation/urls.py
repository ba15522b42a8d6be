from django.urls import path

from annotation import adjudication_views, exam_views, quality_views, series_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("profile/", views.profile, name="profile"),
    path("campaigns/new/", views.campaign_create, name="campaign_create"),
    path("campaigns/<slug:slug>/", views.campaign_detail, name="campaign_detail"),
    path("rubrics/", views.rubric_list, name="rubric_list"),
    path("rubrics/new/", views.rubric_create, name="rubric_create"),
    path("rubrics/<slug:key>/", views.rubric_detail, name="rubric_detail"),
    path("rubrics/<slug:key>/edit/", views.rubric_edit, name="rubric_edit"),
    path("series/", series_views.series_list, name="series_list"),
    path("series/new/", series_views.series_new, name="series_new"),
    path("series/<slug:name>/checkpoints/add/", series_views.checkpoint_add, name="series_checkpoint_add"),
    # Annotators
    path("my-work/", views.my_work, name="my_work"),
    path("campaigns/<slug:slug>/next/", views.item_next, name="item_next"),
    path("campaigns/<slug:slug>/my-ratings/", views.my_ratings, name="my_ratings"),
    path("items/<uuid:public_id>/", views.item_rate, name="item_rate"),
    path("campaigns/<slug:slug>/figures/<str:name>", exam_views.exam_figure, name="exam_figure"),
    # Leads
    path("campaigns/<slug:slug>/manage/", views.campaign_manage, name="campaign_manage"),
    path("campaigns/<slug:slug>/members/add/", views.member_add, name="member_add"),
    path("campaigns/<slug:slug>/exam-license/", views.exam_license, name="exam_license"),
    path("campaigns/<slug:slug>/members/<str:username>/remove/", views.member_remove, name="member_remove"),
    path("campaigns/<slug:slug>/annotators/<str:handle>/tier/", views.annotator_tier, name="annotator_tier"),
    path("campaigns/<slug:slug>/batches/cut/", views.batches_cut, name="batches_cut"),
    path("campaigns/<slug:slug>/batches/assign/", views.batches_assign, name="batches_assign"),
    path("campaigns/<slug:slug>/open/", views.campaign_open, name="campaign_open"),
    path("campaigns/<slug:slug>/assignments/", views.campaign_assignments_page, name="campaign_assignments"),
    path("campaigns/<slug:slug>/progress/", views.campaign_progress_page, name="campaign_progress"),
    path("campaigns/<slug:slug>/qc/", quality_views.campaign_qc_page, name="campaign_qc"),
    path("campaigns/<slug:slug>/qc/settings/", quality_views.campaign_qc_settings, name="campaign_qc_settings"),
    path("campaigns/<slug:slug>/qc/gold/", quality_views.gold_answer_add, name="campaign_gold_answer_add"),
    path("campaigns/<slug:slug>/qc/<str:handle>/lift/", quality_views.gold_pause_lift, name="campaign_gold_pause_lift"),
    path("campaigns/<slug:slug>/progress.csv", views.campaign_progress_csv, name="campaign_progress_csv"),
    # Leads and adjudicators
    path("campaigns/<slug:slug>/adjudication/", adjudication_views.adjudication_queue_page, name="adjudication_queue"),
    path("campaigns/<slug:slug>/adjudication/settings/", adjudication_views.adjudication_settings,
         name="adjudication_settings"),
    path("campaigns/<slug:slug>/adjudication/<uuid:public_id>/", adjudication_views.item_adjudicate,
         name="item_adjudicate"),
    path("batches/<uuid:public_id>/close/", views.batch_close, name="batch_close"),
    path("assignments/<uuid:public_id>/reassign/", views.assignment_reassign, name="assignment_reassign"),
]
