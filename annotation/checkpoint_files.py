"""Reading checkpoint score files into columns: the long table (JSON Lines or CSV) and the result files that
evaluation harnesses write, one per checkpoint. No database access happens here.

Long table, one record per line or row:
  scores    {"step", "tokens"?, "task", "category"?, "metric", "score"}
  outcomes  {"step", "tokens"?, "task", "category"?, "example_id", "correct"}  (correct: true/false or 1/0),
            or "prediction" and "reference" instead of "correct" (correct when they are equal, both stripped);
            a "prediction" alone is kept with its correctness unknown (not evaluated, MISSING).
A record with an ``example_id`` is an outcome, any other a score.

A long table is read by pyarrow when it can (millions of outcomes in seconds), else record by record (which
names the line and field of the first bad record). Either way the checks of what the values mean run on the
columns (``check_file``, and the import service against what is stored), and a failed check names the line: the
record-by-record reading knows it, and for pyarrow's the rows are found by reading the file again
(``lines_of_rows``).

Result files, one JSON document per checkpoint: a .json file holding one object without a "task" field (the
step from ``--step``, a "step" key, or the digits after "step", "iter" or "ckpt" in the file name):
  llm-jp-eval   {"scores": {NAME: score, ...}, "outputs"?: {TASK: [{"pred", "gold", "id"?}, ...]}}
                upper-case NAMEs (AVG, NLI, QA, ...) are category averages, the others tasks (metric
                "score"); an optional "categories": {CATEGORY: [TASK, ...]} gives the tasks' categories;
                outputs become per-example outcomes (correct when pred equals gold, both stripped).
  bare          {NAME: score, ...}, with "step" and "tokens" keys allowed: the scores object alone, read as
                llm-jp-eval's (upper-case NAMEs are category averages; a task's category is not in the file, so
                it stays as stored, or empty). A score may be a number in a string ("0.4062").
  lm-evaluation-harness  {"results": {TASK: {"METRIC,FILTER": score, ...}}, "groups"?: {...}}
                every metric except the *_stderr ones; the tasks of "groups" are category averages.
"""

import csv
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.json as pa_json

from .errors import FieldError, RecordError, collected
from .readers import GZIP_MAGIC, detect_format, open_text, read_records
from .trajectory import MISSING

SCORE_FIELDS = {"step", "tokens", "task", "category", "metric", "score"}
OUTCOME_FIELDS = {"step", "tokens", "task", "category", "example_id", "correct", "prediction", "reference"}
HARNESS_STEP = re.compile(r"(?:step|iter|ckpt)[_-]?0*(\d+)", re.IGNORECASE)
CATEGORY_AVERAGE = re.compile(r"^[A-Z][A-Z0-9_-]*$")


@dataclass
class ScoreRows:
    """Score records (few: one per checkpoint, task and metric), with their lines."""

    line: list = field(default_factory=list)
    step: list = field(default_factory=list)
    task: list = field(default_factory=list)
    metric: list = field(default_factory=list)
    score: list = field(default_factory=list)


@dataclass
class OutcomeColumns:
    """Per-example outcomes as arrays: step (int64), task and example as codes into ``tasks`` and
    ``examples`` (int32), correct (uint8); predictions (a list) when the file gave them."""

    step: np.ndarray
    task: np.ndarray
    tasks: list
    example: np.ndarray
    examples: list
    correct: np.ndarray
    predictions: list | None = None

    def __len__(self):
        return len(self.step)


@dataclass
class CheckpointFile:
    """What one file holds. ``tokens``: step → [(tokens, row)]; ``categories``: task → [(category, row)];
    ``averages``: tasks that are category averages. Rows number the file's records, score and outcome records
    alike (the outcomes' rows are ``outcome_rows``); ``lines`` gives each row's line when it is known."""

    path: str
    scores: ScoreRows
    outcomes: OutcomeColumns
    outcome_rows: np.ndarray
    tokens: dict
    categories: dict
    averages: set = field(default_factory=set)
    lines: np.ndarray | None = None  # the line of every row when known; else read again on demand


