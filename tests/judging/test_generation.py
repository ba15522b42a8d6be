"""Generation jobs run against the fake OpenAI-compatible server, through the real openai client.

Units run in the test's thread (threads=1), inside the test's transaction; the Celery worker is covered by
test_generation_worker.py. The engine is the judge jobs' (test_runs.py, test_lanes.py).
"""

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from annotation.errors import HyokaError
from annotation.models import Item, LanguageModel, Response
from judging.models import Generation, GenerationCall, GenerationJob, JudgeConfig, ModelEndpoint
from judging.selectors import job_progress
from judging.services import (
    generation_job_create, generation_job_estimate, generation_job_retry_failures, generation_job_run,
    model_endpoint_save,
)
from judging.testing.campaigns import campaign_for_generation
from judging.testing.fake_server import Reply, answer_reply

pytestmark = pytest.mark.django_db


@pytest.fixture
def answering_llm(fake_llm):
    fake_llm.responder = answer_reply
    return fake_llm


def make_endpoint(server, name="fake-model", **fields):
    defaults = {"base_url": server.base_url, "model": "fake-model-at-endpoint", "api_key_env": "", "concurrency": 1,
                "timeout_seconds": 5, "price_input_per_million": 2, "price_output_per_million": 8}
    endpoint, _ = model_endpoint_save(name=name, **{**defaults, **fields})
    return endpoint


def generate(campaign, endpoint, **options):
    job = generation_job_create(campaign=campaign, endpoint=endpoint, **options)
    generation_job_run(job_id=job.id, threads=1)
    job.refresh_from_db()
    return job


class TestEndpoints:
    def test_the_command_creates_an_endpoint_that_answers_as_a_language_model(self, capsys):
        call_command("model_endpoint", "llm-jp-13b", "--base-url", "http://127.0.0.1:9/v1", "--model", "llm-jp",
                     "--api-key-env", "", "--temperature", "0.7", "--top-p", "0.9", "--samples", "2",
                     "--system-prompt", "丁寧に答えてください。", "--rpm", "120")
        endpoint = ModelEndpoint.objects.get(name="llm-jp-13b")
        assert endpoint.language_model.name == "llm-jp-13b"
        assert (endpoint.temperature, endpoint.top_p, endpoint.samples, endpoint.requests_per_minute) == (0.7, 0.9, 2, 120)
        assert "answers as llm-jp-13b, 2 sample(s)" in capsys.readouterr().out

        call_command("model_endpoint", "llm-jp-13b-vllm", "--base-url", "http://127.0.0.1:9/v1", "--model", "x",
                     "--answers-as", "llm-jp-13b")
        assert ModelEndpoint.objects.get(name="llm-jp-13b-vllm").language_model == endpoint.language_model

    def test_bad_settings_are_refused_with_what_is_wrong(self):
        with pytest.raises(CommandError, match="not an http"):
            call_command("model_endpoint", "bad", "--base-url", "ftp://x", "--model", "m")
        with pytest.raises(CommandError, match="top_p"):
            call_command("model_endpoint", "bad", "--base-url", "http://127.0.0.1:9/v1", "--model", "m",
                         "--top-p", "1.5")
        with pytest.raises(CommandError, match="marks samples"):
            call_command("model_endpoint", "bad#2", "--base-url", "http://127.0.0.1:9/v1", "--model", "m")
        assert not ModelEndpoint.objects.exists()

    def test_judge_configs_share_the_connection_settings_and_keep_working(self):
        call_command("judge_config", "judge-a", "--base-url", "http://127.0.0.1:9/v1", "--model", "gpt")
        config = JudgeConfig.objects.get(name="judge-a")
        assert config.top_p is None and config.endpoint_label == "gpt @ http://127.0.0.1:9/v1"
        with pytest.raises(CommandError, match="not an http"):
            call_command("judge_config", "judge-b", "--base-url", "nope", "--model", "gpt")


