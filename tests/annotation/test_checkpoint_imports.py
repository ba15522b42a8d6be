"""import_checkpoint_scores: long tables (JSONL, CSV), harness result files, errors at FILE:LINE, all or nothing."""

import csv
import json

import numpy as np
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from annotation import checkpoint_files
from annotation.models import ExampleOutcomes, LanguageModel, ModelSeries, SeriesTask, TaskScore
from annotation.trajectory import MISSING

pytestmark = pytest.mark.django_db


def write_jsonl(path, records, blank_after=None):
    lines = [json.dumps(record, ensure_ascii=False) for record in records]
    if blank_after is not None:
        lines.insert(blank_after, "")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def write_csv(path, records, columns):
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(records)
    return str(path)


LONG_TABLE = [
    {"step": 1000, "tokens": 4_000_000, "task": "jamp", "category": "NLI", "metric": "exact_match", "score": 0.31},
    {"step": 2000, "tokens": 8_000_000, "task": "jamp", "category": "NLI", "metric": "exact_match", "score": 0.42},
    {"step": 1000, "task": "jsquad", "metric": "char_f1", "score": 0.1},
    {"step": 1000, "task": "jamp", "example_id": "e1", "correct": True},
    {"step": 1000, "task": "jamp", "example_id": "e2", "correct": False},
    {"step": 2000, "task": "jamp", "example_id": "e2", "correct": 1},
    {"step": 2000, "task": "jamp", "example_id": "e3", "correct": 0},
]


def stored_outcomes(series, task):
    task = SeriesTask.objects.get(series__name=series, key=task)
    rows = {model.step: bytes(correct) for model, correct in
            ((LanguageModel.objects.get(pk=pk), correct) for pk, correct in
             ExampleOutcomes.objects.filter(task=task).values_list("model_id", "correct"))}
    return task.example_ids, {step: list(row) for step, row in rows.items()}


def test_a_long_table_makes_checkpoints_tasks_scores_and_outcomes(tmp_path, capsys):
    call_command("import_checkpoint_scores", write_jsonl(tmp_path / "s.jsonl", LONG_TABLE), "--series", "llmjp-1b",
                 "--family", "llm-jp-3", "--size", "1.8B")
    series = ModelSeries.objects.get(name="llmjp-1b")
    checkpoints = list(series.checkpoints.order_by("step").values_list("name", "step", "tokens", "size"))
    assert checkpoints == [("llmjp-1b-step1000", 1000, 4_000_000, "1.8B"), ("llmjp-1b-step2000", 2000, 8_000_000, "1.8B")]
    assert SeriesTask.objects.get(series=series, key="jamp").category == "NLI"
    assert TaskScore.objects.filter(task__series=series).count() == 3
    examples, rows = stored_outcomes("llmjp-1b", "jamp")
    assert examples == ["e1", "e2", "e3"]
    assert rows == {1000: [1, 0, MISSING], 2000: [MISSING, 1, 0]}
    assert "created 2 checkpoints" in capsys.readouterr().out


def test_importing_the_same_file_twice_writes_nothing_new_and_more_examples_are_merged(tmp_path, capsys):
    path = write_jsonl(tmp_path / "s.jsonl", LONG_TABLE)
    call_command("import_checkpoint_scores", path, "--series", "s")
    call_command("import_checkpoint_scores", path, "--series", "s")
    assert TaskScore.objects.count() == 3 and ExampleOutcomes.objects.count() == 2
    more = write_jsonl(tmp_path / "more.jsonl", [{"step": 1000, "task": "jamp", "example_id": "e3", "correct": 1}])
    call_command("import_checkpoint_scores", more, "--series", "s")
    assert stored_outcomes("s", "jamp")[1][1000] == [1, 0, 1]


