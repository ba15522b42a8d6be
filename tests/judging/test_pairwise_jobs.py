"""Pairwise judge jobs against the scripted OpenAI-compatible server: every pair judged in both orders, the
verdicts stored in the item's terms, malformed verdicts counted as failures, and the job's position bias on
its page, in its API and at the end of `judge --wait`."""

import json
from io import StringIO

import pytest
from django.urls import reverse

from annotation.errors import HyokaError
from annotation.models import Campaign, Item
from annotation.services import responses_import
from judging.management.commands.judge import Command as JudgeCommand
from judging.models import JudgeCall, JudgeJob, JudgeUnit, Verdict
from judging.selectors import job_progress
from judging.services import judge_config_save, judge_job_create, judge_job_estimate, judge_job_retry_failures
from judging.testing.fake_server import Reply
from tests.annotation.test_pairwise_imports import BASE, CONTEXT, answers, pairwise_rubric
from tests.judging.test_imports import write_jsonl

from .conftest import make_config
from .test_api import client_for
from .test_runs import run


@pytest.fixture
def pair_campaign(db, tmp_path, lead):
    """An A / B / tie campaign of (CONTEXT, BASE) on q1..q3; CONTEXT's answers are the longer ones."""
    pairwise_rubric(key="pairwise-abt", verdicts=("A", "B", "tie"))
    responses_import(path=str(write_jsonl(tmp_path / "responses.jsonl", answers(models=(CONTEXT, BASE)))),
                     campaign_slug="arena", rubric_key="pairwise-abt", pair=(CONTEXT, BASE))
    campaign = Campaign.objects.get(slug="arena")
    campaign.created_by = lead
    campaign.save(update_fields=["created_by"])
    return campaign


@pytest.fixture
def pair_config(pair_campaign, fake_llm):
    return make_config(fake_llm, name="pair-judge", rubric_key="pairwise-abt", output_format="text")


def stored(job):
    return list(Verdict.objects.filter(job=job).order_by("item__response__prompt__external_id", "order").values_list(
        "item__response__prompt__external_id", "order", "verdict", "parse_status"))


def shown_first(request):
    content = request["messages"][-1]["content"]
    return content.split("[アシスタントAの回答の開始]\n")[1].split("\n")[0]


