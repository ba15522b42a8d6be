"""The checklist report: per checklist item, answers, ticks and how the tick tracks the rater's overall score,
on the report page, through the API and in releases; figures checked against counts made here."""

import numpy as np
import pandas as pd
import pytest
from rest_framework.test import APIClient

from annotation.models import ChecklistItem, Prompt, Rating, RatingCheck
from exports.checklists import checklist_report
from exports.models import Release
from exports.services import release_build, release_create, release_folder
from tests.exports.pairwise_factories import voted_campaign
from tests.exports.release_factories import few_bootstrap_replicates, rated_campaign  # noqa: F401

pytestmark = pytest.mark.django_db
QUESTIONS = ("山の名前を二つ挙げているか", "敬語で答えているか", "理由を述べているか")


def add_checklists(campaign):
    """Three questions per prompt. Every rating answers question 0 (ticked when its overall score is 4 or
    more), question 1 on every other rating (ticked always), question 2 never."""
    prompts = Prompt.objects.filter(responses__items__campaign=campaign).distinct()
    for prompt in prompts:
        ChecklistItem.objects.bulk_create(ChecklistItem(prompt=prompt, position=i, text=text)
                                          for i, text in enumerate(QUESTIONS))
    checks = []
    for index, rating in enumerate(Rating.objects.filter(item__campaign=campaign).order_by("id")
                                   .select_related("item__response")):
        items = {i.position: i for i in ChecklistItem.objects.filter(prompt_id=rating.item.response.prompt_id)}
        overall = rating.scores.filter(axis__key="overall").values_list("score", flat=True).first()
        checks.append(RatingCheck(rating=rating, checklist_item=items[0], checked=bool(overall and overall >= 4)))
        if index % 2:
            checks.append(RatingCheck(rating=rating, checklist_item=items[1], checked=True))
    RatingCheck.objects.bulk_create(checks)


@pytest.fixture
def likert(lead):
    campaign = rated_campaign(lead=lead)
    add_checklists(campaign)
    return campaign


def expected_rows(campaign):
    """Per (prompt, position): answers, ticks, and the lists of ticks and overall scores, from the database."""
    found = {}
    for check in RatingCheck.objects.filter(rating__item__campaign=campaign).select_related("checklist_item__prompt"):
        overall = check.rating.scores.get(axis__key="overall").score
        key = (str(check.checklist_item.prompt.public_id), check.checklist_item.position)
        found.setdefault(key, []).append((check.checked, overall))
    return found


def test_figures_per_item_against_counts_made_here(likert):
    report = checklist_report(likert)
    expected = expected_rows(likert)
    correlated = False
    assert report["meta"]["midpoint"] == 3.0 and report["meta"]["score"] == "overall"
    assert {(row["prompt_id"], row["position"]) for row in report["items"]} == set(expected)
    for row in report["items"]:
        answers = expected[row["prompt_id"], row["position"]]
        ticked = [checked for checked, _ in answers]
        scores = np.array([score for _, score in answers], dtype=float)
        assert (row["n_answered"], row["n_ticked"]) == (len(answers), sum(ticked))
        assert row["tick_rate"] == pytest.approx(sum(ticked) / len(answers))
        agreeing = sum(1 for checked, score in answers if checked == (score >= 3))
        assert row["agreement_with_score"]["value"] == pytest.approx(agreeing / len(answers))
        if len(set(ticked)) == 2 and len(answers) >= 3:
            assert row["point_biserial"]["value"] == pytest.approx(np.corrcoef(np.array(ticked, float), scores)[0, 1])
            correlated = True
        else:
            reason = "all the same" if len(answers) >= 3 else "fewer than 3 answers"
            assert row["point_biserial"]["value"] is None and reason in row["point_biserial"]["reason"]
    assert correlated
    assert report["meta"]["n_answers"] == RatingCheck.objects.count()
    assert all(row["position"] != 2 for row in report["items"])


def test_the_report_page_and_the_api_show_it(client, lead, likert):
    client.force_login(lead)
    html = client.get(f"/campaigns/{likert.slug}/report/", {"replicates": 20}).content.decode()
    assert 'data-table="checklist"' in html and QUESTIONS[0] in html
    api = APIClient()
    api.force_authenticate(lead)
    response = api.get(f"/api/campaigns/{likert.slug}/checklist/")
    assert response.status_code == 200 and response.json() == checklist_report(likert)


def test_a_campaign_without_ticks_has_no_checklist_section(client, lead):
    campaign = rated_campaign(lead=lead)
    client.force_login(lead)
    html = client.get(f"/campaigns/{campaign.slug}/report/", {"replicates": 20}).content.decode()
    assert 'data-table="checklist"' not in html


def test_a_pairwise_campaign_gets_counts_and_the_reason(lead, tmp_path):
    campaign = voted_campaign(tmp_path, lead=lead, judge=False)
    add_checklists(campaign)
    report = checklist_report(campaign)
    assert report["meta"]["midpoint"] is None and "names no side of the pair" in report["meta"]["reason"]
    first = next(row for row in report["items"] if row["position"] == 0)
    assert first["n_answered"] > 0 and first["n_ticked"] == 0  # votes have no overall score, so never ticked
    assert first["agreement_with_score"]["value"] is None


def test_a_release_holds_the_checklist_and_every_answer(settings, tmp_path, likert):
    settings.RELEASES_ROOT = tmp_path / "releases"
    release = release_build(release_id=release_create(campaigns=[likert], version="1.0.0", queue=False).pk)
    assert release.build_status == Release.BuildStatus.SUCCEEDED, release.build_error
    folder = release_folder(release)
    checks = pd.read_parquet(folder / "data/checks.parquet")
    summary = pd.read_csv(folder / "data/checklist.csv")
    assert len(checks) == RatingCheck.objects.count() == release.stats["rows"]["checks"]
    assert checks["annotator"].str.startswith("ann-").all()
    assert set(checks["annotator"]) <= set(pd.read_parquet(folder / "data/ratings.parquet")["annotator"])
    report = checklist_report(likert)
    assert len(summary) == len(report["items"])
    by_key = summary.set_index(["prompt_id", "position"])
    for row in report["items"]:
        assert by_key.loc[(row["prompt_id"], row["position"]), "n_ticked"] == row["n_ticked"]
    card = (folder / "README.md").read_text()
    assert "## Checklists" in card and "config_name: checks" in card