def test_a_csv_long_table_reads_like_the_jsonl_one(tmp_path):
    columns = ["step", "tokens", "task", "category", "metric", "score", "example_id", "correct"]
    records = [{**record, "correct": {True: "true", False: "false"}.get(record.get("correct"), record.get("correct"))}
               for record in LONG_TABLE]
    call_command("import_checkpoint_scores", write_csv(tmp_path / "s.csv", records, columns), "--series", "c")
    call_command("import_checkpoint_scores", write_jsonl(tmp_path / "s.jsonl", LONG_TABLE), "--series", "j")
    assert stored_outcomes("c", "jamp") == stored_outcomes("j", "jamp")
    assert sorted(TaskScore.objects.filter(task__series__name="c").values_list("metric", "score")) == \
        sorted(TaskScore.objects.filter(task__series__name="j").values_list("metric", "score"))


def test_a_prediction_with_its_reference_is_scored_and_kept(tmp_path):
    path = write_jsonl(tmp_path / "p.jsonl", [
        {"step": 5, "task": "niilc", "example_id": "q1", "prediction": " 東京 ", "reference": "東京"},
        {"step": 5, "task": "niilc", "example_id": "q2", "prediction": "大阪", "reference": "京都"}])
    call_command("import_checkpoint_scores", path, "--series", "p")
    row = ExampleOutcomes.objects.get()
    assert list(bytes(row.correct)) == [1, 0]
    assert row.predictions == [" 東京 ", "大阪"]


def test_a_prediction_without_a_reference_is_kept_and_not_evaluated(tmp_path):
    path = write_jsonl(tmp_path / "p.jsonl", [
        {"step": 5, "task": "niilc", "example_id": "q1", "prediction": "東京", "reference": "東京"},
        {"step": 5, "task": "niilc", "example_id": "q2", "prediction": "大阪"}])
    call_command("import_checkpoint_scores", path, "--series", "p")
    row = ExampleOutcomes.objects.get()
    assert list(bytes(row.correct)) == [1, MISSING] and row.predictions == ["東京", "大阪"]
    # Its correctness given later fills the unknown outcome; the prediction stays.
    call_command("import_checkpoint_scores", write_jsonl(tmp_path / "c.jsonl", [
        {"step": 5, "task": "niilc", "example_id": "q2", "correct": False}]), "--series", "p")
    row.refresh_from_db()
    assert list(bytes(row.correct)) == [1, 0] and row.predictions == ["東京", "大阪"]


def test_a_reimport_adds_predictions_to_stored_outcomes_and_refuses_other_ones(tmp_path):
    call_command("import_checkpoint_scores", write_jsonl(tmp_path / "a.jsonl", LONG_TABLE), "--series", "s")
    assert set(ExampleOutcomes.objects.values_list("predictions", flat=True)) == {None}
    again = [{**record, "prediction": f"answer {record['example_id']}"} for record in LONG_TABLE
             if "example_id" in record and record["step"] == 1000]
    call_command("import_checkpoint_scores", write_jsonl(tmp_path / "b.jsonl", again), "--series", "s")
    stored = ExampleOutcomes.objects.get(model__step=1000)
    assert stored.predictions == ["answer e1", "answer e2", None]  # e3 was not evaluated at step 1000
    assert list(bytes(stored.correct)) == [1, 0, MISSING]
    other = write_jsonl(tmp_path / "c.jsonl", [
        {"step": 1000, "task": "jamp", "example_id": "e2", "correct": False, "prediction": "another answer"}])
    with pytest.raises(CommandError, match=rf"{other}:1: prediction: contradicts the prediction stored for step "
                                           r"1000, task jamp"):
        call_command("import_checkpoint_scores", other, "--series", "s")
    stored.refresh_from_db()
    assert stored.predictions == ["answer e1", "answer e2", None]