class TestBothOrders:
    def test_each_pair_is_judged_in_both_orders_and_stored_in_the_items_terms(self, pair_config, pair_campaign,
                                                                              fake_llm):
        fake_llm.script(
            Reply.text("文脈を踏まえたAが良い。\n[[A]]"), Reply.text("後に示されたBが良い。\n[[B]]"),  # q1: CONTEXT both times
            Reply.text("[[A]]"), Reply.text("[[A]]"),  # q2: whichever is shown first
            Reply.text("甲乙つけがたい。\n[[C]]"), Reply.text("[[C]]"),  # q3: a tie both times
        )
        job = run(pair_campaign, pair_config)

        assert job.status == JudgeJob.Status.SUCCEEDED and job.total == 6
        assert sorted(JudgeUnit.objects.filter(job=job).values_list("order", flat=True)) == ["AB"] * 3 + ["BA"] * 3
        assert stored(job) == [("q1", "AB", "A", "ok"), ("q1", "BA", "A", "ok"), ("q2", "AB", "A", "ok"),
                               ("q2", "BA", "B", "ok"), ("q3", "AB", "tie", "ok"), ("q3", "BA", "tie", "ok")]
        assert [shown_first(request) for request in fake_llm.requests[:2]] == [f"{CONTEXT}の答え1", f"{BASE}の答え1"]
        first = Verdict.objects.get(job=job, item__response__prompt__external_id="q1", order="AB")
        assert first.rationale == "文脈を踏まえたAが良い。" and first.raw_output.endswith("[[A]]")
        assert set(JudgeCall.objects.filter(job=job).values_list("order", flat=True)) == {"AB", "BA"}
        assert "[[C]]」: 引き分け" in fake_llm.requests[0]["messages"][-1]["content"]

    def test_the_estimate_counts_both_orders(self, pair_config, pair_campaign):
        estimate = judge_job_estimate(campaign=pair_campaign, config=pair_config)
        assert (estimate.units, estimate.calls) == (6, 6)

    def test_a_structured_verdict_is_read_from_its_schema(self, pair_campaign, fake_llm):
        config = make_config(fake_llm, name="pair-json", rubric_key="pairwise-abt", output_format="json_schema")
        fake_llm.script(Reply.json({"rationale": "Bが具体的", "verdict": "B"}),
                        Reply.json({"rationale": "Aが具体的", "verdict": "A"}))
        job = run(pair_campaign, config)
        schema = fake_llm.requests[0]["response_format"]["json_schema"]["schema"]
        assert schema["properties"]["verdict"] == {"type": "string", "enum": ["A", "B", "C"]}
        assert stored(job)[:2] == [("q1", "AB", "B", "ok"), ("q1", "BA", "B", "ok")]

    def test_a_malformed_verdict_is_a_parse_failure_never_a_verdict(self, pair_campaign, fake_llm):
        config = make_config(fake_llm, name="pair-strict", rubric_key="pairwise-abt", output_format="text",
                             max_parse_retries=1)
        fake_llm.script(Reply.text("[[A]] かと思ったが [[B]]"), Reply.text("Aの方が良い"),  # ambiguous, then none
                        Reply.text("[[D]]"), Reply.text("やはり [[B]]"))  # out of the set, then B shown second
        job = run(pair_campaign, config)

        failed = Verdict.objects.get(job=job, item__response__prompt__external_id="q1", order="AB")
        assert (failed.parse_status, failed.verdict) == ("parse_error", "")
        assert failed.error_message.startswith("no verdict marker ([[A]], [[B]], [[C]])")
        calls = JudgeCall.objects.filter(job=job, item=failed.item, order="AB").order_by("attempt")
        assert [call.outcome for call in calls] == ["parse_error", "parse_error"]
        assert stored(job)[1] == ("q1", "BA", "A", "ok")
        progress = job_progress(job)
        assert (progress.done, progress.failed, progress.failures) == (5, 1, {"parse_error": 1})

    def test_api_errors_are_retried_per_order(self, pair_campaign, fake_llm):
        config = make_config(fake_llm, name="pair-flaky", rubric_key="pairwise-abt", output_format="text",
                             max_attempts=1)
        fake_llm.script(Reply.text("[[A]]"), Reply.error(500))
        job = run(pair_campaign, config)
        assert Verdict.objects.get(job=job, parse_status="api_error").order == "BA"
        assert judge_job_retry_failures(job=job) == 1
        pending = JudgeUnit.objects.get(job=job, status=JudgeUnit.Status.PENDING)
        assert (pending.item.response.prompt.external_id, pending.order) == ("q1", "BA")

    def test_a_second_job_reads_both_orders_from_the_cache(self, pair_config, pair_campaign, fake_llm):
        first = run(pair_campaign, pair_config)
        calls_made = len(fake_llm.requests)
        second = run(pair_campaign, pair_config)
        assert first.status == second.status == JudgeJob.Status.SUCCEEDED
        assert len(fake_llm.requests) == calls_made == 6
        assert [row[:3] for row in stored(second)] == [row[:3] for row in stored(first)]


class TestContextAndTurns:
    def test_the_context_and_every_turn_reach_the_judge_with_the_rubrics_verdicts(self, db, tmp_path, fake_llm):
        pairwise_rubric()  # context-abbn: A / B / both / neither
        records = [{"prompt_id": "m1", "turns": ["敬語とは？", "例を挙げて"], "context": "小学生に向けて、やさしく",
                    "model": model, "responses": [f"{model}の一つ目", f"{model}の二つ目"]} for model in (CONTEXT, BASE)]
        responses_import(path=str(write_jsonl(tmp_path / "r.jsonl", records)), campaign_slug="ctx",
                         rubric_key="context-abbn", pair=(CONTEXT, BASE))
        config = make_config(fake_llm, name="ctx-judge", rubric_key="context-abbn", output_format="text")
        fake_llm.script(Reply.text("[[D]]"), Reply.text("[[C]]"))
        job = run(Campaign.objects.get(slug="ctx"), config)

        ab = fake_llm.requests[0]["messages"][-1]["content"]
        assert "[前提条件]\n小学生に向けて、やさしく" in ab and "前提条件（想定する読者や文体の指定）をどちらの応答が" in ab
        assert ab.index(f"### アシスタントA:\n{CONTEXT}の一つ目") < ab.index(f"### アシスタントA:\n{CONTEXT}の二つ目")
        assert "### ユーザー:\n例を挙げて\n\n### アシスタントB:\n" + f"{BASE}の二つ目" in ab
        assert "「[[C]]」: 両方とも良い" in ab and "「[[D]]」: どちらも良くない" in ab
        assert f"### アシスタントA:\n{BASE}の一つ目" in fake_llm.requests[1]["messages"][-1]["content"]
        assert [row[1:3] for row in stored(job)] == [("AB", "neither"), ("BA", "both")]


