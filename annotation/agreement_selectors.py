"""Ratings read from the database as the long table of annotation.agreement, and a campaign's agreement
report as JSON: what `agreement --json` prints and what the API returns.

The ratings of a campaign are read with one query. On PostgreSQL it is streamed with
`COPY (SELECT ...) TO STDOUT (FORMAT BINARY)` and decoded with numpy (integers only: a 5,000,000-score
campaign loads in seconds); elsewhere (SQLite) it is the same query through values_list. Ids are turned
into annotator handles and axis keys afterwards, from two small lookups.
"""

import dataclasses
import io

import numpy as np
import pandas as pd
from django.db import connections, router

from annotation import agreement
from annotation.errors import HyokaError
from annotation.models import Annotator, Campaign, Item, LanguageModel, RatingScore, Rubric

# PostgreSQL's binary COPY: an 11-byte signature, a 4-byte flags field and a 4-byte header extension length.
_COPY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00"
_COPY_HEADER = len(_COPY_SIGNATURE) + 8
_COPY_TRAILER = b"\xff\xff"


def campaign_for_report(slug):
    """The campaign named `slug` with its rubric; a HyokaError for an unknown or pairwise campaign."""
    campaign = Campaign.objects.select_related("rubric").filter(slug=slug).first()
    if campaign is None:
        raise HyokaError(f"no campaign {slug!r}")
    check_likert(campaign)
    return campaign


def check_likert(campaign):
    if campaign.rubric.kind != Rubric.Kind.LIKERT:
        raise HyokaError(f"campaign {campaign.slug} uses the pairwise rubric {campaign.rubric.key}: "
                         "agreement and meta-evaluation work on scores (likert rubrics) for now")


def rubric_axis_keys(campaign):
    """The keys of the campaign's rubric axes, in rubric order."""
    return list(campaign.rubric.axes.order_by("position", "id").values_list("key", flat=True))


# ---------------------------------------------------------------------------------------------------------
# Reading


def campaign_ratings(campaign):
    """Every score of the campaign's ratings (their current version), one row per (rating, axis).

    Columns: item (Item pk), annotator (handle), axis (axis key), score (int16). An axis a rating did not
    score has no row.
    """
    scores = RatingScore.objects.filter(rating__item__campaign=campaign).values_list(
        "rating__item_id", "rating__annotator_id", "axis_id", "score")
    item, annotator, axis, score = integer_columns(scores, (np.int64, np.int64, np.int64, np.int16))
    return pd.DataFrame({
        "item": item,
        "annotator": labels_of(annotator, Annotator.objects, "handle"),
        "axis": labels_of(axis, campaign.rubric.axes.all(), "key"),
        "score": score,
    })


def campaign_item_models(campaign):
    """The name of the model behind each of the campaign's items, as a Series indexed by Item pk."""
    rows = Item.objects.filter(campaign=campaign).values_list("id", "response__model_id")
    item, model = integer_columns(rows, (np.int64, np.int64))
    return pd.Series(labels_of(model, LanguageModel.objects, "name"), index=item, dtype=object)


def labels_of(ids, queryset, field):
    """The `field` of each id's row (an object array aligned with `ids`), from one lookup of the distinct ids."""
    inverse, distinct = pd.factorize(ids)
    names = dict(queryset.filter(pk__in=distinct.tolist()).values_list("pk", field))
    return np.array([names[pk] for pk in distinct.tolist()], dtype=object)[inverse]


def integer_columns(rows, dtypes):
    """The columns of a values_list queryset whose fields are all NOT NULL integers, as numpy arrays.

    `dtypes` gives each column's integer type, which must match its database type in width (bigint:
    np.int64, smallint: np.int16, integer: np.int32). On PostgreSQL the query runs as one binary COPY.
    """
    connection = connections[router.db_for_read(rows.model)]
    if connection.vendor != "postgresql":
        table = np.array(list(rows), dtype=np.int64).reshape(-1, len(dtypes))
        return [table[:, index].astype(dtype) for index, dtype in enumerate(dtypes)]
    sql, params = rows.query.sql_with_params()
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY ({sql}) TO STDOUT (FORMAT BINARY)", params) as copy:
        buffer = io.BytesIO()
        for block in copy:
            buffer.write(block)
    return decode_binary_copy(buffer.getbuffer(), dtypes)


