"""Judge jobs run against the fake OpenAI-compatible server, through the real openai client.

Units run in the test's thread (threads=1), inside the test's transaction; the threaded
lanes and the Celery worker are covered by test_lanes.py and test_worker.py.
"""

import time
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from annotation.errors import HyokaError
from annotation.models import RubricAxis
from judging.models import JudgeCacheEntry, JudgeCall, JudgeJob, JudgeUnit, Verdict, VerdictScore
from judging.selectors import job_item_medians, job_progress
from judging.services import (
    judge_job_create, judge_job_estimate, judge_job_resume, judge_job_retry_failures, judge_job_run,
)
from judging.testing.fake_server import Reply

from .conftest import make_config

QUALITY = {"relevance": 4, "fluency": 5, "accuracy": 3, "detail": 4, "overall": 4}


def run(campaign, config, **options):
    job = judge_job_create(campaign=campaign, config=config)
    judge_job_run(job_id=job.id, threads=1, **options)
    job.refresh_from_db()
    return job


def scores_of(verdict):
    return {score.axis.key: score.score for score in verdict.scores.select_related("axis")}


def lines(scores, labels=("関連性", "流暢性", "正確性", "詳細性", "総合評価")):
    return "理由: 的確です。\n" + "\n".join(f"{label}: {score}" for label, score in zip(labels, scores.values()))


class TestValidScores:
    def test_every_item_gets_a_parsed_verdict_with_its_scores_tokens_and_cost(self, judged_campaign, judge_config, fake_llm):
        fake_llm.script(*[Reply.json({"rationale": "良い", "scores": QUALITY}, prompt_tokens=1000,
                                     completion_tokens=50)] * 4)
        job = run(judged_campaign, judge_config)

        assert job.status == JudgeJob.Status.SUCCEEDED
        verdicts = Verdict.objects.filter(job=job)
        assert verdicts.count() == 4 and {v.parse_status for v in verdicts} == {"ok"}
        first = verdicts.first()
        assert scores_of(first) == QUALITY and first.rationale == "良い" and first.parser_version == "1"
        assert '"scores"' in first.raw_output
        progress = job_progress(job)
        assert (progress.done, progress.failed, progress.total, progress.calls) == (4, 0, 4, 4)
        assert (progress.tokens_in, progress.tokens_out) == (4000, 200)
        # 4 × (1000 × $2 + 50 × $8) / 1e6
        assert progress.cost == Decimal("0.0096")
        assert all(call.latency_ms >= 0 and call.http_status == 200 for call in JudgeCall.objects.filter(job=job))

    def test_the_request_carries_the_schema_sampling_and_the_rendered_item(self, judged_campaign, fake_llm):
        config = make_config(fake_llm, temperature=0.0, seed=42, max_tokens=300)
        run(judged_campaign, config)
        request = fake_llm.requests[0]
        assert request["model"] == "fake-judge" and request["temperature"] == 0 and request["max_tokens"] == 300
        assert request["seed"] == 42
        schema = request["response_format"]["json_schema"]["schema"]
        assert schema["properties"]["scores"]["properties"]["relevance"]["enum"] == [1, 2, 3, 4, 5]
        user = request["messages"][-1]["content"]
        assert "関連性" in user and "富士山です。" in user

    def test_text_output_is_parsed_per_axis(self, judged_campaign, fake_llm):
        config = make_config(fake_llm, output_format="text")
        fake_llm.script(Reply.text(lines(QUALITY) + "\n\n最終評価:\n" + lines({**QUALITY, "overall": 5})))
        job = run(judged_campaign, config)
        assert "response_format" not in fake_llm.requests[0]
        verdict = Verdict.objects.filter(job=job).order_by("item_id").first()
        assert scores_of(verdict)["overall"] == 5  # the last line for an axis wins

    def test_samples_are_aggregated_by_their_median_over_parsed_samples_only(self, judged_campaign, fake_llm):
        config = make_config(fake_llm, samples=3, max_parse_retries=0)
        replies = []
        for overall in (2, 5, None):  # the third sample of each item is malformed
            replies.append(Reply.text("not json") if overall is None
                           else Reply.json({"rationale": "", "scores": {**QUALITY, "overall": overall}}))
        fake_llm.script(*replies * 4)
        job = run(judged_campaign, config)
        assert JudgeUnit.objects.filter(job=job).count() == 12
        assert Verdict.objects.filter(job=job, parse_status="ok").count() == 8
        assert Verdict.objects.filter(job=job, parse_status="parse_error").count() == 4
        medians = job_item_medians(job)
        assert len(medians) == 4 and all(axes["overall"] == 3.5 for axes in medians.values())
        seeds_or_samples = {(len(r["messages"][-1]["content"]), r.get("seed")) for r in fake_llm.requests}
        assert len(fake_llm.requests) == 12 and seeds_or_samples  # one call per (item, sample)


