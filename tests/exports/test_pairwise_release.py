"""A release of a pairwise campaign, read back the way researchers read it: votes, verdicts, rankings and
preference pairs in three formats with pandas, Hugging Face `datasets` on the files and the card's configs,
`sha256sum -c`; the figures checked against the database and against counts made here from the records."""

import json
import subprocess
from collections import Counter

import pandas as pd
import pytest

from annotation.models import Item, Prompt, Rating, Response
from exports.models import Release
from exports.services import release_build, release_create, release_folder
from judging.models import JudgeConfig, Verdict
from exports.reports.ranking import campaign_ranking
from tests.annotation.test_pairwise_imports import BASE, CONTEXT, OTHER
from tests.exports.pairwise_factories import COMMENT_MARK, SECRET_EMAIL, voted_campaign
from tests.exports.release_factories import few_bootstrap_replicates  # noqa: F401 (an autouse fixture)
from tests.exports.test_checklist_report import tick_pairs
from tests.exports.test_release_build import PUBLISHED_COLUMNS, parquet_columns

TABLES = ("votes", "items", "prompts", "responses", "models", "verdicts", "rankings", "preference_pairs")


@pytest.fixture
def built(db, releases_root, tmp_path):
    campaign = voted_campaign(tmp_path)
    release = release_create(campaigns=[campaign], version="1.0.0", queue=False)
    release = release_build(release_id=release.pk)
    assert release.build_status == Release.BuildStatus.SUCCEEDED, release.build_error
    return release, campaign, release_folder(release)


def database_counts(campaign):
    responses = Response.objects.filter(items__campaign=campaign) | Response.objects.filter(items_as_b__campaign=campaign)
    return {
        "votes": Rating.objects.filter(item__campaign=campaign).exclude(verdict="").count(),
        "prompts": Prompt.objects.filter(responses__in=responses).distinct().count(),
        "responses": responses.distinct().count(),
        "models": 3,
        "verdicts": Verdict.objects.filter(item__campaign=campaign).count(),
    }


def test_every_table_loads_with_pandas_in_every_format_with_the_database_row_counts(built):
    release, campaign, folder = built
    expected = database_counts(campaign)
    assert expected == {"votes": 45, "prompts": 6, "responses": 18, "models": 3, "verdicts": 18}
    for table in TABLES:
        parquet = pd.read_parquet(folder / f"data/{table}.parquet")
        jsonl = pd.read_json(folder / f"data/{table}.jsonl", lines=True)
        csv = pd.read_csv(folder / f"data/{table}.csv")
        assert len(parquet) == len(jsonl) == len(csv) == release.stats["rows"][table], table
        assert list(parquet.columns) == list(jsonl.columns) == list(csv.columns)
        if table in expected:
            assert len(parquet) == expected[table], table
    assert release.stats["kind"] == "pairwise" and release.stats["items"] == 18


def test_votes_are_in_the_items_terms_with_the_order_shown_and_pseudonyms(built):
    release, campaign, folder = built
    votes = pd.read_parquet(folder / "data/votes.parquet")
    stored = {(str(r.item.public_id), r.annotator.handle): r for r in
              Rating.objects.filter(item__campaign=campaign).select_related("item__response__model", "annotator")}
    assert len(stored) == len(votes)
    pseudonyms = {}
    for row in votes.itertuples():
        matches = [r for (item, _), r in stored.items() if item == row.item_id and r.verdict == row.verdict
                   and r.position == row.position and r.seconds_spent == row.seconds_spent]
        assert matches, row
        pseudonyms.setdefault(matches[0].annotator.handle, set()).add(row.annotator)
        assert row.model_a == matches[0].item.response.model.name
    assert all(len(names) == 1 for names in pseudonyms.values())
    assert votes["annotator"].str.match(r"^ann-[0-9a-f]{8}$").all()
    assert set(votes["annotator_tier"]) == {"professional", "external"}
    assert votes["submitted_at"].str.endswith("+00:00").all() and votes["revised_at"].isna().all()
    text = "".join(path.read_text() for path in folder.rglob("*") if path.suffix in (".jsonl", ".csv", ".json", ".md"))
    for secret in (SECRET_EMAIL, "voter-one", COMMENT_MARK, "v1", "v3"):
        assert f'"{secret}"' not in text and f",{secret}," not in text


def test_judge_verdicts_keep_both_orders_and_failures(built):
    _, campaign, folder = built
    verdicts = pd.read_parquet(folder / "data/verdicts.parquet")
    job = verdicts[verdicts["judge"] == "pair-judge"]
    assert len(job) == 12 and set(job["order"]) == {"AB", "BA"} and job["job_id"].notna().all()
    failed = job[job["parse_status"] == "parse_error"]
    assert len(failed) == 1 and failed["verdict"].isna().all() and failed["order"].tolist() == ["BA"]
    assert job["judge_model"].eq("gpt-4o-2024-08-06").all()
    vendor = verdicts[verdicts["judge"] == "vendor-pair"]
    assert len(vendor) == 6 and vendor["job_id"].isna().all() and vendor["judge_external"].all()


