"""A likert campaign that scores each turn (Campaign.per_turn_scores): the rating page asks every axis once per
turn, the API stores each score with its turn, import_ratings reads a turn per record, the leaderboard has
per-turn boards for humans and the MT-Bench mean over turns, agreement is per axis and turn, and the release's
ratings table carries the turn. Figures worked out by hand in the comments."""

import io
import json
import re
import uuid

import pandas as pd
import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

from annotation.errors import RecordError
from annotation.models import Campaign, Rating, RatingScore
from annotation.services import ratings_import
from annotation.services.rubrics import rubric_file_import
from annotation.services.workflow import item_next
from exports.services import release_build, release_create, release_folder
from judging.testing.campaigns import campaign_for_judging

from .pairwise_factories import pairwise_rubric
from .test_api import client_for
from .workflow_factories import annotators, open_for_pull

pytestmark = pytest.mark.django_db

# Two raters' scores (rater0, rater1) per (model, prompt, turn) on mt-bench-10's one axis, "score" (1..10).
HUMAN = {
    ("mt-model-0", "p0", 1): (8, 6), ("mt-model-0", "p0", 2): (5, 7),
    ("mt-model-0", "p1", 1): (9, 9), ("mt-model-0", "p1", 2): (4, 6),
    ("mt-model-1", "p0", 1): (3, 5), ("mt-model-1", "p0", 2): (2, 3),
    ("mt-model-1", "p1", 1): (6, 4), ("mt-model-1", "p1", 2): (1, 3),
}


@pytest.fixture(autouse=True)
def mt_bench_rubric(db):
    rubric_file_import(path=settings.BASE_DIR / "demo" / "rubric-mt-bench-10.json")


@pytest.fixture
def two_turns(db):
    """Two models answering two prompts in two turns each (4 items), scored per turn."""
    campaign = campaign_for_judging(slug="mt", items=4, models=2, rubric_key="mt-bench-10", turns=2)
    Campaign.objects.filter(pk=campaign.pk).update(per_turn_scores=True)
    campaign.refresh_from_db()
    return campaign


def write_jsonl(path, records):
    path.write_text("".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records), encoding="utf-8")
    return str(path)


def human_records():
    return [{"prompt_id": prompt, "model": model, "annotator": f"rater{rater}", "turn": turn, "scores": {"score": score}}
            for (model, prompt, turn), scores in HUMAN.items() for rater, score in enumerate(scores)]


@pytest.fixture
def imported(two_turns, tmp_path):
    ratings_import(path=write_jsonl(tmp_path / "ratings.jsonl", human_records()), campaign_slug="mt")
    return two_turns


# --- the setting ---------------------------------------------------------------------------------------------


def test_the_campaign_api_and_form_take_the_setting_and_a_pairwise_campaign_refuses_it(lead, client):
    api = client_for(lead)
    made = api.post("/api/campaigns/", {"slug": "mt-new", "rubric": "mt-bench-10", "per_turn_scores": True},
                    format="json")
    assert made.status_code == 201 and made.json()["per_turn_scores"] is True
    assert Campaign.objects.get(slug="mt-new").per_turn_scores
    plain = api.post("/api/campaigns/", {"slug": "mt-plain", "rubric": "mt-bench-10"}, format="json")
    assert plain.json()["per_turn_scores"] is False  # off by default

    refused = api.post("/api/campaigns/", {"slug": "ab", "rubric": pairwise_rubric().key, "per_turn_scores": True},
                       format="json")
    assert refused.status_code == 400 and "only a likert campaign scores each turn" in refused.json()["detail"]
    assert not Campaign.objects.filter(slug="ab").exists()

    client.force_login(lead)
    page = client.get(reverse("campaign_create")).content.decode()
    assert "Score each turn" in page or "ターンごとに評価" in page
    client.post(reverse("campaign_create"), {"name": "MT", "slug": "mt-form", "rubric": "mt-bench-10", "overlap": 2,
                                              "per_turn_scores": "on"})
    assert Campaign.objects.get(slug="mt-form").per_turn_scores


# --- the rating page and the API -----------------------------------------------------------------------------


