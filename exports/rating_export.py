"""The quick export: every rating of a campaign (or those made or revised since a time) as JSON Lines or CSV,
streamed, for scripts. Releases are for publishing; this is for reading the data as it is now.

The kind (annotation.kinds) names its columns and fills its fields: likert ratings carry ``model`` and
``scores`` per axis, pairwise ones ``model_a``, ``model_b`` and ``verdict``, exam ones ``exam``, ``question_id``
and ``answer``; the records are those `import_ratings` reads, with the rating's item, revision and times beside
them. Ratings are read through one server-side cursor (one plan, one pass over the tables), CHUNK rows at a
time, so memory stays flat however large the campaign.

Two paths give the same bytes (tests/exports/test_rating_export.py holds them together on the same data):
- on PostgreSQL, the database writes each line (`sql_export`): the scores gathered per rating, times, ids and
  JSON or CSV text formatted in SQL, so Python only joins lines (a million ratings: the Python path spent two
  thirds of its time encoding records one by one);
- elsewhere (SQLite, the embedded default), and for a campaign that scores each turn (a record per rating and
  turn), Python builds each record and encodes it (`python_export`).
"""

import csv
import io
import json
from contextlib import nullcontext
from itertools import islice

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from annotation import kinds
from annotation.errors import HyokaError
from annotation.models import Rating
from annotation.quality_items import counted, counted_sql

CHUNK = 5000
FORMATS = ("jsonl", "csv")
CONTENT_TYPES = {"jsonl": "application/jsonl; charset=utf-8", "csv": "text/csv; charset=utf-8"}
LINE_ENDS = {"jsonl": "\n", "csv": "\r\n"}  # json.dumps's records one a line; the csv module's row end
# What every rating has, whatever its kind: (record field, Rating lookup, SQL value on PostgreSQL; the campaign's
# slug for None). In the SQL, r is the rating, i its item, rs the item's response, p its prompt and an the
# annotator; times are written as Python's isoformat() writes them (in UTC, microseconds only when there are any).
_ISO = "replace(to_char({} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US'), '.000000', '') || '+00:00'"
COMMON = (
    ("campaign", None, None), ("item_id", "item__public_id", "i.public_id::text"),
    ("prompt_id", "item__response__prompt__external_id", "p.external_id"),
    ("annotator", "annotator__handle", "an.handle"), ("comment", "comment", "r.comment"),
    ("seconds_spent", "seconds_spent", "r.seconds_spent"), ("revision", "revision", "r.revision"),
    ("submitted_at", "submitted_at", _ISO.format("r.submitted_at")),
    ("revised_at", "revised_at", _ISO.format("r.revised_at")),
)
# The common fields whose values never need escaping or quoting (a UUID, whole numbers, times): written as they
# are, which spares PostgreSQL a JSON conversion or a quoting check per value; NUMBERS are bare in JSON.
PLAIN, NUMBERS = {"item_id", "seconds_spent", "revision", "submitted_at", "revised_at"}, {"seconds_spent", "revision"}
COMMON_JOINS = """JOIN annotation_item i ON i.id = r.item_id
    JOIN annotation_response rs ON rs.id = i.response_id JOIN annotation_prompt p ON p.id = rs.prompt_id
    JOIN annotation_annotator an ON an.id = r.annotator_id"""


def export_since(text):
    """A time from ISO 8601 text (``2026-12-01T09:00:00+09:00``, or a date: its start), in the site's time zone
    when it names none. Raises HyokaError naming the text."""
    text = (text or "").strip()
    try:
        moment = parse_datetime(text)
        day = None if moment else parse_date(text)
    except ValueError:
        moment = day = None
    if day is not None:
        moment = timezone.datetime(day.year, day.month, day.day)
    if moment is None:
        raise HyokaError(f"since: {text!r} is not a date or time; use ISO 8601, e.g. 2026-12-01 or "
                         "2026-12-01T09:00:00+09:00")
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def ratings_export(campaign, output="jsonl", since=None):
    """The export as an iterator of text chunks: one JSON object per line, or CSV with a header line (lists and
    objects as JSON, scores as ``scores.AXIS`` columns, the CSV the importers read)."""
    whole_ratings = not getattr(campaign, "per_turn_scores", False)  # the SQL gathers one score per rating and axis
    export = sql_export if connection.vendor == "postgresql" and whole_ratings else python_export
    return export(campaign, output, since)


def python_export(campaign, output="jsonl", since=None):
    """``ratings_export`` with a record built and encoded in Python per rating (any database)."""
    if output == "csv":
        return _csv_chunks(campaign, since)
    return ("".join(json.dumps(record, ensure_ascii=False) + "\n" for record in chunk)
            for chunk in rating_chunks(campaign, since))


def rating_chunks(campaign, since=None):
    """Lists of records, one per rating of ``campaign`` (submitted or revised at ``since`` or later), by id."""
    kind = kinds.for_campaign(campaign)
    ratings = Rating.objects.filter(counted("item__"), item__campaign=campaign)
    if since is not None:
        ratings = ratings.filter(Q(submitted_at__gte=since) | Q(revised_at__gte=since))
    lookups = ["pk", *(lookup for _, lookup, _ in COMMON if lookup), *kind.EXPORT_LOOKUPS]
    # On PostgreSQL in a transaction, so that the cursor streams: outside one, Django declares it WITH HOLD, and
    # PostgreSQL then computes the whole result before the first row. Not on SQLite, where a transaction begins
    # IMMEDIATE and would hold the write lock (every rater's submit) for the whole download.
    with transaction.atomic() if connection.vendor == "postgresql" else nullcontext():
        rows = ratings.order_by("pk").values_list(*lookups).iterator(chunk_size=CHUNK)
        while chunk := list(islice(rows, CHUNK)):
            yield kind.export_records(campaign, [_common(campaign, row) for row in chunk], chunk)


