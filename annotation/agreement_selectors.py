"""Ratings read from the database as the long table of annotation.agreement, and a pairwise campaign's
votes as the votes table of annotation.agreement.verdict_agreement (exports.reports.agreement builds the
agreement reports from them).

The ratings of a campaign are read with one query. On PostgreSQL it is streamed with
`COPY (SELECT array_agg(...) ...) TO STDOUT (FORMAT BINARY)`, the columns sent as integer arrays and
decoded with numpy (a 5,000,000-score campaign loads in about 3 seconds); elsewhere (SQLite) it is the same
query through values_list. Ids are turned
into annotator handles and axis keys afterwards, from two small lookups.
"""

import io

import numpy as np
import pandas as pd
from django.db import connections, router, transaction
from django.db.models.functions import Coalesce

from annotation import agreement
from annotation.errors import HyokaError
from annotation.models import Annotator, Campaign, Item, LanguageModel, Rating, RatingScore
from annotation.quality_items import counted

# PostgreSQL's binary COPY: an 11-byte signature, a 4-byte flags field and a 4-byte header extension length.
_COPY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00"
_COPY_HEADER = len(_COPY_SIGNATURE) + 8
_COPY_TRAILER = b"\xff\xff"
# Rows of a COPY are aggregated into arrays by ranges of this many ids of their first column.
ARRAY_ROW_IDS = 8192
COPY_WORK_MEM = "256MB"


def campaign_for_report(slug):
    """The campaign named `slug` with its rubric, of any kind; a HyokaError for an unknown one."""
    campaign = Campaign.objects.select_related("rubric").filter(slug=slug).first()
    if campaign is None:
        raise HyokaError(f"no campaign {slug!r}")
    return campaign


def rubric_axis_keys(campaign):
    """The keys of the campaign's rubric axes, in rubric order."""
    return list(campaign.rubric.axes.order_by("position", "id").values_list("key", flat=True))


# ---------------------------------------------------------------------------------------------------------
# Reading


def campaign_ratings(campaign):
    """Every score of the campaign's ratings (their current version), one row per (rating, axis, turn).

    Columns: item (Item pk), annotator (handle), axis (axis key), score (int16), turn (float: 1.0, 2.0, ... for
    a campaign that scores each turn, NaN for a score of the whole conversation, as judges' scores carry it).
    An axis a rating did not score has no row. annotation.agreement wants one score per (item, annotator, axis):
    ratings_per_turn_as_axes or ratings_mean_over_turns make one of a table with per-turn scores.
    """
    scores = RatingScore.objects.filter(counted("rating__item__"), rating__item__campaign=campaign).values_list(
        "rating__item_id", "rating__annotator_id", "axis_id", Coalesce("turn", 0), "score")
    # COALESCE(smallint, 0) is an integer: 4 bytes wide.
    columns = integer_columns(scores, (np.int64, np.int64, np.int64, np.int32, np.int16))
    order = canonical_order(*columns[:4])
    item, annotator, axis, turn, score = (column[order] for column in columns)
    return pd.DataFrame({
        "item": item,
        "annotator": labels_of(annotator, Annotator.objects, "handle"),
        "axis": labels_of(axis, campaign.rubric.axes.all(), "key"),
        "score": score,
        "turn": np.where(turn == 0, np.nan, turn.astype(float)),
    })


def turn_axis_label(axis, turn):
    """The name agreement gives an axis scored per turn: "relevance (turn 1)"."""
    return f"{axis} (turn {int(turn)})"


def axis_keys_with_turns(axis_keys, ratings):
    """The axes of an agreement report: the rubric's ``axis_keys``, then for each turn the ratings carry (a
    campaign that scores each turn) each axis named with the turn, turn 1's first. With per-turn scores, an
    axis of the whole conversation is kept only where some rating has such a score on it (an import may mix
    the two), so a campaign that scores each turn does not open its report with axes nobody was asked for."""
    if "turn" not in ratings.columns or not ratings["turn"].notna().any():
        return list(axis_keys)
    turns = sorted({int(turn) for turn in ratings["turn"].dropna()})
    whole = set(ratings.loc[ratings["turn"].isna(), "axis"])
    return [*(key for key in axis_keys if key in whole),
            *(turn_axis_label(key, turn) for turn in turns for key in axis_keys)]


