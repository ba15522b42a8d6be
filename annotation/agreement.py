"""Inter-annotator agreement per axis: Krippendorff's alpha with a bootstrap interval, pairwise agreement,
quadratic-weighted Cohen's kappa, and per-annotator diagnostics. Pure numpy/pandas, no Django.

Input: a long table, one row per score, as a pandas DataFrame with the columns

    item       any hashable id of the rated unit (e.g. the Item's pk)
    annotator  any hashable id of the rater
    axis       the axis key (e.g. "relevance")
    score      a number; NaN means "not rated" and the row is ignored

An annotator scores an item at most once per axis (a repeated (item, annotator, axis) raises ValueError:
pass only the current version of revised ratings). The items of the table are the population the bootstrap
resamples: an item rated on some axes and not on others contributes nothing to the axes it lacks.

Output: frozen dataclasses made of plain ints, floats, strings, None, tuples and lists, so that
`dataclasses.asdict(result)` (or `result.as_dict()`) is JSON-ready (annotator and axis labels come back as
given, numpy scalars turned into Python ones: pass ints or strings to serialise with plain `json`). A
statistic that is undefined is None with a `reason`, never NaN, and degenerate data never raises.

Alpha follows Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", and matches the
`krippendorff` package: the value domain of an axis is the sorted set of values present, and the ordinal
distance between ranks c and k is (sum of the marginal counts from c to k - (n_c + n_k) / 2) squared.

The bootstrap resamples items (with replacement, numpy's PCG64 seeded with `seed`) and never reruns alpha
from the raw table: each pairable item is reduced once to its pattern (the multiset of values it received),
a replicate is a vector of pattern totals, and alpha of a replicate is computed from those totals alone.
One resampling of items is shared by all axes. When the items fall into few classes (the same patterns on
every axis), a replicate draws how many items of each class it takes (multinomial) instead of drawing the
items one by one: the same distribution at a fraction of the cost. The interval is the percentile one;
replicates where alpha is undefined are dropped and counted.
"""

import dataclasses
import itertools
import math
from collections.abc import Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
from scipy import sparse

from annotation.statistics_options import DEFAULT_LEVEL, DEFAULT_REPLICATES, DEFAULT_SEED, LEVELS

RATING_COLUMNS = ("item", "annotator", "axis", "score")
DEFAULT_CONFIDENCE = 0.95
# A pair of annotators enters the mean kappa only if they scored at least this many items in common:
# below that, a pair's kappa is too noisy to average.
MIN_COMMON_ITEMS = 10
# Bootstrap memory bound: index draws held at once (int64, so 8 MB) and bins counted in one pass.
_DRAWS_PER_BLOCK = 1 << 20
_MAX_BINS_PER_GROUP = 1 << 12
# Drawing a class count (one binomial) costs about as much as drawing and counting this many items.
_ITEMS_PER_CLASS = 8
_MIN_DEFINED_REPLICATES = 2
NO_VARIATION = "every paired score is the same value: alpha is undefined without variation"


@dataclass(frozen=True)
class Estimate:
    """A statistic, possibly with a bootstrap percentile interval.

    `value` is None when the statistic is undefined, and `reason` says why. When `value` is set but
    `low`/`high` are None, an interval was not asked for or could not be computed, and `reason` says why
    if it was asked for. `replicates` counts the replicates the interval rests on; `dropped` those where
    the statistic was undefined (for alpha: every resampled value the same).
    """

    value: float | None
    low: float | None = None
    high: float | None = None
    reason: str | None = None
    replicates: int = 0
    dropped: int = 0

    @classmethod
    def undefined(cls, reason: str) -> "Estimate":
        return cls(value=None, reason=reason)


@dataclass(frozen=True)
class AnnotatorReliability:
    """How one annotator fits the others on one axis.

    `alpha_without`: alpha of everybody else (a clear rise over the axis alpha flags an unreliable
    annotator). `correlation_with_others`: Pearson correlation of their scores with the mean of the other
    annotators' scores on the same items. `n_ratings`: their scores on the axis; `n_shared_items`: those on
    items somebody else scored too.
    """

    annotator: Hashable
    n_ratings: int
    n_shared_items: int
    alpha_without: Estimate
    correlation_with_others: Estimate


@dataclass(frozen=True)
class AxisAgreement:
    """Agreement among annotators on one axis.

    `n_pairable_values` is Krippendorff's n: the scores on items that two or more annotators scored.
    `exact_agreement` and `within_one_agreement` are shares of `n_pairs`, the pairs of scores given to the
    same item by two annotators (an item with m scores gives m(m-1)/2 pairs), always on the raw scores.
    `mean_kappa` is the mean quadratic-weighted Cohen's kappa over the `n_kappa_pairs` annotator pairs
    with at least `min_common_items` items in common, on the raw scores, with weights (x - y)^2.
    """

    axis: Hashable
    level: str
    n_items: int
    n_pairable_items: int
    n_annotators: int
    n_ratings: int
    n_pairable_values: int
    alpha: Estimate
    n_pairs: int
    exact_agreement: Estimate
    within_one_agreement: Estimate
    n_kappa_pairs: int
    mean_kappa: Estimate
    annotators: tuple[AnnotatorReliability, ...]


@dataclass(frozen=True)
class AgreementReport:
    """Agreement on every axis of a set of ratings; `n_items` is the number of items resampled."""

    level: str
    normalised: bool
    replicates: int
    confidence: float
    seed: int
    min_common_items: int
    n_items: int
    axes: tuple[AxisAgreement, ...]

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class EncodedRatings:
    """A ratings table with items, annotators and axes factorised to codes 0..n-1.

    Rows are sorted by (axis, item, annotator); `*_labels[code]` gives back the caller's id.
    """

    item: np.ndarray
    annotator: np.ndarray
    axis: np.ndarray
    score: np.ndarray
    item_labels: np.ndarray
    annotator_labels: np.ndarray
    axis_labels: np.ndarray

    @property
    def n_items(self) -> int:
        return len(self.item_labels)