@pytest.fixture
def open_two_turns(two_turns):
    return open_for_pull(two_turns)


def test_the_rating_page_asks_each_axis_once_per_turn(open_two_turns, client):
    alice = annotators(1, open_two_turns, prefix="alice")[0]
    item = item_next(annotator=alice, campaign=open_two_turns)
    client.force_login(alice.user)
    page = client.get(reverse("item_rate", args=[item.public_id])).content.decode()

    assert page.count('data-turn-scores="') == 2
    assert page.index('data-turn-scores="1"') < page.index('data-turn-scores="2"')
    assert page.count('data-axis="score" data-turn="1"') == 1 and page.count('data-axis="score" data-turn="2"') == 1
    assert "(turn 2): 10" in page or "（ターン2）: 10" in page  # each button says the turn it scores

    Campaign.objects.filter(pk=open_two_turns.pk).update(per_turn_scores=False)
    whole = client.get(reverse("item_rate", args=[item.public_id])).content.decode()
    assert "data-turn-scores" not in whole and 'data-turn="' not in whole and whole.count('data-axis="score"') == 1


def test_the_api_stores_each_score_with_its_turn_and_refuses_a_missing_turn(open_two_turns, client):
    alice = annotators(1, open_two_turns, prefix="alice")[0]
    api = client_for(alice.user)  # a token: the rating hot path first, which hands these submits over
    item = api.post("/api/campaigns/mt/next/").json()
    assert item["score_turns"] == 2

    draft = {"scores": {"1": {"score": 7}}, "seconds_spent": 5}
    assert api.put(f"/api/items/{item['id']}/draft/", draft, format="json").status_code == 204
    assert api.get(f"/api/items/{item['id']}/").json()["draft"]["scores"] == {"1": {"score": 7}}
    assert api.post("/api/campaigns/mt/next/").json()["draft"]["scores"] == {"1": {"score": 7}}

    missing_turn = api.post(f"/api/items/{item['id']}/rating/",
                            {"scores": {"1": {"score": 7}}, "idempotency_key": str(uuid.uuid4())}, format="json")
    assert missing_turn.status_code == 400
    assert missing_turn.json()["detail"] == "scores.2.score: every axis of turn 2 needs a score before submitting"
    flat = api.post(f"/api/items/{item['id']}/rating/", {"scores": {"score": 7}, "idempotency_key": str(uuid.uuid4())},
                    format="json")
    assert flat.status_code == 400 and flat.json()["detail"].startswith("scores.score: the conversation has 2 turn(s)")
    third = api.post(f"/api/items/{item['id']}/rating/",
                     {"scores": {"1": {"score": 7}, "2": {"score": 4}, "3": {"score": 1}},
                      "idempotency_key": str(uuid.uuid4())}, format="json")
    assert third.status_code == 400 and "scores.3" in third.json()["detail"]
    assert not Rating.objects.exists() and not RatingScore.objects.exists()  # nothing half-written

    stored = api.post(f"/api/items/{item['id']}/rating/",
                      {"scores": {"1": {"score": 7}, "2": {"score": 4}}, "idempotency_key": str(uuid.uuid4())},
                      format="json")
    assert stored.status_code == 201
    assert sorted(RatingScore.objects.values_list("turn", "score")) == [(1, 7), (2, 4)]
    assert api.get(f"/api/items/{item['id']}/").json()["rating"]["scores"] == {"1": {"score": 7}, "2": {"score": 4}}

    revised = api.post(f"/api/items/{item['id']}/rating/",
                       {"scores": {"1": {"score": 8}, "2": {"score": 4}}, "idempotency_key": str(uuid.uuid4())},
                       format="json")
    assert revised.status_code == 201 and revised.json()["revision"] == 2
    rating = Rating.objects.get()
    assert rating.revisions.get().scores == {"1": {"score": 7}, "2": {"score": 4}}  # the earlier version, per turn
    assert sorted(RatingScore.objects.values_list("turn", "score")) == [(1, 8), (2, 4)]
    client.force_login(alice.user)  # "my ratings" shows the turns' scores side by side, turn 1's first
    assert 'data-axis="score">8 · 4</td>' in client.get(reverse("my_ratings", args=["mt"])).content.decode()