def expected_preference_pairs():
    """From the fixture's votes, independently: per item the verdict counts; a pair when A or B is strictly the
    most common verdict. Keyed by (prompt, chosen model, rejected model)."""
    from tests.exports.pairwise_factories import PAIRS, PROMPTS, VOTES

    pairs = {}
    for p in PROMPTS:
        for (model_a, model_b), votes in zip(PAIRS, VOTES[p]):
            counts = Counter(votes)
            top = counts.most_common()
            if top[0][0] not in ("A", "B") or (len(top) > 1 and top[1][1] == top[0][1]):
                continue
            chosen, rejected = (model_a, model_b) if top[0][0] == "A" else (model_b, model_a)
            winner, loser = top[0][0], "B" if top[0][0] == "A" else "A"
            pairs[f"q{p}", chosen, rejected] = (len(votes), counts[winner], counts[loser])
    return pairs


def test_preference_pairs_follow_the_human_majority(built):
    _, campaign, folder = built
    pairs = pd.read_parquet(folder / "data/preference_pairs.parquet")
    prompts = pd.read_parquet(folder / "data/prompts.parquet").set_index("prompt_id")["external_id"]
    found = {(prompts[row.prompt_id], row.chosen_model, row.rejected_model):
             (row.n_votes, row.votes_chosen, row.votes_rejected) for row in pairs.itertuples()}
    expected = expected_preference_pairs()
    assert found == expected and len(expected) >= 8
    for row in pairs.itertuples():
        assert row.margin == pytest.approx((row.votes_chosen - row.votes_rejected) / row.n_votes)
        assert row.chosen == f"{row.chosen_model}の答え{prompts[row.prompt_id][1:]}"
        assert row.prompt.startswith("質問")


def test_rankings_are_those_of_the_ranking_report_on_the_same_votes(built):
    _, campaign, folder = built
    rankings = pd.read_parquet(folder / "data/rankings.parquet")
    humans = rankings[rankings["source"] == "humans"].set_index("model")
    report = campaign_ranking(campaign, JudgeConfig.objects.get(name="pair-judge"), replicates=50)
    for model in report["humans"]["models"]:
        row = humans.loc[model["model"]]
        assert (row["rank"], row["wins"], row["ties"], row["losses"]) == (
            model["rank"], model["wins"], model["ties"], model["losses"])
        assert row["rating"] == pytest.approx(model["rating"]["value"])
        assert row["rating_low"] == pytest.approx(model["rating"]["low"])
    judge = rankings[rankings["judge"] == "pair-judge"].set_index("model")
    for model in report["judge"]["models"]:
        if model["rating"]["value"] is None:  # OTHER: the judge compared only CONTEXT and BASE
            assert pd.isna(judge.loc[model["model"], "rating"]) and judge.loc[model["model"], "note"] == "no votes"
        else:
            assert judge.loc[model["model"], "rating"] == pytest.approx(model["rating"]["value"])
    assert set(rankings["judge"].dropna()) == {"pair-judge", "vendor-pair"}
    figures = json.loads((folder / "rankings.json").read_text())["campaigns"][0]
    pair_judge = next(entry for entry in figures["judges"] if entry["judge"] == "pair-judge")
    assert pair_judge["agreement"] == report["agreement"]
    assert pair_judge["verdicts_by_status"] == {"ok": 11, "parse_error": 1}


def test_a_judge_that_drops_inconsistent_pairs_is_ranked_without_them(db, releases_root, tmp_path):
    campaign = voted_campaign(tmp_path)
    JudgeConfig.objects.filter(name="pair-judge").update(inconsistent="drop")
    release = release_build(release_id=release_create(campaigns=[campaign], version="1.0.0", queue=False).pk)
    folder = release_folder(release)

    report = campaign_ranking(campaign, JudgeConfig.objects.get(name="pair-judge"), replicates=50)
    tied = campaign_ranking(campaign, JudgeConfig.objects.get(name="pair-judge"), replicates=50, inconsistent="tie")
    figures = json.loads((folder / "rankings.json").read_text())["campaigns"][0]
    pair_judge = next(entry for entry in figures["judges"] if entry["judge"] == "pair-judge")
    assert pair_judge["inconsistent"] == "drop" and report["meta"]["inconsistent"] == "drop"
    assert pair_judge["n_inconsistent_pairs"] == pair_judge["n_dropped_pairs"] == report["meta"]["n_dropped_pairs"] > 0
    assert pair_judge["agreement"] == report["agreement"] != tied["agreement"]
    judge = pd.read_parquet(folder / "data/rankings.parquet").query("judge == 'pair-judge'").set_index("model")
    for model in report["judge"]["models"]:
        assert judge.loc[model["model"], "wins"] == model["wins"]


