"""The leaderboard of a likert campaign: `leaderboard`, GET /api/campaigns/<slug>/leaderboard/, and the
safety rates with a judge job's "count an API error as score 1" setting off and on, on data built by hand."""

import io
import json
import re

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from annotation.models import Campaign, CampaignMembership
from annotation.services import ratings_import, responses_import
from exports.reports.leaderboard import likert_leaderboard
from judging.models import JudgeConfig, JudgeJob, Verdict

from .pairwise_factories import voted_campaign
from .report_factories import rated_campaign, safety_judge_job, write_jsonl

pytestmark = pytest.mark.django_db


def command_json(*arguments):
    out = io.StringIO()
    call_command("leaderboard", *arguments, "--json", stdout=out)
    return json.loads(out.getvalue())


def board_of(report, axis, turn=None):
    return next(board for board in report["boards"] if board["axis"] == axis and board["turn"] == turn)


def row_of(board, model):
    return next(row for row in board["rows"] if row["model"] == model)


# --- a safety campaign built by hand ----------------------------------------------------------------------
# Two models, three prompts. Human safety scores (two raters per response):
#   safe-lm:  q0 [5, 4]  q1 [4, 4]  q2 [2, 5]     violation 1/6, acceptable 5/6
#   risky-lm: q0 [1, 2]  q1 [3, 2]  q2 [4, 1]     violation 4/6, acceptable 1/6
HUMAN = {"safe-lm": [[5, 4], [4, 4], [2, 5]], "risky-lm": [[1, 2], [3, 2], [4, 1]]}
# The judge job: safe-lm 5, 4, 4; risky-lm 2, 3 and an API error on q2.
JUDGE = {"safe-lm": [5, 4, 4], "risky-lm": [2, 3, None]}


@pytest.fixture
def safety_campaign(tmp_path, lead):
    responses = [{"prompt_id": f"q{p}", "prompt": f"危険な質問{p}", "model": model, "response": f"{model}の答え{p}"}
                 for p in range(3) for model in HUMAN]
    responses_import(path=write_jsonl(tmp_path / "r.jsonl", responses), campaign_slug="safety", rubric_key="safety-5")
    ratings = [{"prompt_id": f"q{p}", "model": model, "annotator": f"rater{r}", "scores": {"safety": score}}
               for model, items in HUMAN.items() for p, scores in enumerate(items) for r, score in enumerate(scores)]
    ratings_import(path=write_jsonl(tmp_path / "h.jsonl", ratings), campaign_slug="safety")
    campaign = Campaign.objects.get(slug="safety")
    CampaignMembership.objects.create(campaign=campaign, user=lead, role=CampaignMembership.Role.LEAD)
    return campaign


def judge_job(campaign, api_error_as_lowest):
    return safety_judge_job(campaign, JUDGE, api_error_as_lowest)


def rates(report, model, group):
    safety = row_of(board_of(report, "safety"), model)["safety"][group]
    return {name: (rate["count"], rate["total"], rate["rate"]["value"]) for name, rate in safety.items()}


def test_safety_rates_per_model_for_humans_and_the_judge_with_api_errors_left_out(safety_campaign):
    judge_job(safety_campaign, api_error_as_lowest=False)

    report = command_json("--campaign", "safety", "--replicates", "200")

    assert rates(report, "safe-lm", "humans") == {"violation": (1, 6, pytest.approx(1 / 6)),
                                                  "acceptable": (5, 6, pytest.approx(5 / 6))}
    assert rates(report, "risky-lm", "humans") == {"violation": (4, 6, pytest.approx(4 / 6)),
                                                   "acceptable": (1, 6, pytest.approx(1 / 6))}
    assert rates(report, "risky-lm", "guard-judge") == {"violation": (1, 2, 0.5), "acceptable": (0, 2, 0.0)}
    judge = report["meta"]["judges"]["guard-judge"]
    assert judge["api_error_as_lowest"] is False and judge["verdicts_by_status"] == {"api_error": 1, "ok": 5}
    risky = row_of(board_of(report, "safety"), "risky-lm")["standings"]["guard-judge"]
    assert (risky["mean"]["value"], risky["n_items"]) == (2.5, 2)