def read_checkpoint_file(path, file_format=None, *, step=None, tokens=None):
    """The records of one file, read and checked for their types. Raises RecordError (FILE:LINE: field)."""
    if is_harness_file(path):
        return read_harness_file(path, step=step, tokens=tokens)
    fmt = detect_format(path, file_format)
    return _arrow_read(path, fmt) or _record_read(path, fmt)


# ---------------------------------------------------------------------------------------------------------
# Long tables, record by record


def _record_read(path, fmt):
    builder = _ColumnBuilder(path)
    for line, record in read_records(path, fmt):
        try:
            builder.add(line, record)
        except FieldError as error:
            located = RecordError(path, line, error.field, error.reason)
            if not collected(located):
                raise located from None
    return builder.build()


class _ColumnBuilder:
    """Gathers checked records into columns, remembering each record's line."""

    def __init__(self, path):
        self.path = path
        self.lines, self.scores, self.tokens, self.categories = [], ScoreRows(), {}, {}
        self.steps, self.task, self.example, self.correct, self.predictions, self.rows = [], [], [], [], [], []
        self.task_codes, self.example_codes = {}, {}

    def add(self, line, record):
        row = len(self.lines)
        is_outcome = "example_id" in record
        unknown = set(record) - (OUTCOME_FIELDS if is_outcome else SCORE_FIELDS)
        if unknown:
            raise FieldError(sorted(unknown)[0], "is not a field of a checkpoint " +
                             ("outcome" if is_outcome else "score") + " record")
        step, task = step_value(record.get("step"), "step"), task_value(record.get("task"))
        if record.get("tokens") is not None:
            self.tokens.setdefault(step, []).append((step_value(record["tokens"], "tokens"), row))
        if record.get("category") not in (None, ""):
            self.categories.setdefault(task, []).append((text_value(record["category"], "category"), row))
        (self._add_outcome if is_outcome else self._add_score)(row, step, task, record)
        self.lines.append(line)

    def _add_score(self, row, step, task, record):
        metric, score = text_value(record.get("metric"), "metric"), score_value(record.get("score"))
        for column, value in zip(("line", "step", "task", "metric", "score"), (row, step, task, metric, score)):
            getattr(self.scores, column).append(value)

    def _add_outcome(self, row, step, task, record):
        example = example_value(record.get("example_id"))
        correct, prediction = outcome_value(record)
        self.rows.append(row)
        self.steps.append(step)
        self.task.append(self.task_codes.setdefault(task, len(self.task_codes)))
        self.example.append(self.example_codes.setdefault(example, len(self.example_codes)))
        self.correct.append(correct)
        self.predictions.append(prediction)

    def build(self):
        has_predictions = any(value is not None for value in self.predictions)
        outcomes = OutcomeColumns(
            step=np.array(self.steps, dtype=np.int64), task=np.array(self.task, dtype=np.int32),
            tasks=list(self.task_codes), example=np.array(self.example, dtype=np.int32),
            examples=list(self.example_codes), correct=np.array(self.correct, dtype=np.uint8),
            predictions=self.predictions if has_predictions else None)
        return CheckpointFile(self.path, self.scores, outcomes, np.array(self.rows, dtype=np.int64), self.tokens,
                              self.categories, lines=np.array(self.lines, dtype=np.int64))


def step_value(value, name):
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise FieldError(name, "a whole number is required" if value is not None else "is missing")
    if value < 0:
        raise FieldError(name, f"must be 0 or more, not {value}")
    return value


def task_value(value):
    return text_value(value, "task")


def text_value(value, name):
    if value is None or (isinstance(value, str) and not value.strip()):
        raise FieldError(name, "is missing")
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise FieldError(name, "must be text")
    text = str(value).strip()
    if len(text) > 200:
        raise FieldError(name, "is longer than 200 characters")
    return text