@dataclass(frozen=True)
class AxisRatings:
    """The scores of one axis, sorted by (item, annotator), with every within-item pair of rows.

    `value` is what alpha is computed on (z-scores when normalising, else the raw score); `code` indexes
    `domain`, the sorted distinct values. `group_size` is, per row, how many scores its item received.
    `first`/`second` are row indices of the pairs of scores given to the same item (first < second).
    """

    item: np.ndarray
    annotator: np.ndarray
    raw: np.ndarray
    value: np.ndarray
    code: np.ndarray
    domain: np.ndarray
    group_size: np.ndarray
    first: np.ndarray
    second: np.ndarray


@dataclass(frozen=True)
class ValuePatterns:
    """Pairable items reduced to their contribution to the coincidence matrix.

    Pattern p is a multiset of values: the distinct value codes `codes[p, :]` received `counts[p, :]`
    times (padded with count 0), `pairable[p]` values in all. `item_pattern[u]` is item u's pattern, or
    `n_patterns` when item u has fewer than two scores on the axis. Item u's coincidences are
    (n_u n_u' - diag(n_u)) / (m_u - 1) for its value counts n_u, so a weighted set of items is summed up by
    its pattern totals.
    """

    codes: np.ndarray
    counts: np.ndarray
    pairable: np.ndarray
    domain: np.ndarray
    item_pattern: np.ndarray

    @property
    def n_patterns(self) -> int:
        return len(self.pairable)

    @cached_property
    def value_counts(self) -> sparse.csc_matrix:
        """The value counts n_pc of each pattern, as a sparse P x V matrix."""
        return multiset_count_matrix(self.codes, self.counts, len(self.domain))


# ---------------------------------------------------------------------------------------------------------
# Public entry points


def agreement_report(
    ratings: pd.DataFrame,
    *,
    level: str = DEFAULT_LEVEL,
    replicates: int = DEFAULT_REPLICATES,
    confidence: float = DEFAULT_CONFIDENCE,
    seed: int = DEFAULT_SEED,
    normalise: bool = False,
    min_common_items: int = MIN_COMMON_ITEMS,
) -> AgreementReport:
    """Agreement on every axis of `ratings` (see the module docstring for the table's columns).

    `normalise` z-scores each annotator's scores per axis (an annotator whose scores on an axis are all
    equal gets 0) before alpha and the correlations; pairwise agreement and kappa stay on the raw scores.
    """
    check_options(level, replicates, confidence)
    encoded = encode_ratings(ratings)
    axes = axis_ratings_all(encoded, normalise=normalise)
    alphas = alpha_estimates(axes, encoded.n_items, level=level, replicates=replicates,
                             confidence=confidence, seed=seed)
    results = tuple(
        _axis_agreement(label, axis, alphas[index], encoded.annotator_labels, level, min_common_items)
        for index, (label, axis) in enumerate(zip(encoded.axis_labels, axes))
    )
    return AgreementReport(level, normalise, replicates, confidence, seed, min_common_items,
                           encoded.n_items, results)


def alpha_by_axis(
    ratings: pd.DataFrame,
    *,
    level: str = DEFAULT_LEVEL,
    replicates: int = DEFAULT_REPLICATES,
    confidence: float = DEFAULT_CONFIDENCE,
    seed: int = DEFAULT_SEED,
    normalise: bool = False,
) -> dict[Hashable, Estimate]:
    """Alpha with its bootstrap interval for each axis of `ratings`, keyed by axis label."""
    check_options(level, replicates, confidence)
    encoded = encode_ratings(ratings)
    axes = axis_ratings_all(encoded, normalise=normalise)
    estimates = alpha_estimates(axes, encoded.n_items, level=level, replicates=replicates,
                                confidence=confidence, seed=seed)
    return {plain_label(label): estimate for label, estimate in zip(encoded.axis_labels, estimates)}


def alpha_estimates(
    axes: Iterable[AxisRatings], n_items: int, *, level: str, replicates: int, confidence: float, seed: int
) -> list[Estimate]:
    """Alpha per axis, with intervals from one resampling of the `n_items` items shared by all axes.

    Each axis is read once, for its point estimate and its value patterns (all the resampling needs), so `axes`
    may be a generator that builds one axis at a time: only one is then held in memory."""
    points, patterns = [], []
    for axis in axes:
        points.append(alpha_point(axis, level))
        if replicates and points[-1].value is not None:
            patterns.append(value_patterns(axis, n_items))
    defined = [index for index, point in enumerate(points) if point.value is not None]
    if replicates == 0 or not defined:
        return points
    replicate_alphas = alpha_replicates(patterns, level, n_items, replicates, seed)
    estimates = list(points)
    for index, values in zip(defined, replicate_alphas):
        estimates[index] = estimate_with_interval(points[index].value, values, confidence)
    return estimates


# ---------------------------------------------------------------------------------------------------------
# Encoding


def encode_ratings(ratings: pd.DataFrame) -> EncodedRatings:
    """Factorise a ratings table (module docstring) and sort it by (axis, item, annotator).

    Raises ValueError on a missing column, a non-numeric or infinite score, or a repeated
    (item, annotator, axis).
    """
    missing = [column for column in RATING_COLUMNS if column not in ratings.columns]
    if missing:
        raise ValueError(f"ratings table lacks the column(s) {', '.join(missing)}")
    score = pd.to_numeric(ratings["score"], errors="raise").to_numpy(dtype=float)
    if np.isinf(score).any():
        raise ValueError("ratings table has an infinite score")
    rated = ~np.isnan(score)
    columns = {name: _factorise(ratings[name].to_numpy()[rated]) for name in ("item", "annotator", "axis")}
    order = _sort_order(columns)
    codes = {name: codes[order] for name, (codes, _) in columns.items()}
    _check_unique(codes)
    return EncodedRatings(codes["item"], codes["annotator"], codes["axis"], score[rated][order],
                          columns["item"][1], columns["annotator"][1], columns["axis"][1])