def decode_binary_copy(data, dtypes):
    """The columns of PostgreSQL binary COPY output whose fields are NOT NULL integers of the widths of
    `dtypes`. Every row then has the same layout (field count, then length and big-endian value per
    field), so the rows are read as one numpy structured array and checked at once."""
    if bytes(data[: len(_COPY_SIGNATURE)]) != _COPY_SIGNATURE or bytes(data[-2:]) != _COPY_TRAILER:
        raise ValueError("not the output of a binary COPY")
    start = _COPY_HEADER + int.from_bytes(data[_COPY_HEADER - 4:_COPY_HEADER], "big")
    fields = [("fields", ">i2")]
    for index, dtype in enumerate(dtypes):
        fields += [(f"length{index}", ">i4"), (f"value{index}", np.dtype(dtype).newbyteorder(">"))]
    layout = np.dtype(fields)
    if (len(data) - start - 2) % layout.itemsize:
        raise ValueError("binary COPY rows are not of the expected integer widths")
    rows = np.frombuffer(data, dtype=layout, count=(len(data) - start - 2) // layout.itemsize, offset=start)
    widths = [np.dtype(dtype).itemsize for dtype in dtypes]
    if (rows["fields"] != len(dtypes)).any() or any(
            (rows[f"length{index}"] != width).any() for index, width in enumerate(widths)):
        raise ValueError("binary COPY rows are not of the expected integer widths (or hold NULLs)")
    return [rows[f"value{index}"].astype(dtype) for index, dtype in enumerate(dtypes)]


# ---------------------------------------------------------------------------------------------------------
# The report as JSON


def campaign_agreement(campaign, *, level=agreement.DEFAULT_LEVEL, replicates=agreement.DEFAULT_REPLICATES,
                       seed=agreement.DEFAULT_SEED, normalise=False, ratings=None):
    """The agreement report of the campaign as one JSON-ready dict keyed by axis key (every axis of the
    rubric, in rubric order; an axis nobody scored has counts 0 and every statistic undefined with its
    reason), plus "meta": the run's parameters and counts, and "reason" (why nothing could be computed,
    or None). Pass `ratings` (campaign_ratings) when already read."""
    check_likert(campaign)
    ratings = campaign_ratings(campaign) if ratings is None else ratings
    report = agreement.agreement_report(ratings, level=level, replicates=replicates, seed=seed, normalise=normalise)
    computed = {axis.axis: axis for axis in report.axes}
    keys = rubric_axis_keys(campaign)
    meta = {
        "campaign": campaign.slug, "rubric": campaign.rubric.key, "level": report.level,
        "normalised": report.normalised, "replicates": report.replicates, "confidence": report.confidence,
        "seed": report.seed, "min_common_items": report.min_common_items, "n_items": report.n_items,
        "n_scores": len(ratings), "n_annotators": int(ratings["annotator"].nunique()),
        "reason": ratings_reason(campaign, ratings),
    }
    axes = {key: computed.get(key) or agreement.unscored_axis_agreement(key, level=level) for key in keys}
    return {"meta": meta, **{key: dataclasses.asdict(axis) for key, axis in axes.items()}}


def ratings_reason(campaign, ratings):
    """Why no agreement can be computed on `ratings` at all, or None."""
    if not len(ratings):
        return f"campaign {campaign.slug} has no ratings yet"
    if ratings["annotator"].nunique() < 2:
        return f"only one annotator has rated in campaign {campaign.slug}: agreement needs two or more"
    return None