def score_value(value):
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise FieldError("score", f"{value!r} is not a number") from None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise FieldError("score", "a number is required" if value is not None else "is missing")
    if not math.isfinite(value):
        raise FieldError("score", "must be a finite number")
    return float(value)


def example_value(value):
    return text_value(value, "example_id")


CORRECT_WORDS = {True: 1, False: 0, 1: 1, 0: 0, "true": 1, "false": 0, "1": 1, "0": 0}


def outcome_value(record):
    """(correct 0/1, or MISSING when it is unknown; prediction or None) of an outcome record. A prediction
    without a reference (and no ``correct``) is kept, its correctness unknown: the example counts as not
    evaluated at that checkpoint (out of the accuracy, the flip rate and the votes), as one never asked."""
    if record.get("correct") is not None:
        value = record["correct"]
        key = value.strip().lower() if isinstance(value, str) else value
        if isinstance(key, float) or key not in CORRECT_WORDS:
            raise FieldError("correct", f"{value!r} is not true/false or 1/0")
        prediction = record.get("prediction")
        return CORRECT_WORDS[key], None if prediction is None else str(prediction)
    if record.get("prediction") is None:
        raise FieldError("correct", "is missing (give correct, or a prediction, with its reference to score it)")
    prediction = str(record["prediction"])
    if record.get("reference") is None:
        return MISSING, prediction
    return int(prediction.strip() == str(record["reference"]).strip()), prediction


# ---------------------------------------------------------------------------------------------------------
# Long tables, by pyarrow


def _arrow_read(path, fmt):
    """The file read by pyarrow a block at a time, or None when it cannot be (a parse error, a value of
    another type than the first records', predictions): then it is read record by record, which names the
    bad line. A block's strings are turned into codes at once, so memory holds a few arrays of numbers."""
    try:
        batches = _arrow_batches(path, fmt)
        if batches is None:
            return None
        reading = _ArrowReading(path)
        for batch in batches:
            if not reading.add(batch):
                return None
        return reading.build()
    except (pa.ArrowInvalid, pa.ArrowTypeError, OSError, UnicodeDecodeError):
        return None


ARROW_TYPES = {"step": pa.int64(), "tokens": pa.int64(), "task": pa.string(), "category": pa.string(),
               "metric": pa.string(), "score": pa.float64(), "example_id": pa.string(), "correct": pa.bool_()}
BLOCK_BYTES = 8 << 20


def _arrow_batches(path, fmt):
    with open(path, "rb") as raw:
        compressed = raw.read(2) == GZIP_MAGIC
    source = pa.input_stream(path, compression="gzip" if compressed else None)
    if fmt == "csv":
        return pa_csv.open_csv(source, read_options=pa_csv.ReadOptions(block_size=BLOCK_BYTES),
                               convert_options=pa_csv.ConvertOptions(strings_can_be_null=True,
                                                                     column_types=ARROW_TYPES))
    schema = _jsonl_schema(path)
    if schema is None:
        return None
    return pa_json.open_json(source, read_options=pa_json.ReadOptions(block_size=BLOCK_BYTES),
                             parse_options=pa_json.ParseOptions(explicit_schema=schema,
                                                                unexpected_field_behavior="error"))


def _jsonl_schema(path, probe=1000):
    """Every known field, typed as the first records type them (an example id may be a number, correct
    true/false or 1/0); None when a record holds something pyarrow is not to read (predictions, unknown
    fields) or the first lines are not JSON."""
    types = dict(ARROW_TYPES)
    with open_text(path) as (handle, _):
        for number, text in enumerate(handle):
            if number >= probe:
                break
            if not text.strip():
                continue
            try:
                record = json.loads(text)
            except json.JSONDecodeError:
                return None
            if not isinstance(record, dict) or not set(record) <= set(ARROW_TYPES):
                return None
            if isinstance(record.get("example_id"), int):
                types["example_id"] = pa.int64()
            if isinstance(record.get("correct"), int) and not isinstance(record["correct"], bool):
                types["correct"] = pa.int64()
    return pa.schema(list(types.items()))