class TestFailuresAreNeverScores:
    def test_malformed_output_is_asked_again_then_parsed(self, judged_campaign, judge_config, fake_llm):
        fake_llm.script(Reply.text("スコアは4です"), Reply.json({"rationale": "", "scores": QUALITY}))
        job = run(judged_campaign, judge_config)
        first_item = Verdict.objects.filter(job=job).order_by("item_id").first()
        assert first_item.parse_status == "ok"
        calls = JudgeCall.objects.filter(job=job, item=first_item.item).order_by("attempt")
        assert [call.outcome for call in calls] == ["parse_error", "ok"]
        assert fake_llm.requests[0]["messages"] == fake_llm.requests[1]["messages"]

    def test_output_malformed_every_time_is_a_parse_failure_without_scores(self, judged_campaign, fake_llm):
        config = make_config(fake_llm, max_parse_retries=2)
        fake_llm.script(*[Reply.json({"rationale": "x", "scores": {**QUALITY, "detail": 9}})] * 3)
        job = run(judged_campaign, config)
        verdict = Verdict.objects.filter(job=job).order_by("item_id").first()
        assert verdict.parse_status == "parse_error" and "detail: 9 is outside 1..5" in verdict.error_message
        assert not verdict.scores.exists() and '"detail": 9' in verdict.raw_output
        assert JudgeCall.objects.filter(job=job, item=verdict.item).count() == 3
        progress = job_progress(job)
        assert (progress.done, progress.failed, progress.failures) == (3, 1, {"parse_error": 1})
        assert progress.error_rates == {"parse_error": round(3 / 6, 4)}

    def test_truncated_output_is_recorded_as_such_and_not_asked_again(self, judged_campaign, judge_config, fake_llm):
        fake_llm.script(Reply.truncated('{"rationale": "長い', completion_tokens=1024))
        job = run(judged_campaign, judge_config)
        verdict = Verdict.objects.filter(job=job).order_by("item_id").first()
        assert verdict.parse_status == "truncated" and not verdict.scores.exists()
        assert len(fake_llm.requests) == 4

    def test_refusals_are_recorded_as_such(self, judged_campaign, judge_config, fake_llm):
        fake_llm.script(Reply.refused("I can't help with that."), Reply.text("申し訳ありませんが、評価できません。"))
        job = run(judged_campaign, judge_config)
        statuses = list(Verdict.objects.filter(job=job).order_by("item_id").values_list("parse_status", flat=True))
        assert statuses[:2] == ["refused", "refused"] and statuses[2:] == ["ok", "ok"]

    def test_a_failed_verdict_cannot_be_given_scores(self, judged_campaign, judge_config):
        verdict = Verdict.objects.create(judge=judge_config, item=judged_campaign.items.first(),
                                         parse_status=Verdict.ParseStatus.PARSE_ERROR)
        axis = RubricAxis.objects.get(rubric=judged_campaign.rubric, key="overall")
        with pytest.raises(IntegrityError), transaction.atomic():
            VerdictScore.objects.create(verdict=verdict, axis=axis, score=3)