def ratings_per_turn_as_axes(ratings):
    """The ratings table with each per-turn score's axis named with its turn (turn_axis_label), so that
    agreement is computed per axis and turn; a score of the whole conversation keeps its axis. Without a turn
    column, or without per-turn scores, the table as it is."""
    if "turn" not in ratings.columns or not ratings["turn"].notna().any():
        return ratings
    turned = ratings["turn"].notna().to_numpy()
    axes = ratings["axis"].to_numpy(dtype=object).copy()
    axes[turned] = [turn_axis_label(axis, turn) for axis, turn in zip(axes[turned], ratings["turn"].to_numpy()[turned])]
    return ratings.assign(axis=pd.Series(axes, index=ratings.index, dtype=object))


def ratings_mean_over_turns(ratings):
    """One score per (item, annotator, axis): a rater's per-turn scores of an item averaged over its turns (as a
    model's MT-Bench score is the mean over turns, and as judging.meta_eval treats a judge's per-turn scores).
    Without per-turn scores, the table as it is."""
    if "turn" not in ratings.columns or not ratings["turn"].notna().any():
        return ratings
    means = ratings.groupby(["item", "annotator", "axis"], sort=True, observed=True)["score"].mean().reset_index()
    return means.assign(turn=np.nan)


def canonical_order(*ids):
    """The row order sorting by the id columns (first most significant), each row's ids being unique.

    The statistics number items, raters and axes in order of first appearance, and the bootstrap draws
    by those numbers: in a fixed order, the same ratings give the same intervals for a seed, whatever
    order the database returned them in.
    """
    offsets = [column - column.min(initial=0) for column in ids]
    sizes = [int(offset.max(initial=0)) + 1 for offset in offsets]
    if np.prod(sizes, dtype=float) >= 2.0 ** 62:
        return np.lexsort(ids[::-1])
    key = np.zeros(len(ids[0]), dtype=np.int64)
    for offset, size in zip(offsets, sizes):
        key = key * size + offset
    return np.argsort(key)


def campaign_item_models(campaign):
    """The name of the model behind each of the campaign's items, as a Series indexed by Item pk."""
    rows = Item.objects.filter(counted(), campaign=campaign).values_list("id", "response__model_id")
    item, model = integer_columns(rows, (np.int64, np.int64))
    return pd.Series(labels_of(model, LanguageModel.objects, "name").to_numpy(), index=item, dtype=object)


def labels_of(ids, queryset, field):
    """The `field` of each id's row (an object Series aligned with `ids`), from one lookup of the distinct ids."""
    inverse, distinct = pd.factorize(ids)
    names = dict(queryset.filter(pk__in=distinct.tolist()).values_list("pk", field))
    labels = np.array([names[pk] for pk in distinct.tolist()], dtype=object)[inverse]
    # An object Series, not pandas' string dtype: turning millions of labels into it and back costs seconds.
    return pd.Series(labels, dtype=object)