class _ArrowReading:
    """Gathers a long table's blocks as codes and numbers (OutcomeColumns), and its score rows checked one
    by one with the record-by-record rules (they are few)."""

    def __init__(self, path):
        self.path, self.rows_read = str(path), 0
        self.scores, self.tokens, self.categories = ScoreRows(), {}, {}
        self.task_codes, self.example_codes = {}, {}
        self.parts = {"step": [], "task": [], "example": [], "correct": [], "row": []}

    def add(self, batch):
        column = {name: batch.column(name) for name in batch.schema.names}
        if "step" not in column or column["step"].null_count:
            return False
        rows = np.arange(self.rows_read, self.rows_read + batch.num_rows)
        is_outcome = (pc.is_valid(column["example_id"]).to_numpy(zero_copy_only=False) if "example_id" in column
                      else np.zeros(batch.num_rows, dtype=bool))
        ok = self._add_outcomes(column, np.flatnonzero(is_outcome), rows) and \
            self._add_scores(column, np.flatnonzero(~is_outcome), rows)
        self._group(column, "step", "tokens", self.tokens, rows)
        self._group(column, "task", "category", self.categories, rows)
        self.rows_read += batch.num_rows
        return ok

    def _add_outcomes(self, column, where, rows):
        if not len(where):
            return True
        if "task" not in column or "correct" not in column:
            return False
        take = pa.array(where)
        correct, task = column["correct"].take(take), column["task"].take(take)
        example, step = column["example_id"].take(take).cast(pa.string()), column["step"].take(take).to_numpy()
        if correct.null_count or task.null_count or (step < 0).any():
            return False
        correct = correct.cast(pa.int64()).to_numpy()
        if ((correct != 0) & (correct != 1)).any():
            return False
        task_codes, example_codes = _codes(task, self.task_codes), _codes(example, self.example_codes)
        if task_codes is None or example_codes is None:
            return False
        for name, values in (("step", step), ("task", task_codes), ("example", example_codes),
                             ("correct", correct.astype(np.uint8)), ("row", rows[where])):
            self.parts[name].append(values)
        return True

    def _add_scores(self, column, where, rows):
        names = [name for name in ("step", "task", "metric", "score") if name in column]
        values = {name: column[name].take(pa.array(where)).to_pylist() for name in names}
        for index, row in enumerate(rows[where]):
            record = {name: values[name][index] for name in names}
            try:
                checked = (step_value(record.get("step"), "step"), task_value(record.get("task")),
                           text_value(record.get("metric"), "metric"), score_value(record.get("score")))
            except FieldError:
                return False
            for name, value in zip(("line", "step", "task", "metric", "score"), (int(row), *checked)):
                getattr(self.scores, name).append(value)
        return True

    def _group(self, column, key, value, groups, rows):
        """Adds to ``groups`` {key: [(value, row)]} the first row of each (key, value) pair of the block that
        gives a value (tokens per step, a category per task): all check_file needs."""
        if value not in column or column[value].null_count == len(column[value]):
            return
        given = pa.array(np.flatnonzero(pc.is_valid(column[value]).to_numpy(zero_copy_only=False)))
        keys, values = column[key].take(given).to_pylist(), column[value].take(given).to_pylist()
        seen = {(k, v) for k, pairs in groups.items() for v, _row in pairs}
        for name, found, index in zip(keys, values, given.to_pylist()):
            found, name = _trimmed(found), _trimmed(name)
            if found == "" or (name, found) in seen:
                continue
            seen.add((name, found))
            groups.setdefault(name, []).append((found, int(rows[index])))

    def build(self):
        joined = {name: np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)
                  for name, parts in self.parts.items()}
        outcomes = OutcomeColumns(
            step=joined["step"].astype(np.int64), task=joined["task"].astype(np.int32), tasks=list(self.task_codes),
            example=joined["example"].astype(np.int32), examples=list(self.example_codes),
            correct=joined["correct"].astype(np.uint8))
        return CheckpointFile(self.path, self.scores, outcomes, joined["row"].astype(np.int64), self.tokens,
                              self.categories)