def test_outcomes_for_new_examples_count_no_row_as_given_predictions(tmp_path, capsys):
    """Stored predictions are as long as the task's examples were when they came: once the task has more, a file
    without predictions, or with the same ones, leaves them as they are and says nothing of predictions."""
    predicted = [{"step": 1000, "task": "jamp", "example_id": example, "correct": True,
                  "prediction": f"answer {example}"} for example in ("e1", "e2")]
    call_command("import_checkpoint_scores", write_jsonl(tmp_path / "a.jsonl", predicted), "--series", "s")
    call_command("import_checkpoint_scores", write_jsonl(tmp_path / "b.jsonl", [
        {"step": 1000, "task": "jamp", "example_id": "e3", "correct": False}]), "--series", "s")
    call_command("import_checkpoint_scores", write_jsonl(tmp_path / "a.jsonl", predicted), "--series", "s")

    out = capsys.readouterr().out.splitlines()
    assert "replaced 1 outcome rows merged with new examples" in out[1]
    assert "given predictions" not in out[1] and "given predictions" not in out[2]
    stored = ExampleOutcomes.objects.get()
    assert stored.predictions == ["answer e1", "answer e2"] and list(bytes(stored.correct)) == [1, 1, 0]


BAD_RECORDS = [
    ({"step": "x", "task": "jamp", "metric": "m", "score": 0.1}, "step: a whole number is required"),
    ({"step": 3, "task": "jamp", "metric": "m", "score": "high"}, "score: 'high' is not a number"),
    ({"step": 3, "task": "", "example_id": "e9", "correct": 1}, "task: is missing"),
    ({"step": 3, "task": "jamp", "example_id": "e9", "correct": 2}, "correct: 2 is not true/false or 1/0"),
    ({"step": -1, "task": "jamp", "example_id": "e9", "correct": 1}, "step: must be 0 or more"),
    ({"step": 1000, "task": "jamp", "example_id": "e1", "correct": 0}, "example_id: the outcome of this step, task "
                                                                       "and example is given twice"),
    ({"step": 1000, "tokens": 5, "task": "jamp", "metric": "x", "score": 0.2}, "tokens: step 1000 is given with "
                                                                                 "tokens 4000000 elsewhere"),
    ({"step": 2000, "task": "jamp", "metric": "exact_match", "score": 0.5}, "metric: the score of this step, task "
                                                                             "and metric is given twice"),
]


@pytest.mark.parametrize("bad, message", BAD_RECORDS)
def test_a_bad_record_names_its_file_and_line_and_nothing_is_written(tmp_path, bad, message):
    # A blank line before the bad record: the line named is the file's, not the record's number.
    path = write_jsonl(tmp_path / "bad.jsonl", LONG_TABLE + [bad], blank_after=2)
    with pytest.raises(CommandError) as raised:
        call_command("import_checkpoint_scores", path, "--series", "bad")
    assert str(raised.value).startswith(f"{path}:9: {message}")
    assert not ModelSeries.objects.exists() and not LanguageModel.objects.exists()


def test_a_value_contradicting_the_stored_one_is_refused_at_its_line(tmp_path):
    call_command("import_checkpoint_scores", write_jsonl(tmp_path / "a.jsonl", LONG_TABLE), "--series", "s")
    path = write_jsonl(tmp_path / "b.jsonl", [
        {"step": 1000, "task": "jamp", "example_id": "e9", "correct": 1},
        {"step": 1000, "task": "jamp", "example_id": "e2", "correct": 1}])
    with pytest.raises(CommandError, match=rf"{path}:2: correct: contradicts the outcome stored for step 1000"):
        call_command("import_checkpoint_scores", path, "--series", "s")
    other = write_jsonl(tmp_path / "c.jsonl", [{"step": 2000, "task": "jamp", "metric": "exact_match", "score": 0.9}])
    with pytest.raises(CommandError, match=rf"{other}:1: score: is stored as 0.42"):
        call_command("import_checkpoint_scores", other, "--series", "s")
    assert stored_outcomes("s", "jamp")[0] == ["e1", "e2", "e3"]


