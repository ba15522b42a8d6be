"""The quick export: every rating of a campaign (or those made or revised since a time) as JSON Lines or CSV,
streamed, for scripts. Releases are for publishing; this is for reading the data as it is now.

Ratings are read through one server-side cursor (one plan, one pass over the tables), CHUNK rows at a time,
and the kind adds its part chunk by chunk (likert: one query for the chunk's scores), so memory stays flat
however large the campaign. The kind (annotation.kinds) names its columns and fills its fields:
likert ratings carry ``model`` and ``scores`` per axis, pairwise ones ``model_a``, ``model_b`` and ``verdict``;
the records are those `import_ratings` reads, with the rating's item, revision and times beside them.
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
from annotation.quality_items import counted

CHUNK = 5000
FORMATS = ("jsonl", "csv")
CONTENT_TYPES = {"jsonl": "application/jsonl; charset=utf-8", "csv": "text/csv; charset=utf-8"}
# What every rating has, whatever its kind: (record field, Rating lookup).
COMMON = (
    ("campaign", None), ("item_id", "item__public_id"), ("prompt_id", "item__response__prompt__external_id"),
    ("annotator", "annotator__handle"), ("comment", "comment"), ("seconds_spent", "seconds_spent"),
    ("revision", "revision"), ("submitted_at", "submitted_at"), ("revised_at", "revised_at"),
)


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


def rating_chunks(campaign, since=None):
    """Lists of records, one per rating of ``campaign`` (submitted or revised at ``since`` or later), by id."""
    kind = kinds.for_campaign(campaign)
    ratings = Rating.objects.filter(counted("item__"), item__campaign=campaign)
    if since is not None:
        ratings = ratings.filter(Q(submitted_at__gte=since) | Q(revised_at__gte=since))
    lookups = ["pk", *(lookup for _, lookup in COMMON if lookup), *kind.EXPORT_LOOKUPS]
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


def ratings_export(campaign, output="jsonl", since=None):
    """The export as an iterator of text chunks: one JSON object per line, or CSV with a header line (lists and
    objects as JSON, scores as ``scores.AXIS`` columns, the CSV the importers read)."""
    if output == "csv":
        return _csv_chunks(campaign, since)
    return ("".join(json.dumps(record, ensure_ascii=False) + "\n" for record in chunk)
            for chunk in rating_chunks(campaign, since))


def _csv_chunks(campaign, since):
    columns = [name for name, _ in COMMON] + kinds.for_campaign(campaign).export_columns(campaign)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, columns, extrasaction="ignore")
    writer.writeheader()
    yield _drain(buffer)
    for chunk in rating_chunks(campaign, since):
        writer.writerows(_flat(record) for record in chunk)
        yield _drain(buffer)


def _flat(record):
    flat = {key: value for key, value in record.items() if key != "scores"}
    flat.update((f"scores.{axis}", score) for axis, score in record.get("scores", {}).items())
    return flat


def _drain(buffer):
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text