def _trimmed(value):
    return value.strip() if isinstance(value, str) else value


def _codes(values, codes):
    """Codes of trimmed strings in ``codes`` (a dict grown as new ones come); None for an empty or overlong
    one (the record-by-record reading names it)."""
    encoded = pc.dictionary_encode(pc.utf8_trim_whitespace(values)).combine_chunks() \
        if isinstance(values, pa.ChunkedArray) else pc.dictionary_encode(pc.utf8_trim_whitespace(values))
    names = encoded.dictionary.to_pylist()
    if any(name == "" or len(name) > 200 for name in names):
        return None
    mapped = np.array([codes.setdefault(name, len(codes)) for name in names], dtype=np.int32)
    return mapped[encoded.indices.to_numpy()] if len(names) else np.empty(0, dtype=np.int32)


# ---------------------------------------------------------------------------------------------------------
# Result files of evaluation harnesses


def is_harness_file(path):
    """A JSON document (not JSON Lines) that is an object without a "task" field: a result file (a long table's
    record names its task)."""
    if not str(path).lower().removesuffix(".gz").endswith(".json"):
        return False
    try:
        with open_text(path) as (handle, _):
            document = json.loads(handle.read())
    except (json.JSONDecodeError, RecordError):
        return False
    return isinstance(document, dict) and "task" not in document


HARNESS_KEYS = ("step", "tokens")  # what a result file may say besides its scores


def read_harness_file(path, *, step=None, tokens=None):
    with open_text(path) as (handle, _):
        document = json.loads(handle.read())
    step = _harness_step(path, document, step)
    tokens = tokens if tokens is not None else document.get("tokens")
    builder = _ColumnBuilder(str(path))
    averages = set()
    for field_name, record, is_average in _harness_records(path, document):
        record = {"step": step, **record}
        if tokens is not None:
            record["tokens"] = tokens
        try:
            builder.add(0, record)
        except FieldError as error:
            raise RecordError(path, 0, f"{field_name}.{error.field}", error.reason) from None
        if is_average:
            averages.add(record["task"])
    found = builder.build()
    found.averages = averages
    return found


def _harness_records(path, document):
    """The records of a result file by its layout: {"scores": …} (llm-jp-eval), {"results": …}
    (lm-evaluation-harness), or a bare object of task → score (what llm-jp-eval's scores are on their own)."""
    if isinstance(document.get("scores"), dict):
        return _llmjp_eval_records(document)
    if isinstance(document.get("results"), dict):
        return _lm_eval_records(document)
    scores = {name: value for name, value in document.items() if name not in HARNESS_KEYS}
    for name, value in scores.items():
        try:
            score_value(value)  # a number, or a number in a string ("0.4062", as llm-jp-eval writes them)
        except FieldError:
            raise RecordError(path, 0, name, f"{value!r} is not a score: a result file is an object of task → "
                                             "score, {\"scores\": …} (llm-jp-eval) or {\"results\": …} "
                                             "(lm-evaluation-harness)") from None
    if not scores:
        raise RecordError(path, 0, "scores", "the result file holds no score")
    return _llmjp_eval_records({"scores": scores})


def _harness_step(path, document, step):
    if step is not None:
        return step
    if document.get("step") is not None:
        try:
            return step_value(document["step"], "step")
        except FieldError as error:
            raise RecordError(path, 0, "step", error.reason) from None
    match = HARNESS_STEP.search(Path(path).name)
    if not match:
        raise RecordError(path, 0, "step", "is not in the file (a \"step\" key), its name (step1000, iter_0001000) "
                                           "or the options (--step)")
    return int(match.group(1))


