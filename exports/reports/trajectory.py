"""A model series' trajectory report: what `trajectory --json` prints, the API returns, the page shows and a
release of the series keeps. exports.trajectory_selectors reads the arrays; annotation.trajectory computes.

Per trajectory (a task by one metric, imported or computed in Hyoka): the scores at each checkpoint raw and
smoothed (centred moving average over the window), the mean total variation of both, with per-example
outcomes the flip rate raw and after majority voting over the same window and the accuracy of the voted
outcomes with its mean total variation, and the trajectory type read from the smoothed scores by the rule
whose thresholds are in "rule".

JSON: {"series": {"name", "family", "size"}, "window", "rule": {threshold: value},
 "checkpoints": [{"model", "step", "tokens"}],
 "tasks": [{"task", "category", "metric", "source", "is_average", "examples",
            "raw": {"scores", "total_variation", "flip_rate"}, "smoothed": {...}, "voted_accuracy",
            "voted_total_variation",
            "type": {"type", "rise", "onset", "plateau", "steepest", "fall"}}],
 "compared"?: [{the same object for each series compared, without "compared"}]}
"""

from dataclasses import dataclass

import numpy as np

from annotation.trajectory import DEFAULT_WINDOW, TypeRule, accuracy, check_window, last_score, task_trajectory
from exports import trajectory_selectors as selectors

OUTCOME_METRIC = "accuracy"


@dataclass(frozen=True)
class TaskReport:
    task: str
    category: str
    metric: str
    source: str
    is_average: bool
    examples: int  # examples with per-example outcomes; 0 without
    raw: object
    smoothed: object
    voted_accuracy: list | None
    voted_total_variation: float | None
    reading: object

    @property
    def last_raw(self):
        return last_score(self.raw.scores)

    @property
    def last_smoothed(self):
        """The moving average at the last scored checkpoint: the mean of its last window//2 + 1 scores."""
        return last_score(self.smoothed.scores)

    @property
    def last_voted(self):
        return last_score(self.voted_accuracy or [])

    def as_dict(self):
        return {"task": self.task, "category": self.category, "metric": self.metric, "source": self.source,
                "is_average": self.is_average, "examples": self.examples,
                "raw": vars(self.raw), "smoothed": vars(self.smoothed), "voted_accuracy": self.voted_accuracy,
                "voted_total_variation": self.voted_total_variation, "type": self.reading.as_dict()}


@dataclass(frozen=True)
class SeriesReport:
    series: object
    window: int
    rule: TypeRule
    checkpoints: list
    tasks: list
    compared: tuple = ()  # the reports of the series compared with this one (same window and rule)

    def as_dict(self):
        found = {"series": {"name": self.series.name, "family": self.series.family, "size": self.series.size},
                 "window": self.window, "rule": self.rule.as_dict(),
                 "checkpoints": [{"model": c.name, "step": c.step, "tokens": c.tokens} for c in self.checkpoints],
                 "tasks": [task.as_dict() for task in self.tasks]}
        return found | ({"compared": [report.as_dict() for report in self.compared]} if self.compared else {})

    def matching(self, task):
        """(compared report, its task) of each compared series with the task, metric and source of ``task``:
        the trajectories drawn and listed beside it."""
        return [(report, other) for report in self.compared for other in report.tasks
                if (other.task, other.metric, other.source) == (task.task, task.metric, task.source)]


def series_trajectory_report(name, *, window=DEFAULT_WINDOW, rule=TypeRule(), compare=()):
    """The report of the series ``name``, with the reports of the series named in ``compare`` (other sizes of
    the family, say) at the same window and rule (HyokaError for a series that does not exist, ValueError for
    an even window)."""
    compared = tuple(series_trajectory_report(other, window=window, rule=rule)
                     for other in dict.fromkeys(compare) if other != name)
    check_window(window)
    series = selectors.series_by_name(name)
    checkpoints = selectors.series_checkpoints(series)
    return trajectory_report(series, checkpoints, series_trajectories(series, checkpoints), window=window, rule=rule,
                             compared=compared)


