"""Final labels in releases, read back with pandas as a researcher reads them: every item of the ``items`` table
has its final label (a score per axis, or a verdict) and the label's provenance, as worked out here by hand from
the ratings each item was given; gold and attention items stay out; the adjudicator's note is published only
when the lead opts in to free text; the card states the rule and counts each provenance."""

import pandas as pd
import pytest

from annotation.adjudication_selectors import campaign_final_labels
from annotation.models import Item, Rating, RatingScore, Response
from annotation.services.adjudication import adjudication_record, campaign_adjudication_set
from exports.models import Release
from exports.services import release_build, release_create, release_folder
from tests.annotation.pairwise_factories import pairwise_campaign
from tests.annotation.workflow_factories import annotators, campaign_with_items
from tests.exports.release_factories import few_bootstrap_replicates  # noqa: F401 (an autouse fixture)

AXES = ("relevance", "fluency", "accuracy", "detail", "overall")
NOTE = "評価者3の読み違い-NOTE"


def scores(*values):
    return dict(zip(AXES, values))


# Per item (in item order): the scores of each rater, the adjudicated scores (or None), and the final label and
# provenance worked out by hand from the rule (unanimous, key-by-key strict majority, adjudicated, single).
LIKERT = [
    ("unanimous", [scores(4, 5, 3, 4, 4), scores(4, 5, 3, 4, 4)], None,
     scores(4, 5, 3, 4, 4), "unanimous"),
    # Three raters: each axis has a value two of three gave, though no rater gave the whole label.
    ("majority", [scores(4, 3, 5, 2, 4), scores(4, 3, 1, 2, 3), scores(2, 3, 5, 5, 4)], None,
     scores(4, 3, 5, 2, 4), "majority"),
    ("tied", [scores(3, 3, 3, 3, 3), scores(3, 3, 3, 3, 5)], None, None, "unresolved"),
    ("adjudicated", [scores(1, 1, 1, 1, 1), scores(5, 5, 5, 5, 5)], scores(3, 4, 2, 3, 3),
     scores(3, 4, 2, 3, 3), "adjudicated"),
    ("single", [scores(2, 4, 4, 1, 2)], None, scores(2, 4, 4, 1, 2), "single"),
    ("unrated", [], None, None, "unresolved"),
    # Three raters agree on four axes, but overall is 1, 2, 3: no strict majority there, so no label at all.
    ("split-axis", [scores(4, 4, 4, 4, 1), scores(4, 4, 4, 4, 2), scores(4, 4, 4, 4, 3)], None, None,
     "unresolved"),
]
# Pairwise, verdicts in the item's terms; the adjudicator picks "right" on a page showing A on the left: B.
PAIRWISE = [
    ("unanimous", ["A", "A"], None, "A", "unanimous"),
    ("majority", ["B", "A", "B"], None, "B", "majority"),
    ("tied", ["A", "B"], None, None, "unresolved"),
    ("adjudicated", ["A", "tie"], "right", "B", "adjudicated"),
    ("single", ["tie"], None, "tie", "single"),
    ("unrated", [], None, None, "unresolved"),
]


def likert_campaign(lead):
    """The LIKERT items, then a gold item and an attention copy of the first, both rated apart."""
    campaign = campaign_with_items(slug="lik", items=len(LIKERT) + 1, models=2)
    campaign_adjudication_set(campaign=campaign, threshold=1)
    raters = annotators(3, prefix="lik")
    axes = {axis.key: axis for axis in campaign.rubric.axes.all()}
    items = list(campaign.items.order_by("id"))
    for item, (_, given, adjudicated, _, _) in zip(items, LIKERT):
        for rater, answer in zip(raters, given):
            rate(item, rater, axes, answer)
        if adjudicated:
            adjudication_record(item=item, adjudicator=lead, scores=adjudicated, note=NOTE)
    gold = items[len(LIKERT)]
    Item.objects.filter(pk=gold.pk).update(quality_role=Item.QualityRole.GOLD)
    copy = Response.objects.create(prompt=items[0].response.prompt, model=items[0].response.model,
                                   copy_of=items[0].response, turns=["劣化した答え"])
    attention = Item.objects.create(campaign=campaign, response=copy, quality_role=Item.QualityRole.ATTENTION,
                                    original=items[0])
    for quality_item in (gold, attention):
        for rater, answer in zip(raters, [scores(1, 1, 1, 1, 1), scores(1, 1, 1, 1, 1)]):
            rate(quality_item, rater, axes, answer)
    return campaign, items[:len(LIKERT)], (gold, attention)


def rate(item, rater, axes, answer):
    rating = Rating.objects.create(item=item, annotator=rater, comment=f"{rater.handle}の感想")
    RatingScore.objects.bulk_create(RatingScore(rating=rating, axis=axes[key], score=value)
                                    for key, value in answer.items())


def pairwise_release_campaign(lead):
    """The PAIRWISE items, then a gold pair voted on apart."""
    campaign = pairwise_campaign(slug="pw-final", prompts=len(PAIRWISE) + 1, verdicts=("A", "B", "tie"))
    campaign_adjudication_set(campaign=campaign, threshold=0)
    raters = annotators(3, prefix="pw")
    items = list(campaign.items.order_by("id"))
    for item, (_, votes, adjudicated, _, _) in zip(items, PAIRWISE + [("gold", ["A", "A"], None, None, None)]):
        for rater, verdict in zip(raters, votes):
            Rating.objects.create(item=item, annotator=rater, verdict=verdict, comment="感想")
        if adjudicated:
            adjudication_record(item=item, adjudicator=lead, verdict=adjudicated, note=NOTE)
    Item.objects.filter(pk=items[-1].pk).update(quality_role=Item.QualityRole.GOLD)
    return campaign, items[:-1]


