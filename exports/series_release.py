"""A release of model series: their checkpoints, the trajectories raw and smoothed with their measures (the
trajectory report, exports.reports.trajectory, at the default window and type rule), and the per-example
outcomes its flip rates are measured on (imported, and those of trajectories computed in Hyoka: an exam's answers)
with the majority-voted ones. Written with the release machinery every release uses (TableWriter:
Parquet, JSON Lines and CSV; the card's front matter, loading and fields sections; SHA256SUMS and the zip),
called by exports.services.build for a release that holds series. Also answers, for such a release, what the
kinds answer for a release of campaigns (exports.kinds.for_release): ``listed_sizes`` and ``built_summary``.
"""

import numpy as np

from annotation.trajectory import DEFAULT_WINDOW, MISSING, majority_vote
from exports import card, trajectory_selectors
from exports.models import Release
from exports.reports.trajectory import series_trajectories, trajectory_report
from exports.tables import TableSpec, TableWriter, columns, write_json

CHECKPOINTS = TableSpec("checkpoints", "The checkpoints of each series, one row each.", columns("""
    series  string  The model series.
    model   string  The checkpoint's language model name.
    step    int64   Training step.
    tokens  int64   Tokens seen at that step; null when not given.
"""))

TRAJECTORIES = TableSpec("trajectories", "Every trajectory's score at every checkpoint, raw and smoothed.", columns("""
    series          string  The model series.
    task            string  Task (benchmark dataset), category average, campaign, or exam.
    category        string  The task's category; "campaign" for the means of a campaign; an exam's campaign.
    metric          string  The metric, the campaign's axis, or an exam's accuracy (parse failures left out, or
        "accuracy (parse failures wrong)").
    source          string  imported, outcomes (accuracy of the per-example outcomes), exam (accuracy of the
        checkpoints' answers to an exam campaign's questions), humans, or judge NAME.
    step            int64   Training step of the checkpoint.
    tokens          int64   Tokens seen; null when not given.
    score           double  The score; null when the checkpoint has none.
    smoothed_score  double  The centred moving average over the window (cut at the ends of the series).
    voted_accuracy  double  With outcomes: the accuracy of the majority-voted outcomes; else null.
"""))

MEASURES = TableSpec("trajectory_measures", "One row per trajectory: its instability and type.", columns("""
    series                   string  The model series.
    task                     string  Task, category average, campaign, or exam.
    metric                   string  The metric, or the campaign's axis.
    source                   string  Where the scores come from (see trajectories).
    is_average               bool    Whether the task is a category average.
    examples                 int32   Examples with per-example outcomes (0 without).
    window                   int32   Checkpoints in the smoothing window.
    total_variation          double  Mean |s_t − s_{t−1}| over consecutive checkpoints, raw.
    smoothed_total_variation double  The same after smoothing.
    flip_rate                double  Mean share of examples whose correctness changes between consecutive
        checkpoints, raw; null without outcomes.
    voted_flip_rate          double  The same after majority voting over the window.
    voted_total_variation    double  Mean total variation of the accuracy of the majority-voted outcomes
        (voted_accuracy in trajectories); null without outcomes.
    type                     string  gradual, two-stage, late-onset or unclassified (see the card's rule).
    onset                    double  Share of training where progress first reaches the onset threshold.
"""))

