"""The generation API: model endpoints for leads, generation jobs for the campaign's leads."""

import pytest

from judging.models import GenerationJob, ModelEndpoint
from judging.services import generation_job_run
from judging.testing.campaigns import campaign_for_generation
from judging.testing.fake_server import Reply, answer_reply

from ..conftest import make_user
from .test_api import client_for

pytestmark = pytest.mark.django_db


def test_a_lead_creates_reads_and_changes_an_endpoint(lead, fake_llm):
    api = client_for(lead)
    created = api.post("/api/model-endpoints/", {"name": "llm-jp-13b", "base_url": fake_llm.base_url, "model": "m",
                                                 "api_key_env": "", "top_p": 0.9}, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["answers_as"] == "llm-jp-13b" and created.json()["top_p"] == 0.9
    changed = api.patch("/api/model-endpoints/llm-jp-13b/", {"system_prompt": "日本語で答えてください。", "top_p": None},
                        format="json")
    assert changed.status_code == 200 and changed.json()["top_p"] is None
    assert ModelEndpoint.objects.get(name="llm-jp-13b").system_prompt == "日本語で答えてください。"
    bad = api.post("/api/model-endpoints/", {"name": "x", "base_url": fake_llm.base_url, "model": "m",
                                             "temperature": 3}, format="json")
    assert bad.status_code == 400 and "temperature" in bad.json()["detail"]
    assert client_for(make_user("alice2", "annotator")).get("/api/model-endpoints/").status_code == 403


def test_a_job_is_estimated_queued_followed_and_retried(lead, fake_llm):
    campaign = campaign_for_generation(prompts=3, created_by=lead)
    api = client_for(lead)
    api.post("/api/model-endpoints/", {"name": "m1", "base_url": fake_llm.base_url, "model": "m", "api_key_env": "",
                                       "concurrency": 1}, format="json")
    estimate = api.get(f"/api/campaigns/{campaign.slug}/generation-estimate/", {"endpoint": "m1"})
    assert estimate.status_code == 200 and (estimate.json()["units"], estimate.json()["calls"]) == (3, 3)

    created = api.post(f"/api/campaigns/{campaign.slug}/generation-jobs/", {"endpoint": "m1"}, format="json")
    assert created.status_code == 201 and created.json()["status"] == "queued"
    fake_llm.responder = answer_reply
    fake_llm.script(Reply.refused())
    job = GenerationJob.objects.get()
    generation_job_run(job_id=job.id, threads=1)

    shown = api.get(f"/api/generation-jobs/{job.public_id}/").json()
    assert shown["status"] == "succeeded" and (shown["progress"]["done"], shown["progress"]["failed"]) == (2, 1)
    assert {sample["status"] for sample in shown["samples"]} == {"ok", "refused"}
    retried = api.post(f"/api/generation-jobs/{job.public_id}/retry-failures/")
    assert retried.status_code == 200 and retried.json()["status"] == "queued"
    assert api.post(f"/api/generation-jobs/{job.public_id}/cancel/").json()["status"] == "cancelled"
    assert len(api.get(f"/api/campaigns/{campaign.slug}/generation-jobs/").json()) == 1

    stranger = client_for(make_user("olga", "lead"))
    assert stranger.get(f"/api/generation-jobs/{job.public_id}/").status_code == 404
    assert stranger.post(f"/api/generation-jobs/{job.public_id}/pause/").status_code == 404


def test_the_schema_documents_the_generation_api(lead):
    schema = client_for(lead).get("/api/schema/", {"format": "json"}).json()
    assert {"/api/model-endpoints/", "/api/generation-jobs/{public_id}/",
            "/api/campaigns/{slug}/generation-jobs/"} <= set(schema["paths"])
