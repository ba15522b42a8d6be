"""The checklist report: per checklist item, answers, ticks and how the tick tracks the rater's overall score
(likert) or the preference (pairwise, answered per response), on the report page, through the API and in
releases; figures checked against counts made here."""

import numpy as np
import pandas as pd
import pytest
from rest_framework.test import APIClient

from annotation.models import ChecklistItem, Prompt, Rating, RatingCheck
from exports.reports.checklists import checklist_report
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


def tick_pairs(campaign):
    """Per vote, question 0 answered for each response (mostly yes for the preferred one), question 1 for
    response A only on every third vote; question 2 answered with no side on every fifth vote, as before
    answers were per response."""
    rng = np.random.default_rng(5)
    prompts = Prompt.objects.filter(responses__items__campaign=campaign).distinct()
    for prompt in prompts:
        ChecklistItem.objects.bulk_create(ChecklistItem(prompt=prompt, position=i, text=text)
                                          for i, text in enumerate(QUESTIONS))
    checks = []
    for index, rating in enumerate(Rating.objects.filter(item__campaign=campaign).order_by("id")
                                   .select_related("item__response")):
        items = {i.position: i for i in ChecklistItem.objects.filter(prompt_id=rating.item.response.prompt_id)}
        for side in ("A", "B"):
            yes = rng.random() < (0.85 if side == rating.verdict else 0.35)
            checks.append(RatingCheck(rating=rating, checklist_item=items[0], side=side, checked=bool(yes)))
        if index % 3 == 0:
            checks.append(RatingCheck(rating=rating, checklist_item=items[1], side="A", checked=bool(index % 2)))
        if index % 5 == 0:
            checks.append(RatingCheck(rating=rating, checklist_item=items[2], checked=True))
    RatingCheck.objects.bulk_create(checks)


@pytest.fixture
def pairwise(lead, tmp_path):
    campaign = voted_campaign(tmp_path, lead=lead, judge=False)
    tick_pairs(campaign)
    return campaign


def expected_pair_rows(campaign):
    """Per (prompt, position), counted here vote by vote: answers per side, and the decisive votes."""
    found = {}
    for check in RatingCheck.objects.filter(rating__item__campaign=campaign).select_related(
            "checklist_item__prompt", "rating"):
        key = (str(check.checklist_item.prompt.public_id), check.checklist_item.position)
        votes = found.setdefault(key, {})
        votes.setdefault(check.rating_id, {"verdict": check.rating.verdict, "answers": {}})["answers"][
            check.side or "unknown"] = check.checked
    return found


def test_a_pairwise_campaign_gets_tick_rates_per_response_and_preference_tracking(pairwise):
    report = checklist_report(pairwise)
    expected = expected_pair_rows(pairwise)
    assert report["meta"]["midpoint"] is None and "each item is answered for each response" in report["meta"]["reason"]
    assert {(row["prompt_id"], row["position"]) for row in report["items"]} == set(expected)
    tracked = 0
    for row in report["items"]:
        votes = expected[row["prompt_id"], row["position"]].values()
        for side, suffix in (("A", "a"), ("B", "b")):
            said = [vote["answers"][side] for vote in votes if side in vote["answers"]]
            assert (row[f"n_answered_{suffix}"], row[f"n_ticked_{suffix}"]) == (len(said), sum(said))
            assert row[f"tick_rate_{suffix}"] == (pytest.approx(sum(said) / len(said)) if said else None)
        assert row["n_side_unknown"] == sum(1 for vote in votes if "unknown" in vote["answers"])
        decisive = []
        for vote in votes:
            yes = [side for side in ("A", "B") if vote["answers"].get(side) is True]
            if len(yes) == 1 and vote["verdict"] in ("A", "B"):
                decisive.append(yes[0] == vote["verdict"])
        assert row["n_preference"] == len(decisive)
        if decisive:
            assert row["tracks_preference"]["value"] == pytest.approx(sum(decisive) / len(decisive))
            tracked += 1
        else:
            assert row["tracks_preference"]["value"] is None
        assert row["agreement_with_score"]["value"] is None  # votes have no score
    assert tracked >= 6
    assert report["meta"]["n_side_unknown"] == sum(
        1 for votes in expected.values() for vote in votes.values() if "unknown" in vote["answers"]) > 0