OUTCOMES = TableSpec("outcomes", "Per-example outcomes at every checkpoint, raw and majority-voted: those imported "
                                 "(with the checkpoint's prediction where the import gave one) and those of the "
                                 "trajectories computed in Hyoka from exam campaigns (one example per question and "
                                 "sample, per metric).", columns("""
    series         string  The model series.
    task           string  Task, as in trajectories: an imported task, or an exam's id (the exam campaign's
        questions.exam).
    category       string  The task's category, as in trajectories: for an exam, its campaign's slug
        (questions.campaign).
    metric         string  For an exam, the trajectory's metric (accuracy, where a parse failure is not evaluated,
        or "accuracy (parse failures wrong)", where it is wrong); null for imported outcomes, which are the
        task's and shared by every trajectory of the task whose source is imported or outcomes.
    source         string  imported, or the source of the trajectory computed in Hyoka they belong to: exam (the
        checkpoints' answers to an exam campaign's questions). With task, category and metric it names the
        trajectory (trajectories, trajectory_measures).
    example_id     string  The example's id in its task; for an exam, the question's id in its exam
        (questions.question_id).
    sample         int16   For an exam, the checkpoint's sample the answer belongs to (answers.sample: 0, 1,
        ...; answers.examinee is the checkpoint's model); null for imported outcomes.
    step           int64   Training step of the checkpoint.
    correct        bool    Whether the checkpoint got it right; null when only its prediction was given (no
        reference to score it: not evaluated). Examples neither evaluated nor predicted have no row.
    voted_correct  bool    The majority over the window (a tie keeps the checkpoint's own outcome); null where
        correct is.
    prediction     string  The checkpoint's answer as imported (a prediction, or llm-jp-eval's pred); null
        when none was given, and for an exam (its answers are in the exam campaign's release).
"""))

SPECS = (TRAJECTORIES, MEASURES, CHECKPOINTS, OUTCOMES)


def write_series_release(release, series_list, folder, progress):
    """Write the files of a release of ``series_list`` into ``folder``; returns a build.BuildResult."""
    from exports.services.build import README, BuildResult, checksums_and_zip

    progress.step(Release.BuildStep.STATISTICS, 5)
    measured = [_measured(series) for series in series_list]
    reports = [report for report, _ in measured]
    files = _write_table(folder, CHECKPOINTS, [row for report in reports for row in _checkpoint_rows(report)])
    files += _write_table(folder, TRAJECTORIES, [row for report in reports for row in _trajectory_rows(report)])
    files += _write_table(folder, MEASURES, [row for report in reports for row in _measure_rows(report)])
    progress.step(Release.BuildStep.RATINGS, 30)
    files += _write_outcomes(folder, measured)
    figures = {"trajectories.json": {report.series.name: report.as_dict() for report in reports}}
    files += [write_json(folder, name, data) for name, data in figures.items()]
    progress.step(Release.BuildStep.CARD, 90)
    rows = {file.table: file.rows for file in files if file.table}
    text = card.series_card(release, reports, specs=list(SPECS), written=rows)
    files = [write_json(folder, README, text, fmt="md")] + files
    files += checksums_and_zip(release, folder, files)
    stats = {"kind": "series", "series": [series.name for series in series_list], "rows": rows,
             "files": len(files), "bytes": sum(file.size for file in files)}
    return BuildResult(files, stats, text)


def _measured(series):
    """(the trajectory report of ``series`` at the default window and rule, its trajectories with their
    per-example outcomes): the outcomes table holds what the report's flip rates were measured on."""
    checkpoints = trajectory_selectors.series_checkpoints(series)
    trajectories = series_trajectories(series, checkpoints)
    return trajectory_report(series, checkpoints, trajectories, window=DEFAULT_WINDOW), trajectories


def _write_table(folder, spec, rows):
    with TableWriter(folder, spec) as writer:
        writer.write(rows)
    return writer.files


def _checkpoint_rows(report):
    return [(report.series.name, checkpoint.name, checkpoint.step, checkpoint.tokens)
            for checkpoint in report.checkpoints]


def _trajectory_rows(report):
    rows = []
    for task in report.tasks:
        voted = task.voted_accuracy or [None] * len(report.checkpoints)
        for index, checkpoint in enumerate(report.checkpoints):
            rows.append((report.series.name, task.task, task.category, task.metric, task.source, checkpoint.step,
                         checkpoint.tokens, task.raw.scores[index], task.smoothed.scores[index], voted[index]))
    return rows


def _measure_rows(report):
    return [(report.series.name, task.task, task.metric, task.source, task.is_average, task.examples, report.window,
             task.raw.total_variation, task.smoothed.total_variation, task.raw.flip_rate, task.smoothed.flip_rate,
             task.voted_total_variation, task.reading.type, task.reading.onset) for task in report.tasks]