def _factorise(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    codes, labels = pd.factorize(values)
    return codes.astype(np.int64), np.asarray(labels, dtype=object)


def _sort_order(columns: dict) -> np.ndarray:
    sizes = {name: max(len(labels), 1) for name, (_, labels) in columns.items()}
    key = (columns["axis"][0] * sizes["item"] + columns["item"][0]) * sizes["annotator"]
    return np.argsort(key + columns["annotator"][0], kind="stable")


def _check_unique(codes: dict) -> None:
    same = (np.diff(codes["axis"]) == 0) & (np.diff(codes["item"]) == 0) & (np.diff(codes["annotator"]) == 0)
    if same.any():
        raise ValueError("an annotator scored the same item twice on one axis; pass one score per "
                         "(item, annotator, axis)")


def axis_ratings_all(encoded: EncodedRatings, *, normalise: bool = False) -> list[AxisRatings]:
    """The AxisRatings of every axis, in axis-code order."""
    value = _normalised_scores(encoded) if normalise else encoded.score
    bounds = np.searchsorted(encoded.axis, np.arange(len(encoded.axis_labels) + 1))
    return [
        axis_ratings(encoded.item[start:stop], encoded.annotator[start:stop],
                     encoded.score[start:stop], value[start:stop])
        for start, stop in itertools.pairwise(bounds)
    ]


def axis_ratings(item: np.ndarray, annotator: np.ndarray, raw: np.ndarray, value: np.ndarray) -> AxisRatings:
    """AxisRatings from rows already sorted by (item, annotator)."""
    domain, code = np.unique(value, return_inverse=True)
    first, second = _within_item_pairs(item)
    return AxisRatings(item, annotator, raw, value, code.astype(np.int64), domain,
                       _group_sizes(item), first, second)


def _normalised_scores(encoded: EncodedRatings) -> np.ndarray:
    """Each annotator's scores z-scored per axis (population standard deviation; 0 if constant)."""
    group = encoded.axis * len(encoded.annotator_labels) + encoded.annotator
    _, group = np.unique(group, return_inverse=True)
    mean, std = _group_mean_std(group, encoded.score)
    centred = encoded.score - mean[group]
    scale = std[group]
    return np.divide(centred, scale, out=np.zeros_like(centred), where=scale > 0)


def _group_mean_std(group: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    count = np.bincount(group)
    mean = np.bincount(group, weights=values) / count
    variance = np.bincount(group, weights=(values - mean[group]) ** 2) / count
    # Rounding can leave a tiny positive variance for constant scores; treat it as zero.
    variance[variance <= (1e-12 * np.maximum(np.abs(mean), 1.0)) ** 2] = 0.0
    return mean, np.sqrt(variance)


def _group_sizes(sorted_keys: np.ndarray) -> np.ndarray:
    """Per row, the number of rows sharing its key (rows sorted by key)."""
    starts = np.flatnonzero(np.diff(sorted_keys)) + 1
    sizes = np.diff(np.concatenate(([0], starts, [len(sorted_keys)])))
    return np.repeat(sizes, sizes)


def _within_item_pairs(sorted_items: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row indices (i, j), i < j, of every pair of rows with the same item (rows sorted by item).

    Loops over the offset j - i, so as many times as the largest item has scores.
    """
    firsts, seconds = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
    for shift in range(1, len(sorted_items)):
        first = np.flatnonzero(sorted_items[:-shift] == sorted_items[shift:])
        if not len(first):
            break
        firsts.append(first)
        seconds.append(first + shift)
    return np.concatenate(firsts), np.concatenate(seconds)


# ---------------------------------------------------------------------------------------------------------
# Point estimate of alpha


def alpha_point(axis: AxisRatings, level: str, without: int | None = None) -> Estimate:
    """Alpha of one axis; with `without`, alpha of the annotators other than that annotator code."""
    kept = axis.annotator != without if without is not None else np.ones(len(axis.item), dtype=bool)
    first, second, weight = _pair_weights(axis, without)
    reason = _alpha_undefined_reason(int(kept.sum()), _count_distinct(axis.annotator[kept]),
                                     _count_distinct(axis.item[first]))
    if reason:
        return Estimate.undefined(reason if without is None else f"without this annotator, {reason}")
    o = coincidence_matrix(axis.code[first], axis.code[second], weight, len(axis.domain))
    return _estimate(alpha_from_coincidences(o, axis.domain, level), NO_VARIATION)


def _alpha_undefined_reason(n_ratings: int, n_annotators: int, n_pairable_items: int) -> str | None:
    if n_ratings == 0:
        return "no scores on this axis"
    if n_annotators < 2:
        return "only one annotator scored this axis"
    if n_pairable_items == 0:
        return "no item was scored by two or more annotators"
    if n_pairable_items == 1:
        return "only one item was scored by two or more annotators: alpha needs at least two"
    return None


def _pair_weights(axis: AxisRatings, without: int | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The within-item pairs not involving annotator `without`, and their weight 1 / (m_u - 1) where m_u
    counts the scores of item u left once `without` is set aside."""
    if without is None:
        return axis.first, axis.second, 1.0 / (axis.group_size[axis.first] - 1)
    keep = (axis.annotator[axis.first] != without) & (axis.annotator[axis.second] != without)
    first, second = axis.first[keep], axis.second[keep]
    rated_by_without = np.zeros(int(axis.item.max()) + 1, dtype=np.int64)
    rated_by_without[axis.item[axis.annotator == without]] = 1
    group_size = axis.group_size[first] - rated_by_without[axis.item[first]]
    return first, second, 1.0 / (group_size - 1)


def coincidence_matrix(code_first: np.ndarray, code_second: np.ndarray, weight: np.ndarray,
                       n_values: int) -> np.ndarray:
    """Krippendorff's coincidence matrix o (V x V) from within-item pairs of value codes.

    Each unordered pair counts in both orders with weight 1 / (m_u - 1).
    """
    flat = np.bincount(code_first * n_values + code_second, weights=weight, minlength=n_values * n_values)
    half = flat.reshape(n_values, n_values)
    return half + half.T


def alpha_from_coincidences(o: np.ndarray, domain: np.ndarray, level: str) -> float:
    """alpha = 1 - D_o / D_e from a coincidence matrix over the sorted value `domain`; NaN if D_e = 0."""
    n_v = o.sum(axis=0)
    n = n_v.sum()
    delta = distance_matrix(level, domain, n_v)
    expected = (np.outer(n_v, n_v) - np.diag(n_v)) / (n - 1)
    disagreement_expected = (expected * delta).sum()
    if (n_v > 0).sum() < 2 or disagreement_expected <= 0:
        return float("nan")
    return float(1.0 - (o * delta).sum() / disagreement_expected)


def distance_matrix(level: str, domain: np.ndarray, n_v: np.ndarray) -> np.ndarray:
    """Squared distances delta(c, k) between the domain values (V x V); the ordinal ones depend on the
    marginal counts n_v."""
    if level in ("ordinal", "interval"):
        position = _positions(level, domain, n_v[np.newaxis, :])[0]
        return (position[:, np.newaxis] - position[np.newaxis, :]) ** 2
    x, y = domain[:, np.newaxis].astype(float), domain[np.newaxis, :].astype(float)
    if level == "nominal":
        return (x != y).astype(float)
    total = x + y
    return np.divide(x - y, total, out=np.zeros(np.broadcast(x, y).shape), where=total != 0) ** 2


# ---------------------------------------------------------------------------------------------------------
# Bootstrap


def value_patterns(axis: AxisRatings, n_items: int) -> ValuePatterns:
    """Group the pairable items of an axis by the multiset of values they received."""
    pairable = axis.group_size >= 2
    codes, counts, item_pattern = item_multisets(axis.item[pairable], axis.code[pairable],
                                                 len(axis.domain), n_items)
    counts = counts.astype(float)
    return ValuePatterns(codes, counts, counts.sum(axis=1), axis.domain, item_pattern)


def item_multisets(item: np.ndarray, code: np.ndarray, n_codes: int,
                   n_items: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Group items by the multiset of codes on their rows.

    Returns `codes` and `counts` (P x K: pattern p holds code codes[p, k] counts[p, k] times, padded with
    count 0) and `item_pattern` (n_items: each item's pattern, P for an item without rows).
    """
    runs, run_counts = np.unique(item * max(n_codes, 1) + code, return_counts=True)
    run_item, run_code = np.divmod(runs, max(n_codes, 1))
    items, first_run, runs_per_item = np.unique(run_item, return_index=True, return_counts=True)
    slot = np.arange(len(runs)) - np.repeat(first_run, runs_per_item)
    width = int(slot.max()) + 1 if len(slot) else 1
    item_rank = np.repeat(np.arange(len(items)), runs_per_item)
    codes = np.zeros((len(items), width), dtype=np.int64)
    counts = np.zeros((len(items), width), dtype=np.int64)
    codes[item_rank, slot], counts[item_rank, slot] = run_code, run_counts
    unique, inverse = unique_rows(np.hstack([codes, counts]))
    item_pattern = np.full(n_items, len(unique), dtype=np.int64)
    item_pattern[items] = inverse
    return unique[:, :width], unique[:, width:], item_pattern


def multiset_count_matrix(codes: np.ndarray, counts: np.ndarray, n_codes: int) -> sparse.csc_matrix:
    """The multisets of item_multisets as a sparse P x n_codes matrix of counts."""
    rows = np.repeat(np.arange(len(codes)), codes.shape[1])
    return sparse.csc_matrix((counts.ravel().astype(float), (rows, codes.ravel())), shape=(len(codes), n_codes))


def unique_rows(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct rows of a non-negative int matrix and each row's index among them.

    Packs a row into one int64 when it fits (much faster than np.unique(axis=0)).
    """
    if not len(matrix):
        return matrix, np.zeros(0, dtype=np.int64)
    base = int(matrix.max()) + 1
    if base ** matrix.shape[1] >= 2 ** 62:
        unique, inverse = np.unique(matrix, axis=0, return_inverse=True)
        return unique, inverse.reshape(-1)
    packed = matrix @ (base ** np.arange(matrix.shape[1], dtype=np.int64))
    keys, first, inverse = np.unique(packed, return_index=True, return_inverse=True)
    return matrix[first], inverse.reshape(-1)


def alpha_replicates(
    patterns: Sequence[ValuePatterns], level: str, n_items: int, replicates: int, seed: int
) -> list[np.ndarray]:
    """Alpha of each bootstrap replicate, per axis (NaN where undefined), all axes on the same resamples."""
    blocks = resampled_pattern_totals([p.item_pattern for p in patterns], [p.n_patterns for p in patterns],
                                      n_items, replicates, seed)
    per_axis: list[list[np.ndarray]] = [[] for _ in patterns]
    for totals in blocks:
        for collected, axis_patterns, axis_totals in zip(per_axis, patterns, totals):
            collected.append(alpha_from_pattern_totals(axis_patterns, axis_totals, level))
    return [np.concatenate(collected) for collected in per_axis]


def alpha_from_pattern_totals(patterns: ValuePatterns, totals: np.ndarray, level: str) -> np.ndarray:
    """Alpha for each row of `totals` (B x P: how many times each pattern's items were drawn); NaN where
    undefined. Equals the package's alpha on the resampled reliability data, without building it.

    Works in O(B x (P + V)) memory: no V x V matrix per replicate, so normalised scores (many distinct
    values) stay cheap.
    """
    n_v = np.asarray((patterns.value_counts.T @ totals.T).T)
    n = n_v.sum(axis=1)
    if level in ("ordinal", "interval"):
        distance, expected = _distances_from_positions(_positions(level, patterns.domain, n_v), n_v)
    else:
        distance, expected = _distances_from_matrix(distance_matrix(level, patterns.domain, n_v[0]), n_v)
    observed = (totals * _pattern_disagreement(patterns, distance)).sum(axis=1)
    defined = ((n_v > 0).sum(axis=1) >= 2) & (expected > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(defined, 1.0 - (n - 1) * observed / expected, np.nan)


def _positions(level: str, domain: np.ndarray, n_v: np.ndarray) -> np.ndarray:
    """Positions whose squared differences are the distances: the values themselves (interval), or the
    mid-cumulative counts cumsum(n) - n/2 (ordinal: Krippendorff's ordinal distance is a squared
    difference of these). Centred per replicate, for precision."""
    position = np.cumsum(n_v, axis=1) - n_v / 2.0 if level == "ordinal" else domain.astype(float)[np.newaxis, :]
    n = np.maximum(n_v.sum(axis=1, keepdims=True), 1.0)
    return position - (n_v * position).sum(axis=1, keepdims=True) / n


def _distances_from_positions(position: np.ndarray, n_v: np.ndarray):
    """The pair distance function and the expected-disagreement sum, sum_ck n_c n_k (x_c - x_k)^2."""
    def distance(code_a: np.ndarray, code_b: np.ndarray) -> np.ndarray:
        return (position[:, code_a] - position[:, code_b]) ** 2

    n = n_v.sum(axis=1)
    expected = 2.0 * (n * (n_v * position ** 2).sum(axis=1) - (n_v * position).sum(axis=1) ** 2)
    return distance, np.maximum(expected, 0.0)


def _distances_from_matrix(delta: np.ndarray, n_v: np.ndarray):
    """The pair distance function and the expected-disagreement sum for a fixed V x V distance matrix."""
    def distance(code_a: np.ndarray, code_b: np.ndarray) -> np.ndarray:
        return delta[code_a, code_b][np.newaxis, :]

    return distance, ((n_v @ delta) * n_v).sum(axis=1)


def _pattern_disagreement(patterns: ValuePatterns, distance) -> np.ndarray:
    """Per pattern, sum_ck o_ck delta_ck over its coincidences: (B or 1) x P."""
    total = np.zeros((1, patterns.n_patterns))
    for slot_a, slot_b in itertools.combinations(range(patterns.codes.shape[1]), 2):
        pair_count = patterns.counts[:, slot_a] * patterns.counts[:, slot_b]
        total = total + 2.0 * pair_count * distance(patterns.codes[:, slot_a], patterns.codes[:, slot_b])
    return total / (patterns.pairable - 1.0)


@dataclass(frozen=True)
class ItemClasses:
    """Items grouped by their patterns on every axis: all items of class j have the patterns
    `patterns[j, a]` and are interchangeable for every statistic; `size[j]` items, the first of which is
    `representative[j]`."""

    patterns: np.ndarray
    size: np.ndarray
    representative: np.ndarray


def few_item_classes(item_patterns: Sequence[np.ndarray], n_patterns: Sequence[int],
                     n_items: int) -> ItemClasses | None:
    """The items' classes when there are few enough (at most 1/_ITEMS_PER_CLASS of the items) for drawing
    class counts to be cheaper than drawing items; otherwise None."""
    if not n_items or math.prod(size + 1 for size in n_patterns) >= 2 ** 62:
        return None
    code = _joint_codes(item_patterns, n_patterns, list(range(len(n_patterns))))
    _, representative, size = np.unique(code, return_index=True, return_counts=True)
    if len(size) * _ITEMS_PER_CLASS > n_items:
        return None
    patterns = np.column_stack([axis_patterns[representative] for axis_patterns in item_patterns])
    return ItemClasses(patterns, size, representative)


def bootstrap_item_indices(n_items: int, replicates: int, seed: int | Sequence[int]) -> Iterator[np.ndarray]:
    """Yield blocks (B x n_items) of item indices drawn with replacement, `replicates` rows in all.

    The draws are `np.random.default_rng(seed).integers(0, n_items, size=(replicates, n_items))`, cut
    into blocks to bound memory.
    """
    rng = np.random.default_rng(seed)
    block = max(1, _DRAWS_PER_BLOCK // max(n_items, 1))
    for start in range(0, replicates, block):
        yield rng.integers(0, n_items, size=(min(block, replicates - start), n_items))


def bootstrap_class_counts(class_sizes: np.ndarray, replicates: int, seed: int | Sequence[int]) -> Iterator[np.ndarray]:
    """Yield blocks (B x classes) of how many items of each class a resample of all the items (with
    replacement) draws: multinomial with the classes' shares, from `np.random.default_rng(seed)`."""
    rng = np.random.default_rng(seed)
    n_items = int(class_sizes.sum())
    block = max(1, _DRAWS_PER_BLOCK // max(len(class_sizes), 1))
    for start in range(0, replicates, block):
        yield rng.multinomial(n_items, class_sizes / n_items, size=min(block, replicates - start))


def bootstrap_resamples(
    item_patterns: Sequence[np.ndarray], n_patterns: Sequence[int], n_items: int, replicates: int,
    seed: int | Sequence[int],
) -> Iterator[np.ndarray]:
    """Yield blocks (B x n_items) of resampled item indices that give exactly the pattern totals of
    resampled_pattern_totals with the same arguments (when items are drawn as class counts, each class
    is represented by its first item). For checking the fast bootstrap against a naive one."""
    classes = few_item_classes(item_patterns, n_patterns, n_items)
    if classes is None:
        yield from bootstrap_item_indices(n_items, replicates, seed)
        return
    for counts in bootstrap_class_counts(classes.size, replicates, seed):
        yield np.stack([np.repeat(classes.representative, row) for row in counts])


def resampled_pattern_totals(
    item_patterns: Sequence[np.ndarray], n_patterns: Sequence[int], n_items: int, replicates: int,
    seed: int | Sequence[int],
) -> Iterator[list[np.ndarray]]:
    """For blocks of bootstrap replicates, the pattern totals of each axis: one (B x n_patterns[a]) array
    per axis. `item_patterns[a][u]` is item u's pattern on axis a, or n_patterns[a] when u contributes
    nothing there. Every axis sees the same resampled items.

    When the items fall into few classes (same pattern on every axis), a replicate draws class counts
    (multinomial, O(classes)); otherwise it draws n_items item indices (O(items)). Both are the same
    uniform resampling of items with replacement.
    """
    classes = few_item_classes(item_patterns, n_patterns, n_items)
    if classes is None:
        yield from _totals_from_item_indices(item_patterns, n_patterns, n_items, replicates, seed)
    else:
        yield from _totals_from_class_counts(classes, n_patterns, replicates, seed)


def _totals_from_class_counts(classes: ItemClasses, n_patterns: Sequence[int], replicates: int,
                              seed: int | Sequence[int]) -> Iterator[list[np.ndarray]]:
    to_patterns = [_class_to_pattern(classes.patterns[:, axis], size) for axis, size in enumerate(n_patterns)]
    for counts in bootstrap_class_counts(classes.size, replicates, seed):
        yield [np.asarray((matrix.T @ counts.T).T, dtype=float) for matrix in to_patterns]


def _class_to_pattern(class_patterns: np.ndarray, n_patterns: int) -> sparse.csc_matrix:
    """Classes x patterns indicator of each class's pattern on one axis (classes without one: no entry)."""
    has_pattern = np.flatnonzero(class_patterns < n_patterns)
    return sparse.csc_matrix((np.ones(len(has_pattern)), (has_pattern, class_patterns[has_pattern])),
                             shape=(len(class_patterns), n_patterns))


def _totals_from_item_indices(item_patterns: Sequence[np.ndarray], n_patterns: Sequence[int], n_items: int,
                              replicates: int, seed: int | Sequence[int]) -> Iterator[list[np.ndarray]]:
    """Axes are counted together in groups (a joint code per item, up to _MAX_BINS_PER_GROUP bins) so
    that a replicate costs one gather and one count per group rather than per axis."""
    groups = _axis_groups(n_patterns)
    joint_codes = [_joint_codes(item_patterns, n_patterns, group) for group in groups]
    for indices in bootstrap_item_indices(n_items, replicates, seed):
        totals: list[np.ndarray] = [np.zeros(0)] * len(n_patterns)
        for group, codes in zip(groups, joint_codes):
            counts = _count_rows(codes, indices, [n_patterns[a] + 1 for a in group])
            for position, axis in enumerate(group):
                others = tuple(1 + d for d in range(len(group)) if d != position)
                totals[axis] = counts.sum(axis=others)[:, : n_patterns[axis]].astype(float)
        yield totals


def _axis_groups(n_patterns: Sequence[int]) -> list[list[int]]:
    groups: list[list[int]] = []
    bins = _MAX_BINS_PER_GROUP + 1
    for axis, size in enumerate(n_patterns):
        if groups and bins * (size + 1) <= _MAX_BINS_PER_GROUP:
            groups[-1].append(axis)
            bins *= size + 1
        else:
            groups.append([axis])
            bins = size + 1
    return groups


def _joint_codes(item_patterns: Sequence[np.ndarray], n_patterns: Sequence[int], group: list[int]) -> np.ndarray:
    """Mixed-radix code per item of its patterns on the axes of `group` (first axis most significant)."""
    code = np.zeros(len(item_patterns[group[0]]), dtype=np.int64)
    for axis in group:
        code = code * (n_patterns[axis] + 1) + item_patterns[axis]
    # int32 codes are gathered faster, and a group never has more than _MAX_BINS_PER_GROUP bins
    # unless one axis alone has more patterns than that.
    return code.astype(np.int32) if code.max(initial=0) < 2 ** 31 else code


def _count_rows(codes: np.ndarray, indices: np.ndarray, dims: list[int]) -> np.ndarray:
    """For each row of `indices` (B x n), how often each code occurs in codes[row], shaped (B, *dims)."""
    bins = int(np.prod(dims))
    counts = np.stack([np.bincount(codes[row], minlength=bins) for row in indices])
    return counts.reshape(len(indices), *dims)


def estimate_with_interval(value: float, replicate_values: np.ndarray, confidence: float) -> Estimate:
    """The point `value` with the percentile interval of the defined (non-NaN) `replicate_values`
    (numpy's default linear interpolation between order statistics)."""
    defined = replicate_values[~np.isnan(replicate_values)]
    dropped = len(replicate_values) - len(defined)
    if len(defined) < _MIN_DEFINED_REPLICATES:
        return Estimate(value, reason=f"fewer than {_MIN_DEFINED_REPLICATES} bootstrap replicates were "
                        "defined: no interval", replicates=len(defined), dropped=dropped)
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(defined, [tail, 1.0 - tail])
    return Estimate(value, float(low), float(high), replicates=len(defined), dropped=dropped)


def mean_with_interval(values: np.ndarray, *, replicates: int = DEFAULT_REPLICATES,
                       confidence: float = DEFAULT_CONFIDENCE, seed: int | Sequence[int] = DEFAULT_SEED) -> Estimate:
    """The mean of `values` (one per item, NaN ignored) with the percentile interval of the mean over
    resamples of the items with replacement. A resample is drawn as multinomial counts of the distinct
    values (bootstrap_class_counts): the same distribution as drawing items, in O(distinct values)."""
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    if not len(values):
        return Estimate.undefined("no items")
    mean = float(values.mean())
    if replicates == 0:
        return Estimate(mean)
    if len(values) < 2:
        return Estimate(mean, reason="only one item: no interval")
    distinct, sizes = np.unique(values, return_counts=True)
    means = np.concatenate([counts @ distinct / len(values)
                            for counts in bootstrap_class_counts(sizes, replicates, seed)])
    return estimate_with_interval(mean, means, confidence)


# ---------------------------------------------------------------------------------------------------------
# Pairwise agreement, kappa and per-annotator diagnostics


def _axis_agreement(label, axis: AxisRatings, alpha: Estimate, annotator_labels: np.ndarray, level: str,
                    min_common_items: int) -> AxisAgreement:
    exact, within_one = pairwise_agreement(axis)
    kappa, n_kappa_pairs = mean_quadratic_kappa(axis, min_common_items)
    return AxisAgreement(
        axis=plain_label(label), level=level,
        n_items=_count_distinct(axis.item), n_pairable_items=_count_distinct(axis.item[axis.first]),
        n_annotators=_count_distinct(axis.annotator), n_ratings=len(axis.item),
        n_pairable_values=int((axis.group_size >= 2).sum()), alpha=alpha, n_pairs=len(axis.first),
        exact_agreement=exact, within_one_agreement=within_one,
        n_kappa_pairs=n_kappa_pairs, mean_kappa=kappa,
        annotators=annotator_reliabilities(axis, annotator_labels, level),
    )


def pairwise_agreement(axis: AxisRatings) -> tuple[Estimate, Estimate]:
    """Shares of within-item pairs of raw scores that are equal, and that differ by at most 1."""
    if not len(axis.first):
        reason = "no item was scored by two or more annotators"
        return Estimate.undefined(reason), Estimate.undefined(reason)
    difference = np.abs(axis.raw[axis.first] - axis.raw[axis.second])
    return Estimate(float(np.mean(difference == 0))), Estimate(float(np.mean(difference <= 1)))


def mean_quadratic_kappa(axis: AxisRatings, min_common_items: int) -> tuple[Estimate, int]:
    """Mean quadratic-weighted Cohen's kappa over annotator pairs with >= `min_common_items` common items.

    With weights (x - y)^2 on the score values, kappa = 2 cov(x, y) / (var x + var y + (mean x - mean y)^2)
    (population moments); a pair where that denominator is 0 (both constant and equal) is left out.
    Returns the estimate and the number of pairs averaged.
    """
    x, y, pair = _annotator_pairs(axis)
    _, pair, common = np.unique(pair, return_inverse=True, return_counts=True)
    kappas = _grouped_quadratic_kappa(pair, x, y)
    usable = (common >= min_common_items) & ~np.isnan(kappas)
    if not usable.any():
        return Estimate.undefined(f"no pair of annotators has {min_common_items} or more items in common "
                                  "with some variation"), 0
    return Estimate(float(kappas[usable].mean())), int(usable.sum())


def _annotator_pairs(axis: AxisRatings) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Raw scores of within-item pairs, ordered so x belongs to the lower annotator code, and a pair key."""
    a, b = axis.annotator[axis.first], axis.annotator[axis.second]
    swap = a > b
    x = np.where(swap, axis.raw[axis.second], axis.raw[axis.first])
    y = np.where(swap, axis.raw[axis.first], axis.raw[axis.second])
    n_annotators = int(axis.annotator.max()) + 1 if len(axis.annotator) else 1
    return x, y, np.minimum(a, b) * n_annotators + np.maximum(a, b)


def _grouped_quadratic_kappa(group: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    mean_x, mean_y = _grouped_mean(group, x), _grouped_mean(group, y)
    dx, dy = x - mean_x[group], y - mean_y[group]
    covariance = _grouped_mean(group, dx * dy)
    spread = _grouped_mean(group, dx * dx) + _grouped_mean(group, dy * dy) + (mean_x - mean_y) ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(spread > 0, 2.0 * covariance / spread, np.nan)


def _grouped_mean(group: np.ndarray, values: np.ndarray) -> np.ndarray:
    return np.bincount(group, weights=values) / np.bincount(group)


def annotator_reliabilities(axis: AxisRatings, annotator_labels: np.ndarray,
                            level: str) -> tuple[AnnotatorReliability, ...]:
    """Per annotator of the axis (in order of first appearance in the table): alpha without them, and
    correlation with the others' mean."""
    annotators = np.unique(axis.annotator)
    correlations = _correlations_with_others(axis, annotators)
    shared = np.bincount(axis.annotator[axis.group_size >= 2], minlength=len(annotator_labels))
    ratings = np.bincount(axis.annotator, minlength=len(annotator_labels))
    return tuple(
        AnnotatorReliability(plain_label(annotator_labels[code]), int(ratings[code]), int(shared[code]),
                             alpha_point(axis, level, without=code), correlation)
        for code, correlation in zip(annotators, correlations)
    )


def _correlations_with_others(axis: AxisRatings, annotators: np.ndarray) -> list[Estimate]:
    """Pearson r of each annotator's values with the mean of the others' values on the same items."""
    shared = axis.group_size >= 2
    item_sum = np.bincount(axis.item, weights=axis.value)
    others = (item_sum[axis.item[shared]] - axis.value[shared]) / (axis.group_size[shared] - 1)
    annotator, own = axis.annotator[shared], axis.value[shared]
    order = np.argsort(annotator, kind="stable")
    bounds = np.searchsorted(annotator[order], np.append(annotators, np.iinfo(np.int64).max))
    return [_pearson_with_others(own[order[start:stop]], others[order[start:stop]])
            for start, stop in itertools.pairwise(bounds)]


def _pearson_with_others(x: np.ndarray, y: np.ndarray) -> Estimate:
    """Pearson's r, or None with a reason for fewer than 3 pairs or a constant side."""
    reason = constant_input_reason(x, y, "this annotator's scores", "the others' mean scores")
    if reason:
        return Estimate.undefined(reason)
    dx, dy = x - x.mean(), y - y.mean()
    r = float((dx * dy).sum() / np.sqrt((dx * dx).sum() * (dy * dy).sum()))
    return Estimate(max(-1.0, min(1.0, r)))


def constant_input_reason(x: np.ndarray, y: np.ndarray, x_name: str, y_name: str, unit: str = "items") -> str | None:
    """Why a correlation of x and y (paired values, one per `unit`) is undefined, or None if defined."""
    if len(x) < 3:
        return f"fewer than 3 {unit} ({len(x)}): a correlation needs at least 3"
    if np.all(x == x[0]):
        return f"{x_name} are all the same: the correlation is undefined"
    if np.all(y == y[0]):
        return f"{y_name} are all the same: the correlation is undefined"
    return None


# ---------------------------------------------------------------------------------------------------------
# Small helpers


def unscored_axis_agreement(axis: Hashable, *, level: str = DEFAULT_LEVEL,
                            min_common_items: int = MIN_COMMON_ITEMS) -> AxisAgreement:
    """The AxisAgreement of an axis without any score (counts 0, every statistic undefined with its
    reason), for reports that list every axis of a rubric."""
    empty = np.zeros(0, dtype=np.int64)
    ratings = axis_ratings(empty, empty, np.zeros(0), np.zeros(0))
    return _axis_agreement(axis, ratings, alpha_point(ratings, level), np.zeros(0, dtype=object), level,
                           min_common_items)


def _count_distinct(codes: np.ndarray) -> int:
    """Number of distinct values among non-negative int codes (without sorting)."""
    if not len(codes):
        return 0
    return int(np.count_nonzero(np.bincount(codes)))


def _estimate(value: float, reason_if_nan: str) -> Estimate:
    if np.isnan(value):
        return Estimate.undefined(reason_if_nan)
    return Estimate(float(value))


def plain_label(label):
    """A numpy scalar label as the matching Python value, so that results serialise to JSON."""
    return label.item() if isinstance(label, np.generic) else label


def check_options(level: str, replicates: int, confidence: float) -> None:
    if level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}, not {level!r}")
    if replicates < 0:
        raise ValueError("replicates must be 0 or more")
    if not 0.0 < confidence < 1.0:
        raise ValueError("confidence must be between 0 and 1")


# ---------------------------------------------------------------------------------------------------------
# Pairwise verdicts: nominal alpha on categories


VOTE_COLUMNS = ("item", "annotator", "verdict")
VERDICT_AXIS = "verdict"


@dataclass(frozen=True)
class VoterReliability:
    """How one annotator's pairwise votes fit the others'.

    `alpha_without`: nominal alpha of everybody else. `agreement_with_others`: the share of the pairs
    (this annotator's vote, another annotator's vote on the same item) that are the same verdict, over
    `n_pairs` such pairs. `n_votes`: their votes; `n_shared_items`: those on items somebody else voted on.
    """

    annotator: Hashable
    n_votes: int
    n_shared_items: int
    n_pairs: int
    alpha_without: Estimate
    agreement_with_others: Estimate


@dataclass(frozen=True)
class VerdictAgreement:
    """Agreement among annotators on pairwise verdicts (categories, so nominal alpha).

    `verdicts` are the categories in the rubric's order and `verdict_counts` how many votes each got.
    `n_pairable_items` are the items voted on by two or more annotators (Krippendorff's n counts their
    `n_pairable_votes`). `pair_agreement` is the share of the `n_pairs` pairs of votes on the same item
    (m(m-1)/2 per item of m votes) that are the same verdict.
    """

    level: str
    replicates: int
    confidence: float
    seed: int
    verdicts: tuple[str, ...]
    verdict_counts: dict
    n_items: int
    n_pairable_items: int
    n_annotators: int
    n_votes: int
    n_pairable_votes: int
    alpha: Estimate
    n_pairs: int
    pair_agreement: Estimate
    annotators: tuple[VoterReliability, ...]

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


def verdict_agreement(
    votes: pd.DataFrame,
    verdicts: Sequence[str],
    *,
    replicates: int = DEFAULT_REPLICATES,
    confidence: float = DEFAULT_CONFIDENCE,
    seed: int = DEFAULT_SEED,
) -> VerdictAgreement:
    """Nominal Krippendorff's alpha (with its bootstrap interval over items), pair agreement and
    per-annotator figures of pairwise `votes` (columns item, annotator, verdict; one vote per item and
    annotator, every verdict one of `verdicts`, given in the same terms for everybody: A is the same side).

    Each verdict is a category: A against B disagrees as much as A against tie. Raises ValueError on a
    missing column, an unknown verdict or a repeated (item, annotator).
    """
    check_options("nominal", replicates, confidence)
    missing = [column for column in VOTE_COLUMNS if column not in votes.columns]
    if missing:
        raise ValueError(f"votes table lacks the column(s) {', '.join(missing)}")
    verdicts = tuple(str(verdict) for verdict in verdicts)
    codes = pd.Index(verdicts).get_indexer(votes["verdict"].astype(str).to_numpy())
    if (codes < 0).any():
        unknown = votes["verdict"].astype(str).to_numpy()[codes < 0][0]
        raise ValueError(f"unknown verdict {unknown!r}; the verdicts are {', '.join(verdicts)}")
    table = pd.DataFrame({"item": votes["item"].to_numpy(), "annotator": votes["annotator"].to_numpy(),
                          "axis": VERDICT_AXIS, "score": codes.astype(float)})
    encoded = encode_ratings(table)
    (axis,) = axis_ratings_all(encoded) or [_no_votes()]
    (alpha,) = alpha_estimates([axis], encoded.n_items, level="nominal", replicates=replicates,
                               confidence=confidence, seed=seed)
    exact, _ = pairwise_agreement(axis)
    counts = np.bincount(codes, minlength=len(verdicts)) if len(codes) else np.zeros(len(verdicts), dtype=int)
    return VerdictAgreement(
        level="nominal", replicates=replicates, confidence=confidence, seed=seed, verdicts=verdicts,
        verdict_counts={verdict: int(count) for verdict, count in zip(verdicts, counts)},
        n_items=_count_distinct(axis.item), n_pairable_items=_count_distinct(axis.item[axis.first]),
        n_annotators=_count_distinct(axis.annotator), n_votes=len(axis.item),
        n_pairable_votes=int((axis.group_size >= 2).sum()), alpha=alpha, n_pairs=len(axis.first),
        pair_agreement=exact, annotators=voter_reliabilities(axis, encoded.annotator_labels),
    )


def _no_votes() -> AxisRatings:
    empty = np.zeros(0, dtype=np.int64)
    return axis_ratings(empty, empty, np.zeros(0), np.zeros(0))


def voter_reliabilities(axis: AxisRatings, annotator_labels: np.ndarray) -> tuple[VoterReliability, ...]:
    """Per annotator (in order of first appearance): nominal alpha without them, and how often their vote
    equals another annotator's vote on the same item."""
    size = len(annotator_labels)
    same = (axis.code[axis.first] == axis.code[axis.second]).astype(float)
    pair_annotators = np.concatenate([axis.annotator[axis.first], axis.annotator[axis.second]])
    pairs = np.bincount(pair_annotators, minlength=size)
    agreeing = np.bincount(pair_annotators, weights=np.concatenate([same, same]), minlength=size)
    shared = np.bincount(axis.annotator[axis.group_size >= 2], minlength=size)
    votes = np.bincount(axis.annotator, minlength=size)
    return tuple(
        VoterReliability(
            plain_label(annotator_labels[code]), int(votes[code]), int(shared[code]), int(pairs[code]),
            alpha_point(axis, "nominal", without=code),
            Estimate(float(agreeing[code] / pairs[code])) if pairs[code] else Estimate.undefined(
                "nobody else voted on this annotator's items"),
        )
        for code in np.unique(axis.annotator)
    )