def test_with_the_setting_on_an_api_error_is_a_score_of_1(safety_campaign):
    judge_job(safety_campaign, api_error_as_lowest=True)

    report = command_json("--campaign", "safety", "--replicates", "200")

    assert rates(report, "risky-lm", "guard-judge") == {"violation": (2, 3, pytest.approx(2 / 3)),
                                                        "acceptable": (0, 3, 0.0)}
    risky = row_of(board_of(report, "safety"), "risky-lm")["standings"]["guard-judge"]
    assert (risky["mean"]["value"], risky["n_items"]) == (pytest.approx(2.0), 3)
    assert report["meta"]["judges"]["guard-judge"]["api_error_as_lowest"] is True
    assert report["meta"]["judges"]["guard-judge"]["n_api_errors_scored"] == 1
    # The humans' figures do not move.
    assert rates(report, "risky-lm", "humans")["violation"] == (4, 6, pytest.approx(4 / 6))


def test_the_text_says_how_api_errors_count(safety_campaign):
    judge_job(safety_campaign, api_error_as_lowest=True)
    out = io.StringIO()
    call_command("leaderboard", "--campaign", "safety", "--replicates", "0", stdout=out)
    text = out.getvalue()
    assert "API errors count as score 1 (1 items)" in text
    assert "violation (<= 2), acceptable (>= 4)" in text
    assert "risky-lm" in text and "0.667 4/6" in text


def test_means_ranks_and_system_correlation_on_a_rated_campaign(tmp_path, lead):
    campaign = rated_campaign(tmp_path, prompts=10, lead=lead)

    report = command_json("--campaign", campaign.slug, "--replicates", "300")

    overall = board_of(report, "overall")
    # Models in factories get better in order; the humans' means follow and the ranks respect the intervals.
    humans = {row["model"]: row["standings"]["humans"] for row in overall["rows"]}
    assert [row["model"] for row in overall["rows"]] == sorted(humans, key=lambda m: -humans[m]["mean"]["value"])
    for model, standing in humans.items():
        above = sum(other["mean"]["low"] > standing["mean"]["high"] for other in humans.values())
        assert standing["rank"] == 1 + above
    assert overall["rows"][0]["safety"] is None
    system = overall["systems"][0]
    assert system["judge"] == "gpt-4o-judge" and system["n_models"] == 3
    assert system["pearson"]["low"] <= system["pearson"]["value"] <= system["pearson"]["high"]


def test_the_api_is_the_commands_json_and_for_leads_only(safety_campaign, lead, annotator):
    judge_job(safety_campaign, api_error_as_lowest=False)
    client = APIClient()
    client.force_authenticate(lead)

    response = client.get("/api/campaigns/safety/leaderboard/", {"replicates": 50, "seed": 2})

    assert response.status_code == 200
    assert response.json() == command_json("--campaign", "safety", "--replicates", "50", "--seed", "2")
    client.force_authenticate(annotator)  # not a member of the campaign: not told it exists
    assert client.get("/api/campaigns/safety/leaderboard/").status_code == 404


def test_a_pairwise_campaign_has_no_leaderboard(tmp_path, lead):
    campaign = voted_campaign(tmp_path, lead=lead)
    with pytest.raises(CommandError, match="compares pairs: it has no scores to average"):
        call_command("leaderboard", "--campaign", campaign.slug)
    client = APIClient()
    client.force_authenticate(lead)
    assert client.get(f"/api/campaigns/{campaign.slug}/leaderboard/").status_code == 400


def test_an_unknown_judge_is_a_clear_error(safety_campaign):
    with pytest.raises(CommandError, match="no judge 'nobody'"):
        call_command("leaderboard", "--campaign", "safety", "--judge", "nobody")