def test_the_pairwise_report_page_and_the_api_show_the_per_response_figures(client, lead, pairwise):
    client.force_login(lead)
    html = client.get(f"/campaigns/{pairwise.slug}/report/", {"replicates": 20}).content.decode()
    table = html.split('data-table="checklist"', 1)[1].split("</table>", 1)[0]
    assert 'data-stat="tracks-preference"' in table and 'data-stat="tick-rate-a"' in table
    assert "選好" in html.split('id="checklist"', 1)[1]  # Japanese by default
    report = checklist_report(pairwise)
    first = report["items"][0]
    row = table.split(f'data-checklist="{first["prompt"]}#{first["position"]}"', 1)[1].split("</tr>", 1)[0]
    assert f'data-value="{first["tracks_preference"]["value"]:.6f}"' in row
    assert f'<td class="number" data-stat="n-preference">{first["n_preference"]}</td>' in row
    api = APIClient()
    api.force_authenticate(lead)
    response = api.get(f"/api/campaigns/{pairwise.slug}/checklist/")
    assert response.status_code == 200 and response.json() == report


def test_a_pairwise_release_has_the_side_of_every_answer_and_the_preference_figures(settings, tmp_path, pairwise):
    settings.RELEASES_ROOT = tmp_path / "releases"
    release = release_build(release_id=release_create(campaigns=[pairwise], version="1.0.0", queue=False).pk)
    assert release.build_status == Release.BuildStatus.SUCCEEDED, release.build_error
    folder = release_folder(release)
    checks = pd.read_parquet(folder / "data/checks.parquet")
    stored = RatingCheck.objects.filter(rating__item__campaign=pairwise)
    assert len(checks) == stored.count()
    assert checks["side"].value_counts().to_dict() == {
        "A": stored.filter(side="A").count(), "B": stored.filter(side="B").count(), "?": stored.filter(side="").count()}
    votes = pd.read_parquet(folder / "data/votes.parquet")
    ticked = checks[(checks["position"] == 0) & checks["checked"] & (checks["side"] != "?")]
    joined = ticked.merge(votes, on=["item_id", "annotator"], suffixes=("", "_vote"))
    assert len(joined) == len(ticked)  # every answer belongs to a vote of the votes table, by item and annotator
    summary = pd.read_csv(folder / "data/checklist.csv").set_index(["prompt_id", "position"])
    for row in checklist_report(pairwise)["items"]:
        line = summary.loc[(row["prompt_id"], row["position"])]
        assert (line["n_answered_a"], line["n_preference"]) == (row["n_answered_a"], row["n_preference"])
        if row["tracks_preference"]["value"] is None:
            assert pd.isna(line["tracks_preference"])
        else:
            assert line["tracks_preference"] == pytest.approx(row["tracks_preference"]["value"])
    card = (folder / "README.md").read_text()
    assert "tracks_preference" in card and "`side` is `?`" in card


def test_a_release_holds_the_checklist_and_every_answer(settings, tmp_path, likert):
    settings.RELEASES_ROOT = tmp_path / "releases"
    release = release_build(release_id=release_create(campaigns=[likert], version="1.0.0", queue=False).pk)
    assert release.build_status == Release.BuildStatus.SUCCEEDED, release.build_error
    folder = release_folder(release)
    checks = pd.read_parquet(folder / "data/checks.parquet")
    summary = pd.read_csv(folder / "data/checklist.csv")
    assert len(checks) == RatingCheck.objects.count() == release.stats["rows"]["checks"]
    assert checks["annotator"].str.startswith("ann-").all() and (checks["side"] == "").all()
    assert set(checks["annotator"]) <= set(pd.read_parquet(folder / "data/ratings.parquet")["annotator"])
    report = checklist_report(likert)
    assert len(summary) == len(report["items"])
    by_key = summary.set_index(["prompt_id", "position"])
    for row in report["items"]:
        assert by_key.loc[(row["prompt_id"], row["position"]), "n_ticked"] == row["n_ticked"]
    assert summary["tracks_preference"].isna().all()  # a likert campaign has no preference
    card = (folder / "README.md").read_text()
    assert "## Checklists" in card and "config_name: checks" in card
