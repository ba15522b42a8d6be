"""Importing a model series' scores per checkpoint (annotation.checkpoint_files reads the files).

All or nothing, in one transaction. A step not yet in the series becomes a checkpoint: a LanguageModel named
``<series>-step<step>`` of the series' family and size. Importing the same file twice writes nothing the
second time; a file may add checkpoints, tasks, metrics and examples to a series; a value that contradicts
what is stored (another score, another outcome, another token count or category) is an error naming its
line, never a silent overwrite.

Outcomes are stored one row per checkpoint and task (ExampleOutcomes: a byte per example in the order of the
task's ``example_ids``), written with COPY on PostgreSQL (annotation.bulk).
"""

import numpy as np
from django.db import transaction

from annotation.bulk import bulk_insert, bulk_update_columns
from annotation.checkpoint_files import check_file, read_checkpoint_file, report_rows
from annotation.errors import HyokaError
from annotation.models import ExampleOutcomes, LanguageModel, SeriesTask, TaskScore
from annotation.trajectory import MISSING

from .imports import ImportSummary
from .series import checkpoint_name, series_for_import


def checkpoint_scores_import(*, paths, series_name, family="", size="", step=None, tokens=None, file_format=None,
                             user=None):
    """Import one or more files into the series ``series_name`` (created when missing)."""
    summary = ImportSummary()
    with transaction.atomic():
        series = series_for_import(name=series_name, family=family, size=size, user=user)
        for path in paths:
            found = read_checkpoint_file(str(path), file_format, step=step, tokens=tokens)
            check_file(found)
            SeriesWriter(series, found, summary).write()
    return summary


class SeriesWriter:
    """Writes one checked file into a series: checkpoints, tasks, scores, outcomes."""

    def __init__(self, series, found, summary):
        self.series, self.found, self.summary = series, found, summary
        summary.records += len(found.scores.step) + len(found.outcomes)

    def write(self):
        self.models = self._checkpoints()
        self.tasks = self._tasks()
        self._scores()
        self._outcomes()

    def _checkpoints(self):
        found = self.found
        steps = set(found.scores.step) | set(np.unique(found.outcomes.step).tolist()) | set(found.tokens)
        stored = {model.step: model for model in LanguageModel.objects.filter(series=self.series)}
        for step, given in found.tokens.items():
            tokens, row = given[0]
            if step in stored and stored[step].tokens not in (None, tokens):
                report_rows(found, [row], "tokens", f"step {step} is stored with {stored[step].tokens} tokens")
            elif step in stored and stored[step].tokens is None:
                LanguageModel.objects.filter(pk=stored[step].pk).update(tokens=tokens)
        new = sorted(steps - set(stored))
        self._check_names_free(new)
        created = LanguageModel.objects.bulk_create([
            LanguageModel(name=checkpoint_name(self.series, step), family=self.series.family, size=self.series.size,
                          checkpoint=f"step {step}", series=self.series, step=step,
                          tokens=found.tokens.get(step, [(None, 0)])[0][0])
            for step in new])
        self.summary.created["checkpoints"] += len(created)
        return {**{step: model.pk for step, model in stored.items()},
                **dict(zip(new, (model.pk for model in created)))}

    def _check_names_free(self, steps):
        names = {checkpoint_name(self.series, step) for step in steps}
        taken = sorted(LanguageModel.objects.filter(name__in=names).values_list("name", flat=True))
        if taken:
            raise HyokaError(f"{self.found.path}: a language model named {taken[0]} exists outside series "
                             f"{self.series.name}; rename it or the series")

    def _tasks(self):
        found = self.found
        keys = set(found.scores.task) | set(found.outcomes.tasks) | set(found.categories)
        stored = {task.key: task for task in SeriesTask.objects.filter(series=self.series, key__in=keys)}
        for key, given in found.categories.items():
            category, row = given[0]
            if key in stored and stored[key].category not in ("", category):
                report_rows(found, [row], "category", f"task {key} is stored in category {stored[key].category}")
            elif key in stored and not stored[key].category:
                SeriesTask.objects.filter(pk=stored[key].pk).update(category=category)
        new = [SeriesTask(series=self.series, key=key, category=found.categories.get(key, [("", 0)])[0][0],
                          is_average=key in found.averages) for key in sorted(keys - set(stored))]
        SeriesTask.objects.bulk_create(new)
        self.summary.created["tasks"] += len(new)
        return {**stored, **{task.key: task for task in new}}

    def _scores(self):
        scores = self.found.scores
        task_ids = {task.pk for task in self.tasks.values()}
        stored = {(model, task, metric): value for model, task, metric, value in TaskScore.objects.filter(
            task_id__in=task_ids).values_list("model_id", "task_id", "metric", "score")}
        new = []
        for row, step, task, metric, score in zip(scores.line, scores.step, scores.task, scores.metric, scores.score):
            key = (self.models[step], self.tasks[task].pk, metric)
            if key not in stored:
                new.append({"model_id": key[0], "task_id": key[1], "metric": metric, "score": score})
                stored[key] = score
            elif abs(stored[key] - score) > 1e-12:
                report_rows(self.found, [row], "score", f"is stored as {stored[key]} for step {step}, task {task}, "
                                                        f"metric {metric}")
            else:
                self.summary.unchanged["scores"] += 1
        bulk_insert(TaskScore, new)
        self.summary.created["scores"] += len(new)

    def _outcomes(self):
        outcomes = self.found.outcomes
        if not len(outcomes):
            return
        order = np.argsort(outcomes.task, kind="stable")
        bounds = np.flatnonzero(np.diff(outcomes.task[order])) + 1
        for rows in np.split(order, bounds):
            TaskOutcomesWriter(self, self.tasks[outcomes.tasks[outcomes.task[rows[0]]]], rows).write()


