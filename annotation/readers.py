"""Streaming readers for import files: JSON Lines and CSV, one record per line or row.

Each reader yields ``(line, record)`` with the 1-based line number where the
record starts, so errors can name it. CSV cells that hold JSON (lists such as
``turns``, objects such as ``scores`` or ``metadata``) are decoded; columns
named ``scores.AXIS`` are gathered into a ``scores`` object. An empty cell is
a missing value, except in the ``response`` column, where it is an empty answer.
A gzip-compressed file (``.jsonl.gz``, ``.csv.gz``, or any file that starts with
gzip's magic bytes) is decompressed as it is read.

Within ``collecting_record_errors`` (annotation.errors) a bad line is collected and
reading goes on; within ``reporting_progress`` the bytes read so far are reported.
"""

import csv
import gzip
import io
import json
import zlib
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from .errors import RecordError, collected

JSON_COLUMNS = {"turns", "responses", "scores", "metadata", "human_evals", "checklist"}
# Columns where an empty cell is a value, not a missing one: a model's empty answer.
EMPTY_IS_TEXT = {"response"}
FORMATS = ("jsonl", "csv")
GZIP_MAGIC = b"\x1f\x8b"
PROGRESS_EVERY = 1000  # records between two progress reports
_progress = ContextVar("hyoka_reading_progress", default=None)


@contextmanager
def reporting_progress(report):
    """Within the block, readers call ``report(bytes_read)`` every PROGRESS_EVERY records (bytes of the file
    as stored, compressed or not)."""
    token = _progress.set(report)
    try:
        yield
    finally:
        _progress.reset(token)


def is_gzip_name(path):
    return str(path).lower().endswith(".gz")


def detect_format(path, declared=None):
    if declared:
        if declared not in FORMATS:
            raise RecordError(path, 0, "format", f"unknown format {declared!r}; use one of {', '.join(FORMATS)}")
        return declared
    name = str(path).lower()
    suffix = Path(name.removesuffix(".gz")).suffix
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    if suffix == ".csv":
        return "csv"
    raise RecordError(path, 0, "format", f"cannot tell the format from {suffix or 'no suffix'!r}; use .jsonl or .csv")


def read_records(path, declared_format=None):
    """Yield ``(line, dict)`` for every record of the file at ``path``."""
    fmt = detect_format(path, declared_format)
    reader = _jsonl_records if fmt == "jsonl" else _csv_records
    report = _progress.get()
    with open_text(path) as (handle, raw):
        for number, found in enumerate(reader(path, handle)):
            if report and number % PROGRESS_EVERY == 0:
                report(raw.tell())
            yield found


@contextmanager
def open_text(path):
    """The file at ``path`` as UTF-8 text (decompressed when it is gzip), and its raw binary handle.

    Undecodable text and broken gzip data become a RecordError naming the file."""
    try:
        raw = open(path, "rb")
    except OSError as error:
        raise RecordError(path, 0, "file", error.strerror or str(error)) from None
    with raw:
        compressed = raw.read(2) == GZIP_MAGIC
        raw.seek(0)
        if is_gzip_name(path) and not compressed:
            raise RecordError(path, 0, "file", "is not gzip-compressed, although its name ends in .gz")
        binary = gzip.GzipFile(fileobj=raw, mode="rb") if compressed else raw
        try:
            yield io.TextIOWrapper(binary, encoding="utf-8-sig", newline=""), raw
        except UnicodeDecodeError as error:
            raise RecordError(path, 0, "file", f"not UTF-8 text ({error.reason} at byte {error.start})") from None
        except (gzip.BadGzipFile, EOFError, zlib.error) as error:
            raise RecordError(path, 0, "file", f"broken gzip data ({error or 'the file ends too early'})") from None


def _jsonl_records(path, handle):
    for line_number, text in enumerate(handle, start=1):
        if not text.strip():
            continue
        try:
            record = json.loads(text)
        except json.JSONDecodeError as error:
            _bad_line(RecordError(path, line_number, "json", f"{error.msg} at column {error.colno}"))
            continue
        if not isinstance(record, dict):
            _bad_line(RecordError(path, line_number, "json", f"expected an object, got {type(record).__name__}"))
            continue
        yield line_number, record


def _bad_line(error):
    if not collected(error):
        raise error


def _csv_records(path, handle):
    reader = csv.DictReader(handle)
    if not reader.fieldnames:
        return
    start = 2
    for row in reader:
        line_number = start
        start = reader.line_num + 1
        if None in row:
            _bad_line(RecordError(path, line_number, "csv", "more cells than header columns"))
            continue
        try:
            record = _decode_csv_row(path, line_number, row)
        except RecordError as error:
            _bad_line(error)
            continue
        yield line_number, record


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
    with open_text(path) as (handle, _):
        text = handle.read()
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise RecordError(path, error.lineno, "json", error.msg) from None




def read_json_array(path):
    """Yield ``(line, dict)`` for every element of the JSON array in the file at ``path`` (the line where each
    element starts, so errors can name it)."""
    with open_text(path) as (handle, _):
        text = handle.read()
    decoder = json.JSONDecoder()
    position = _skip_space(text, 0)
    if text[position:position + 1] != "[":
        raise RecordError(path, _line_at(text, position), "json", "expected a JSON array of questions")
    position = _skip_space(text, position + 1)
    if text[position:position + 1] == "]":
        return
    while True:
        line = _line_at(text, position)
        try:
            record, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError as error:
            raise RecordError(path, error.lineno, "json", error.msg) from None
        if not isinstance(record, dict):
            raise RecordError(path, line, "json", f"expected an object, got {type(record).__name__}")
        yield line, record
        position = _skip_space(text, position)
        separator = text[position:position + 1]
        if separator == "]":
            return
        if separator != ",":
            raise RecordError(path, _line_at(text, position), "json", "expected ',' or ']' after an element")
        position = _skip_space(text, position + 1)


def _skip_space(text, position):
    while position < len(text) and text[position] in " \t\r\n":
        position += 1
    return position


def _line_at(text, position):
    return text.count("\n", 0, position) + 1
