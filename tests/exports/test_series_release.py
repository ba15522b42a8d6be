"""A release of a model series: raw and smoothed trajectories, measures, per-example outcomes raw and voted,
in Parquet, JSON Lines and CSV with checksums, and a card describing the measures."""

import hashlib
import json

import pandas as pd
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from annotation.services.checkpoint_imports import checkpoint_scores_import
from exports.models import Release
from tests.exports.report_factories import write_jsonl

pytestmark = pytest.mark.django_db

STEPS = [100, 200, 300, 400, 500]
JAMP = [0.1, 0.3, 0.2, 0.6, 0.7]
NIILC = {"q1": [0, 1, 0, 1, 1], "q2": [0, 0, 1, 1, 1]}


@pytest.fixture
def series(tmp_path):
    records = [{"step": step, "tokens": step * 10, "task": "jamp", "metric": "exact_match", "score": score}
               for step, score in zip(STEPS, JAMP)]
    records += [{"step": step, "task": "niilc", "example_id": example, "correct": outcomes[index]}
                for example, outcomes in NIILC.items() for index, step in enumerate(STEPS)]
    checkpoint_scores_import(paths=[write_jsonl(tmp_path / "s.jsonl", records)], series_name="tiny",
                             family="llm-jp-3", size="1.8B")


@pytest.fixture
def released(series, settings, tmp_path, capsys):
    settings.RELEASES_ROOT = str(tmp_path / "releases")
    call_command("release", "--series", "tiny", "--version", "1.0.0", "--publish")
    output = capsys.readouterr().out.strip().splitlines()
    return output, tmp_path / "releases" / "tiny" / "1.0.0"


def test_the_release_holds_the_trajectories_raw_and_smoothed_in_three_formats(released):
    output, folder = released
    assert output[0].startswith("release tiny 1.0.0: built") and "5 checkpoints" in output[0]
    assert output[-1] == str(folder)
    trajectories = pd.read_parquet(folder / "data" / "trajectories.parquet")
    jamp = trajectories[trajectories.task == "jamp"].sort_values("step")
    assert jamp.score.tolist() == JAMP
    assert jamp.smoothed_score.tolist() == pytest.approx([0.2, 0.2, 1.1 / 3, 0.5, 0.65])
    csv = pd.read_csv(folder / "data" / "trajectories.csv")
    lines = [json.loads(line) for line in (folder / "data" / "trajectories.jsonl").read_text().splitlines()]
    assert len(csv) == len(lines) == len(trajectories) == 2 * len(STEPS)


def test_the_measures_and_the_outcomes_raw_and_voted(released):
    _, folder = released
    measures = pd.read_parquet(folder / "data" / "trajectory_measures.parquet").set_index("task")
    assert measures.loc["jamp", "total_variation"] == pytest.approx(0.2)
    assert measures.loc["niilc", "flip_rate"] == pytest.approx(0.5)
    assert measures.loc["niilc", "voted_flip_rate"] == pytest.approx(0.25)
    assert measures.loc["niilc", "voted_total_variation"] == pytest.approx(0.25)  # voted accuracy 0 0 1 1 1
    assert pd.isna(measures.loc["jamp", "voted_total_variation"])
    outcomes = pd.read_parquet(folder / "data" / "outcomes.parquet")
    q1 = outcomes[outcomes.example_id == "q1"].sort_values("step")
    assert q1.correct.tolist() == [False, True, False, True, True]
    assert q1.voted_correct.tolist() == [False, False, True, True, True]


def test_the_outcomes_carry_the_predictions_where_there_are_some(series, settings, tmp_path, capsys):
    # Predictions added to step 500's outcomes, and one for an example no reference scores (not evaluated).
    checkpoint_scores_import(paths=[write_jsonl(tmp_path / "p.jsonl", [
        {"step": 500, "task": "niilc", "example_id": "q1", "correct": True, "prediction": "東京"},
        {"step": 500, "task": "niilc", "example_id": "q3", "prediction": "京都"}])], series_name="tiny")
    settings.RELEASES_ROOT = str(tmp_path / "releases")
    call_command("release", "--series", "tiny", "--version", "1.0.0")
    folder = tmp_path / "releases" / "tiny" / "1.0.0"
    parquet = pd.read_parquet(folder / "data" / "outcomes.parquet")
    csv = pd.read_csv(folder / "data" / "outcomes.csv")
    lines = pd.DataFrame([json.loads(line) for line in (folder / "data" / "outcomes.jsonl").read_text().splitlines()])
    for table in (parquet, csv, lines):
        at_500 = table[table.step == 500].set_index("example_id")
        assert at_500.loc["q1", "prediction"] == "東京" and pd.isna(at_500.loc["q2", "prediction"])
        assert at_500.loc["q3", "prediction"] == "京都" and pd.isna(at_500.loc["q3", "correct"])
        assert len(table) == 2 * len(STEPS) + 1  # every evaluated outcome, and the prediction alone
    measures = pd.read_parquet(folder / "data" / "trajectory_measures.parquet").set_index("task")
    assert measures.loc["niilc", "flip_rate"] == pytest.approx(0.5)  # q3 is in no pair of checkpoints
    assert "`prediction` in `outcomes` is the checkpoint's answer" in (folder / "README.md").read_text()


def test_every_file_matches_its_checksum_and_the_card_explains_the_measures(released):
    _, folder = released
    for line in (folder / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split(maxsplit=1)
        assert hashlib.sha256((folder / name.lstrip("*")).read_bytes()).hexdigest() == digest
    card = (folder / "README.md").read_text()
    for words in ("Mean total variation", "Flip rate", "tie keeping the checkpoint's own outcome", "`late-onset`",
                  "`min_rise` = 0.05", "`max_fall` = 0.25", "a rise and fall", "`voted_total_variation`", "config_name: outcomes",
                  "the accuracy of the checkpoints' answers (`exam`)", "exam (accuracy of the checkpoints' answers"):
        assert words in card


def test_the_published_series_release_is_listed_and_its_page_shows(released, client):
    release = Release.objects.get(name="tiny")
    assert release.status == Release.Status.PUBLISHED and release.stats["kind"] == "series"
    listing = client.get(reverse("dataset_list"))
    assert listing.status_code == 200 and b"tiny" in listing.content
    assert client.get(reverse("dataset_detail", args=["tiny", "1.0.0"])).status_code == 200


def test_campaigns_and_series_are_not_released_together(series, campaign):
    with pytest.raises(CommandError, match="campaigns or model series, not both"):
        call_command("release", "--series", "tiny", "--campaign", campaign.slug, "--version", "1.0.0")
    with pytest.raises(CommandError, match="--series"):
        call_command("release", "--version", "1.0.0")


def test_only_leads_manage_a_series_release(series, settings, tmp_path, client, annotator, lead):
    settings.RELEASES_ROOT = str(tmp_path / "releases")
    call_command("release", "--series", "tiny", "--version", "0.1.0")
    release = Release.objects.get(name="tiny")
    client.force_login(annotator)
    assert client.get(reverse("release_manage", args=[release.public_id])).status_code == 404
    client.force_login(lead)
    assert client.get(reverse("release_manage", args=[release.public_id])).status_code == 200


def test_a_published_releases_series_never_change(released):
    from django.db import IntegrityError, transaction

    from exports.models import ReleaseSeries

    with pytest.raises(IntegrityError), transaction.atomic():
        ReleaseSeries.objects.filter(release__name="tiny").delete()
    assert ReleaseSeries.objects.filter(release__name="tiny").count() == 1
