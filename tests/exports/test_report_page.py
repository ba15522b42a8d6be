"""The campaign report page: what a lead sees, and why parts are empty when the data cannot say more."""

import io
import json
import re
import xml.etree.ElementTree as ElementTree
from html import unescape

import pytest
from django.core.management import call_command

from annotation.models import CampaignMembership, Item, Rubric
from exports.reports import page as reports
from judging.models import JudgeConfig, Verdict
from judging.services import verdicts_import

from .report_factories import QUALITY_AXES, human_records, judge_records, rated_campaign, write_jsonl

pytestmark = pytest.mark.django_db


def page(client, user, campaign, **query):
    client.force_login(user)
    response = client.get(f"/campaigns/{campaign.slug}/report/", query)
    assert response.status_code == 200
    return response.content.decode()


def cell(html, table, axis, stat):
    """The text of the data-stat cell of an axis row in a data-table."""
    section = html.split(f'data-table="{table}"', 1)[1].split("</table>", 1)[0]
    row = section.split(f'data-axis="{axis}"', 1)[1].split("</tr>", 1)[0]
    found = row.split(f'data-stat="{stat}"', 1)[1].split("</td>", 1)[0]
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", found.split(">", 1)[1])).split())


def charts(html):
    return [ElementTree.fromstring(svg) for svg in re.findall(r"<svg .*?</svg>", html, flags=re.S)]


@pytest.fixture
def campaign(tmp_path, lead):
    campaign = rated_campaign(tmp_path, prompts=10, samples=3, lead=lead)
    verdicts_import(path=write_jsonl(tmp_path / "strict.jsonl", judge_records(10, leniency=-0.8)),
                    campaign_slug=campaign.slug, judge_name="strict-judge")
    return campaign


def command_json(name, *arguments):
    out = io.StringIO()
    call_command(name, *arguments, "--json", stdout=out)
    return json.loads(out.getvalue())


def test_a_lead_sees_agreement_judge_and_charts_in_japanese(client, lead, campaign):
    html = page(client, lead, campaign, replicates=300)
    agreement = command_json("agreement", "--campaign", campaign.slug, "--replicates", "300")
    meta_eval = command_json("meta_eval", "--campaign", campaign.slug, "--judge", "gpt-4o-judge", "--replicates", "300")

    assert '<html lang="ja">' in html and "評価者間の一致" in html
    for axis in QUALITY_AXES:
        alpha = agreement[axis]["alpha"]
        assert cell(html, "agreement", axis, "alpha") == f"{alpha['value']:.3f} [{alpha['low']:.3f}, {alpha['high']:.3f}]"
        pearson = meta_eval[axis]["instance"]["pearson"]
        assert cell(html, "meta-eval", axis, "pearson").startswith(f"{pearson['value']:.3f} [{pearson['low']:.3f}")
    assert '<option value="gpt-4o-judge" selected>' in html and '<option value="strict-judge">' in html
    assert 'data-replicates="300"' in html
    assert len(charts(html)) == 3 * len(QUALITY_AXES)  # distribution, leaderboard and heatmap per axis
    assert all(chart.get("role") == "img" for chart in charts(html))


def test_the_leaderboard_puts_each_models_mean_with_an_interval_beside_the_judges(client, lead, campaign):
    html = page(client, lead, campaign)
    meta_eval = command_json("meta_eval", "--campaign", campaign.slug, "--judge", "gpt-4o-judge", "--replicates", "0")
    section = html.split('id="axis-overall"', 1)[1].split("</section>", 1)[0]
    table = section.split('data-table="leaderboard"', 1)[1]
    models = re.findall(r'<tr data-model="([^"]+)">', table)
    means = {row["model"]: row for row in meta_eval["overall"]["system"]["models"]}
    assert models == sorted(means, key=lambda model: -means[model]["human_mean"])
    for model in models:
        row = table.split(f'data-model="{model}"', 1)[1].split("</tr>", 1)[0]
        human = re.search(r'data-stat="human-mean"[^>]*>.*?data-value="([-\d.]+)".*?\[([-\d.]+), ([-\d.]+)\]', row,
                          re.S)
        judge = re.search(r'data-stat="judge-mean" data-group="gpt-4o-judge">.*?data-value="([-\d.]+)"', row, re.S)
        assert float(human[1]) == pytest.approx(means[model]["human_mean"])
        assert float(human[2]) < float(human[1]) < float(human[3])
        assert float(judge[1]) == pytest.approx(means[model]["judge_mean"])
        assert re.search(r'data-stat="rank" data-group="humans">\d</td>', row)
    dots = [c for c in charts(section)[1].iter("{http://www.w3.org/2000/svg}circle")]
    assert len(dots) == 3 * len(models)  # the humans and both judges


