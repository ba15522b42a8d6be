"""The judging pages: configs for leads, a campaign's jobs for its leads, a job's progress and buttons."""

import pytest
from django.urls import reverse

from judging.models import JudgeConfig, JudgeJob
from judging.services import judge_job_create

from ..conftest import make_user
from .conftest import make_config


@pytest.fixture
def other_lead(db):
    return make_user("olga", "lead")


@pytest.fixture
def job(judged_campaign, judge_config):
    return judge_job_create(campaign=judged_campaign, config=judge_config)


def signed_in(client, user):
    client.force_login(user)
    return client


class TestConfigPages:
    def test_a_lead_lists_creates_and_edits_configs(self, client, lead, fake_llm):
        signed_in(client, lead)
        assert client.get(reverse("judge_config_list")).status_code == 200
        form = {
            "name": "gpt-4o-quality", "rubric_key": "quality-5x5", "template": "quality", "output_format": "json_schema",
            "base_url": fake_llm.base_url, "model": "gpt-4o", "api_key_env": "OPENAI_API_KEY", "temperature": "0",
            "seed": "", "max_tokens": "800", "samples": "3", "price_input_per_million": "2.5",
            "price_output_per_million": "10", "budget": "5", "concurrency": "8", "requests_per_minute": "500",
            "timeout_seconds": "60", "max_attempts": "5", "max_parse_retries": "2", "description": "",
        }
        response = client.post(reverse("judge_config_create"), form)
        assert response.status_code == 302, response.content.decode()[:2000]
        config = JudgeConfig.objects.get(name="gpt-4o-quality")
        assert (config.samples, config.budget, config.template_version) == (3, 5, 1)

        page = client.get(reverse("judge_config_edit", args=["gpt-4o-quality"]))
        assert page.status_code == 200 and 'value="gpt-4o"' in page.content.decode()
        client.post(reverse("judge_config_edit", args=["gpt-4o-quality"]), {**form, "temperature": "0.7"})
        config.refresh_from_db()
        assert config.temperature == 0.7

    def test_a_template_that_does_not_fit_the_rubric_is_explained_on_the_form(self, client, lead, fake_llm):
        signed_in(client, lead)
        response = client.post(reverse("judge_config_create"), {
            "name": "wrong", "rubric_key": "quality-5x5", "template": "mt-bench", "output_format": "text",
            "base_url": fake_llm.base_url, "model": "m", "temperature": "0", "max_tokens": "100", "samples": "1",
            "price_input_per_million": "0", "price_output_per_million": "0", "concurrency": "1",
            "requests_per_minute": "0", "timeout_seconds": "10", "max_attempts": "1", "max_parse_retries": "0",
        })
        assert response.status_code == 200 and "form-errors" in response.content.decode()
        assert "mt-bench" in response.content.decode() and not JudgeConfig.objects.filter(name="wrong").exists()

    def test_annotators_get_403_and_visitors_are_sent_to_sign_in(self, client, annotator):
        assert client.get(reverse("judge_config_list")).status_code == 302
        assert signed_in(client, annotator).get(reverse("judge_config_list")).status_code == 403


class TestJobPages:
    def test_the_estimate_comes_before_the_start(self, client, lead, judged_campaign, judge_config,
                                                 django_capture_on_commit_callbacks):
        signed_in(client, lead)
        url = reverse("judge_job_list", args=[judged_campaign.slug])
        page = client.get(url, {"config": judge_config.name}).content.decode()
        assert 'data-estimate="calls">4<' in page and not JudgeJob.objects.exists()
        with django_capture_on_commit_callbacks() as callbacks:
            response = client.post(url, {"config": judge_config.name})
        job = JudgeJob.objects.get()
        assert response.status_code == 302 and response["Location"] == job.get_absolute_url()
        assert len(callbacks) == 1  # the run is queued once the job is committed

    def test_the_job_page_shows_a_progress_bar_and_the_buttons_of_its_state(self, client, lead, job):
        page = signed_in(client, lead).get(job.get_absolute_url()).content.decode()
        assert '<progress id="job-progress"' in page and 'max="4"' in page
        assert "js/judging-job.js" in page and reverse("api_judge_job", args=[job.public_id]) in page
        assert reverse("judge_job_action", args=[job.public_id, "pause"]) in page
        assert reverse("judge_job_action", args=[job.public_id, "resume"]) not in page

    def test_pages_are_in_japanese_unless_the_user_switches(self, client, lead, job):
        signed_in(client, lead)
        assert "失敗とエラー率" in client.get(job.get_absolute_url()).content.decode()
        client.post(reverse("set_language"), {"language": "en", "next": "/"})
        assert "Failures and error rates" in client.get(job.get_absolute_url()).content.decode()

    def test_pause_resume_and_cancel(self, client, lead, job, django_capture_on_commit_callbacks):
        signed_in(client, lead)
        client.post(reverse("judge_job_action", args=[job.public_id, "pause"]))
        job.refresh_from_db()
        assert job.status == "paused" and "lena" in job.message
        with django_capture_on_commit_callbacks():
            client.post(reverse("judge_job_action", args=[job.public_id, "resume"]), {"budget": ""})
        job.refresh_from_db()
        assert job.status == "queued"
        client.post(reverse("judge_job_action", args=[job.public_id, "cancel"]))
        job.refresh_from_db()
        assert job.status == "cancelled"
        again = client.post(reverse("judge_job_action", args=[job.public_id, "cancel"]), follow=True)
        assert again.status_code == 200 and "message--error" in again.content.decode()

    def test_only_the_campaigns_leads_see_its_jobs(self, client, other_lead, annotator, job):
        signed_in(client, other_lead)
        assert client.get(reverse("judge_job_list", args=[job.campaign.slug])).status_code == 404  # not a member
        assert client.get(job.get_absolute_url()).status_code == 404
        assert client.post(reverse("judge_job_action", args=[job.public_id, "cancel"])).status_code == 404
        signed_in(client, annotator)
        assert client.get(job.get_absolute_url()).status_code == 404
        assert client.get(reverse("judge_job_list", args=["no-such-campaign"])).status_code == 404

    def test_an_unknown_action_is_404(self, client, lead, job):
        response = signed_in(client, lead).post(reverse("judge_job_action", args=[job.public_id, "explode"]))
        assert response.status_code == 404

    def test_a_config_for_another_rubric_is_not_offered(self, client, lead, judged_campaign, fake_llm):
        make_config(fake_llm, name="safety-judge", rubric_key="safety-5")
        page = signed_in(client, lead).get(reverse("judge_job_list", args=[judged_campaign.slug]))
        assert "safety-judge" not in page.content.decode()
