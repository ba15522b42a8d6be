"""A release of a model series: raw and smoothed trajectories, measures, per-example outcomes raw and voted,
in Parquet, JSON Lines and CSV with checksums, and a card describing the measures."""

import hashlib
import json

import numpy as np
import pandas as pd
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from annotation.services.checkpoint_imports import checkpoint_scores_import
from exports.models import Release
from tests.exports.report_factories import write_jsonl
from tests.exports.test_trajectory_report import EXAM, EXAM_REPLIES, answer_exam

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


def read_table(folder, name):
    """The table ``name`` as Parquet, CSV and JSON Lines."""
    lines = (folder / "data" / f"{name}.jsonl").read_text().splitlines()
    return (pd.read_parquet(folder / "data" / f"{name}.parquet"), pd.read_csv(folder / "data" / f"{name}.csv"),
            pd.DataFrame([json.loads(line) for line in lines]))


def recomputed_flip_rates(outcomes, measure):
    """(raw, voted) flip rates of the trajectory of a trajectory_measures row, from the outcomes table alone, as
    the card tells: an imported task's rows (metric null) serve its imported and outcomes trajectories, a computed
    trajectory's rows are named by its task, metric and source."""
    rows = outcomes[(outcomes.series == measure.series) & (outcomes.task == measure.task)]
    if measure.source in ("imported", "outcomes"):
        rows = rows[(rows.source == "imported") & rows.metric.isna()]
    else:
        rows = rows[(rows.source == measure.source) & (rows.metric == measure.metric)]
    return flip_rate(rows, "correct"), flip_rate(rows, "voted_correct")


def flip_rate(rows, column):
    """The mean over consecutive checkpoints with an outcome of the share of the examples (an example id in one
    sample) evaluated at both whose correctness differs."""
    evaluated = rows[rows[column].notna()]
    sample = evaluated["sample"].fillna(-1).astype(int).astype(str)  # null for imported outcomes
    wide = evaluated.assign(example=evaluated.example_id + "/" + sample,
                            value=evaluated[column].astype(float)).pivot(index="step", columns="example",
                                                                        values="value").sort_index().to_numpy()
    shares = []
    for before, after in zip(wide[:-1], wide[1:]):
        both = ~np.isnan(before) & ~np.isnan(after)
        if both.any():
            shares.append(np.mean(before[both] != after[both]))
    return float(np.mean(shares))


def check_flip_rates(folder):
    """Recompute every released flip rate from the released outcomes; the trajectories checked, by key."""
    outcomes = pd.read_parquet(folder / "data" / "outcomes.parquet")
    measures = pd.read_parquet(folder / "data" / "trajectory_measures.parquet")
    checked = set()
    for measure in measures[measures.flip_rate.notna()].itertuples():
        raw, voted = recomputed_flip_rates(outcomes, measure)
        assert (raw, voted) == pytest.approx((measure.flip_rate, measure.voted_flip_rate)), measure
        checked.add((measure.task, measure.metric, measure.source))
    return checked


def test_the_flip_rates_of_an_imported_series_are_recomputed_from_its_released_outcomes(released):
    _, folder = released
    assert check_flip_rates(folder) == {("niilc", "accuracy", "outcomes")}
    outcomes = pd.read_parquet(folder / "data" / "outcomes.parquet")
    assert set(outcomes.source) == {"imported"} and outcomes.metric.isna().all() and outcomes["sample"].isna().all()


def test_the_outcomes_of_an_exam_computed_trajectory_are_released_with_keys_back_to_the_exam(
        series, settings, tmp_path):
    from annotation.models import ExamAnswer

    # Sample 0 at every checkpoint; a second sample at steps 200–400, whose Q1 at step 300 cannot be read.
    replies = {f"tiny-step{step}": EXAM_REPLIES[step] for step in STEPS}
    replies |= {"tiny-step200#2": {"Q1": "1", "Q2": "1, 3", "Q3": "2, 4"},
                "tiny-step300#2": {"Q1": "わからない", "Q2": "3, 1", "Q3": "2, 4"},
                "tiny-step400#2": {"Q1": "1", "Q2": "3, 1", "Q3": "1, 3"}}
    answer_exam(tmp_path, replies)
    settings.RELEASES_ROOT = str(tmp_path / "releases")
    call_command("release", "--series", "tiny", "--version", "1.0.0")
    folder = tmp_path / "releases" / "tiny" / "1.0.0"

    wrong, left_out = "accuracy (parse failures wrong)", "accuracy"
    assert check_flip_rates(folder) == {("niilc", "accuracy", "outcomes"), (EXAM, left_out, "exam"),
                                        (EXAM, wrong, "exam")}
    measures = pd.read_parquet(folder / "data" / "trajectory_measures.parquet").set_index(["task", "metric"])
    assert measures.loc[(EXAM, wrong), "flip_rate"] != pytest.approx(measures.loc[(EXAM, left_out), "flip_rate"])

    for table in read_table(folder, "outcomes"):
        exam = table[table.source == "exam"]
        # 3 scorable questions × (5 checkpoints' sample 0 + 3 checkpoints' sample 1), per metric; the parse
        # failure has no row when it is left out.
        assert (exam.metric == wrong).sum() == 3 * 8 and (exam.metric == left_out).sum() == 3 * 8 - 1
        imported = table[table.source == "imported"]
        assert set(imported.task) == {"niilc"} and imported.metric.isna().all() and len(imported) == 10
        failure = exam[(exam.step == 300) & (exam.example_id == "Q1") & (exam["sample"] == 1)]
        assert failure.metric.tolist() == [wrong] and failure.correct.tolist() == [False]

    # Each exam row names an answer of the exam campaign: (campaign, exam, question, sample) and the checkpoint's
    # model at its step.
    outcomes = pd.read_parquet(folder / "data" / "outcomes.parquet")
    models = pd.read_parquet(folder / "data" / "checkpoints.parquet").set_index("step").model
    answers = set(ExamAnswer.objects.values_list("question__exam__campaign__slug", "question__exam__key",
                                                 "question__question_id", "sample", "examinee__name"))
    exam = outcomes[outcomes.source == "exam"]
    keys = set(zip(exam.category, exam.task, exam.example_id, exam["sample"].astype(int), models[exam.step]))
    assert keys <= answers and {key[2] for key in keys} == {"Q1", "Q2", "Q3"} and {key[3] for key in keys} == {0, 1}
    assert "its rows with `source` `exam` are an exam trajectory's own" in (folder / "README.md").read_text()


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