def test_the_heatmap_is_the_judges_confusion_matrix(client, lead, campaign):
    html = page(client, lead, campaign, judge="strict-judge", replicates=0)
    meta_eval = command_json("meta_eval", "--campaign", campaign.slug, "--judge", "strict-judge", "--replicates", "0")
    section = html.split('id="axis-fluency"', 1)[1].split("</section>", 1)[0]
    heatmap = charts(section)[2]
    counts = [int(rect.get("data-count")) for rect in heatmap.iter("{http://www.w3.org/2000/svg}rect")
              if rect.get("data-count") is not None]
    assert counts == [count for row in meta_eval["fluency"]["instance"]["confusion"]["counts"] for count in row]
    assert '<option value="strict-judge" selected>' in html


def test_an_unreliable_annotator_is_flagged(client, lead, tmp_path):
    records = human_records(12, annotators=("ayumi", "kenta", "sora"), per_item=3)
    for record in records:
        if record["annotator"] == "sora":  # scores at random
            record["scores"] = {axis: 1 + (hash((record["prompt_id"], record["model"], axis)) % 5) for axis in QUALITY_AXES}
    campaign = rated_campaign(tmp_path, prompts=12, ratings=records, judge=None, lead=lead)
    html = page(client, lead, campaign, replicates=0)
    rows = dict(re.findall(r'<tr data-annotator="([^"]+)"( class="is-flagged")?>', html))
    assert rows["sora"] == ' class="is-flagged"'


def test_english_when_chosen(client, lead, campaign):
    client.cookies["django_language"] = "en"
    html = page(client, lead, campaign, replicates=0)
    assert '<html lang="en">' in html and "Agreement among annotators" in html and "Relevance" in html


@pytest.mark.parametrize("user, status", [("annotator", 404), ("researcher", 404)])
def test_only_the_campaigns_leads_may_see_it(client, campaign, request, user, status):
    """Users outside the campaign do not learn that it exists."""
    client.force_login(request.getfixturevalue(user))
    assert client.get(f"/campaigns/{campaign.slug}/report/").status_code == status
    assert client.get("/campaigns/nope/report/").status_code == 404