class TestGeneration:
    def test_every_prompt_is_answered_turn_by_turn_with_the_models_own_earlier_answers(self, answering_llm):
        campaign = campaign_for_generation(prompts=2, turns=2)
        endpoint = make_endpoint(answering_llm, system_prompt="あなたは親切なアシスタントです。", temperature=0.5,
                                 seed=7)
        job = generate(campaign, endpoint)

        assert job.status == "succeeded" and job.total == 2
        responses = Response.objects.filter(model__name="fake-model").order_by("prompt_id")
        assert [len(response.turns) for response in responses] == [2, 2]
        first, second = answering_llm.requests[0], answering_llm.requests[1]
        assert first["messages"][0] == {"role": "system", "content": "あなたは親切なアシスタントです。"}
        assert [message["role"] for message in second["messages"]] == ["system", "user", "assistant", "user"]
        assert second["messages"][2]["content"] == responses[0].turns[0]  # the model's own first answer
        assert second["messages"][3]["content"].startswith("質問0の2ターン目")
        assert first["model"] == "fake-model-at-endpoint" and first["temperature"] == 0.5 and first["seed"] == 7
        # likert: one item per response, as an import makes them
        assert set(Item.objects.filter(campaign=campaign).values_list("response_id", flat=True)) == \
            set(responses.values_list("id", flat=True))
        generation = Generation.objects.get(response=responses[0])
        assert generation.model_at_endpoint == "fake-model-at-endpoint" and generation.finish_reasons == ["stop", "stop"]
        assert generation.seed == 7 and generation.sampling["temperature"] == 0.5
        assert generation.tokens_out == 2000 and generation.cost > 0 and generation.base_url == answering_llm.base_url
        assert job_progress(job).done == 2 and job_progress(job).calls == 4

    @pytest.mark.parametrize("placement", ["system", "before_question"])
    def test_the_context_goes_where_the_campaign_says(self, answering_llm, placement):
        campaign = campaign_for_generation(prompts=1, context="小学生に説明するように。", context_placement=placement)
        generate(campaign, make_endpoint(answering_llm))
        messages = answering_llm.requests[0]["messages"]
        if placement == "system":
            assert messages[0] == {"role": "system", "content": "小学生に説明するように。"}
            assert messages[1]["content"].startswith("質問0")
        else:
            assert [message["role"] for message in messages] == ["user"]
            assert messages[0]["content"].startswith("小学生に説明するように。\n\n質問0")

    def test_truncated_refused_and_api_errors_are_typed_failures_never_responses(self, answering_llm):
        campaign = campaign_for_generation(prompts=4)
        answering_llm.script(Reply.truncated("富士山は"), Reply.refused(), *[Reply.error(500)] * 3, Reply.text(""))
        job = generate(campaign, make_endpoint(answering_llm, max_attempts=3))

        statuses = dict(Generation.objects.filter(job=job).values_list("prompt__external_id", "status"))
        assert statuses == {"q0": "truncated", "q1": "refused", "q2": "api_error", "q3": "ok"}
        assert list(Response.objects.filter(model__name="fake-model").values_list("turns", flat=True)) == [[""]]
        assert Item.objects.filter(campaign=campaign).count() == 1  # an empty answer is a response to rate
        progress = job_progress(job)
        assert (progress.done, progress.failed) == (1, 3)
        assert progress.call_errors == {"server_error": 3, "truncated": 1, "refused": 1}
        assert progress.failures == {"truncated": 1, "refused": 1, "api_error": 1}
        assert Generation.objects.get(job=job, status="truncated").raw_output == "富士山は"

        assert generation_job_retry_failures(job=job) == 3
        generation_job_run(job_id=job.id, threads=1)
        job.refresh_from_db()
        assert job.status == "succeeded" and Response.objects.filter(model__name="fake-model").count() == 4
        assert len(answering_llm.requests) == 6 + 3  # the retry asked the endpoint, not the cache

    def test_a_429_is_waited_out_as_retry_after_says(self, answering_llm):
        campaign = campaign_for_generation(prompts=1)
        answering_llm.script(Reply.error(429, retry_after=0.3))
        job = generate(campaign, make_endpoint(answering_llm))
        assert job.status == "succeeded"
        calls = list(GenerationCall.objects.filter(job=job).order_by("id").values_list("outcome", flat=True))
        assert calls == ["rate_limited", "ok"]

    def test_a_401_pauses_the_job_with_what_to_fix(self, answering_llm):
        campaign = campaign_for_generation(prompts=2)
        answering_llm.script(Reply.error(401))
        job = generate(campaign, make_endpoint(answering_llm))
        assert job.status == "paused" and "HTTP 401" in job.message and "fake-model-at-endpoint" in job.message
        assert not Generation.objects.filter(job=job).exists()

    def test_the_budget_pauses_the_job(self, answering_llm):
        campaign = campaign_for_generation(prompts=5)
        job = generate(campaign, make_endpoint(answering_llm, budget=Decimal("0.01")))
        assert job.status == "paused" and "$0.0100" in job.message
        assert 0 < Response.objects.filter(model__name="fake-model").count() < 5