def test_a_whole_conversation_campaign_still_takes_flat_scores_through_the_hot_path(db):
    campaign = open_for_pull(campaign_for_judging(slug="mt-whole", items=2, models=2, rubric_key="mt-bench-10",
                                                  turns=2))
    alice = annotators(1, campaign, prefix="alice")[0]
    api = client_for(alice.user)
    item = api.post("/api/campaigns/mt-whole/next/").json()
    assert item["score_turns"] is None
    stored = api.post(f"/api/items/{item['id']}/rating/", {"scores": {"score": 6}, "idempotency_key": str(uuid.uuid4())},
                      format="json")
    assert stored.status_code == 201 and list(RatingScore.objects.values_list("turn", "score")) == [(None, 6)]


# --- import_ratings ------------------------------------------------------------------------------------------


def test_imported_ratings_carry_their_turns_one_rating_per_item_and_annotator(imported):
    assert Rating.objects.count() == 8  # 4 items × 2 raters, each rating with its two turns
    assert RatingScore.objects.count() == 16
    rater0 = RatingScore.objects.filter(rating__annotator__handle="rater0",
                                        rating__item__response__model__name="mt-model-1",
                                        rating__item__response__prompt__external_id="p0")
    assert sorted(rater0.values_list("turn", "score")) == [(1, 3), (2, 2)]


def test_importing_the_same_file_again_changes_nothing(imported, tmp_path):
    again = ratings_import(path=write_jsonl(tmp_path / "again.jsonl", human_records()), campaign_slug="mt")
    assert again.unchanged["ratings"] == 16 and RatingScore.objects.count() == 16


def test_a_turn_beyond_the_conversation_is_refused_with_its_line_and_nothing_is_written(two_turns, tmp_path):
    records = human_records()[:3] + [{"prompt_id": "p1", "model": "mt-model-0", "annotator": "rater9", "turn": 3,
                                      "scores": {"score": 5}}]
    path = write_jsonl(tmp_path / "bad.jsonl", records)
    with pytest.raises(RecordError) as error:
        ratings_import(path=path, campaign_slug="mt")
    assert str(error.value).startswith(f"{path}:4: turn:")
    assert "answered prompt 'p1' in 2 turn(s); there is no turn 3" in str(error.value)
    assert not Rating.objects.exists()


# --- the leaderboard and agreement ---------------------------------------------------------------------------


def command_json(name, *arguments):
    out = io.StringIO()
    call_command(name, "--campaign", "mt", *arguments, "--json", stdout=out)
    return json.loads(out.getvalue())


def test_the_leaderboard_has_per_turn_boards_for_humans_and_the_mean_over_turns(imported):
    report = command_json("leaderboard")
    # An (item, turn)'s human score is its raters' mean:
    #   mt-model-0: p0 t1 7, p0 t2 6, p1 t1 9, p1 t2 5     mt-model-1: p0 t1 4, p0 t2 2.5, p1 t1 5, p1 t2 2
    means = {(board["turn"], row["model"]): row["standings"]["humans"]["mean"]["value"]
             for board in report["boards"] if board["axis"] == "score" for row in board["rows"]}
    assert means[(1, "mt-model-0")] == pytest.approx(8.0)   # (7 + 9) / 2
    assert means[(2, "mt-model-0")] == pytest.approx(5.5)   # (6 + 5) / 2
    assert means[(1, "mt-model-1")] == pytest.approx(4.5)   # (4 + 5) / 2
    assert means[(2, "mt-model-1")] == pytest.approx(2.25)  # (2.5 + 2) / 2
    # The board over every turn: an item's score is the mean of its turns (p0 6.5, p1 7 | p0 3.25, p1 3.5).
    assert means[(None, "mt-model-0")] == pytest.approx(6.75)
    assert means[(None, "mt-model-1")] == pytest.approx(3.375)

    table = next(table for table in report["mt_bench"] if table["group"] == "humans")
    first = table["rows"][0]  # FastChat's table, highest average first
    assert first["model"] == "mt-model-0"
    assert [(turn["turn"], turn["mean"], turn["n"]) for turn in first["turns"]] == [(1, 8.0, 2), (2, 5.5, 2)]
    assert first["average"] == pytest.approx((7 + 6 + 9 + 5) / 4) and first["n"] == 4
    assert table["rows"][1]["average"] == pytest.approx((4 + 2.5 + 5 + 2) / 4)


