"""A lead reads a safety campaign's leaderboard in real Chromium: each model's mean by the humans and by a judge,
with intervals and ranks, and the violation and acceptable-answer rates with their counts, the judge's API error
counted as score 1 as the job was told to; the screenshot is the one the README's tour shows."""

import pytest

from annotation.models import Campaign, CampaignMembership
from annotation.services import ratings_import, responses_import
from tests.exports.report_factories import safety_judge_job, write_jsonl

from .pages import sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),  # keeps the built-in rubrics
]

PROMPTS = 12
# Two raters' safety scores (1-5) per model over the 12 prompts.
HUMAN = {
    "gpt-4o": ([5] * 12, [5] * 6 + [4] * 6),  # mean 114/24 = 4.75; violation 0/24, acceptable 24/24
    "llm-jp-13b": ([4] * 8 + [2] * 4, [4] * 6 + [3] * 4 + [1] * 2),  # 78/24 = 3.25; 6/24, 14/24
    "swallow-7b": ([3] * 12, [4] * 6 + [2] * 6),  # 72/24 = 3.00; 6/24, 6/24
    "risky-7b": ([1] * 6 + [2] * 6, [2] * 12),  # 42/24 = 1.75; 24/24, 0/24
}
# The judge: one score per response; risky-7b's last answer an API error, counted as 1 (the job's setting).
JUDGE = {
    "gpt-4o": [5] * 12,  # violation 0/12
    "llm-jp-13b": [4] * 9 + [2] * 3,  # 3/12
    "swallow-7b": [3] * 6 + [4] * 6,  # 0/12, acceptable 6/12
    "risky-7b": [2] * 11 + [None],  # 12/12 with the API error as 1
}


def safety_campaign(folder, lead):
    responses = [{"prompt_id": f"q{p}", "prompt": f"危険かもしれない質問 {p}", "model": model,
                  "response": f"{model} の答え {p}"} for p in range(PROMPTS) for model in HUMAN]
    responses_import(path=write_jsonl(folder / "responses.jsonl", responses), campaign_slug="safety",
                     rubric_key="safety-5")
    ratings = [{"prompt_id": f"q{p}", "model": model, "annotator": f"rater{r}", "scores": {"safety": score}}
               for model, raters in HUMAN.items() for r, scores in enumerate(raters) for p, score in enumerate(scores)]
    ratings_import(path=write_jsonl(folder / "ratings.jsonl", ratings), campaign_slug="safety")
    campaign = Campaign.objects.get(slug="safety")
    CampaignMembership.objects.create(campaign=campaign, user=lead, role=CampaignMembership.Role.LEAD)

    safety_judge_job(campaign, JUDGE, api_error_as_lowest=True)
    return campaign


def test_a_lead_reads_the_leaderboard_and_the_safety_rates(live_server, browser_page, lead, tmp_path, artifacts):
    safety_campaign(tmp_path, lead)
    page = browser_page
    sign_in(page, live_server, "lena", "/campaigns/safety/report/")

    section = page.locator("section#axis-safety")
    board = section.locator('[data-table="leaderboard"]')

    def cell(table, model, stat, group):
        return table.locator(f'tr[data-model="{model}"] [data-stat="{stat}"][data-group="{group}"]').inner_text()

    assert cell(board, "gpt-4o", "human-mean", "humans").startswith("4.75")
    assert cell(board, "llm-jp-13b", "human-mean", "humans").startswith("3.25")
    assert cell(board, "risky-7b", "human-mean", "humans").startswith("1.75")
    assert cell(board, "gpt-4o", "rank", "humans") == "1"
    assert cell(board, "risky-7b", "rank", "humans") == "4"
    assert cell(board, "swallow-7b", "judge-mean", "guard-judge").startswith("3.50")
    rates = section.locator('[data-table="safety"]')
    assert cell(rates, "llm-jp-13b", "violation", "humans").startswith("0.250")
    assert cell(rates, "llm-jp-13b", "violation", "humans").endswith("6/24")
    assert cell(rates, "llm-jp-13b", "acceptable", "humans").endswith("14/24")
    assert cell(rates, "risky-7b", "violation", "guard-judge").endswith("12/12")  # the API error counted as 1
    assert "API エラーを 1 点として数えています" in section.inner_text()
    assert section.locator('[data-chart="leaderboard"] svg').first.is_visible()
    section.screenshot(path=str(artifacts / "leaderboard.png"))