class TestRerunsAndOwnership:
    def test_rerunning_makes_no_call_and_the_estimate_counts_only_what_is_missing(self, answering_llm):
        campaign = campaign_for_generation(prompts=3, turns=2)
        endpoint = make_endpoint(answering_llm)
        estimate = generation_job_estimate(campaign=campaign, endpoint=endpoint)
        assert (estimate.units, estimate.calls, estimate.output_tokens_max) == (3, 6, 6 * 2048)
        generate(campaign, endpoint)
        asked = len(answering_llm.requests)

        again = generate(campaign, endpoint)
        assert again.status == "succeeded" and again.total == 0 and "fake-model" in again.message
        assert len(answering_llm.requests) == asked
        assert generation_job_estimate(campaign=campaign, endpoint=endpoint).units == 0

    def test_a_second_campaign_on_the_same_prompts_gets_its_items_without_a_call(self, answering_llm):
        first = campaign_for_generation(slug="first", prompts=2)
        endpoint = make_endpoint(answering_llm)
        generate(first, endpoint)
        asked = len(answering_llm.requests)
        second = campaign_for_generation(slug="second", prompts=0)
        second.prompts.set(first.prompts.all())

        job = generate(second, endpoint)
        assert job.total == 0 and len(answering_llm.requests) == asked
        assert Item.objects.filter(campaign=second).count() == 2

    def test_a_second_endpoint_for_the_same_model_refuses_to_mix_answers_unless_a_new_sample(self, answering_llm):
        campaign = campaign_for_generation(prompts=2)
        generate(campaign, make_endpoint(answering_llm))
        other = make_endpoint(answering_llm, name="fake-model-vllm", answers_as="fake-model")

        with pytest.raises(HyokaError, match="never overwritten.*--answers-as.*--new-sample"):
            generation_job_create(campaign=campaign, endpoint=other)
        job = generate(campaign, other, new_sample=True)
        assert job.status == "succeeded" and job.first_sample == 1
        assert Response.objects.filter(model__name="fake-model#2").count() == 2
        assert Response.objects.filter(model__name="fake-model").count() == 2

    def test_samples_beyond_the_first_are_stored_as_models_of_their_own(self, answering_llm):
        campaign = campaign_for_generation(prompts=2)
        job = generate(campaign, make_endpoint(answering_llm, samples=2, seed=1))
        assert job.total == 4
        assert Response.objects.filter(model__name__in=["fake-model", "fake-model#2"]).count() == 4
        assert LanguageModel.objects.filter(name="fake-model#2").exists()
        assert {request["seed"] for request in answering_llm.requests} == {1, 2}

    def test_imported_responses_of_the_model_are_never_overwritten(self, answering_llm):
        campaign = campaign_for_generation(prompts=1)
        endpoint = make_endpoint(answering_llm)
        prompt = campaign.prompts.get()
        Response.objects.create(prompt=prompt, model=endpoint.language_model, turns=["輸入した答え"])
        with pytest.raises(HyokaError, match="made by: import"):
            generation_job_create(campaign=campaign, endpoint=endpoint)


class TestPairwise:
    def test_the_items_of_a_pair_are_made_once_both_models_answered(self, answering_llm):
        campaign = campaign_for_generation(prompts=3, rubric_key="preference-3", pair=("model-a", "model-b"))
        generate(campaign, make_endpoint(answering_llm, name="model-a"))
        assert not Item.objects.filter(campaign=campaign).exists()

        generate(campaign, make_endpoint(answering_llm, name="model-b"))
        items = Item.objects.filter(campaign=campaign).select_related("response__model", "response_b__model")
        assert items.count() == 3
        assert {(item.response.model.name, item.response_b.model.name) for item in items} == {("model-a", "model-b")}


def test_a_campaign_without_prompts_says_how_to_add_them(answering_llm):
    campaign = campaign_for_generation(prompts=0)
    with pytest.raises(HyokaError, match="import_prompts"):
        generation_job_create(campaign=campaign, endpoint=make_endpoint(answering_llm))


def test_an_unfinished_job_blocks_a_second(answering_llm):
    campaign = campaign_for_generation(prompts=1)
    endpoint = make_endpoint(answering_llm)
    generation_job_create(campaign=campaign, endpoint=endpoint)
    with pytest.raises(HyokaError, match="unfinished job"):
        generation_job_create(campaign=campaign, endpoint=endpoint)
    assert GenerationJob.objects.count() == 1