def test_the_fast_and_the_record_by_record_readings_agree(tmp_path):
    # pyarrow reads a column of one type (here: correct as true/false; LONG_TABLE mixes in 1 and 0).
    records = [{**record, "correct": bool(record["correct"])} if "correct" in record else record
               for record in LONG_TABLE]
    path = write_jsonl(tmp_path / "s.jsonl", records)
    fast = checkpoint_files._arrow_read(path, "jsonl")
    slow = checkpoint_files._record_read(path, "jsonl")
    assert fast is not None
    for found in (fast, slow):
        assert found.scores.score == [0.31, 0.42, 0.1]
    names = lambda found: [(int(s), found.outcomes.tasks[t], found.outcomes.examples[e], int(c)) for s, t, e, c in
                           zip(found.outcomes.step, found.outcomes.task, found.outcomes.example, found.outcomes.correct)]
    assert names(fast) == names(slow)
    assert {step: [value for value, _ in given] for step, given in fast.tokens.items()} == \
        {step: [value for value, _ in given] for step, given in slow.tokens.items()}
    assert list(fast.outcome_rows) == list(slow.outcome_rows)


LLMJP_EVAL_RESULT = {
    "scores": {"AVG": 0.35, "NLI": 0.4, "QA": 0.3, "jamp": 0.45, "janli": 0.35, "niilc": 0.3},
    "categories": {"NLI": ["jamp", "janli"], "QA": ["niilc"]},
    "outputs": {"niilc": [{"pred": "東京", "gold": "東京"}, {"pred": "京都", "gold": "奈良"}]},
}


def test_llm_jp_eval_result_files_one_per_checkpoint(tmp_path):
    paths = []
    for step in (1000, 2000):
        path = tmp_path / f"iter_{step:07d}.json"
        path.write_text(json.dumps(LLMJP_EVAL_RESULT, ensure_ascii=False), encoding="utf-8")
        paths.append(str(path))
    call_command("import_checkpoint_scores", *paths, "--series", "h")
    tasks = {task.key: task for task in SeriesTask.objects.filter(series__name="h")}
    assert tasks["NLI"].is_average and tasks["AVG"].is_average and not tasks["jamp"].is_average
    assert tasks["jamp"].category == "NLI" and tasks["niilc"].category == "QA"
    assert sorted(ModelSeries.objects.get(name="h").checkpoints.values_list("step", flat=True)) == [1000, 2000]
    assert stored_outcomes("h", "niilc")[1] == {1000: [1, 0], 2000: [1, 0]}


# The scores object llm-jp-eval computes, on its own: tasks as DATASET_METRIC, category averages under upper-case
# names with AVG over them, every score a string of four decimals.
BARE_SCORES = {"AVG": "0.3750", "NLI": "0.4000", "QA": "0.3500", "jamp_exact_match": "0.4500",
               "janli_exact_match": "0.3500", "niilc_char_f1": "0.3500"}


def test_a_bare_object_of_task_scores_is_one_checkpoints_result_file(tmp_path):
    # An earlier long table put jamp_exact_match in NLI; the bare files do not say a task's category.
    call_command("import_checkpoint_scores", write_jsonl(tmp_path / "first.jsonl", [
        {"step": 500, "task": "jamp_exact_match", "category": "NLI", "metric": "score", "score": 0.2}]),
        "--series", "bare")
    paths = []
    for step, shift in ((1000, 0.0), (2000, 0.1)):
        path = tmp_path / f"llm-jp-3-1.8b_iter_{step:07d}.json"
        scores = {name: f"{float(value) + shift:.4f}" for name, value in BARE_SCORES.items()}
        path.write_text(json.dumps(scores), encoding="utf-8")
        paths.append(str(path))
    call_command("import_checkpoint_scores", *paths, "--series", "bare")
    tasks = {task.key: task for task in SeriesTask.objects.filter(series__name="bare")}
    assert {key for key, task in tasks.items() if task.is_average} == {"AVG", "NLI", "QA"}
    assert (tasks["NLI"].category, tasks["AVG"].category) == ("NLI", "AVG")  # an average is its own category
    assert tasks["jamp_exact_match"].category == "NLI"  # as stored
    assert tasks["niilc_char_f1"].category == ""  # never given
    scores = dict(TaskScore.objects.filter(task__key="jamp_exact_match").values_list("model__step", "score"))
    assert scores == {500: 0.2, 1000: 0.45, 2000: pytest.approx(0.55)}
    assert set(TaskScore.objects.values_list("metric", flat=True)) == {"score"}