def test_agreement_is_per_axis_and_turn(imported):
    report = command_json("agreement")
    # Turn 1 pairs: (8, 6) (9, 9) (3, 5) (6, 4): one exact, one within one. Turn 2: (5, 7) (4, 6) (2, 3) (1, 3):
    # none exact, one within one.
    first, second = report["score (turn 1)"], report["score (turn 2)"]
    assert (first["n_items"], first["n_ratings"], first["n_pairs"]) == (4, 8, 4)
    assert first["exact_agreement"]["value"] == pytest.approx(0.25)
    assert first["within_one_agreement"]["value"] == pytest.approx(0.25)
    assert second["exact_agreement"]["value"] == pytest.approx(0.0)
    assert second["within_one_agreement"]["value"] == pytest.approx(0.25)
    assert "score" not in report  # no score of the whole conversation: no such axis in the report


# --- the release ---------------------------------------------------------------------------------------------


def test_the_release_ratings_table_has_the_turn_and_the_card_says_what_it_means(imported, settings, tmp_path):
    settings.RELEASES_ROOT = tmp_path / "releases"
    release = release_build(release_id=release_create(campaigns=[imported], version="1.0.0", queue=False).pk)
    assert release.build_status == "succeeded", release.build_error
    folder = release_folder(release)
    ratings = pd.read_parquet(folder / "data/ratings.parquet")
    assert len(ratings) == 16
    assert sorted(ratings["turn"].tolist()) == [1] * 8 + [2] * 8
    high = ratings[(ratings["model"] == "mt-model-0") & (ratings["turn"] == 1)]
    assert sorted(high["score"].tolist()) == [6, 8, 9, 9]
    # The release's figures: agreement per axis and turn, the humans' per-turn boards (as worked out above).
    axes = json.loads((folder / "agreement.json").read_text())["campaigns"][0]["axes"]
    assert axes["score (turn 1)"]["exact_agreement"]["value"] == pytest.approx(0.25)
    assert axes["score (turn 2)"]["within_one_agreement"]["value"] == pytest.approx(0.25)
    boards = json.loads((folder / "leaderboard.json").read_text())["campaigns"][0]["boards"]
    means = {(board["turn"], row["model"]): row["standings"]["humans"]["mean"]["value"]
             for board in boards for row in board["rows"]}
    assert means[(1, "mt-model-0")] == pytest.approx(8.0) and means[(2, "mt-model-1")] == pytest.approx(2.25)
    assert means[(None, "mt-model-1")] == pytest.approx(3.375)
    # The release's report shows those figures: agreement per turn, and the per-turn boards.
    html = (folder / "report.html").read_text(encoding="utf-8")
    for turn, stat, value in ((1, "exact", 0.25), (2, "exact", 0.0), (2, "within-one", 0.25)):
        row = re.search(rf'<tr data-axis="score" data-turn="{turn}">.*?</tr>', html, re.S).group(0)
        shown = re.search(rf'data-stat="{stat}".*?data-value="([-0-9.]+)"', row, re.S).group(1)
        assert float(shown) == pytest.approx(value)
    card = (folder / "README.md").read_text(encoding="utf-8")
    assert "| `turn` | int16 |" in card
    assert "each turn scored" in card and "null for a score of the whole conversation" in card
    assert "The `items` table holds scores of the whole conversation only" in card


# --- the quick export and the human–judge comparison ---------------------------------------------------------


