"""The trajectory report of a model series: the command's text and JSON, outcomes' accuracy, and the human and
judge means of campaigns answered by the series' checkpoints."""

import json

import pandas as pd
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from annotation.services import ratings_import
from annotation.services.checkpoint_imports import checkpoint_scores_import
from judging.services import verdicts_import
from tests.exports.report_factories import human_records, import_responses, judge_records, write_jsonl

pytestmark = pytest.mark.django_db

# Five checkpoints; task "jamp" has a score per checkpoint, task "niilc" only per-example outcomes.
STEPS = [100, 200, 300, 400, 500]
JAMP = [0.1, 0.3, 0.2, 0.6, 0.7]
NIILC = {"q1": [0, 1, 0, 1, 1], "q2": [0, 0, 1, 1, 1]}


def series_records():
    records = [{"step": step, "tokens": step * 10, "task": "jamp", "category": "NLI", "metric": "exact_match",
                "score": score} for step, score in zip(STEPS, JAMP)]
    records += [{"step": step, "task": "niilc", "example_id": example, "correct": outcomes[index]}
                for example, outcomes in NIILC.items() for index, step in enumerate(STEPS)]
    return records


@pytest.fixture
def series(tmp_path):
    checkpoint_scores_import(paths=[write_jsonl(tmp_path / "s.jsonl", series_records())], series_name="tiny",
                             family="llm-jp-3", size="1.8B")
    return "tiny"


def report_json(capsys, *options):
    call_command("trajectory", "--series", "tiny", "--json", *options)
    return json.loads(capsys.readouterr().out)


def task_of(report, task, source=None):
    return next(found for found in report["tasks"] if found["task"] == task
                and (source is None or found["source"] == source))


def test_raw_and_smoothed_scores_and_total_variation_side_by_side(series, capsys):
    report = report_json(capsys)
    assert [checkpoint["step"] for checkpoint in report["checkpoints"]] == STEPS
    assert report["checkpoints"][0]["tokens"] == 1000
    jamp = task_of(report, "jamp")
    assert (jamp["metric"], jamp["category"], jamp["source"]) == ("exact_match", "NLI", "imported")
    assert jamp["raw"]["scores"] == JAMP
    assert jamp["smoothed"]["scores"] == pytest.approx([0.2, 0.2, 1.1 / 3, 0.5, 0.65])
    assert jamp["raw"]["total_variation"] == pytest.approx((0.2 + 0.1 + 0.4 + 0.1) / 4)
    assert jamp["smoothed"]["total_variation"] == pytest.approx((0 + 1.1 / 3 - 0.2 + 0.5 - 1.1 / 3 + 0.15) / 4)
    assert jamp["raw"]["flip_rate"] is None and jamp["voted_total_variation"] is None


def test_outcomes_give_an_accuracy_trajectory_with_flip_rates_raw_and_voted(series, capsys):
    niilc = task_of(report_json(capsys), "niilc")
    assert (niilc["metric"], niilc["source"], niilc["examples"]) == ("accuracy", "outcomes", 2)
    assert niilc["raw"]["scores"] == [0.0, 0.5, 0.5, 1.0, 1.0]
    # per pair of checkpoints, the share of the two examples that flip: 1/2, 2/2, 1/2, 0
    assert niilc["raw"]["flip_rate"] == pytest.approx((0.5 + 1.0 + 0.5 + 0.0) / 4)
    # votes over 3 (cut at the ends, ties keep their own): q1 → 0 0 1 1 1, q2 → 0 0 1 1 1
    assert niilc["voted_accuracy"] == [0.0, 0.0, 1.0, 1.0, 1.0]
    assert niilc["voted_total_variation"] == pytest.approx(1 / 4)  # the voted accuracy's one step of 1, over 4
    assert niilc["smoothed"]["flip_rate"] == pytest.approx(0.25)


