"""The `meta_eval` command: a judge's scores against the human ratings, as a table per axis or as JSON."""

import io
import json

import pytest
from django.core.management import CommandError, call_command

from annotation.agreement_selectors import campaign_item_models, campaign_ratings
from annotation.models import Item
from annotation.services import ratings_import, responses_import
from judging import meta_eval
from judging.meta_eval_selectors import judge_scores
from judging.verdict_selectors import judge_for_report, judge_verdicts
from judging.models import JudgeConfig, JudgeJob, Verdict, VerdictScore
from judging.services import verdicts_import
from tests.exports.report_factories import QUALITY_AXES, human_records, judge_records, rated_campaign, write_jsonl

pytestmark = pytest.mark.django_db


def run(*arguments):
    out = io.StringIO()
    call_command("meta_eval", *arguments, stdout=out)
    return out.getvalue()


@pytest.fixture
def campaign(tmp_path):
    return rated_campaign(tmp_path, prompts=10, samples=3)


def test_json_is_one_object_keyed_by_axis_with_the_run_in_meta(campaign):
    report = json.loads(run("--campaign", campaign.slug, "--judge", "gpt-4o-judge", "--json", "--replicates", "200"))

    assert list(report) == ["meta", *QUALITY_AXES]
    assert report["meta"] == {
        "campaign": campaign.slug, "rubric": "quality-5x5", "judge": "gpt-4o-judge", "judge_external": True,
        "job": None, "level": "ordinal", "replicates": 200, "confidence": 0.95, "seed": 0, "n_human_scores": 300,
        "n_judge_scores": 450, "verdicts_by_status": {"imported": 90}, "reason": None,
    }
    overall = report["overall"]
    assert overall["instance"]["n_items"] == 30 and overall["system"]["n_models"] == 3
    assert overall["instance"]["pearson"]["low"] < overall["instance"]["pearson"]["value"]
    assert overall["instance"]["bias"]["value"] > 0  # the factories' judge is lenient
    assert sum(map(sum, overall["instance"]["confusion"]["counts"])) == 30


def test_json_numbers_are_those_of_the_statistics_core(campaign):
    report = json.loads(run("--campaign", campaign.slug, "--judge", "gpt-4o-judge", "--json", "--replicates", "50",
                            "--seed", "9", "--level", "interval"))
    verdicts, _ = judge_verdicts(campaign, judge_for_report("gpt-4o-judge"))
    core = meta_eval.meta_eval_report(campaign_ratings(campaign), judge_scores(verdicts, campaign),
                                      campaign_item_models(campaign), judge_name="gpt-4o-judge", level="interval",
                                      replicates=50, seed=9)
    expected = next(axis for axis in core.as_dict()["axes"] if axis["axis"] == "detail")
    assert report["detail"] == json.loads(json.dumps(expected))


def test_the_table_shows_correlations_with_intervals_errors_system_level_and_ceiling(campaign):
    text = run("--campaign", campaign.slug, "--judge", "gpt-4o-judge", "--replicates", "100")
    report = json.loads(run("--campaign", campaign.slug, "--judge", "gpt-4o-judge", "--json", "--replicates", "100"))

    assert text.startswith("Judge gpt-4o-judge (imported verdicts; verdicts: 90 imported) against the humans of "
                           f"campaign {campaign.slug}")
    section = text.split("\nfluency: ", 1)[1].split("\n\n", 1)[0]
    fluency = report["fluency"]
    for name, label in (("pearson", "Pearson r"), ("spearman", "Spearman rho"), ("kendall_tau_b", "Kendall tau-b"),
                        ("mae", "MAE"), ("bias", "bias")):
        judge, ceiling = fluency["instance"][name], fluency["ceiling"][name]
        row = next(line for line in section.splitlines() if line.startswith(label))
        assert f"{judge['value']:.3f} [{judge['low']:.3f}, {judge['high']:.3f}]" in row
        assert f"{ceiling['value']:.3f} [{ceiling['low']:.3f}, {ceiling['high']:.3f}]" in row
    assert f"system level (3 models): Pearson {fluency['system']['pearson']['value']:.3f}" in section
    assert "llm-jp-13b" in section and "human mean" in section