def _llmjp_eval_records(document):
    """Upper-case names (AVG, NLI, QA, …) are category averages, each its own category; a task's category is
    given by an optional "categories": {CATEGORY: [TASK, …]}, else it is left as stored (or empty)."""
    category_of = {task: category for category, tasks in (document.get("categories") or {}).items()
                   for task in tasks}
    for name, score in document["scores"].items():
        is_average = bool(CATEGORY_AVERAGE.match(name))
        record = {"task": name, "metric": "score", "score": score}
        if is_average or name in category_of:
            record["category"] = name if is_average else category_of[name]
        yield f"scores.{name}", record, is_average
    for task, outputs in (document.get("outputs") or {}).items():
        for index, output in enumerate(outputs if isinstance(outputs, list) else []):
            output = output if isinstance(output, dict) else {}
            yield f"outputs.{task}[{index}]", {
                "task": task, "example_id": str(output.get("id", index)),
                "prediction": output.get("pred"), "reference": output.get("gold")}, False


def _lm_eval_records(document):
    groups = set(document.get("groups") or {})
    for task, metrics in document["results"].items():
        for key, score in (metrics.items() if isinstance(metrics, dict) else []):
            metric = key.split(",")[0]
            if metric == "alias" or metric.endswith("_stderr") or not isinstance(score, int | float):
                continue
            yield f"results.{task}.{key}", {"task": task, "metric": metric, "score": score}, task in groups


# ---------------------------------------------------------------------------------------------------------
# What the values mean, checked on the columns


def check_file(found):
    """Within one file: a score or an outcome given twice, a step with two token counts, a task in two
    categories. Raises (or, in an upload, collects) RecordErrors naming the lines."""
    scores = found.scores
    report_rows(found, _repeated_rows(list(zip(scores.step, scores.task, scores.metric)), scores.line),
                "metric", "the score of this step, task and metric is given twice")
    outcomes = found.outcomes
    if len(outcomes):
        keys = (outcomes.step * max(len(outcomes.tasks), 1) + outcomes.task) * max(len(outcomes.examples), 1) \
            + outcomes.example
        order = np.argsort(keys, kind="stable")
        repeated = order[1:][keys[order][1:] == keys[order][:-1]]
        report_rows(found, found.outcome_rows[repeated], "example_id",
                    "the outcome of this step, task and example is given twice")
    for name, groups, what in (("tokens", found.tokens, "step"), ("category", found.categories, "task")):
        for key, given in groups.items():
            if len({value for value, _row in given}) > 1:
                first, *others = sorted(given, key=lambda pair: pair[1])
                report_rows(found, [row for _value, row in others], name,
                            f"{what} {key} is given with {name} {first[0]} elsewhere in the file")


def _repeated_rows(keys, rows):
    seen, repeated = set(), []
    for key, row in zip(keys, rows):
        if key in seen:
            repeated.append(row)
        seen.add(key)
    return repeated


MAX_REPORTED_ROWS = 50


def report_rows(found, rows, field_name, reason):
    """A RecordError for each of the first rows (by position in the file); raised unless an upload gathers
    them. ``reason`` is a text or a function of the row."""
    rows = sorted(int(row) for row in rows)[:MAX_REPORTED_ROWS]
    if not rows:
        return
    lines = dict(zip(rows, found.lines[rows])) if found.lines is not None else lines_of_rows(found.path, rows)
    for row in rows:
        error = RecordError(found.path, int(lines[row]), field_name, reason(row) if callable(reason) else reason)
        if not collected(error):
            raise error


def lines_of_rows(path, rows):
    """{row: line} for records of a long table, by reading it once more (only when reporting errors)."""
    wanted, found = set(rows), {}
    fmt = detect_format(path)
    with open_text(path) as (handle, _):
        if fmt == "csv":
            reader = csv.reader(handle)
            next(reader, None)
            start = 2
            for index, _cells in enumerate(reader):
                if index in wanted:
                    found[index] = start
                start = reader.line_num + 1
        else:
            index = -1
            for number, text in enumerate(handle, start=1):
                if text.strip():
                    index += 1
                    if index in wanted:
                        found[index] = number
    return found