def series_trajectories(series, checkpoints):
    """Every trajectory of the series (selectors.ScoreSeries), imported ones first, then those computed in Hyoka,
    each with its per-example outcomes where it has some: what the report measures and a release of the series
    writes its outcomes table from."""
    tasks = selectors.series_tasks(series)
    matrices = selectors.outcome_matrices(series, checkpoints)
    trajectories = selectors.imported_scores(series, checkpoints, tasks, matrices)
    trajectories += outcome_accuracies(tasks, matrices, trajectories)
    return trajectories + selectors.computed_scores(series, checkpoints)


def trajectory_report(series, checkpoints, trajectories, *, window=DEFAULT_WINDOW, rule=TypeRule(), compared=()):
    """The report of ``trajectories`` (series_trajectories) over ``checkpoints``."""
    steps = [checkpoint.step for checkpoint in checkpoints]
    return SeriesReport(series, window, rule, checkpoints,
                        [_task_report(found, steps, window, rule) for found in trajectories], compared)


def outcome_accuracies(tasks, matrices, imported):
    """The accuracy of the outcomes of each task with outcomes and no imported accuracy score."""
    scored = {(found.task_id, found.metric) for found in imported}
    return [selectors.ScoreSeries(tasks[pk].key, tasks[pk].category, OUTCOME_METRIC, "outcomes", accuracy(matrix),
                                  tasks[pk].is_average, pk, matrix)
            for pk, matrix in sorted(matrices.items(), key=lambda pair: tasks[pair[0]].key)
            if (pk, OUTCOME_METRIC) not in scored]


def _task_report(found, steps, window, rule):
    outcomes = found.outcomes
    trajectory = task_trajectory(steps, found.scores, outcomes, window=window, rule=rule)
    return TaskReport(found.task, found.category, found.metric, found.source, found.is_average,
                      0 if outcomes is None else outcomes.shape[1], trajectory.raw, trajectory.smoothed,
                      trajectory.voted_accuracy, trajectory.voted_total_variation, trajectory.reading)


def trajectory_json(name, **options):
    return series_trajectory_report(name, **options).as_dict()


# ---------------------------------------------------------------------------------------------------------
# Text, for the command


def trajectory_text(report):
    """The report as the command prints it: a table of every trajectory, then, when series are compared, each
    trajectory beside those of the same task, metric and source in the compared series."""
    lines = [f"series {_series_label(report)}: {len(report.checkpoints)} checkpoints, {len(report.tasks)} "
             f"trajectories, window {report.window}"]
    if report.checkpoints:
        lines.append(f"steps {report.checkpoints[0].step}–{report.checkpoints[-1].step}")
    lines.append("")
    lines += _text_table(TEXT_HEADER, [_text_row(task) for task in report.tasks])
    if report.compared:
        lines += ["", "compared with " + ", ".join(_series_label(other) for other in report.compared) +
                  " (the trajectories of the same task, metric and source):", ""]
        lines += _text_table(("series",) + TEXT_HEADER, [
            (series.series.name,) + _text_row(task) for main in report.tasks
            for series, task in [(report, main)] + report.matching(main)])
    lines += ["", "type rule: " + ", ".join(f"{key}={value}" for key, value in report.rule.as_dict().items())]
    return "\n".join(lines)


def _series_label(report):
    model = " ".join(part for part in (report.series.family, report.series.size) if part)
    return report.series.name + (f" ({model})" if model else "")


def _text_table(header, rows):
    rows = [header] + rows
    widths = [max(len(row[column]) for row in rows) for column in range(len(header))]
    return ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows]


TEXT_HEADER = ("task", "metric", "source", "type", "last raw", "last smooth", "TV raw", "TV smooth", "flips raw",
               "flips voted", "voted acc", "voted TV")


def _text_row(task):
    return (task.task + (" (average)" if task.is_average else ""), task.metric, task.source, task.reading.type,
            _number(task.last_raw), _number(task.last_smoothed),
            _number(task.raw.total_variation), _number(task.smoothed.total_variation),
            _number(task.raw.flip_rate), _number(task.smoothed.flip_rate),
            _number(task.last_voted), _number(task.voted_total_variation))


def _number(value):
    return "–" if value is None or np.isnan(value) else f"{value:.3f}"
