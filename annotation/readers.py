"""Streaming readers for import files: JSON Lines and CSV, one record per line or row.

Each reader yields ``(line, record)`` with the 1-based line number where the
record starts, so errors can name it. CSV cells that hold JSON (lists such as
``turns``, objects such as ``scores`` or ``metadata``) are decoded; columns
named ``scores.AXIS`` are gathered into a ``scores`` object. An empty cell is
a missing value, except in the ``response`` column, where it is an empty answer.
"""

import csv
import json
from pathlib import Path

from .errors import RecordError

JSON_COLUMNS = {"turns", "responses", "scores", "metadata", "human_evals", "checklist"}
# Columns where an empty cell is a value, not a missing one: a model's empty answer.
EMPTY_IS_TEXT = {"response"}
FORMATS = ("jsonl", "csv")


def detect_format(path, declared=None):
    if declared:
        if declared not in FORMATS:
            raise RecordError(path, 0, "format", f"unknown format {declared!r}; use one of {', '.join(FORMATS)}")
        return declared
    suffix = Path(path).suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    if suffix == ".csv":
        return "csv"
    raise RecordError(path, 0, "format", f"cannot tell the format from {suffix or 'no suffix'!r}; use .jsonl or .csv")


def read_records(path, declared_format=None):
    """Yield ``(line, dict)`` for every record of the file at ``path``."""
    fmt = detect_format(path, declared_format)
    try:
        handle = open(path, encoding="utf-8-sig", newline="")
    except OSError as error:
        raise RecordError(path, 0, "file", error.strerror or str(error)) from None
    with handle:
        reader = _jsonl_records if fmt == "jsonl" else _csv_records
        try:
            yield from reader(path, handle)
        except UnicodeDecodeError as error:
            raise RecordError(path, 0, "file", f"not UTF-8 text ({error.reason} at byte {error.start})") from None


def _jsonl_records(path, handle):
    for line_number, text in enumerate(handle, start=1):
        if not text.strip():
            continue
        try:
            record = json.loads(text)
        except json.JSONDecodeError as error:
            raise RecordError(path, line_number, "json", f"{error.msg} at column {error.colno}") from None
        if not isinstance(record, dict):
            raise RecordError(path, line_number, "json", f"expected an object, got {type(record).__name__}")
        yield line_number, record


def _csv_records(path, handle):
    reader = csv.DictReader(handle)
    if not reader.fieldnames:
        return
    start = 2
    for row in reader:
        line_number = start
        start = reader.line_num + 1
        if None in row:
            raise RecordError(path, line_number, "csv", "more cells than header columns")
        yield line_number, _decode_csv_row(path, line_number, row)


def _decode_csv_row(path, line_number, row):
    record = {}
    scores = {}
    for column, cell in row.items():
        column = column.strip()
        if cell is None or (cell == "" and column not in EMPTY_IS_TEXT):
            continue
        if column.startswith("scores."):
            scores[column.removeprefix("scores.")] = _csv_scalar(cell)
        elif column in JSON_COLUMNS and cell.lstrip()[:1] in ("[", "{"):
            try:
                record[column] = json.loads(cell)
            except json.JSONDecodeError as error:
                raise RecordError(path, line_number, column, f"invalid JSON: {error.msg}") from None
        else:
            record[column] = cell
    if scores:
        record.setdefault("scores", {}).update(scores)
    return record


def _csv_scalar(cell):
    text = cell.strip()
    try:
        return int(text)
    except ValueError:
        return text


def chunked(records, size):
    """Group an iterable into lists of at most ``size`` elements."""
    chunk = []
    for record in records:
        chunk.append(record)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def read_json_file(path):
    """Read a whole JSON document (for rubric definitions)."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as error:
        raise RecordError(path, 0, "file", error.strerror or str(error)) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise RecordError(path, error.lineno, "json", error.msg) from None