def test_a_bare_result_file_with_its_step_and_a_value_that_is_not_a_score(tmp_path):
    path = tmp_path / "result.json"
    path.write_text(json.dumps({"step": 300, "tokens": 1200, "jcommonsenseqa": 0.5, "AVG": 0.5}))
    call_command("import_checkpoint_scores", str(path), "--series", "b")
    score = TaskScore.objects.get(task__key="jcommonsenseqa")
    assert (score.score, score.model.step, score.model.tokens) == (0.5, 300, 1200)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"step": 400, "jcommonsenseqa": 0.6, "model": "llm-jp-3-1.8b"}))
    with pytest.raises(CommandError, match=rf"^{bad}: model: 'llm-jp-3-1.8b' is not a score: a result file is an "
                                           r"object of task → score"):
        call_command("import_checkpoint_scores", str(bad), "--series", "b")
    assert not TaskScore.objects.filter(model__step=400).exists()


def test_lm_evaluation_harness_results_and_a_result_file_without_a_step(tmp_path):
    path = tmp_path / "results.json"
    path.write_text(json.dumps({"results": {"jcommonsenseqa": {"alias": "jcqa", "acc,none": 0.5,
                                                              "acc_stderr,none": 0.01}}}))
    with pytest.raises(CommandError, match="step: is not in the file"):
        call_command("import_checkpoint_scores", str(path), "--series", "lm")
    call_command("import_checkpoint_scores", str(path), "--series", "lm", "--step", "300", "--tokens", "1200")
    score = TaskScore.objects.get()
    assert (score.task.key, score.metric, score.score, score.model.step, score.model.tokens) == \
        ("jcommonsenseqa", "acc", 0.5, 300, 1200)


def test_a_checkpoint_name_taken_by_another_model_is_refused(tmp_path):
    LanguageModel.objects.create(name="s-step1000")
    with pytest.raises(CommandError, match="s-step1000 exists outside series s"):
        call_command("import_checkpoint_scores", write_jsonl(tmp_path / "s.jsonl", LONG_TABLE), "--series", "s")


def test_many_outcomes_are_stored_one_row_per_checkpoint_and_task(tmp_path):
    rng = np.random.default_rng(1)
    records = [{"step": step, "task": f"t{task}", "example_id": f"x{example}", "correct": int(rng.random() < 0.5)}
               for step in range(0, 50, 10) for task in range(3) for example in range(40)]
    call_command("import_checkpoint_scores", write_jsonl(tmp_path / "m.jsonl", records), "--series", "m")
    assert ExampleOutcomes.objects.count() == 5 * 3
    examples, rows = stored_outcomes("m", "t1")
    expected = [record["correct"] for record in records if record["step"] == 20 and record["task"] == "t1"]
    assert len(examples) == 40 and rows[20] == expected


@pytest.mark.parametrize("suffix", ["jsonl", "csv"])
def test_a_file_read_by_pyarrow_names_the_line_of_a_repeated_outcome(tmp_path, suffix):
    records = [{"step": 1, "task": "t", "example_id": f"e{index}", "correct": True} for index in range(5)]
    records.append({"step": 1, "task": "t", "example_id": "e3", "correct": False})
    if suffix == "jsonl":
        path = write_jsonl(tmp_path / "r.jsonl", records, blank_after=1)  # the sixth record on line 7
    else:
        path = write_csv(tmp_path / "r.csv", records, ["step", "task", "example_id", "correct"])  # after the header
    assert checkpoint_files._arrow_read(path, suffix) is not None
    with pytest.raises(CommandError, match=rf"{path}:7: example_id: the outcome .* is given twice"):
        call_command("import_checkpoint_scores", path, "--series", "r")