class TestRefusals:
    def test_a_likert_config_cannot_judge_a_pairwise_campaign(self, pair_campaign, judge_config):
        with pytest.raises(HyokaError) as caught:
            judge_job_create(campaign=pair_campaign, config=judge_config)
        assert str(caught.value) == (
            "campaign arena is pairwise, but judge fake-judge uses the likert template quality; use a config with "
            "the pairwise template and rubric pairwise-abt.")
        assert not JudgeJob.objects.exists()

    def test_a_pairwise_config_cannot_judge_a_likert_campaign(self, judged_campaign, pair_config):
        with pytest.raises(HyokaError, match="campaign judged is likert, but judge pair-judge uses the pairwise "
                                             "template pairwise; use a config with the quality, safety or mt-bench"):
            judge_job_create(campaign=judged_campaign, config=pair_config)

    @pytest.mark.parametrize("rubric, template, reason", [
        ("pairwise-abt", "quality", "template quality is for likert rubrics, but rubric pairwise-abt is pairwise; "
                                    "choose pairwise."),
        ("quality-5x5", "pairwise", "template pairwise is for pairwise rubrics, but rubric quality-5x5 is likert; "
                                    "choose quality, safety, mt-bench."),
    ])
    def test_a_config_pairs_a_template_with_a_rubric_of_its_kind(self, pair_campaign, fake_llm, rubric, template,
                                                                   reason):
        with pytest.raises(HyokaError) as caught:
            judge_config_save(name="mixed", rubric_key=rubric, template=template, base_url=fake_llm.base_url, model="m")
        assert str(caught.value) == reason

    def test_a_config_moved_to_a_pairwise_rubric_takes_the_pairwise_template(self, pair_campaign, judge_config):
        config, _ = judge_config_save(name=judge_config.name, rubric_key="pairwise-abt")
        assert (config.template, config.inconsistent) == ("pairwise", "tie")


class TestPositionBiasShown:
    @pytest.fixture
    def judged_pairs(self, pair_config, pair_campaign, fake_llm):
        # q1 consistent (CONTEXT); q2 first shown wins both times; q3 CONTEXT, then a tie
        fake_llm.script(*[Reply.text(f"[[{marker}]]") for marker in ("A", "B", "A", "A", "A", "C")])
        return run(pair_campaign, pair_config)

    # Decisive verdicts in the order shown: q1 AB first won, q1 BA first lost, q2 AB and BA first won, q3 AB first
    # won: 4 of 5. The longer response (CONTEXT, the item's A) won q1 twice, q2 AB and q3 AB: 4 of 5.
    EXPECTED = {"consistency": (3, 1), "first_position_wins": (5, 4), "longer_wins": (5, 4)}

    def test_in_the_job_api(self, judged_pairs, lead):
        bias = client_for(lead).get(f"/api/judge-jobs/{judged_pairs.public_id}/").json()["position_bias"]
        assert {name: (bias[name]["n"], bias[name]["count"]) for name in self.EXPECTED} == self.EXPECTED
        assert bias["first_position_wins"]["rate"] == pytest.approx(0.8)

    def test_on_the_job_page(self, judged_pairs, client, lead):
        client.force_login(lead)
        page = client.get(reverse("judge_job_detail", args=[judged_pairs.public_id])).content.decode()
        table = page.split('id="position-bias"')[1].split("</table>")[0]
        assert "<td class=\"number\">1</td><td class=\"number\">3</td>" in table and "33.3%" in table
        assert table.count("80.0%") == 2

    def test_at_the_end_of_judge_wait(self, judged_pairs):
        out = StringIO()
        JudgeCommand(stdout=out).wait_for(judged_pairs)
        assert out.getvalue().splitlines()[-1] == (
            "position bias: consistent in both orders 33.3% (1/3), shown first won 80.0% (4/5), longer won 80.0% (4/5)")

    def test_likert_jobs_have_none(self, judged_campaign, judge_config, lead):
        job = run(judged_campaign, judge_config)
        assert client_for(lead).get(f"/api/judge-jobs/{job.public_id}/").json()["position_bias"] is None
        assert Item.objects.filter(campaign=judged_campaign, response_b__isnull=False).count() == 0
