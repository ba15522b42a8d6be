"""What a series' trajectory report is computed from, read from the database as arrays (annotation.trajectory
computes it): the checkpoints in step order, each task's scores per metric as one float array (NaN where a
checkpoint has no score), each task's per-example outcomes as one checkpoints × examples uint8 matrix, and the
scores computed in Hyoka from campaigns whose models are checkpoints of the series (the human and judge means of
their leaderboards, and the accuracy of their answers to exam questions, with those answers as per-example
outcomes).

Outcomes are read as one short row per checkpoint and task (annotation.models.ExampleOutcomes), so 200
checkpoints × 20 tasks × 1,000 examples are 4,000 rows of 1,000 bytes, not 4,000,000 rows.
"""

from dataclasses import dataclass

import numpy as np
from django.db.models import Subquery

from annotation.errors import HyokaError
from annotation.models import (
    Campaign, ExamAnswer, ExampleOutcomes, Item, LanguageModel, ModelSeries, SeriesTask, TaskScore,
)
from annotation.trajectory import MISSING
from exports import kinds


IMPORTED = "imported"  # the source of the scores and outcomes imported with import_checkpoint_scores


@dataclass(frozen=True)
class Checkpoint:
    model_id: int
    name: str
    step: int
    tokens: int | None


@dataclass(frozen=True)
class ScoreSeries:
    """One trajectory's scores: a task (or a campaign's axis) by one metric, from one source."""

    task: str
    category: str
    metric: str
    source: str  # "imported", "outcomes" (accuracy of the per-example outcomes), "humans", "judge NAME", ...
    scores: np.ndarray
    is_average: bool = False
    task_id: int | None = None  # the SeriesTask, when the scores belong to one
    outcomes: np.ndarray | None = None  # checkpoints × examples uint8, when there are per-example outcomes
    # Each outcome column's (example id, sample) when the outcomes are the trajectory's own (an exam's: (question
    # id, sample)); () when they are its task's, in the order of the task's example_ids, shared by its metrics.
    examples: tuple = ()


def series_by_name(name):
    try:
        return ModelSeries.objects.get(name=name)
    except ModelSeries.DoesNotExist:
        raise HyokaError(f"there is no model series named {name!r}") from None


def series_checkpoints(series):
    return [Checkpoint(*row) for row in LanguageModel.objects.filter(series=series).order_by("step").values_list(
        "id", "name", "step", "tokens")]


def series_tasks(series):
    return {task.pk: task for task in SeriesTask.objects.filter(series=series).defer("example_ids")}


def imported_scores(series, checkpoints, tasks, matrices):
    """A ScoreSeries per (task, metric) of the imported scores, in category, task and metric order, each with
    its task's outcomes (``matrices``: outcome_matrices) when it has some."""
    index = {checkpoint.model_id: position for position, checkpoint in enumerate(checkpoints)}
    found = {}
    for task_id, metric, model_id, score in TaskScore.objects.filter(task__series=series).values_list(
            "task_id", "metric", "model_id", "score"):
        scores = found.setdefault((task_id, metric), np.full(len(checkpoints), np.nan))
        scores[index[model_id]] = score
    return [ScoreSeries(tasks[task_id].key, tasks[task_id].category, metric, IMPORTED, scores,
                        tasks[task_id].is_average, task_id, matrices.get(task_id))
            for (task_id, metric), scores in sorted(found.items(), key=lambda pair: _task_order(tasks, *pair[0]))]


def _task_order(tasks, task_id, metric):
    task = tasks[task_id]
    return (task.is_average, task.category, task.key, metric)


def outcome_matrices(series, checkpoints):
    """{task id: checkpoints × examples uint8} of the tasks with per-example outcomes; MISSING where a
    checkpoint has no outcome for an example."""
    index = {checkpoint.model_id: position for position, checkpoint in enumerate(checkpoints)}
    widths = dict(SeriesTask.objects.filter(series=series, outcomes__isnull=False).distinct().values_list(
        "pk", "example_ids"))
    matrices = {pk: np.full((len(checkpoints), len(examples)), MISSING, dtype=np.uint8)
                for pk, examples in widths.items()}
    for task_id, model_id, correct in ExampleOutcomes.objects.filter(task__series=series).values_list(
            "task_id", "model_id", "correct").iterator(chunk_size=500):
        row = np.frombuffer(correct, dtype=np.uint8)
        matrices[task_id][index[model_id], :len(row)] = row
    return matrices


def task_predictions(task, checkpoints):
    """{checkpoint index: predictions in the order of the task's example_ids (None where none)} of the
    checkpoints whose outcomes of ``task`` came with predictions; read one task at a time (they are text)."""
    index = {checkpoint.model_id: position for position, checkpoint in enumerate(checkpoints)}
    return {index[model_id]: predictions for model_id, predictions in ExampleOutcomes.objects.filter(
        task=task, predictions__isnull=False).values_list("model_id", "predictions")}


# ---------------------------------------------------------------------------------------------------------
# Scores computed in Hyoka from campaigns whose models are checkpoints of the series


def series_campaigns(series):
    """The campaigns with an item answered by a checkpoint of the series, by slug."""
    answered = Item.objects.filter(response__model__series=series).values("campaign_id")
    return list(Campaign.objects.filter(id__in=Subquery(answered)).select_related("rubric").order_by("slug"))