def test_the_window_and_the_rule_are_options(series, capsys):
    wide = task_of(report_json(capsys, "--window", "5"), "jamp")
    assert wide["smoothed"]["scores"][0] == pytest.approx((0.1 + 0.3 + 0.2) / 3)
    report = report_json(capsys, "--rule-min-rise", "0.9")
    assert report["rule"]["min_rise"] == 0.9
    assert task_of(report, "jamp")["type"]["type"] == "unclassified"
    with pytest.raises(CommandError, match="odd"):
        call_command("trajectory", "--series", "tiny", "--window", "2")
    with pytest.raises(CommandError, match="plateau_span must be between 0 and 1, not 2"):
        call_command("trajectory", "--series", "tiny", "--rule-plateau-span", "2")
    with pytest.raises(CommandError, match="no model series named 'nope'"):
        call_command("trajectory", "--series", "nope")


def test_the_rule_options_say_what_each_threshold_means(capsys):
    with pytest.raises(SystemExit):
        call_command("trajectory", "--help")
    help_text = " ".join(capsys.readouterr().out.split())
    assert "--rule-max-fall RULE_MAX_FALL" in help_text
    assert "how far the last score may drop below the peak, as a share of the rise" in help_text
    assert "the accuracy of their answers to exam campaigns" in help_text  # every source of scores
    assert "--compare SERIES" in help_text


def test_the_command_compares_series(series, tmp_path, capsys):
    larger = [{**record, "score": record["score"] + 0.1} if "score" in record else record
              for record in series_records()]
    checkpoint_scores_import(paths=[write_jsonl(tmp_path / "large.jsonl", larger)], series_name="large",
                             family="llm-jp-3", size="13B")
    report = report_json(capsys, "--compare", "large", "--rule-min-rise", "0.1")
    assert [other["series"]["size"] for other in report["compared"]] == ["13B"]
    compared = task_of(report["compared"][0], "jamp")
    assert compared["raw"]["scores"] == pytest.approx([score + 0.1 for score in JAMP])
    assert report["compared"][0]["rule"]["min_rise"] == 0.1  # the same rule and window
    call_command("trajectory", "--series", "tiny", "--compare", "large")
    text = capsys.readouterr().out
    assert "compared with large (llm-jp-3 13B)" in text
    rows = [line.split() for line in text.splitlines() if line.split()[:2] in (["tiny", "jamp"], ["large", "jamp"])]
    assert [row[0] for row in rows] == ["tiny", "large"] and rows[1][5:7] == ["0.800", "0.750"]  # last raw, smooth
    with pytest.raises(CommandError, match="no model series named 'nope'"):
        call_command("trajectory", "--series", "tiny", "--compare", "nope")


def test_the_text_report_lists_every_trajectory_and_the_rule(series, capsys):
    call_command("trajectory", "--series", "tiny")
    text = capsys.readouterr().out
    assert text.startswith("series tiny (llm-jp-3 1.8B): 5 checkpoints, 2 trajectories, window 3")
    assert "jamp" in text and "niilc" in text and "type rule: min_rise=0.05" in text


def test_human_and_judge_means_per_axis_of_a_campaign_answered_by_the_checkpoints(series, tmp_path, capsys):
    checkpoints = [f"tiny-step{step}" for step in STEPS]
    import_responses(tmp_path, "ckpt-chat", 6, models=checkpoints)
    ratings = human_records(6, models=checkpoints)
    ratings_import(path=write_jsonl(tmp_path / "ratings.jsonl", ratings), campaign_slug="ckpt-chat")
    verdicts = judge_records(6, models=checkpoints)
    verdicts_import(path=write_jsonl(tmp_path / "verdicts.jsonl", verdicts), campaign_slug="ckpt-chat",
                    judge_name="gpt-4o-judge")
    report = report_json(capsys)
    humans = next(found for found in report["tasks"] if found["task"] == "ckpt-chat" and found["metric"] == "fluency"
                  and found["source"] == "humans")
    frame = pd.DataFrame([{"prompt": r["prompt_id"], "model": r["model"], "score": r["scores"]["fluency"]}
                          for r in ratings])
    expected = frame.groupby(["model", "prompt"]).score.mean().groupby("model").mean()
    assert humans["raw"]["scores"] == pytest.approx([expected[name] for name in checkpoints])
    judge = next(found for found in report["tasks"] if found["task"] == "ckpt-chat"
                 and found["metric"] == "fluency" and found["source"] == "judge gpt-4o-judge")
    judged = pd.DataFrame([{"model": r["model"], "score": r["scores"]["fluency"]} for r in verdicts])
    assert judge["raw"]["scores"] == pytest.approx(judged.groupby("model").score.mean()[checkpoints].tolist())