def test_a_safety_axis_gets_useful_and_violation_rates(tmp_path):
    responses_import(path=write_jsonl(tmp_path / "r.jsonl", [
        {"prompt_id": f"q{p}", "prompt": "質問", "model": m, "response": "答え"} for p in range(4) for m in "ab"]),
        campaign_slug="safe", rubric_key="safety-5")
    ratings_import(path=write_jsonl(tmp_path / "h.jsonl", [
        {"prompt_id": f"q{p}", "model": m, "annotator": a, "scores": {"safety": 1 + (p + len(a)) % 5}}
        for p in range(4) for m in "ab" for a in ("ayumi", "kenta")]), campaign_slug="safe")
    verdicts_import(path=write_jsonl(tmp_path / "j.jsonl", [
        {"prompt_id": f"q{p}", "model": m, "scores": {"safety": 5 - p}} for p in range(4) for m in "ab"]),
        campaign_slug="safe", judge_name="safety-judge")

    report = json.loads(run("--campaign", "safe", "--judge", "safety-judge", "--json", "--replicates", "0"))
    useful = report["safety"]["safety"]["useful"]
    assert (useful["judge_count"], useful["judge_total"], useful["human_total"]) == (4, 8, 16)
    text = run("--campaign", "safe", "--judge", "safety-judge", "--replicates", "0")
    assert "useful (>= 4): human" in text and "judge 50.0% (4/8)" in text and "violations (<= 2)" in text


def test_an_axis_without_human_scores_says_so(tmp_path):
    campaign = rated_campaign(tmp_path, prompts=4, ratings=human_records(4, axes=("overall",)))
    report = json.loads(run("--campaign", campaign.slug, "--judge", "gpt-4o-judge", "--json", "--replicates", "0"))
    assert report["relevance"] == {"axis": "relevance", "reason": "no human scores on this axis"}
    assert "relevance: no human scores on this axis" in run("--campaign", campaign.slug, "--judge", "gpt-4o-judge")


def test_failed_verdicts_are_counted_and_left_out(campaign):
    judge = JudgeConfig.objects.get(name="gpt-4o-judge")
    Verdict.objects.create(judge=judge, item=Item.objects.filter(campaign=campaign).first(), sample=7,
                           parse_status="refused")
    report = json.loads(run("--campaign", campaign.slug, "--judge", "gpt-4o-judge", "--json", "--replicates", "0"))
    assert report["meta"]["verdicts_by_status"] == {"imported": 90, "refused": 1}
    assert report["meta"]["n_judge_scores"] == 450


@pytest.mark.parametrize("arguments, message", [
    (["--campaign", "nope", "--judge", "gpt-4o-judge"], "no campaign 'nope'"),
    (["--campaign", "jp-report", "--judge", "nobody"], "no judge 'nobody'"),
])
def test_unknown_campaign_or_judge_is_an_error(campaign, arguments, message):
    with pytest.raises(CommandError, match=message):
        run(*arguments)


def test_nothing_to_compare_is_an_error(tmp_path):
    rated_campaign(tmp_path, slug="unrated", prompts=2, ratings=[])
    with pytest.raises(CommandError, match="campaign unrated has no ratings yet"):
        run("--campaign", "unrated", "--judge", "gpt-4o-judge")
    rated_campaign(tmp_path, slug="unjudged", prompts=2, judge=None)
    with pytest.raises(CommandError, match="judge gpt-4o-judge has no scores in campaign unjudged"):
        run("--campaign", "unjudged", "--judge", "gpt-4o-judge")
    records = judge_records(3)
    rated_campaign(tmp_path, slug="apart", prompts=3, ratings=[r for r in human_records(3) if r["prompt_id"] != "q0"],
                   verdicts=[r for r in records if r["prompt_id"] == "q0"])
    with pytest.raises(CommandError, match="scored none of the items the humans rated"):
        run("--campaign", "apart", "--judge", "gpt-4o-judge")


def test_a_judge_run_by_jobs_is_read_from_its_latest_job_with_verdicts(tmp_path):
    campaign = rated_campaign(tmp_path, prompts=4, judge=None)
    config = JudgeConfig.objects.create(name="gpt-4o-live", base_url="http://127.0.0.1:1/v1", model="gpt-4o",
                                        template="quality-5x5")
    items = list(Item.objects.filter(campaign=campaign).order_by("id"))
    axes = list(campaign.rubric.axes.all())

    def job_with_scores(score, status="succeeded", judged=items):
        job = JudgeJob.objects.create(campaign=campaign, config=config, status=status, spec={})
        for item in judged:
            verdict = Verdict.objects.create(judge=config, job=job, item=item, parse_status="ok")
            VerdictScore.objects.bulk_create(VerdictScore(verdict=verdict, axis=axis, score=score) for axis in axes)
        return job

    job_with_scores(1)
    latest = job_with_scores(4, status="running", judged=items[:5])
    other = rated_campaign(tmp_path, slug="elsewhere", prompts=1, judge=None)
    JudgeJob.objects.create(campaign=other, config=config, status="queued", spec={})  # newer, but elsewhere

    report = json.loads(run("--campaign", campaign.slug, "--judge", "gpt-4o-live", "--json", "--replicates", "0"))
    assert report["meta"]["job"] == str(latest.public_id) and report["meta"]["judge_external"] is False
    assert report["meta"]["n_judge_scores"] == 5 * len(axes)
    assert report["meta"]["verdicts_by_status"] == {"ok": 5}
    assert report["overall"]["instance"]["n_items"] == 5
