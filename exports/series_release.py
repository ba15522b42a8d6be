"""A release of model series: their checkpoints, the trajectories raw and smoothed with their measures (the
trajectory report, exports.reports.trajectory, at the default window and type rule), and the per-example
outcomes with the majority-voted ones. Written with the release machinery every release uses (TableWriter:
Parquet, JSON Lines and CSV; the card's front matter, loading and fields sections; SHA256SUMS and the zip),
called by exports.services.build for a release that holds series. Also answers, for such a release, what the
kinds answer for a release of campaigns (exports.kinds.for_release): ``listed_sizes`` and ``built_summary``.
"""

import numpy as np

from annotation.trajectory import DEFAULT_WINDOW, MISSING, majority_vote
from exports import card, trajectory_selectors
from exports.models import Release
from exports.reports.trajectory import series_trajectory_report
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

OUTCOMES = TableSpec("outcomes", "Per-example outcomes at every checkpoint, as imported and majority-voted, with the "
                                 "checkpoint's prediction where the import gave one.", columns("""
    series         string  The model series.
    task           string  Task.
    example_id     string  The example's id in its task.
    step           int64   Training step of the checkpoint.
    correct        bool    Whether the checkpoint got it right; null when only its prediction was given (no
        reference to score it: not evaluated). Examples neither evaluated nor predicted have no row.
    voted_correct  bool    The majority over the window (a tie keeps the checkpoint's own outcome); null where
        correct is.
    prediction     string  The checkpoint's answer as imported (a prediction, or llm-jp-eval's pred); null
        when none was given.
"""))

SPECS = (TRAJECTORIES, MEASURES, CHECKPOINTS, OUTCOMES)


def write_series_release(release, series_list, folder, progress):
    """Write the files of a release of ``series_list`` into ``folder``; returns a build.BuildResult."""
    from exports.services.build import README, BuildResult, checksums_and_zip

    progress.step(Release.BuildStep.STATISTICS, 5)
    reports = [series_trajectory_report(series.name, window=DEFAULT_WINDOW) for series in series_list]
    files = _write_table(folder, CHECKPOINTS, [row for report in reports for row in _checkpoint_rows(report)])
    files += _write_table(folder, TRAJECTORIES, [row for report in reports for row in _trajectory_rows(report)])
    files += _write_table(folder, MEASURES, [row for report in reports for row in _measure_rows(report)])
    progress.step(Release.BuildStep.RATINGS, 30)
    files += _write_outcomes(folder, series_list)
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


def _write_outcomes(folder, series_list):
    """One chunk (a Parquet row group) per task: the outcomes are read as one matrix per task
    (exports.trajectory_selectors), voted as a whole, and only the evaluated ones written."""
    with TableWriter(folder, OUTCOMES) as writer:
        for series in series_list:
            checkpoints = trajectory_selectors.series_checkpoints(series)
            tasks = {task.pk: task for task in series.tasks.all()}
            for task_id, matrix in trajectory_selectors.outcome_matrices(series, checkpoints).items():
                predictions = trajectory_selectors.task_predictions(tasks[task_id], checkpoints)
                writer.write(_outcome_rows(series.name, tasks[task_id], checkpoints, matrix, predictions))
    return writer.files


def _outcome_rows(series, task, checkpoints, matrix, predictions):
    """A row per checkpoint and example evaluated or predicted there, in checkpoint and example order."""
    voted = majority_vote(matrix, DEFAULT_WINDOW)
    listed = matrix != MISSING
    for index, row in predictions.items():
        listed[index, :len(row)] |= np.array([value is not None for value in row], dtype=bool)
    steps = [checkpoint.step for checkpoint in checkpoints]
    examples = task.example_ids
    return [(series, task.key, examples[example], steps[index], _outcome(matrix[index, example]),
             _outcome(voted[index, example]), _prediction(predictions, index, example))
            for index, example in zip(*(found.tolist() for found in np.nonzero(listed)))]


def _outcome(value):
    return None if value == MISSING else bool(value)


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
