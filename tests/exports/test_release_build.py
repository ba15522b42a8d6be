"""A built release, read back the way researchers read it: pandas in three formats, Hugging Face `datasets`
on the folder, `sha256sum -c`, and the zip; every table has as many rows as the database."""

import json
import subprocess
import zipfile
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from annotation.models import Campaign, Item, Rating, RatingScore
from annotation.services import ratings_import, responses_import
from exports.models import Release
from exports.services import release_build, release_create, release_folder
from tests.exports.release_factories import (  # noqa: F401 (an autouse fixture)
    AXES, counts, few_bootstrap_replicates, platform_annotator, rated_campaign,
)
from tests.exports.test_checklist_report import add_checklists
from tests.judging.test_imports import write_jsonl

TABLES = ("ratings", "items", "prompts", "responses", "models", "verdicts", "leaderboard", "preference_pairs")
# Every table's columns and types as released before the tables were moved into the kind modules, with every
# opt-in column and the checklist tables: researchers' code reads them, so a change is a decision, never an
# accident of a refactor.
PUBLISHED_COLUMNS = json.loads((Path(__file__).parent / "release_schemas.json").read_text())


def parquet_columns(folder):
    """{table: ["column: type", ...]} of the release's Parquet files."""
    return {path.stem: [f"{field.name}: {field.type}" for field in pq.read_schema(path)]
            for path in sorted((folder / "data").glob("*.parquet"))}


@pytest.fixture
def built(db, releases_root):
    campaign = rated_campaign()
    release = release_create(campaigns=[campaign], version="1.0.0", queue=False)
    release = release_build(release_id=release.pk)
    assert release.build_status == Release.BuildStatus.SUCCEEDED, release.build_error
    return release, campaign, release_folder(release)


def test_every_table_loads_with_pandas_in_every_format_with_the_database_row_counts(built):
    release, campaign, folder = built
    expected = counts(campaign)
    for table, rows in expected.items():
        parquet = pd.read_parquet(folder / f"data/{table}.parquet")
        jsonl = pd.read_json(folder / f"data/{table}.jsonl", lines=True)
        csv = pd.read_csv(folder / f"data/{table}.csv")
        assert (len(parquet), len(jsonl), len(csv)) == (rows, rows, rows), table
        assert list(parquet.columns) == list(jsonl.columns) == list(csv.columns)
    assert release.stats["rows"] == {**expected, "preference_pairs": 8}