class TestRetries:
    def test_429_waits_for_retry_after_then_succeeds(self, judged_campaign, judge_config, fake_llm):
        fake_llm.script(Reply.error(429, "slow down", retry_after=1))
        started = time.monotonic()
        job = run(judged_campaign, judge_config)
        assert time.monotonic() - started >= 1.0
        assert job.status == "succeeded" and Verdict.objects.filter(job=job, parse_status="ok").count() == 4
        first = JudgeCall.objects.filter(job=job).order_by("id")[:2]
        assert [(c.outcome, c.http_status) for c in first] == [("rate_limited", 429), ("ok", 200)]
        assert job_progress(job).call_errors == {"rate_limited": 1}

    def test_5xx_is_retried_a_bounded_number_of_times_then_recorded_as_an_api_error(self, judged_campaign, fake_llm):
        config = make_config(fake_llm, max_attempts=3)
        fake_llm.script(*[Reply.error(500, "boom")] * 3)
        job = run(judged_campaign, config)
        verdict = Verdict.objects.filter(job=job).order_by("item_id").first()
        assert verdict.parse_status == "api_error" and verdict.error_kind == "server_error"
        assert "HTTP 500: boom" in verdict.error_message and not verdict.scores.exists()
        assert len(fake_llm.requests) == 3 + 3
        assert job.status == "succeeded" and job_progress(job).failures == {"api_error": 1}

    def test_slow_replies_time_out_and_are_retried(self, judged_campaign, fake_llm):
        config = make_config(fake_llm, timeout_seconds=1)
        fake_llm.script(Reply.slow(3))
        job = run(judged_campaign, config)
        calls = JudgeCall.objects.filter(job=job).order_by("id")
        assert calls[0].outcome == "timeout" and calls[0].latency_ms >= 900
        assert Verdict.objects.filter(job=job, parse_status="ok").count() == 4

    def test_a_bad_request_fails_the_unit_without_retrying(self, judged_campaign, judge_config, fake_llm):
        fake_llm.script(Reply.error(400, "context too long"))
        job = run(judged_campaign, judge_config)
        verdict = Verdict.objects.filter(job=job).order_by("item_id").first()
        assert (verdict.parse_status, verdict.error_kind) == ("api_error", "bad_request")
        assert len(fake_llm.requests) == 4

    def test_api_errors_can_be_judged_again(self, judged_campaign, fake_llm):
        config = make_config(fake_llm, max_attempts=1)
        fake_llm.script(Reply.error(503, "overloaded"), Reply.error(502, "bad gateway"))
        job = run(judged_campaign, config)
        assert job_progress(job).failed == 2
        assert judge_job_retry_failures(job=job) == 2
        judge_job_run(job_id=job.id, threads=1)
        job.refresh_from_db()
        assert job.status == "succeeded" and job_progress(job).done == 4


class TestPauses:
    @pytest.mark.parametrize("status, words", [
        (401, ["401", "JUDGE_TEST_KEY"]), (403, ["403", "JUDGE_TEST_KEY"]), (404, ["404", "fake-judge", "127.0.0.1"]),
    ])
    def test_auth_and_not_found_pause_the_job_with_a_message_a_lead_can_act_on(
            self, judged_campaign, fake_llm, monkeypatch, status, words):
        monkeypatch.setenv("JUDGE_TEST_KEY", "sk-wrong")
        config = make_config(fake_llm, api_key_env="JUDGE_TEST_KEY")
        fake_llm.script(Reply.error(status, "nope"))
        job = run(judged_campaign, config)
        assert job.status == "paused" and all(word in job.message for word in words), job.message
        assert len(fake_llm.requests) == 1 and not Verdict.objects.filter(job=job).exists()
        assert fake_llm.headers[0]["authorization"] == "Bearer sk-wrong"
        assert JudgeUnit.objects.filter(job=job, lease_token__isnull=False).count() == 0

        judge_job_resume(job=job)
        judge_job_run(job_id=job.id, threads=1)
        job.refresh_from_db()
        assert job.status == "succeeded" and job_progress(job).done == 4 and len(fake_llm.requests) == 5

    def test_a_missing_api_key_variable_pauses_before_any_call(self, judged_campaign, fake_llm, monkeypatch):
        monkeypatch.delenv("JUDGE_MISSING_KEY", raising=False)
        config = make_config(fake_llm, api_key_env="JUDGE_MISSING_KEY")
        job = run(judged_campaign, config)
        assert job.status == "paused" and "JUDGE_MISSING_KEY" in job.message and not fake_llm.requests

    def test_the_budget_cap_pauses_the_job_and_a_higher_budget_resumes_it(self, judged_campaign, fake_llm):
        # Each call costs (1000 × $2 + 0 × $8) / 1e6 = $0.002; the cap is reached after two calls.
        config = make_config(fake_llm, budget=Decimal("0.004"))
        fake_llm.responder = lambda request: Reply.json({"rationale": "", "scores": QUALITY}, prompt_tokens=1000,
                                                        completion_tokens=0)
        job = run(judged_campaign, config)
        assert job.status == "paused" and "0.0040" in job.message
        assert len(fake_llm.requests) == 2 and job_progress(job).done == 2
        with pytest.raises(HyokaError, match="raise the budget"):
            judge_job_resume(job=job)
        judge_job_resume(job=job, budget=Decimal("1"))
        judge_job_run(job_id=job.id, threads=1)
        job.refresh_from_db()
        assert job.status == "succeeded" and len(fake_llm.requests) == 4


