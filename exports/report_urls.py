"""The campaign report for leads: the page, and the same numbers as JSON through the API."""

from django.urls import path

from exports import report_api, report_views

urlpatterns = [
    path("campaigns/<slug:slug>/report/", report_views.campaign_report_page, name="campaign_report"),
    path("campaigns/<slug:slug>/report/status/", report_views.campaign_report_status, name="campaign_report_status"),
    path("series/<slug:name>/trajectory/", report_views.series_trajectory_page, name="series_trajectory"),
    path("api/series/<slug:name>/trajectory/", report_api.TrajectoryApi.as_view(), name="api_series_trajectory"),
    path("api/campaigns/<slug:slug>/agreement/", report_api.AgreementApi.as_view(), name="api_agreement"),
    path("api/campaigns/<slug:slug>/meta-eval/", report_api.MetaEvalApi.as_view(), name="api_meta_eval"),
    path("api/campaigns/<slug:slug>/ranking/", report_api.RankingApi.as_view(), name="api_ranking"),
    path("api/campaigns/<slug:slug>/leaderboard/", report_api.LeaderboardApi.as_view(), name="api_leaderboard"),
    path("api/campaigns/<slug:slug>/lengths/", report_api.LengthsApi.as_view(), name="api_lengths"),
    path("api/campaigns/<slug:slug>/checklist/", report_api.ChecklistApi.as_view(), name="api_checklist"),
    path("api/campaigns/<slug:slug>/exam-report/", report_api.ExamReportApi.as_view(), name="api_exam_report"),
]