class TaskOutcomesWriter:
    """The outcomes of one task in a file (``rows``: their indexes in the file's OutcomeColumns), merged
    with the task's stored ones."""

    def __init__(self, writer, task, rows):
        self.writer, self.task, self.rows = writer, task, rows
        self.outcomes = writer.found.outcomes

    def write(self):
        columns = self._example_columns()
        steps, step_index = np.unique(self.outcomes.step[self.rows], return_inverse=True)
        given = np.full((len(steps), len(self.task.example_ids)), MISSING, dtype=np.uint8)
        given[step_index, columns] = self.outcomes.correct[self.rows]
        predictions = self._predictions(steps, step_index, columns)
        models = [self.writer.models[int(step)] for step in steps]
        stored = {model: (pk, bytes(correct), saved) for pk, model, correct, saved in ExampleOutcomes.objects.filter(
            task=self.task, model_id__in=models).values_list("pk", "model_id", "correct", "predictions")}
        new, changed, predicted = [], [], []
        for index, model in enumerate(models):
            pk, stored_bytes, stored_predictions = stored.get(model, (None, b"", None))
            row = self._merged(given[index], stored_bytes, steps[index], columns)
            found = predictions[index] if predictions else None
            merged = self._merged_predictions(found, stored_predictions, steps[index], columns)
            if model not in stored:
                new.append({"model_id": model, "task_id": self.task.pk, "correct": row.tobytes(),
                            "predictions": merged})
                continue
            if row.tobytes() != stored_bytes:
                changed.append((pk, row.tobytes()))
            if self._as_compared(merged) != self._as_compared(stored_predictions):
                predicted.append(ExampleOutcomes(pk=pk, predictions=merged))
        bulk_insert(ExampleOutcomes, new)
        bulk_update_columns(ExampleOutcomes, ["correct"], changed)
        ExampleOutcomes.objects.bulk_update(predicted, ["predictions"], batch_size=500)
        summary = self.writer.summary
        summary.created["outcome rows (checkpoint × task)"] += len(new)
        summary.replaced["outcome rows merged with new examples"] += len(changed)
        summary.replaced["outcome rows given predictions"] += len(predicted)

    def _example_columns(self):
        """The column of each row's example in the task's example_ids (new examples appended and saved)."""
        codes = self.outcomes.example[self.rows]
        present, first = np.unique(codes, return_index=True)
        names = self.outcomes.examples
        position = {example: index for index, example in enumerate(self.task.example_ids)}
        added = [names[code] for code in present[np.argsort(first)] if names[code] not in position]
        if added:
            position.update({example: len(position) + offset for offset, example in enumerate(added)})
            self.task.example_ids = self.task.example_ids + added
            SeriesTask.objects.filter(pk=self.task.pk).update(example_ids=self.task.example_ids)
        lookup = np.array([position[names[code]] for code in present], dtype=np.int64)
        return lookup[np.searchsorted(present, codes)]

    def _merged(self, given, stored_bytes, step, columns):
        """The row given by the file, completed by the stored one; an outcome given that differs from the
        stored one is an error naming its line."""
        if not stored_bytes:
            return given
        stored = np.full(len(given), MISSING, dtype=np.uint8)
        stored[:len(stored_bytes)] = np.frombuffer(stored_bytes, dtype=np.uint8)
        clash = (given != MISSING) & (stored != MISSING) & (given != stored)
        if clash.any():
            at_step = np.flatnonzero(self.outcomes.step[self.rows] == step)
            bad = at_step[np.isin(columns[at_step], np.flatnonzero(clash))]
            report_rows(self.writer.found, self.writer.found.outcome_rows[self.rows[bad]], "correct",
                        f"contradicts the outcome stored for step {step}, task {self.task.key}")
        self.writer.summary.unchanged["outcomes"] += int(((given != MISSING) & (given == stored)).sum())
        return np.where(given != MISSING, given, stored)

    def _as_compared(self, predictions):
        """A row's predictions as long as the task's example_ids, None when there is none: a row stored before
        the task gained examples is shorter and holds the same predictions, so it is not written again."""
        if predictions is None:
            return None
        padded = list(predictions) + [None] * (len(self.task.example_ids) - len(predictions))
        return padded if any(value is not None for value in padded) else None

    def _predictions(self, steps, step_index, columns):
        if self.outcomes.predictions is None:
            return None
        table = [[None] * len(self.task.example_ids) for _ in steps]
        for row, index, column in zip(self.rows, step_index, columns):
            table[index][column] = self.outcomes.predictions[row]
        return table

    def _merged_predictions(self, given, stored, step, columns):
        """The predictions given by the file, completed by the stored ones (None when neither has any): a
        re-import may add predictions to stored outcomes; a prediction given that differs from the stored one
        is an error naming its line."""
        if not stored:
            return given
        stored = list(stored) + [None] * (len(self.task.example_ids) - len(stored))
        if given is None:
            return stored
        clash = [column for column, (new, old) in enumerate(zip(given, stored))
                 if new is not None and old is not None and new != old]
        if clash:
            at_step = np.flatnonzero(self.outcomes.step[self.rows] == step)
            bad = at_step[np.isin(columns[at_step], clash)]
            report_rows(self.writer.found, self.writer.found.outcome_rows[self.rows[bad]], "prediction",
                        f"contradicts the prediction stored for step {step}, task {self.task.key}")
        return [new if new is not None else old for new, old in zip(given, stored)]