def _write_outcomes(folder, measured):
    """One chunk (a Parquet row group) per set of outcomes (``_outcome_sets``): voted as a whole, and only the
    evaluated or predicted ones written, so memory holds one task's rows at a time."""
    with TableWriter(folder, OUTCOMES) as writer:
        for report, trajectories in measured:
            steps = np.array([checkpoint.step for checkpoint in report.checkpoints], dtype=np.int64)
            for keys, examples, samples, matrix, predictions in _outcome_sets(report, trajectories):
                writer.write_columns(_outcome_columns(keys, examples, samples, steps, matrix, predictions))
    return writer.files


def _outcome_sets(report, trajectories):
    """(row keys: series, task, category, metric, source; each column's example id and sample (None: none); the
    matrix; the predictions by checkpoint) of each set of outcomes a trajectory of the report is measured on: a
    computed trajectory's own, and an imported task's once, whichever of its trajectories use them."""
    tasks = {task.pk: task for task in report.series.tasks.all()}
    shared = set()
    for found in trajectories:
        if found.outcomes is not None and found.examples:
            keys = (report.series.name, found.task, found.category, found.metric, found.source)
            examples, samples = zip(*found.examples)
            yield keys, examples, samples, found.outcomes, {}
        elif found.outcomes is not None and found.task_id not in shared:
            shared.add(found.task_id)
            yield _imported_set(report, tasks[found.task_id], found.outcomes)


def _imported_set(report, task, matrix):
    """An imported task's outcomes as _outcome_sets gives them: metric null (every trajectory of the task shares
    them), no sample, and the task's predictions, read one task at a time (they are text)."""
    keys = (report.series.name, task.key, task.category, None, trajectory_selectors.IMPORTED)
    return keys, task.example_ids, None, matrix, trajectory_selectors.task_predictions(task, report.checkpoints)


# An outcome's value in the table, by its byte in the matrix: 0 wrong, 1 right, MISSING not evaluated.
OUTCOME_VALUES = {0: False, 1: True, MISSING: None}


def _outcome_columns(keys, examples, samples, steps, matrix, predictions):
    """The columns of a row per checkpoint and example evaluated or predicted there, in checkpoint and example
    order, taken from the arrays a column at a time."""
    voted = majority_vote(matrix, DEFAULT_WINDOW)
    listed = matrix != MISSING
    for index, row in predictions.items():
        listed[index, :len(row)] |= np.array([value is not None for value in row], dtype=bool)
    at, of = np.nonzero(listed)
    count = len(at)
    return [*([key] * count for key in keys), _taken(examples, of), _taken(samples, of), steps[at].tolist(),
            _outcomes(matrix[at, of]), _outcomes(voted[at, of]), _predictions(predictions, at, of)]


def _taken(values, of):
    """values[i] for each i of ``of``; None each when ``values`` is None."""
    if values is None:
        return [None] * len(of)
    taken = np.empty(len(values), dtype=object)
    taken[:] = values
    return taken[of].tolist()


def _outcomes(values):
    return list(map(OUTCOME_VALUES.__getitem__, values.tolist()))


def _predictions(predictions, at, of):
    if not predictions:
        return [None] * len(at)
    return [_prediction(predictions, index, example) for index, example in zip(at.tolist(), of.tolist())]


def _prediction(predictions, index, example):
    row = predictions.get(index)
    return row[example] if row is not None and example < len(row) else None


# ---------------------------------------------------------------------------------------------------------
# What exports.kinds answers for a release of campaigns


def listed_sizes(stats):
    """(trajectory rows, checkpoints) of a release of series, from its stats: what the datasets list shows."""
    rows = stats.get("rows", {})
    return rows.get("trajectories", 0), rows.get("checkpoints", 0)


def built_summary(stats):
    rows = stats.get("rows", {})
    return (f"{rows.get('checkpoints', 0)} checkpoints, {rows.get('trajectory_measures', 0)} trajectories, "
            f"{rows.get('outcomes', 0)} outcome rows")
