"""The generation pages: endpoints for leads; on a campaign, "Generate" with the estimate; a job's progress,
latest answers and buttons."""

import pytest
from django.urls import reverse

from judging.models import GenerationJob, ModelEndpoint
from judging.services import generation_job_run
from judging.testing.campaigns import campaign_for_generation
from judging.testing.fake_server import Reply, answer_reply

from ..conftest import make_user
from .test_generation import make_endpoint

pytestmark = pytest.mark.django_db


def signed_in(client, user):
    client.force_login(user)
    return client


def test_a_lead_lists_creates_and_edits_endpoints(client, lead, fake_llm):
    signed_in(client, lead)
    form = {"name": "llm-jp-13b", "answers_as": "", "base_url": fake_llm.base_url, "model": "llm-jp",
            "api_key_env": "", "temperature": "0.7", "top_p": "", "seed": "", "max_tokens": "1024", "samples": "1",
            "system_prompt": "", "price_input_per_million": "0", "price_output_per_million": "0", "budget": "",
            "concurrency": "8", "requests_per_minute": "0", "timeout_seconds": "60", "max_attempts": "5",
            "description": ""}
    response = client.post(reverse("model_endpoint_create"), form)
    assert response.status_code == 302, response.content.decode()[:2000]
    endpoint = ModelEndpoint.objects.get(name="llm-jp-13b")
    assert endpoint.language_model.name == "llm-jp-13b" and endpoint.temperature == 0.7
    assert "llm-jp-13b" in client.get(reverse("model_endpoint_list")).content.decode()

    bad = client.post(reverse("model_endpoint_edit", args=["llm-jp-13b"]), {**form, "temperature": "0.2",
                                                                            "base_url": "ftp://x"})
    assert bad.status_code == 200 and "field--error" in bad.content.decode()
    refused = client.post(reverse("model_endpoint_edit", args=["llm-jp-13b"]), {**form, "answers_as": "a#2"})
    assert refused.status_code == 200 and "marks samples" in refused.content.decode()
    assert ModelEndpoint.objects.get(name="llm-jp-13b").temperature == 0.7
    assert client.get(reverse("model_endpoint_list"), follow=True).status_code == 200
    annotator = make_user("alice", "annotator")
    assert signed_in(client, annotator).get(reverse("model_endpoint_list")).status_code == 403


def test_generate_from_the_campaign_with_the_estimate_then_follow_the_job(client, lead, fake_llm):
    campaign = campaign_for_generation(prompts=3, created_by=lead)
    make_endpoint(fake_llm)
    signed_in(client, lead)
    page = client.get(reverse("campaign_detail", args=[campaign.slug])).content.decode()
    assert reverse("generation_job_list", args=[campaign.slug]) in page

    estimate = client.get(reverse("generation_job_list", args=[campaign.slug]), {"endpoint": "fake-model"})
    assert 'data-estimate="units">3<' in estimate.content.decode()
    started = client.post(reverse("generation_job_list", args=[campaign.slug]), {"endpoint": "fake-model"})
    job = GenerationJob.objects.get()
    assert started.status_code == 302 and started["Location"] == job.get_absolute_url()

    fake_llm.responder = answer_reply
    fake_llm.script(Reply.error(400))
    generation_job_run(job_id=job.id, threads=1)
    shown = client.get(job.get_absolute_url()).content.decode()
    assert 'data-field="done">2<' in shown and 'data-field="failed">1<' in shown
    assert "への答え" in shown and 'data-action="retry-failures"' in shown

    retried = client.post(reverse("generation_job_action", args=[job.public_id, "retry-failures"]))
    assert retried.status_code == 302
    job.refresh_from_db()
    assert job.status == "queued"
    client.post(reverse("generation_job_action", args=[job.public_id, "cancel"]))
    job.refresh_from_db()
    assert job.status == "cancelled"

    stranger = signed_in(client, make_user("olga", "lead"))
    assert stranger.get(job.get_absolute_url()).status_code == 404
    assert stranger.get(reverse("generation_job_list", args=[campaign.slug])).status_code == 404


def test_a_refusal_to_overwrite_is_shown_on_the_form(client, lead, fake_llm):
    campaign = campaign_for_generation(prompts=1, created_by=lead)
    endpoint = make_endpoint(fake_llm)
    from annotation.models import Response

    Response.objects.create(prompt=campaign.prompts.get(), model=endpoint.language_model, turns=["既存"])
    page = signed_in(client, lead).get(reverse("generation_job_list", args=[campaign.slug]),
                                       {"endpoint": "fake-model"}).content.decode()
    assert "never overwritten" in page and "data-estimate" not in page
    estimate = client.get(reverse("generation_job_list", args=[campaign.slug]),
                          {"endpoint": "fake-model", "new_sample": "on"}).content.decode()
    assert 'data-estimate="units">1<' in estimate