def test_win_tie_and_loss_counts_are_the_votes(built):
    """Counted here from the fixture's records: a model's wins are the votes for its side."""
    from tests.exports.pairwise_factories import PAIRS, PROMPTS, VOTES

    _, _, folder = built
    record = {model: Counter() for model in (CONTEXT, BASE, OTHER)}
    for p in PROMPTS:
        for (model_a, model_b), votes in zip(PAIRS, VOTES[p]):
            for vote in votes:
                record[model_a]["wins" if vote == "A" else "losses" if vote == "B" else "ties"] += 1
                record[model_b]["wins" if vote == "B" else "losses" if vote == "A" else "ties"] += 1
    humans = pd.read_parquet(folder / "data/rankings.parquet").query("source == 'humans'").set_index("model")
    for model, counts in record.items():
        assert (humans.loc[model, "wins"], humans.loc[model, "ties"], humans.loc[model, "losses"]) == (
            counts["wins"], counts["ties"], counts["losses"])
        assert humans.loc[model, "win_rate"] == pytest.approx(counts["wins"] / sum(counts.values()))


def test_agreement_json_is_the_commands_alpha(built):
    from io import StringIO

    from django.core.management import call_command

    _, campaign, folder = built
    figures = json.loads((folder / "agreement.json").read_text())["campaigns"][0]
    out = StringIO()
    call_command("agreement", "--campaign", campaign.slug, "--json", "--replicates", "50", stdout=out)
    command = json.loads(out.getvalue())["verdict"]
    assert figures["verdict"]["alpha"] == command["alpha"]
    assert figures["verdict"]["verdict_counts"] == command["verdict_counts"]
    assert {row["annotator"] for row in figures["verdict"]["annotators"]} == set(
        pd.read_parquet(folder / "data/votes.parquet")["annotator"])


def test_hugging_face_datasets_loads_the_tables_and_the_card_configs(built, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    from datasets import load_dataset

    release, _, folder = built
    cache = str(tmp_path / "hf-cache")
    for table in TABLES:
        loaded = load_dataset("parquet", data_files=str(folder / f"data/{table}.parquet"), cache_dir=cache)["train"]
        assert loaded.num_rows == release.stats["rows"][table], table
    votes = load_dataset(str(folder), "votes", cache_dir=cache)["train"]
    assert votes.num_rows == 45 and {"model_a", "model_b", "position", "verdict"} <= set(votes.column_names)
    pairs = load_dataset(str(folder), "preference_pairs", cache_dir=cache)["train"]
    assert {"prompt", "chosen", "rejected"} <= set(pairs.column_names)


def test_checksums_and_the_card(built):
    release, _, folder = built
    checked = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=folder, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    listed = {line.split("  ", 1)[1] for line in (folder / "SHA256SUMS").read_text().splitlines()}
    assert {"agreement.json", "rankings.json", "rubric.json", "README.md", "data/votes.parquet",
            "data/rankings.csv", "data/preference_pairs.jsonl"} <= listed
    card = (folder / "README.md").read_text()
    for phrase in ("config_name: votes", "## Rankings", "strictly more common than every other verdict",
                   "pair-judge", "Krippendorff's alpha over the verdicts", "in the item's terms"):
        assert phrase in card, phrase
    assert json.loads((folder / "rubric.json").read_text())["rubrics"][0]["verdicts"] == ["A", "B", "tie"]


def test_pairwise_and_likert_campaigns_make_separate_releases(db, tmp_path):
    from annotation.errors import HyokaError
    from tests.exports.release_factories import rated_campaign

    pairwise, likert = voted_campaign(tmp_path, judge=False), rated_campaign()
    with pytest.raises(HyokaError, match="make one release of each kind"):
        release_create(campaigns=[pairwise, likert], version="1.0.0", queue=False)
    assert Item.objects.filter(campaign=pairwise).count() == 18


def test_the_release_command_builds_a_pairwise_release(db, releases_root, tmp_path):
    from io import StringIO

    from django.core.management import call_command

    voted_campaign(tmp_path)
    out = StringIO()
    call_command("release", "--campaign", "arena", "--version", "1.0.0", stdout=out)
    lines = out.getvalue().splitlines()
    assert "45 votes on 18 pairs" in lines[0]
    assert lines[-1].endswith("arena/1.0.0") and (releases_root / "arena/1.0.0/data/votes.parquet").exists()


def test_every_table_keeps_the_columns_and_types_it_was_published_with(db, releases_root, tmp_path):
    campaign = voted_campaign(tmp_path)
    tick_pairs(campaign)
    release = release_build(release_id=release_create(
        campaigns=[campaign], version="1.0.0", queue=False, include_usernames=True, include_emails=True,
        include_comments=True).pk)
    assert parquet_columns(release_folder(release)) == PUBLISHED_COLUMNS["pairwise"]


def test_the_card_states_the_voters_each_pair_really_has(built):
    release, _, folder = built
    counts = {"overlap": 2, "items": 18, "min": 2, "median": 2.5, "max": 3, "histogram": {"2": 9, "3": 9}}
    assert release.stats["raters_per_item"] == {"arena": counts}
    assert "| arena | 2 | 18 | 2 | 2.5 | 3 | 2: 9, 3: 9 |" in (folder / "README.md").read_text()