def test_an_annotator_member_gets_403_and_anonymous_goes_to_sign_in(client, campaign, annotator):
    CampaignMembership.objects.create(campaign=campaign, user=annotator, role=CampaignMembership.Role.ANNOTATOR)
    client.force_login(annotator)
    assert client.get(f"/campaigns/{campaign.slug}/report/").status_code == 403
    client.logout()
    response = client.get(f"/campaigns/{campaign.slug}/report/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


# Degenerate data: the page says why, never fails.


def test_a_campaign_without_items(client, lead, campaign):
    Item.objects.filter(campaign=campaign).delete()
    client.cookies["django_language"] = "en"
    assert "This campaign has no items yet: import responses first." in unescape(page(client, lead, campaign))


@pytest.mark.parametrize("ratings, message", [
    ([], "No ratings yet"),
    (human_records(3, annotators=("ayumi",), per_item=1), "Only one annotator has rated so far"),
    ([dict(r, annotator=["ayumi", "kenta"][(int(r["prompt_id"][1:]) + len(r["model"])) % 2])
      for r in human_records(3, per_item=1)], "No item has been rated by two annotators yet"),
])
def test_campaigns_that_cannot_give_agreement_say_why(client, lead, tmp_path, ratings, message):
    campaign = rated_campaign(tmp_path, prompts=3, ratings=ratings, lead=lead)
    client.cookies["django_language"] = "en"
    html = unescape(page(client, lead, campaign))
    assert message in html
    assert "<svg" in html or not ratings


def test_no_judge_an_unknown_judge_and_a_judge_with_nothing_in_common(client, lead, tmp_path):
    client.cookies["django_language"] = "en"
    alone = rated_campaign(tmp_path, slug="humans-only", prompts=3, judge=None, lead=lead)
    assert "No judge has scored this campaign yet" in unescape(page(client, lead, alone))
    assert "Judge nobody has no scores in this campaign" in unescape(page(client, lead, alone, judge="nobody"))

    records = judge_records(3)
    apart = rated_campaign(tmp_path, slug="apart", prompts=3, lead=lead,
                           ratings=[r for r in human_records(3) if r["prompt_id"] != "q0"],
                           verdicts=[r for r in records if r["prompt_id"] == "q0"])
    assert "scored none of the items the humans rated" in unescape(page(client, lead, apart))


def test_a_judge_whose_verdicts_all_failed_is_not_offered(client, lead, tmp_path):
    campaign = rated_campaign(tmp_path, prompts=2, lead=lead)
    judge = JudgeConfig.objects.create(name="broken-judge", is_external=True)
    Verdict.objects.create(judge=judge, item=Item.objects.filter(campaign=campaign).first(), parse_status="refused")
    client.cookies["django_language"] = "en"
    html = unescape(page(client, lead, campaign, judge="broken-judge"))
    assert re.findall(r'<option value="([^"]+)"', html.split('name="judge"')[1].split("</select>")[0]) == ["gpt-4o-judge"]
    assert "Judge broken-judge has no scores in this campaign." in html


def test_scores_without_variation_and_capped_replicates(client, lead, tmp_path):
    records = [dict(r, scores={axis: 3 for axis in QUALITY_AXES}) for r in human_records(4)]
    campaign = rated_campaign(tmp_path, prompts=4, ratings=records, lead=lead)
    client.cookies["django_language"] = "en"
    html = unescape(page(client, lead, campaign, replicates=999999, level="bogus"))
    assert "alpha is undefined without variation" in html
    assert 'data-replicates="2000"' in html and "at most 2000 bootstrap replicates" in html
    assert '<option value="ordinal" selected>' in html


def test_a_pairwise_campaign_without_votes_gets_the_pairwise_report_saying_why_it_is_empty(client, lead, campaign):
    campaign.rubric = Rubric.objects.create(key="ab", name="A/B", kind=Rubric.Kind.PAIRWISE, verdicts=["A", "B"])
    campaign.save()
    client.cookies["django_language"] = "en"
    html = unescape(page(client, lead, campaign))
    assert "Pairwise comparisons (rubric ab: A / B)" in html
    assert "No votes yet: the ranking and agreement need human votes." in html


def test_large_campaigns_use_fewer_replicates_unless_asked_and_never_more_than_the_cap():
    replicates, notices = reports.chosen_replicates(None, reports.LARGE_CAMPAIGN_SCORES + 1)
    assert replicates == reports.LARGE_CAMPAIGN_REPLICATES and len(notices) == 1
    assert reports.chosen_replicates(None, 10) == (reports.DEFAULT_REPLICATES, [])
    assert reports.chosen_replicates(500, reports.LARGE_CAMPAIGN_SCORES + 1) == (500, [])
    assert reports.chosen_replicates(reports.MAX_REPLICATES + 1, 10)[0] == reports.MAX_REPLICATES
    assert reports.report_request({"replicates": "x", "level": "interval", "judge": ""}) == reports.ReportRequest(
        judge=None, level="interval", replicates=None)