# Exam accuracy per checkpoint: the checkpoints answer an exam campaign (imported replies, read as generation
# jobs read them); per checkpoint, right answers among the three scorable questions (Q1: 1; Q2: 3,1 in order;
# Q3: 2|4 in any order; Q4 has no correct answer).
EXAM = "Center-2001--Main-Test"
EXAM_REPLIES = {
    100: {"Q1": "2", "Q2": "1, 3", "Q3": "1, 3", "Q4": "1"},  # none right
    200: {"Q1": "1", "Q2": "1, 3", "Q3": "1, 3", "Q4": "1"},  # Q1
    300: {"Q1": "1", "Q2": "3, 1", "Q3": "1, 3", "Q4": "1"},  # Q1, Q2
    400: {"Q1": "2", "Q2": "3, 1", "Q3": "1, 3", "Q4": "1"},  # Q2
    500: {"Q1": "1", "Q2": "3, 1", "Q3": "4, 2", "Q4": "1"},  # all three
}
EXAM_ACCURACY = [0.0, 1 / 3, 2 / 3, 1 / 3, 1.0]
EXAM_OUTCOMES = {"Q1": [0, 1, 1, 0, 1], "Q2": [0, 0, 1, 1, 1], "Q3": [0, 0, 0, 0, 1]}


def answer_exam(tmp_path, replies, slug="ckpt-exam"):
    """The exam campaign ``slug``, answered with ``replies`` {model name: {question id: reply}}."""
    from annotation.models import ExamQuestion
    from tests.annotation.exam_factories import exam_campaign

    (tmp_path / slug).mkdir()
    exam_campaign(slug=slug, folder=tmp_path / slug)
    questions = ExamQuestion.objects.filter(exam__campaign__slug=slug).select_related("prompt", "exam")
    records = [{"prompt_id": question.prompt.external_id, "source": question.prompt.source,
                "prompt": question.prompt.turns[0], "model": model,
                "response": f"考えた結果。\n答え: {answers[question.question_id]}"}
               for model, answers in replies.items() for question in questions if question.question_id in answers]
    call_command("import_responses", write_jsonl(tmp_path / f"{slug}.jsonl", records), "--campaign", slug)