class TestCacheAndResume:
    def test_a_second_job_with_the_same_config_makes_no_calls(self, judged_campaign, judge_config, fake_llm):
        first = run(judged_campaign, judge_config)
        assert len(fake_llm.requests) == 4 and JudgeCacheEntry.objects.count() == 4
        estimate = judge_job_estimate(campaign=judged_campaign, config=judge_config)
        assert (estimate.calls, estimate.cached, estimate.cost_max) == (0, 4, 0)

        second = run(judged_campaign, judge_config)
        assert second.status == "succeeded" and len(fake_llm.requests) == 4
        assert Verdict.objects.filter(job=second, parse_status="ok").count() == 4
        progress = job_progress(second)
        assert (progress.calls, progress.cached, progress.cost) == (0, 4, 0)
        assert first.pk != second.pk

    def test_changing_a_sampling_parameter_misses_the_cache(self, judged_campaign, judge_config, fake_llm):
        run(judged_campaign, judge_config)
        judge_config.temperature = 0.7
        judge_config.save()
        run(judged_campaign, judge_config)
        assert len(fake_llm.requests) == 8


class TestJobs:
    def test_estimate_counts_calls_tokens_and_an_upper_bound_on_cost(self, judged_campaign, fake_llm):
        config = make_config(fake_llm, samples=2, max_tokens=500)
        estimate = judge_job_estimate(campaign=judged_campaign, config=config)
        assert (estimate.units, estimate.calls, estimate.cached) == (8, 8, 0)
        assert estimate.input_tokens > 8 * 200 and estimate.output_tokens_max == 4000
        assert estimate.cost_max == estimate.cost_input + Decimal(4000 * 8) / 1_000_000

    def test_one_unfinished_job_per_campaign_and_config(self, judged_campaign, judge_config):
        judge_job_create(campaign=judged_campaign, config=judge_config)
        with pytest.raises(HyokaError, match="already has an unfinished job"):
            judge_job_create(campaign=judged_campaign, config=judge_config)

    def test_a_config_for_another_rubric_is_refused(self, judged_campaign, fake_llm):
        config = make_config(fake_llm, name="safety-judge", rubric_key="safety-5")
        with pytest.raises(HyokaError, match="scores with rubric safety-5"):
            judge_job_create(campaign=judged_campaign, config=config)

    def test_job_verdicts_and_imported_verdicts_of_the_same_judge_coexist(self, judged_campaign, judge_config):
        job = run(judged_campaign, judge_config)
        item = judged_campaign.items.order_by("id").first()
        Verdict.objects.create(judge=judge_config, item=item, parse_status=Verdict.ParseStatus.IMPORTED)
        with pytest.raises(IntegrityError), transaction.atomic():
            Verdict.objects.create(judge=judge_config, job=job, item=item, sample=0)


class TestRecovery:
    def test_jobs_whose_workers_stopped_beating_are_queued_again(self, judged_campaign, fake_llm, settings,
                                                                 django_capture_on_commit_callbacks):
        from django.utils import timezone

        from judging.services import judge_jobs_recover

        settings.HYOKA_JUDGE_LEASE_SECONDS = 5
        long_ago = timezone.now() - timezone.timedelta(seconds=60)
        stale = judge_job_create(campaign=judged_campaign, config=make_config(fake_llm, name="stale"))
        alive = judge_job_create(campaign=judged_campaign, config=make_config(fake_llm, name="alive"))
        lost = judge_job_create(campaign=judged_campaign, config=make_config(fake_llm, name="lost"))
        paused = judge_job_create(campaign=judged_campaign, config=make_config(fake_llm, name="paused"))
        JudgeJob.objects.filter(pk=stale.pk).update(status="running", heartbeat_at=long_ago)
        JudgeJob.objects.filter(pk=alive.pk).update(status="running", heartbeat_at=timezone.now())
        JudgeJob.objects.filter(pk__in=[lost.pk, paused.pk]).update(created_at=long_ago)
        JudgeJob.objects.filter(pk=paused.pk).update(status="paused")

        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            recovered = judge_jobs_recover()
        assert sorted(recovered) == sorted([stale.pk, lost.pk]) and len(callbacks) == 2
        assert judge_jobs_recover() == []  # one recovery per lease: the heartbeat was pushed forward