def built(campaign, **options):
    release = release_build(release_id=release_create(campaigns=[campaign], version="1.0.0", queue=False,
                                                      **options).pk)
    assert release.build_status == Release.BuildStatus.SUCCEEDED, release.build_error
    folder = release_folder(release)
    return release, folder, pd.read_parquet(folder / "data/items.parquet").set_index("item_id")


def test_every_likert_item_has_its_final_scores_and_provenance_and_quality_items_stay_out(
        db, lead, releases_root):
    campaign, items, quality = likert_campaign(lead)

    release, folder, table = built(campaign)

    assert sorted(table.index) == sorted(str(item.public_id) for item in items)
    for item, (name, given, _, label, provenance) in zip(items, LIKERT):
        row = table.loc[str(item.public_id)]
        assert row["final_provenance"] == provenance, name
        assert row["n_ratings"] == len(given), name
        for key in AXES:
            final = row[f"final_{key}"]
            assert (pd.isna(final) if label is None else final == label[key]), (name, key, final)
    assert "adjudication_note" not in table.columns
    for copy in quality:
        assert str(copy.public_id) not in table.index
    assert release.stats["final_labels"] == {"lik": {"unanimous": 1, "majority": 1, "adjudicated": 1, "single": 1,
                                                     "unresolved": 3}}


def test_the_release_agrees_with_the_final_labels_the_adjudication_pages_show(db, lead, releases_root):
    campaign, items, _ = likert_campaign(lead)
    _, _, table = built(campaign)
    shown = campaign_final_labels(campaign)
    for item in items:
        row = table.loc[str(item.public_id)]
        final = shown.get(item.id)
        assert row["final_provenance"] == (final.provenance if final else "unresolved")
        assert {key: None if pd.isna(row[f"final_{key}"]) else int(row[f"final_{key}"]) for key in AXES} == {
            key: (final.label or {}).get(key) if final else None for key in AXES}


def test_the_final_columns_load_in_every_format_with_nulls_for_unresolved_items(db, lead, releases_root):
    campaign, items, _ = likert_campaign(lead)
    _, folder, _ = built(campaign)
    for reader in (lambda: pd.read_json(folder / "data/items.jsonl", lines=True),
                   lambda: pd.read_csv(folder / "data/items.csv")):
        table = reader().set_index("item_id")
        tied = table.loc[str(items[2].public_id)]
        majority = table.loc[str(items[1].public_id)]
        assert tied["final_provenance"] == "unresolved" and pd.isna(tied["final_overall"])
        assert (majority["final_provenance"], majority["final_accuracy"], majority["final_detail"]) == (
            "majority", 5, 2)


def test_the_adjudicators_note_is_published_only_when_the_lead_opts_in_to_free_text(db, lead, releases_root):
    campaign, items, _ = likert_campaign(lead)

    _, folder, table = built(campaign, include_comments=True)

    notes = table["adjudication_note"]
    assert notes.loc[str(items[3].public_id)] == NOTE
    assert notes.drop(str(items[3].public_id)).isna().all()
    card = (folder / "README.md").read_text()
    assert "`adjudication_note`" in card and NOTE not in card


def test_the_card_describes_the_final_label_columns_the_rule_and_counts_each_provenance(db, lead, releases_root):
    campaign, _, _ = likert_campaign(lead)

    _, folder, _ = built(campaign)

    card = (folder / "README.md").read_text()
    assert "## Final labels" in card
    assert "| `final_overall` | int16 |" in card and "| `final_provenance` | string |" in card
    assert "`unanimous`: at least two raters, all giving the same answer" in card
    assert "the largest range of the scores given on one axis" in card
    assert "| Campaign | Threshold | unanimous | majority | adjudicated | single | unresolved |" in card
    assert "| lik | 1 | 1 | 1 | 1 | 1 | 3 |" in card
    assert "Adjudicators' notes are free text, like the annotators' comments, and are left out." in card


def test_every_pair_has_its_final_verdict_and_provenance_in_the_items_table(db, lead, releases_root):
    campaign, items = pairwise_release_campaign(lead)

    release, folder, table = built(campaign, include_comments=True)

    assert sorted(table.index) == sorted(str(item.public_id) for item in items)  # the gold pair left out
    for item, (name, votes, _, verdict, provenance) in zip(items, PAIRWISE):
        row = table.loc[str(item.public_id)]
        assert (row["final_provenance"], row["n_votes"], list(row["verdicts"])) == (provenance, len(votes), votes), name
        assert (pd.isna(row["final_verdict"]) if verdict is None else row["final_verdict"] == verdict), name
        assert (row["adjudication_note"] == NOTE) if name == "adjudicated" else pd.isna(row["adjudication_note"])
    votes = pd.read_parquet(folder / "data/votes.parquet")
    assert len(votes) == sum(len(given) for _, given, _, _, _ in PAIRWISE)  # the unvoted pair gives no vote row
    card = (folder / "README.md").read_text()
    assert "| `final_verdict` | string |" in card
    assert "| pw-final | 0 | 1 | 1 | 1 | 1 | 2 |" in card
    assert "| Pairs (items) | 6 |" in card
    assert release.stats["items"] == 5  # the pairs voted on, as before: the figures count those