def _common(campaign, row):
    _, item_id, prompt_id, annotator, comment, seconds, revision, submitted, revised = row[:len(COMMON)]
    return {"campaign": campaign.slug, "item_id": str(item_id), "prompt_id": prompt_id, "annotator": annotator,
            "comment": comment, "seconds_spent": seconds, "revision": revision,
            "submitted_at": submitted.isoformat(), "revised_at": revised.isoformat() if revised else None}


def _csv_chunks(campaign, since):
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, _csv_columns(campaign), extrasaction="ignore")
    yield _csv_header(campaign)
    for chunk in rating_chunks(campaign, since):
        writer.writerows(_flat(record) for record in chunk)
        yield _drain(buffer)


def _csv_columns(campaign):
    return [name for name, _, _ in COMMON] + kinds.for_campaign(campaign).export_columns(campaign)


def _csv_header(campaign):
    buffer = io.StringIO()
    csv.writer(buffer).writerow(_csv_columns(campaign))
    return buffer.getvalue()


def sql_export(campaign, output="jsonl", since=None):
    """``ratings_export`` with each line written by PostgreSQL, read CHUNK lines at a time through a cursor that
    streams (in a transaction: outside one Django declares it WITH HOLD, and PostgreSQL would then compute the
    whole result before the first row)."""
    joins, kind_fields = kinds.for_campaign(campaign).export_sql(campaign)
    fields = [(name, _literal(campaign.slug) + "::text" if value is None else value) for name, _, value in COMMON]
    fields += kind_fields
    # The values first, by rating id, then the lines from them: OFFSET 0 keeps PostgreSQL from folding the inner
    # query into the outer one, which would compute a value once per reference to it.
    values = [value for _, value in fields for value in ([value] if isinstance(value, str) else
                                                         [member for _, member in value])]
    aliases = iter(f"v.v{number}" for number in range(len(values)))
    fields = [(name, next(aliases) if isinstance(value, str) else [(key, next(aliases)) for key, _ in value])
              for name, value in fields]
    fields = [(name, _Plain(value) if name in PLAIN else value) for name, value in fields]
    line = _json_line_sql(fields) if output == "jsonl" else _csv_line_sql(fields)
    since_sql = "AND (r.submitted_at >= %s OR r.revised_at >= %s)" if since is not None else ""
    sql = (f"SELECT {line} FROM (SELECT r.id, {', '.join(f'{value} AS v{n}' for n, value in enumerate(values))} "
           f"FROM annotation_rating r {COMMON_JOINS} {joins} WHERE i.campaign_id = %s AND {counted_sql('i')} "
           f"{since_sql} ORDER BY r.id OFFSET 0) v ORDER BY v.id")
    params = [campaign.pk, *([since, since] if since is not None else [])]
    end = LINE_ENDS[output]
    if output == "csv":
        yield _csv_header(campaign)
    with transaction.atomic(), connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(CHUNK):
            yield end.join(text for text, in rows) + end


def _json_line_sql(fields):
    """SQL of a record as json.dumps(record, ensure_ascii=False) writes it: ``fields`` are (key, SQL value), or
    (key, [(key, SQL value), ...]) for an object whose null members are left out (a rating's scores). PostgreSQL
    escapes strings as Python's json module does (quote, backslash, \\b \\f \\n \\r \\t, other control
    characters as \\u00xx; nothing else)."""
    parts = []
    for number, (key, value) in enumerate(fields):
        parts.append(_literal(("{" if number == 0 else ", ") + json.dumps(key) + ": "))
        if isinstance(value, _Plain):
            text = f"{value}::text" if key in NUMBERS else f"""'"' || {value} || '"'"""
            parts.append(f"COALESCE({text}, 'null')")
        elif isinstance(value, str):
            parts.append(f"COALESCE(to_json({value})::text, 'null')")
        else:
            members = [f"CASE WHEN {member} IS NOT NULL THEN {_literal(json.dumps(name) + ': ')} || "
                       f"to_json({member})::text END" for name, member in value]
            parts.append(f"'{{' || concat_ws(', ', {', '.join(members)}) || '}}'" if members else "'{}'")
    return " || ".join(parts + ["'}'"])


def _csv_line_sql(fields):
    """SQL of a record as the csv module writes it (without the line end): a column per field, and per member of
    an object field (``scores.AXIS``); null as nothing; a value quoted, its quotes doubled, when it holds a
    comma, a quote, CR or LF (the module's QUOTE_MINIMAL)."""
    values = [value for _, value in fields for value in ([value] if isinstance(value, str) else
                                                         [member for _, member in value])]
    quoted = ("COALESCE(CASE WHEN {0}::text ~ '[,\"\\r\\n]' THEN '\"' || replace({0}::text, '\"', '\"\"') || '\"' "
              "ELSE {0}::text END, '')")
    return " || ',' || ".join(f"COALESCE({value}::text, '')" if isinstance(value, _Plain) else quoted.format(value)
                              for value in values)


class _Plain(str):
    """An SQL value of a PLAIN field."""


def _literal(text):
    """``text`` as an SQL string literal in a statement with parameters (% doubled)."""
    return "'" + text.replace("'", "''").replace("%", "%%") + "'"


def _flat(record):
    flat = {key: value for key, value in record.items() if key != "scores"}
    flat.update((f"scores.{axis}", score) for axis, score in record.get("scores", {}).items())
    return flat


def _drain(buffer):
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text