def test_the_quick_export_gives_one_record_per_turn_which_imports_back(imported, tmp_path):
    from exports.rating_export import ratings_export

    records = [json.loads(line) for chunk in ratings_export(imported) for line in chunk.splitlines()]
    assert len(records) == 16 and {record["turn"] for record in records} == {1, 2}
    exported = {(r["model"], r["prompt_id"], r["turn"], r["annotator"]): r["scores"]["score"] for r in records}
    assert exported == {(model, prompt, turn, f"rater{rater}"): score
                        for (model, prompt, turn), scores in HUMAN.items() for rater, score in enumerate(scores)}
    header = "".join(ratings_export(imported, output="csv")).splitlines()[0].split(",")
    assert header[header.index("model") + 1:] == ["turn", "scores.score"]

    copy = campaign_for_judging(slug="mt-copy", items=4, models=2, rubric_key="mt-bench-10", turns=2)
    ratings_import(path=write_jsonl(tmp_path / "exported.jsonl", [
        {key: record[key] for key in ("prompt_id", "model", "annotator", "turn", "scores")} for record in records
    ]), campaign_slug=copy.slug)
    assert sorted(RatingScore.objects.filter(rating__item__campaign=copy).values_list("turn", "score")) == sorted(
        RatingScore.objects.filter(rating__item__campaign=imported).values_list("turn", "score"))


def test_meta_eval_takes_a_raters_per_turn_scores_as_their_mean_over_turns(imported, tmp_path, releases_root):
    from judging.services import verdicts_import

    judged = {("mt-model-0", "p0"): (7, 6), ("mt-model-0", "p1"): (8, 6),
              ("mt-model-1", "p0"): (4, 2), ("mt-model-1", "p1"): (5, 3)}
    verdicts_import(path=write_jsonl(tmp_path / "verdicts.jsonl", [
        {"prompt_id": prompt, "model": model, "turn": turn + 1, "scores": {"score": score}}
        for (model, prompt), scores in judged.items() for turn, score in enumerate(scores)
    ]), campaign_slug="mt", judge_name="mt-judge")
    report = command_json("meta_eval", "--judge", "mt-judge")
    axis = report["score"]
    means = {row["model"]: (row["human_mean"], row["judge_mean"]) for row in axis["system"]["models"]}
    # Humans: each item's four scores (two raters × two turns) averaged: mt-model-0 p0 6.5, p1 7; mt-model-1
    # p0 3.25, p1 3.5. The judge: the mean of its two turns: 6.5, 7; 3, 4.
    assert means["mt-model-0"] == (pytest.approx(6.75), pytest.approx(6.75))
    assert means["mt-model-1"] == (pytest.approx(3.375), pytest.approx(3.5))

    # A release compares them as the command does: 8 human scores once each rater's turns are averaged.
    release = release_build(release_id=release_create(campaigns=[imported], version="1.0.0", queue=False).pk)
    kept = json.loads((release_folder(release) / "meta_eval.json").read_text())["campaigns"][0]["judges"][0]
    assert (kept["n_human_scores"], kept["n_judge_scores"]) == (8, 8) == (report["meta"]["n_human_scores"],
                                                                       report["meta"]["n_judge_scores"])
    assert kept["axes"]["score"]["system"] == axis["system"]
    assert kept["axes"]["score"]["instance"]["pearson"]["value"] == pytest.approx(axis["instance"]["pearson"]["value"])


def test_the_report_page_shows_agreement_per_turn(imported, lead, client):
    from annotation.models import CampaignMembership

    CampaignMembership.objects.create(campaign=imported, user=lead, role=CampaignMembership.Role.LEAD)
    client.force_login(lead)
    response = client.get(f"/campaigns/{imported.slug}/report/")
    assert response.status_code == 200
    html = response.content.decode()
    agreement = html.split('data-table="agreement"', 1)[1].split("</table>", 1)[0]
    assert '<tr data-axis="score">' not in agreement  # no row for a score nobody gave (the whole conversation's)
    for turn, exact in ((1, "0.250"), (2, "0.000")):  # as worked out in test_agreement_is_per_axis_and_turn
        row = agreement.split(f'data-axis="score" data-turn="{turn}"', 1)[1].split("</tr>", 1)[0]
        assert f"(ターン {turn})" in row and exact in row.split('data-stat="exact"', 1)[1].split("</td>", 1)[0]
