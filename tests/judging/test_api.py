"""The judging API: configs for leads, jobs for the campaign's leads, with token authentication."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from judging.models import JudgeConfig, JudgeJob

from ..conftest import make_user


def client_for(user):
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def test_a_lead_creates_reads_and_changes_a_config(lead, fake_llm):
    api = client_for(lead)
    created = api.post("/api/judge-configs/", {"name": "api-judge", "base_url": fake_llm.base_url, "model": "m",
                                               "api_key_env": "", "samples": 2}, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["rubric"] == "quality-5x5" and created.json()["template"] == "quality"
    changed = api.patch("/api/judge-configs/api-judge/", {"temperature": 0.3, "budget": "2.5"}, format="json")
    assert changed.status_code == 200 and changed.json()["temperature"] == 0.3
    assert [config["name"] for config in api.get("/api/judge-configs/").json()] == ["api-judge"]
    assert JudgeConfig.objects.get(name="api-judge").budget == 2.5


def test_a_bad_config_is_a_400_with_a_reason(lead, fake_llm):
    response = client_for(lead).post("/api/judge-configs/", {
        "name": "x", "base_url": fake_llm.base_url, "model": "m", "rubric": "no-such-rubric"}, format="json")
    assert response.status_code == 400 and "no-such-rubric does not exist" in response.json()["detail"]


def test_configs_are_for_leads(annotator):
    assert client_for(annotator).get("/api/judge-configs/").status_code == 403
    assert APIClient().get("/api/judge-configs/").status_code in (401, 403)


def test_a_job_is_estimated_queued_followed_and_cancelled(lead, judged_campaign, judge_config,
                                                        django_capture_on_commit_callbacks):
    api = client_for(lead)
    estimate = api.get(f"/api/campaigns/{judged_campaign.slug}/judge-estimate/", {"config": judge_config.name})
    assert estimate.status_code == 200 and estimate.json()["calls"] == 4
    with django_capture_on_commit_callbacks():
        created = api.post(f"/api/campaigns/{judged_campaign.slug}/judge-jobs/", {"config": judge_config.name},
                           format="json")
    assert created.status_code == 201
    job_id = created.json()["id"]
    job = api.get(f"/api/judge-jobs/{job_id}/").json()
    assert job["status"] == "queued" and job["config"] == judge_config.name
    assert {"done", "failed", "total", "percent", "error_rates", "cost", "estimate"} <= set(job["progress"])
    assert (job["progress"]["total"], job["progress"]["done"]) == (4, 0)
    assert api.post(f"/api/judge-jobs/{job_id}/cancel/").json()["status"] == "cancelled"
    refused = api.post(f"/api/judge-jobs/{job_id}/pause/")
    assert refused.status_code == 400 and "only queued or running" in refused.json()["detail"]
    assert len(api.get(f"/api/campaigns/{judged_campaign.slug}/judge-jobs/").json()) == 1


def test_others_cannot_see_or_touch_a_campaigns_jobs(lead, judged_campaign, judge_config):
    job = JudgeJob.objects.create(campaign=judged_campaign, config=judge_config, spec={}, total=0)
    stranger = client_for(make_user("olga", "lead"))
    assert stranger.get(f"/api/judge-jobs/{job.public_id}/").status_code == 404
    assert stranger.post(f"/api/judge-jobs/{job.public_id}/cancel/").status_code == 404
    assert stranger.get(f"/api/campaigns/{judged_campaign.slug}/judge-jobs/").status_code == 404  # not a member


def test_the_schema_documents_the_judging_api(lead):
    schema = client_for(lead).get("/api/schema/", {"format": "json"}).json()
    assert "/api/judge-jobs/{public_id}/" in schema["paths"] and "/api/judge-configs/" in schema["paths"]