def integer_columns(rows, dtypes, *, ids_per_row=ARRAY_ROW_IDS):
    """The columns of a values_list queryset whose fields are all NOT NULL integers, as numpy arrays
    (in no particular row order).

    `dtypes` gives each column's integer type, which must match its database type in width (bigint:
    np.int64, smallint: np.int16, integer: np.int32). On PostgreSQL the query runs as one binary COPY
    that sends each column as arrays: the rows whose first column (an id) falls in the same range of
    `ids_per_row` ids are aggregated into one row of arrays. COPY sends one message per row, and reading
    millions of messages costs more than the query itself.
    """
    connection = connections[router.db_for_read(rows.model)]
    if connection.vendor != "postgresql":
        table = np.array(list(rows), dtype=np.int64).reshape(-1, len(dtypes))
        return [table[:, index].astype(dtype) for index, dtype in enumerate(dtypes)]
    sql, params = rows.query.sql_with_params()
    names = [f"c{index}" for index in range(len(dtypes))]
    arrays = ", ".join(f"array_agg({name})" for name in names)
    query = (f"COPY (SELECT {arrays} FROM ({sql}) AS q({', '.join(names)}) GROUP BY c0 / {int(ids_per_row)}) "
             "TO STDOUT (FORMAT BINARY)")
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        # The planner cannot tell how few id ranges there are: with the default work_mem it sorts every
        # row to group them (twice as slow) instead of hashing them. The setting ends with the transaction.
        cursor.execute(f"SET LOCAL work_mem = '{COPY_WORK_MEM}'")
        with cursor.cursor.copy(query, params) as copy:
            buffer = io.BytesIO()
            for block in copy:
                buffer.write(block)
    return decode_binary_copy(buffer.getbuffer(), dtypes)


def decode_binary_copy(data, dtypes):
    """The columns of PostgreSQL binary COPY output whose fields are one-dimensional arrays without
    NULLs of integers of the widths of `dtypes`, concatenated over the rows.

    A row is a field count, then per field its length and value; an array value is a header (dimensions,
    NULL flag, element type, then size and lower bound per dimension) and per element its length and
    big-endian value, so each array is read as one numpy structured array and checked at once.
    """
    if bytes(data[: len(_COPY_SIGNATURE)]) != _COPY_SIGNATURE or bytes(data[-2:]) != _COPY_TRAILER:
        raise ValueError("not the output of a binary COPY")
    position = _COPY_HEADER + int.from_bytes(data[_COPY_HEADER - 4:_COPY_HEADER], "big")
    parts = [[] for _ in dtypes]
    while position < len(data) - 2:
        if int.from_bytes(data[position:position + 2], "big", signed=True) != len(dtypes):
            raise ValueError(f"binary COPY rows do not have {len(dtypes)} fields")
        position += 2
        for found, dtype in zip(parts, dtypes):
            length = int.from_bytes(data[position:position + 4], "big", signed=True)
            found.append(_integer_array(data[position + 4:position + 4 + max(length, 0)], dtype))
            position += 4 + max(length, 0)
    return [np.concatenate(found).astype(dtype) if found else np.zeros(0, dtype=dtype)
            for found, dtype in zip(parts, dtypes)]


def _integer_array(field, dtype):
    header = np.frombuffer(field, dtype=">i4", count=3) if len(field) >= 12 else None
    if header is None or header[0] != 1 or header[1] != 0:
        raise ValueError("binary COPY field is not a one-dimensional array without NULLs")
    size, dtype = int.from_bytes(field[12:16], "big"), np.dtype(dtype)
    if len(field) != 20 + size * (4 + dtype.itemsize):
        raise ValueError("binary COPY array elements are not of the expected integer width")
    elements = np.frombuffer(field, dtype=[("length", ">i4"), ("value", dtype.newbyteorder(">"))],
                             count=size, offset=20)
    if (elements["length"] != dtype.itemsize).any():
        raise ValueError("binary COPY array elements are not of the expected integer width")
    return elements["value"]


# ---------------------------------------------------------------------------------------------------------
# Pairwise campaigns


def campaign_verdict_votes(campaign):
    """Every current pairwise vote of the campaign: columns item (Item pk), annotator (handle), verdict (in
    the item's terms), sorted by (item, annotator id) so that a seed always gives the same interval."""
    rows = (Rating.objects.filter(counted("item__"), item__campaign=campaign).exclude(verdict="")
            .order_by("item_id", "annotator_id").values_list("item_id", "annotator__handle", "verdict"))
    return pd.DataFrame(list(rows), columns=list(agreement.VOTE_COLUMNS))


def annotator_tiers(handles):
    """{handle: tier} of the annotators named."""
    return dict(Annotator.objects.filter(handle__in=list(handles)).values_list("handle", "tier"))