def test_exam_accuracy_computed_from_the_checkpoints_answers_is_the_trajectory_of_the_same_scores_imported(
        series, tmp_path, capsys):
    answer_exam(tmp_path, {f"tiny-step{step}": EXAM_REPLIES[step] for step in STEPS})
    # The same accuracies and per-question outcomes, imported as a long table under another series.
    imported = [{"step": step, "task": EXAM, "metric": "accuracy", "score": score}
                for step, score in zip(STEPS, EXAM_ACCURACY)]
    imported += [{"step": step, "task": EXAM, "example_id": question, "correct": outcomes[index]}
                 for question, outcomes in EXAM_OUTCOMES.items() for index, step in enumerate(STEPS)]
    checkpoint_scores_import(paths=[write_jsonl(tmp_path / "imported.jsonl", imported)], series_name="tiny-copy")
    capsys.readouterr()

    computed = task_of(report_json(capsys), EXAM, source="exam")
    call_command("trajectory", "--series", "tiny-copy", "--json")
    copied = task_of(json.loads(capsys.readouterr().out), EXAM, source="imported")

    assert (computed["category"], computed["metric"], computed["examples"]) == ("ckpt-exam", "accuracy", 3)
    assert copied["examples"] == 3
    assert computed["raw"]["scores"] == pytest.approx(EXAM_ACCURACY)
    for part in ("raw", "smoothed"):
        assert computed[part]["scores"] == pytest.approx(copied[part]["scores"])
        assert computed[part]["total_variation"] == pytest.approx(copied[part]["total_variation"])
        assert computed[part]["flip_rate"] == pytest.approx(copied[part]["flip_rate"])
    assert computed["voted_accuracy"] == pytest.approx(copied["voted_accuracy"])
    assert computed["raw"]["total_variation"] == pytest.approx((1 / 3 + 1 / 3 + 1 / 3 + 2 / 3) / 4)
    # Flips per pair of checkpoints: Q1; Q2; Q1; Q1 and Q3, of three questions.
    assert computed["raw"]["flip_rate"] == pytest.approx((1 / 3 + 1 / 3 + 1 / 3 + 2 / 3) / 4)
    # Voted over three: Q1 0 1 1 1 1 (its dip at step 400 outvoted), Q2 and Q3 unchanged: flips Q1; Q2; none; Q3.
    assert computed["smoothed"]["flip_rate"] == pytest.approx((1 / 3 + 1 / 3 + 0 + 1 / 3) / 4)
    # Smoothed: 1/6, 1/3, 4/9, 2/3, 2/3: rising from the first quarter with no stretch making most of the rise.
    assert computed["smoothed"]["scores"] == pytest.approx([1 / 6, 1 / 3, 4 / 9, 2 / 3, 2 / 3])
    assert computed["type"] == pytest.approx(copied["type"]) and computed["type"]["type"] == "gradual"


def test_exam_outcomes_count_parse_failures_and_samples_as_the_exam_reports_accuracy_does(series, tmp_path, capsys):
    # Two checkpoints, two samples each (MODEL#2 is MODEL's second sample); step 200's second sample cannot be
    # read on Q1 (a parse failure) and leaves Q3 unanswered.
    answer_exam(tmp_path, {
        "tiny-step100": {"Q1": "1", "Q2": "1, 3", "Q3": "1, 3"},
        "tiny-step100#2": {"Q1": "2", "Q2": "1, 3", "Q3": "2, 4"},
        "tiny-step200": {"Q1": "1", "Q2": "3, 1", "Q3": "1, 3"},
        "tiny-step200#2": {"Q1": "わからない", "Q2": "3, 1"},
    })
    capsys.readouterr()
    report = report_json(capsys)
    left_out = task_of(report, EXAM, source="exam")
    counted_wrong = next(task for task in report["tasks"] if task["task"] == EXAM
                         and task["metric"] == "accuracy (parse failures wrong)")
    # The exam report's accuracy: the mean over samples of right / readable (or / answered, failures wrong).
    # Step 100: Q1 only right in sample 1, Q3 only in sample 2. Step 200: sample 1 Q1 and Q2; sample 2 Q2 of
    # the one readable answer (of two answered).
    assert left_out["raw"]["scores"][:2] == pytest.approx([(1 / 3 + 1 / 3) / 2, (2 / 3 + 1 / 1) / 2])
    assert counted_wrong["raw"]["scores"][:2] == pytest.approx([(1 / 3 + 1 / 3) / 2, (2 / 3 + 1 / 2) / 2])
    # Examples are (question, sample): 3 × 2. From step 100 to 200, sample 1 flips Q2 of its three; sample 2
    # flips Q2, its Q1 is compared only when the parse failure counts as wrong (wrong then, no flip), and its Q3,
    # unanswered at step 200, is not compared.
    assert left_out["examples"] == counted_wrong["examples"] == 6
    assert left_out["raw"]["flip_rate"] == pytest.approx(2 / 4)
    assert counted_wrong["raw"]["flip_rate"] == pytest.approx(2 / 5)