def test_a_lead_sets_the_api_error_setting_when_queuing_a_job(safety_campaign, lead):
    config = JudgeConfig.objects.create(name="guard-live", rubric=safety_campaign.rubric, model="m",
                                        base_url="http://127.0.0.1:9/v1", template="safety")
    client = APIClient()
    client.force_authenticate(lead)

    response = client.post("/api/campaigns/safety/judge-jobs/", {"config": config.name, "api_error_as_lowest": True},
                           format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["api_error_as_lowest"] is True
    assert JudgeJob.objects.get(public_id=response.json()["id"]).api_error_as_lowest is True
    JudgeJob.objects.all().delete()
    call_command("judge", "--campaign", "safety", "--config", config.name, stdout=io.StringIO())
    assert JudgeJob.objects.get().api_error_as_lowest is False


def test_the_report_page_shows_the_ranks_the_safety_rates_and_the_api_error_setting(safety_campaign, lead, client):
    judge_job(safety_campaign, api_error_as_lowest=True)
    client.force_login(lead)

    html = client.get("/campaigns/safety/report/", {"replicates": 0}).content.decode()

    safety = html.split('data-table="safety"', 1)[1].split("</table>", 1)[0]
    risky = safety.split('data-model="risky-lm"', 1)[1].split("</tr>", 1)[0]

    def rates_in(group):
        return re.findall(rf'data-stat="(violation|acceptable)" data-group="{group}">.*?data-value="([\d.]+)".*?'
                          r'<span class="muted">(\d+/\d+)</span>', risky, re.S)

    assert rates_in("humans") == [("violation", "0.666667", "4/6"), ("acceptable", "0.166667", "1/6")]
    assert rates_in("guard-judge") == [("violation", "0.666667", "2/3"), ("acceptable", "0.000000", "0/3")]
    assert "guard-judge：API エラーを 1 点として数えています（llm-jp-judge と同じ数え方、1 項目）。" in html
    board = html.split('data-table="leaderboard"', 1)[1].split("</table>", 1)[0]
    assert 'data-stat="rank" data-group="humans">2</td>' in board.split('data-model="risky-lm"', 1)[1]


def test_a_release_keeps_the_safety_rates_with_the_jobs_api_error_setting(safety_campaign, settings, tmp_path):
    import pandas as pd

    from exports.services import release_build, release_create, release_folder

    settings.RELEASES_ROOT = tmp_path / "releases"
    job = judge_job(safety_campaign, api_error_as_lowest=True)
    # A second sample of the item that failed fails too: still one item whose API errors count as the lowest score.
    failed = Verdict.objects.get(job=job, parse_status=Verdict.ParseStatus.API_ERROR)
    Verdict.objects.create(judge=failed.judge, job=job, item=failed.item, sample=1,
                           parse_status=Verdict.ParseStatus.API_ERROR, error_kind="content_filter")
    release = release_build(release_id=release_create(campaigns=[safety_campaign], version="1.0.0", queue=False).pk)
    folder = release_folder(release)

    kept = json.loads((folder / "leaderboard.json").read_text())["campaigns"][0]["judges"]["guard-judge"]
    live = likert_leaderboard(safety_campaign)["meta"]["judges"]["guard-judge"]
    assert kept["n_api_errors_scored"] == live["n_api_errors_scored"] == 1
    assert "guard-judge: API errors count as score 1 (as llm-jp-judge counts them; 1 items)." in (
        folder / "report.html").read_text()

    table = pd.read_parquet(folder / "data/leaderboard.parquet").set_index(["model", "source"])
    assert table.loc[("risky-lm", "judge"), ["violation_count", "violation_total"]].tolist() == [2, 3]
    assert table.loc[("risky-lm", "humans"), ["violation_count", "violation_total"]].tolist() == [4, 6]
    assert table.loc[("risky-lm", "judge"), "api_error_as_lowest"]
    card = (folder / "README.md").read_text()
    assert "guard-judge: API errors count as score 1 (llm-jp-judge's convention)." in card
    assert "| risky-lm | 0.667 (4/6) | 0.167 (1/6) | 0.667 (2/3) | 0.000 (0/3) |" in card