def test_hugging_face_datasets_loads_the_parquet_files_and_the_card_configs(built, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    from datasets import load_dataset

    release, campaign, folder = built
    expected = counts(campaign)
    cache = str(tmp_path / "hf-cache")
    files = {table: str(folder / f"data/{table}.parquet") for table in expected}
    for table, rows in expected.items():
        loaded = load_dataset("parquet", data_files=files[table], cache_dir=cache)["train"]
        assert loaded.num_rows == rows, table
    items = load_dataset(str(folder), "items", cache_dir=cache)["train"]
    assert items.num_rows == expected["items"]
    assert "relevance_scores" in items.column_names and "relevance_mean" in items.column_names


def test_sha256sum_checks_every_file_in_the_folder_and_in_the_unpacked_zip(built, tmp_path):
    release, _, folder = built
    checked = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=folder, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    listed = {line.split("  ", 1)[1] for line in (folder / "SHA256SUMS").read_text().splitlines()}
    on_disk = {str(path.relative_to(folder)) for path in folder.rglob("*") if path.is_file()}
    assert listed == on_disk - {"SHA256SUMS"}
    assert set(release.files.values_list("path", flat=True)) == on_disk

    with zipfile.ZipFile(folder / f"{release.name}-{release.version}.zip") as zipped:
        zipped.extractall(tmp_path / "unzipped")
    unzipped = tmp_path / "unzipped" / f"{release.name}-{release.version}"
    checked = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=unzipped, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert len(list(unzipped.rglob("*.parquet"))) == len(TABLES)


def test_items_in_wide_form_hold_every_score_and_the_mean_per_axis(built):
    _, campaign, folder = built
    items = pd.read_parquet(folder / "data/items.parquet")
    rated = items[items["n_ratings"] > 0]
    assert len(rated) == 11 and (rated["n_ratings"] == 2).all()
    row = rated.iloc[0]
    assert len(row["overall_scores"]) == len(row["annotators"]) == 2
    assert row["overall_mean"] == pytest.approx(sum(row["overall_scores"]) / 2)
    unrated = items[items["n_ratings"] == 0].iloc[0]
    assert len(unrated["overall_scores"]) == 0 and pd.isna(unrated["overall_mean"])
    assert len(items) == campaign.items.count()  # and the card says so, not "rated items"
    assert "Every item of the campaigns in wide form, rated or not" in (folder / "README.md").read_text()
    assert json.loads(pd.read_csv(folder / "data/items.csv")["annotators"][0])  # lists are JSON text in CSV


def test_ratings_carry_pseudonyms_and_tiers_and_the_verdicts_their_judge(built):
    _, _, folder = built
    ratings = pd.read_parquet(folder / "data/ratings.parquet")
    assert ratings["annotator"].str.fullmatch(r"ann-[0-9a-f]{8}").all()
    assert ratings["annotator"].nunique() == 3
    assert set(ratings["annotator_tier"]) == {"graduate", "vendor"}
    verdicts = pd.read_parquet(folder / "data/verdicts.parquet")
    job = verdicts[verdicts["judge"] == "gpt-judge"]
    assert set(job["judge_model"]) == {"gpt-4o-2024-08-06"} and set(job["judge_template_version"]) == {2}
    failed = job[job["parse_status"] == "parse_error"]
    assert len(failed) == 1 and failed["score"].isna().all() and failed["axis"].isna().all()


def test_agreement_meta_eval_rubric_and_card_hold_the_figures(built):
    release, _, folder = built
    agreement = json.loads((folder / "agreement.json").read_text())
    axes = agreement["campaigns"][0]["axes"]
    assert list(axes) == ["relevance", "fluency", "accuracy", "detail", "overall"]
    assert axes["overall"]["alpha"]["value"] is not None
    assert {a["annotator"] for a in axes["overall"]["annotators"]} <= set(
        pd.read_parquet(folder / "data/ratings.parquet")["annotator"])
    meta_eval = json.loads((folder / "meta_eval.json").read_text())
    judges = {judge["judge"]: judge for judge in meta_eval["campaigns"][0]["judges"]}
    assert set(judges) == {"gpt-judge", "vendor-judge"}
    assert judges["gpt-judge"]["verdicts_by_status"] == {"ok": 11, "parse_error": 1}
    assert "overall" in judges["gpt-judge"]["axes"]
    rubric = json.loads((folder / "rubric.json").read_text())
    assert rubric["campaigns"] == {"jp-release": "quality-5x5"} and len(rubric["rubrics"][0]["axes"]) == 5

    card = (folder / "README.md").read_text()
    assert card.startswith("---\nlicense: cc-by-4.0\nlanguage:\n- ja\n")
    assert "path: data/ratings.parquet" in card and "size_categories:\n- n<1K" in card
    assert "## Agreement among annotators" in card and "| overall | 11 |" in card
    assert card == release.card


def test_a_campaign_with_no_ratings_still_builds_empty_tables(db, releases_root):
    from annotation.models import Campaign, Rubric

    campaign = Campaign.objects.create(slug="empty", name="空", rubric=Rubric.objects.get(key="quality-5x5"))
    release = release_build(release_id=release_create(campaigns=[campaign], version="0.1.0", queue=False).pk)
    assert release.build_status == Release.BuildStatus.SUCCEEDED, release.build_error
    folder = release_folder(release)
    assert len(pd.read_parquet(folder / "data/ratings.parquet")) == 0
    assert len(pd.read_csv(folder / "data/ratings.csv")) == 0
    assert json.loads((folder / "agreement.json").read_text())["campaigns"][0]["reason"] == "no ratings"


def test_rebuilding_a_draft_replaces_its_folder_and_files(built):
    from exports.services import release_rebuild

    release, _, folder = built
    (folder / "stray.txt").write_text("left from before")
    release_rebuild(release=release)
    release = release_build(release_id=release.pk)
    assert release.build_status == Release.BuildStatus.SUCCEEDED
    assert not (folder / "stray.txt").exists()
    assert not [p for p in folder.parent.iterdir() if p.name.startswith(".")]  # no staging left behind


def test_a_release_of_two_campaigns_holds_both(db, releases_root):
    first, second = rated_campaign(), rated_campaign(slug="jp-release-2")
    release = release_build(release_id=release_create(campaigns=[first, second], version="1.0.0", name="jp-both",
                                                      queue=False).pk)
    folder = release_folder(release)
    assert folder == releases_root / "jp-both" / "1.0.0"
    ratings = pd.read_parquet(folder / "data/ratings.parquet")
    assert ratings.groupby("campaign").size().to_dict() == {"jp-release": 110, "jp-release-2": 110}
    assert ratings["annotator"].nunique() == 3  # the same people, one pseudonym each across the campaigns
    assert len(pd.read_parquet(folder / "data/preference_pairs.parquet")) == 16
    agreement = json.loads((folder / "agreement.json").read_text())
    assert [c["campaign"] for c in agreement["campaigns"]] == ["jp-release", "jp-release-2"]


def test_every_table_keeps_the_columns_and_types_it_was_published_with(db, releases_root):
    campaign = rated_campaign()
    add_checklists(campaign)
    release = release_build(release_id=release_create(
        campaigns=[campaign], version="1.0.0", queue=False, include_usernames=True, include_emails=True,
        include_comments=True).pk)
    assert parquet_columns(release_folder(release)) == PUBLISHED_COLUMNS["likert"]


def test_the_card_states_the_raters_each_item_really_has_beside_the_configured_overlap(db, releases_root, tmp_path):
    """An outside vendor's ratings are imported for five of six items (imported raters hold no slots), then two
    platform raters (overlap k = 2) rate four of them: those have 3 raters, not k; one has only the vendor's,
    one has none."""
    answers = [{"prompt_id": f"q{p}", "prompt": f"質問{p}", "model": model, "response": f"{model}の答え{p}"}
               for p in range(3) for model in ("model-a", "model-b")]
    responses_import(path=str(write_jsonl(tmp_path / "responses.jsonl", answers)), campaign_slug="raters",
                     rubric_key="quality-5x5")
    vendor = [{"prompt_id": record["prompt_id"], "model": record["model"], "annotator": "vendor-1",
               "scores": {axis: 3 for axis in AXES}} for record in answers[:5]]
    ratings_import(path=str(write_jsonl(tmp_path / "vendor.jsonl", vendor)), campaign_slug="raters")
    campaign = Campaign.objects.get(slug="raters")
    assert campaign.overlap == 2
    axes = list(campaign.rubric.axes.all())
    web = [platform_annotator("web-one", "one@example.org"), platform_annotator("web-two", "two@example.org")]
    items = Item.objects.filter(campaign=campaign).order_by("response__prompt__external_id", "response__model__name")
    for item in items[:4]:
        for annotator in web:
            rating = Rating.objects.create(item=item, annotator=annotator)
            RatingScore.objects.bulk_create(RatingScore(rating=rating, axis=axis, score=4) for axis in axes)

    release = release_build(release_id=release_create(campaigns=[campaign], version="1.0.0", queue=False).pk)

    assert release.stats["raters_per_item"] == {"raters": {
        "overlap": 2, "items": 6, "min": 0, "median": 3.0, "max": 3, "histogram": {"0": 1, "1": 1, "3": 4}}}
    card = (release_folder(release) / "README.md").read_text()
    assert "| Campaign | Overlap k (configured) | Items | Min | Median | Max | Items with n raters (n: items) |" in card
    assert "| raters | 2 | 6 | 0 | 3 | 3 | 0: 1, 1: 1, 3: 4 |" in card
    assert "rated by 2" not in card and "distinct annotators." not in card


def test_the_leaderboard_table_and_card_hold_the_reports_figures(built):
    release, campaign, folder = built
    table = pd.read_parquet(folder / "data/leaderboard.parquet")
    overall = table[(table["axis"] == "overall") & (table["source"] == "humans")].set_index("model")
    ratings = pd.read_parquet(folder / "data/items.parquet").groupby("model")["overall_mean"].mean()
    assert overall["mean"].to_dict() == pytest.approx(ratings.dropna().to_dict())
    # The rank by hand: 1 + the models whose interval lies wholly above.
    for model, row in overall.iterrows():
        assert row["rank"] == 1 + (overall["mean_low"] > row["mean_high"]).sum()
    assert table["violation_rate"].isna().all()  # quality axes have no safety rates
    assert set(table.loc[table["source"] == "judge", "api_error_as_lowest"]) == {False}
    figures = json.loads((folder / "leaderboard.json").read_text())
    assert figures["campaigns"][0]["boards"][0]["systems"][0]["judge"] == "gpt-judge"
    card = (folder / "README.md").read_text()
    assert "## Leaderboard" in card and "gpt-judge: API errors are not scores." in card