def campaign_means(series, checkpoints):
    """Per campaign with scores (likert) and per axis, the mean of the humans and of each judge for each
    checkpoint, by the leaderboard's rule (an item's human score the mean of its raters', a judge's the median
    of its samples; a model's the mean over its items): the figures of the campaign's leaderboard.
    Campaigns without scores to average (pairwise) are left out."""
    position = {checkpoint.name: index for index, checkpoint in enumerate(checkpoints)}
    found = []
    for campaign in series_campaigns(series):
        try:
            board = kinds.for_campaign(campaign).leaderboard_report(campaign, replicates=0)
        except HyokaError:
            continue  # no scores to average in this kind of campaign
        found += _board_means(campaign, board, position, len(checkpoints))
    return found


def _board_means(campaign, board, position, length):
    means = {}
    for axis_board in board["boards"]:
        if axis_board["turn"] is not None:
            continue
        for row in axis_board["rows"]:
            if row["model"] not in position:
                continue
            for group, standing in row["standings"].items():
                value = (standing.get("mean") or {}).get("value")
                if value is None:
                    continue
                source = "humans" if group == "humans" else f"judge {group}"
                scores = means.setdefault((axis_board["axis"], source), np.full(length, np.nan))
                scores[position[row["model"]]] = value
    return [ScoreSeries(campaign.slug, "campaign", axis, source, scores)
            for (axis, source), scores in means.items()]


# (metric, the exam report's figure, what a parse failure counts as in the outcomes)
EXAM_METRICS = (("accuracy", "accuracy", MISSING), ("accuracy (parse failures wrong)", "accuracy_failures_wrong", 0))


def exam_accuracy(series, checkpoints):
    """Per exam of every campaign whose questions the series' checkpoints answered, each checkpoint's accuracy
    (a share, 0 to 1, as harnesses give it) by the exam report's rule (annotation.exam_figures: exact match on
    the scorable questions, the mean over samples): metric "accuracy" leaves parse failures out, as the report's
    accuracy does; "accuracy (parse failures wrong)" counts them wrong, as an evaluation harness would. The
    task is the exam's id, its category the campaign's slug, its source "exam".

    Each comes with per-example outcomes, so that it has flip rates as an imported series does: an example is
    a scorable question answered in one sample (a checkpoint that answered k times gives k examples per
    question, each compared with the same sample at the next checkpoint), marked as the accuracy counts it
    (annotation.exam_figures.exam_marks): right 1, wrong 0, a parse failure not evaluated under "accuracy" and
    wrong under "accuracy (parse failures wrong)"; a question a checkpoint did not answer is not evaluated. With
    one sample the outcomes' accuracy is the exam report's; with several it is pooled over the samples (the
    report takes their mean: the same when every sample has as many readable answers)."""
    from annotation.exam_figures import exam_marks, exam_report
    from annotation.exam_selectors import exam_inputs

    position = {checkpoint.name: index for index, checkpoint in enumerate(checkpoints)}
    campaigns = Campaign.objects.filter(id__in=Subquery(ExamAnswer.objects.filter(examinee__series=series).values(
        "question__exam__campaign_id"))).select_related("rubric").order_by("slug")
    found = []
    for campaign in campaigns:
        inputs = exam_inputs(campaign)
        examinees = [name for name in inputs.examinee_kinds if name in position]
        rows = exam_report(inputs.exams, inputs.questions, inputs.answers, examinees=examinees).rows
        marks = exam_marks(inputs.questions, inputs.answers, examinees=examinees)
        for exam in inputs.exams:
            exam_marks_by = {position[name]: marks.get((name, exam.exam), {}) for name in examinees}
            for metric, figure, failure in EXAM_METRICS:
                scores = np.full(len(checkpoints), np.nan)
                for row in rows:
                    value = getattr(row.all, figure).value
                    if row.exam.exam == exam.exam and value is not None:
                        scores[position[row.examinee]] = value / 100
                matrix, examples = _mark_matrix(exam_marks_by, len(checkpoints), failure)
                found.append(ScoreSeries(exam.exam, campaign.slug, metric, "exam", scores, outcomes=matrix,
                                         examples=examples))
    return found


def _mark_matrix(marks_by_checkpoint, checkpoints, failure):
    """(checkpoints × examples uint8, each column's (question id, sample)) of the marks {checkpoint index:
    {(question id, sample): mark}}; (None, ()) when no checkpoint answered."""
    examples = tuple(dict.fromkeys(example for marks in marks_by_checkpoint.values() for example in marks))
    if not examples:
        return None, ()
    column = {example: index for index, example in enumerate(examples)}
    matrix = np.full((checkpoints, len(examples)), MISSING, dtype=np.uint8)
    for index, marks in marks_by_checkpoint.items():
        for example, mark in marks.items():
            matrix[index, column[example]] = failure if mark is None else int(mark)
    return matrix, examples


# Where scores computed in Hyoka come from: each a function (series, checkpoints) → [ScoreSeries].
COMPUTED_SCORE_SOURCES = (campaign_means, exam_accuracy)


def computed_scores(series, checkpoints):
    return [found for source in COMPUTED_SCORE_SOURCES for found in source(series, checkpoints)]
