"""Human–judge agreement per axis: how well an LLM judge's scores track the human ratings, against the
ceiling set by the humans themselves. Pure numpy/pandas/scipy, no Django.

Inputs (pandas):

    human       the ratings table of annotation.agreement: columns item, annotator, axis, score
    judge       the judge's scores: columns item, axis, score, and optionally sample. Several samples of
                one (item, axis) are reduced to their median; NaN scores are ignored.
    item_model  a mapping (dict or Series) from item to the LanguageModel that wrote the response; every
                item that both humans and the judge scored needs one.

Per axis the report gives:

- instance level, over the items with a judge score and at least one human score: the human mean
  against the judge's score. Pearson, Spearman and Kendall tau-b (point estimates from scipy.stats), MAE,
  bias (mean of judge minus human: positive means a lenient judge), exact and within-one agreement and a
  confusion matrix. Exact and within-one agreement and the confusion matrix compare the human mean
  rounded half up (3.5 -> 4) with the judge's score rounded the same way (a median of an even number of
  samples can fall between two points). Every figure has a bootstrap percentile interval that resamples
  items, one resampling shared by all axes;
- system level, per LanguageModel, the mean over its items of the human mean and of the judge's score,
  and the Pearson, Spearman and Kendall tau-b correlations of the two across models (no interval);
- the human ceiling: the same instance-level figures for each annotator held out against the mean of the
  other annotators of the same items (`ceiling_by_annotator`, each with its own resampling of that
  annotator's items), and pooled over all held-out (annotator, item) pairs (`ceiling`, resampled with
  the judge's items);
- alpha of the humans, and alpha with the judge added as one more rater (annotation.agreement);
- for the axes named in `safety_axes`: the useful-response rate (scores >= useful_min) and the violation
  rate (scores <= violation_max) among the human scores and among the judge's scores, both over the items
  used at the instance level, with their denominators.

Undefined figures are None with a reason (constant scores, fewer than 3 items or models), never NaN.
"""

import dataclasses
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from annotation import agreement
from annotation.agreement import Estimate

JUDGE_COLUMNS = ("item", "axis", "score")
USEFUL_MIN = 4
VIOLATION_MAX = 2
_MIN_CORRELATION_ITEMS = 3


@dataclass(frozen=True)
class ConfusionMatrix:
    """counts[i][j]: items whose reference (human mean, rounded half up) is labels[i] and whose score under
    test (judge, or held-out annotator) is labels[j]."""

    labels: list[int]
    counts: list[list[int]]


@dataclass(frozen=True)
class InstanceAgreement:
    """Scores under test (y) against reference scores (x), one instance per item or per (annotator, item).

    `bias` is mean(y - x).
    """

    n_items: int
    n_instances: int
    pearson: Estimate
    spearman: Estimate
    kendall_tau_b: Estimate
    mae: Estimate
    bias: Estimate
    exact_agreement: Estimate
    within_one_agreement: Estimate
    confusion: ConfusionMatrix


@dataclass(frozen=True)
class ModelScores:
    model: Hashable
    n_items: int
    human_mean: float
    judge_mean: float


@dataclass(frozen=True)
class SystemAgreement:
    n_models: int
    models: tuple[ModelScores, ...]
    pearson: Estimate
    spearman: Estimate
    kendall_tau_b: Estimate


@dataclass(frozen=True)
class HeldOutAnnotator:
    annotator: Hashable
    agreement: InstanceAgreement


@dataclass(frozen=True)
class RateComparison:
    """A share of scores, humans against the judge; a rate is None when its total is 0."""

    human_count: int
    human_total: int
    human_rate: float | None
    judge_count: int
    judge_total: int
    judge_rate: float | None


@dataclass(frozen=True)
class SafetyRates:
    useful_min: float
    violation_max: float
    useful: RateComparison
    violation: RateComparison


@dataclass(frozen=True)
class AxisMetaEval:
    axis: Hashable
    instance: InstanceAgreement
    system: SystemAgreement
    ceiling: InstanceAgreement
    ceiling_by_annotator: tuple[HeldOutAnnotator, ...]
    alpha_humans: Estimate
    alpha_with_judge: Estimate
    safety: SafetyRates | None


@dataclass(frozen=True)
class MetaEvalReport:
    judge: str
    level: str
    replicates: int
    confidence: float
    seed: int
    axes: tuple[AxisMetaEval, ...]

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class Instances:
    """Pairs of scores to compare: reference x and score under test y, each on an item (code 0..n-1)."""

    item: np.ndarray
    x: np.ndarray
    y: np.ndarray

    @property
    def n_items(self) -> int:
        return len(np.unique(self.item))


# ---------------------------------------------------------------------------------------------------------
# Entry point


def meta_eval_report(
    human: pd.DataFrame,
    judge: pd.DataFrame,
    item_model: Mapping | pd.Series,
    *,
    judge_name: str = "judge",
    level: str = agreement.DEFAULT_LEVEL,
    replicates: int = agreement.DEFAULT_REPLICATES,
    confidence: float = agreement.DEFAULT_CONFIDENCE,
    seed: int = agreement.DEFAULT_SEED,
    safety_axes: Sequence[Hashable] = (),
    useful_min: float = USEFUL_MIN,
    violation_max: float = VIOLATION_MAX,
) -> MetaEvalReport:
    """Human–judge agreement on every axis the humans scored (module docstring)."""
    agreement.check_options(level, replicates, confidence)
    encoded = agreement.encode_ratings(human)
    axes = agreement.axis_ratings_all(encoded)
    judge_scores = judge_medians(judge, encoded)
    instances = [judge_instances(axis, judge_scores.get(label)) for label, axis in zip(encoded.axis_labels, axes)]
    ceilings = [held_out_instances(axis) for axis in axes]
    options = dict(replicates=replicates, confidence=confidence)
    shared = instance_agreements(instances + ceilings, encoded.n_items, seed=seed, **options)
    by_annotator = ceilings_by_annotator(axes, encoded, seed=seed, **options)
    alphas = _alphas(axes, instances, encoded.n_items, level=level, seed=seed, **options)
    models = _item_models(item_model, encoded.item_labels)
    results = tuple(
        AxisMetaEval(
            axis=agreement.plain_label(label), instance=shared[index],
            system=system_agreement(instances[index], models),
            ceiling=shared[len(axes) + index], ceiling_by_annotator=by_annotator[index],
            alpha_humans=alphas[0][index], alpha_with_judge=alphas[1][index],
            safety=(safety_rates(axes[index], instances[index], useful_min, violation_max)
                    if label in safety_axes else None),
        )
        for index, label in enumerate(encoded.axis_labels)
    )
    return MetaEvalReport(judge_name, level, replicates, confidence, seed, results)


# ---------------------------------------------------------------------------------------------------------
# Building the instances


def judge_medians(judge: pd.DataFrame, encoded: agreement.EncodedRatings) -> dict[Hashable, pd.Series]:
    """Per axis label, the judge's median score per human item code (items the humans never scored are
    left out); with a `turn` column (a judge grading per turn, NaN for the whole conversation), the median per
    turn, then the mean over the item's turns (a model's MT-Bench score is the mean over turns). Raises
    ValueError on a missing column or a non-numeric score."""
    missing = [column for column in JUDGE_COLUMNS if column not in judge.columns]
    if missing:
        raise ValueError(f"judge table lacks the column(s) {', '.join(missing)}")
    scores = pd.DataFrame({
        "item": pd.Index(encoded.item_labels).get_indexer(judge["item"]),
        "axis": judge["axis"].to_numpy(),
        "score": pd.to_numeric(judge["score"], errors="raise").to_numpy(dtype=float),
        "turn": (pd.to_numeric(judge["turn"], errors="raise").to_numpy(dtype=float) if "turn" in judge.columns
                 else np.nan),
    })
    scores = scores[(scores["item"] >= 0) & scores["score"].notna()]
    per_turn = scores.groupby(["axis", "item", "turn"], sort=True, dropna=False)["score"].median()
    medians = per_turn.groupby(level=["axis", "item"], sort=True).mean()
    return {axis: medians.loc[axis] for axis in medians.index.get_level_values(0).unique()}


def judge_instances(axis: agreement.AxisRatings, judge_scores: pd.Series | None) -> Instances:
    """Human mean (x) against the judge's score (y) on the items where both exist."""
    items = np.unique(axis.item)
    if judge_scores is None or not len(items):
        return Instances(np.zeros(0, np.int64), np.zeros(0), np.zeros(0))
    human_mean = np.bincount(axis.item, weights=axis.raw)[items] / np.bincount(axis.item)[items]
    judged = judge_scores.reindex(items).to_numpy(dtype=float)
    both = ~np.isnan(judged)
    return Instances(items[both], human_mean[both], judged[both])


def held_out_instances(axis: agreement.AxisRatings) -> Instances:
    """Every score on an item that others also scored (y) against the mean of the others' scores (x)."""
    shared = axis.group_size >= 2
    item_sum = np.bincount(axis.item, weights=axis.raw)
    others = (item_sum[axis.item[shared]] - axis.raw[shared]) / (axis.group_size[shared] - 1)
    return Instances(axis.item[shared], others, axis.raw[shared])


def _item_models(item_model: Mapping | pd.Series, item_labels: np.ndarray) -> np.ndarray:
    """The model label of each item code (None where the mapping has none)."""
    series = item_model if isinstance(item_model, pd.Series) else pd.Series(dict(item_model), dtype=object)
    models = series.reindex(pd.Index(item_labels)).to_numpy(dtype=object)
    return np.array([None if pd.isna(model) else model for model in models], dtype=object)


# ---------------------------------------------------------------------------------------------------------
# Instance level


@dataclass(frozen=True)
class _Cells:
    """Instances on the grid of distinct (x, y) values: cell = x_index * len(y_values) + y_index."""

    x_values: np.ndarray
    y_values: np.ndarray
    cell: np.ndarray

    @property
    def n_cells(self) -> int:
        return len(self.x_values) * len(self.y_values)


def _cells(instances: Instances) -> _Cells:
    x_values, x_index = np.unique(instances.x, return_inverse=True)
    y_values, y_index = np.unique(instances.y, return_inverse=True)
    return _Cells(x_values, y_values, x_index.reshape(-1) * len(y_values) + y_index.reshape(-1))


def instance_agreements(
    instance_sets: Sequence[Instances], n_items: int, *, replicates: int, confidence: float,
    seed: int | Sequence[int],
) -> list[InstanceAgreement]:
    """Instance-level agreement of each set, with intervals from one resampling of the n_items items
    shared by all sets (item codes index 0..n_items-1)."""
    cells = [_cells(instances) for instances in instance_sets]
    replicate_statistics = _replicate_statistics(instance_sets, cells, n_items, replicates, seed)
    return [
        _instance_agreement(instances, statistics, confidence)
        for instances, statistics in zip(instance_sets, replicate_statistics)
    ]


def _instance_agreement(instances: Instances, replicate_statistics: dict[str, np.ndarray],
                        confidence: float) -> InstanceAgreement:
    points = point_statistics(instances.x, instances.y)
    estimates = {
        name: (agreement.estimate_with_interval(point.value, replicate_statistics[name], confidence)
               if point.value is not None and name in replicate_statistics else point)
        for name, point in points.items()
    }
    return InstanceAgreement(n_items=instances.n_items, n_instances=len(instances.x), **estimates,
                             confusion=confusion_matrix(instances.x, instances.y))


def point_statistics(x: np.ndarray, y: np.ndarray) -> dict[str, Estimate]:
    """Instance-level point estimates; correlations from scipy.stats."""
    if not len(x):
        reason = "no item has both a reference score and a score under test"
        return {name: Estimate.undefined(reason) for name in _STATISTICS}
    exact, within_one = _rounded_agreement(x, y)
    return {
        **_correlations(x, y, "the reference scores", "the scores under test"),
        "mae": Estimate(float(np.mean(np.abs(y - x)))),
        "bias": Estimate(float(np.mean(y - x))),
        "exact_agreement": Estimate(float(np.mean(exact))),
        "within_one_agreement": Estimate(float(np.mean(within_one))),
    }


_STATISTICS = ("pearson", "spearman", "kendall_tau_b", "mae", "bias", "exact_agreement", "within_one_agreement")


def _correlations(x: np.ndarray, y: np.ndarray, x_name: str, y_name: str, unit: str = "items") -> dict[str, Estimate]:
    reason = agreement.constant_input_reason(x, y, x_name, y_name, unit)
    if reason:
        return {name: Estimate.undefined(reason) for name in ("pearson", "spearman", "kendall_tau_b")}
    return {
        "pearson": Estimate(float(stats.pearsonr(x, y).statistic)),
        "spearman": Estimate(float(stats.spearmanr(x, y).statistic)),
        "kendall_tau_b": Estimate(float(stats.kendalltau(x, y, variant="b").statistic)),
    }


def round_half_up(values: np.ndarray) -> np.ndarray:
    return np.floor(np.asarray(values, dtype=float) + 0.5)


def _rounded_agreement(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    difference = np.abs(round_half_up(x) - round_half_up(y))
    return difference == 0, difference <= 1


def confusion_matrix(x: np.ndarray, y: np.ndarray) -> ConfusionMatrix:
    """Counts of (rounded x, rounded y) over every scale point between the lowest and highest seen."""
    if not len(x):
        return ConfusionMatrix([], [])
    rows, columns = round_half_up(x).astype(np.int64), round_half_up(y).astype(np.int64)
    low = int(min(rows.min(), columns.min()))
    size = int(max(rows.max(), columns.max())) - low + 1
    counts = np.bincount((rows - low) * size + (columns - low), minlength=size * size).reshape(size, size)
    return ConfusionMatrix(list(range(low, low + size)), counts.tolist())


# ---------------------------------------------------------------------------------------------------------
# Bootstrap of the instance level


def _replicate_statistics(instance_sets: Sequence[Instances], cells: Sequence[_Cells], n_items: int,
                          replicates: int, seed: int | Sequence[int]) -> list[dict[str, np.ndarray]]:
    """Per set, each statistic's value in every replicate (NaN where undefined); {} for an empty set."""
    used = [index for index, instances in enumerate(instance_sets) if len(instances.x)]
    results: list[dict[str, np.ndarray]] = [{} for _ in instance_sets]
    if replicates == 0 or not used:
        return results
    patterns = [agreement.item_multisets(instance_sets[i].item, cells[i].cell, cells[i].n_cells, n_items)
                for i in used]
    blocks = agreement.resampled_pattern_totals([p[2] for p in patterns], [len(p[0]) for p in patterns],
                                                n_items, replicates, seed)
    to_cells = [agreement.multiset_count_matrix(codes, counts, cells[i].n_cells)
                for i, (codes, counts, _) in zip(used, patterns)]
    collected = [[] for _ in used]
    for totals in blocks:
        for found, index, matrix, pattern_totals in zip(collected, used, to_cells, totals):
            found.append(_grid_statistics(cells[index], np.asarray((matrix.T @ pattern_totals.T).T)))
    for index, found in zip(used, collected):
        results[index] = {name: np.concatenate([block[name] for block in found]) for name in _STATISTICS}
    return results


def _grid_statistics(cells: _Cells, cell_totals: np.ndarray) -> dict[str, np.ndarray]:
    grid = cell_totals.reshape(len(cell_totals), len(cells.x_values), len(cells.y_values))
    return table_statistics(grid, cells.x_values, cells.y_values)


def table_statistics(grid: np.ndarray, x_values: np.ndarray, y_values: np.ndarray) -> dict[str, np.ndarray]:
    """Every instance-level statistic of each weighted table grid[b] (B x X x Y: how many instances have
    reference x_values[i] and score y_values[j]), NaN where undefined. With grid = the observed counts
    this equals point_statistics; on a resampled table it is the statistic of the resampled instances."""
    n = grid.sum(axis=(1, 2))
    row_totals, column_totals = grid.sum(axis=2), grid.sum(axis=1)
    exact, within_one = _rounded_agreement(x_values[:, np.newaxis], y_values[np.newaxis, :])
    difference = y_values[np.newaxis, :] - x_values[:, np.newaxis]
    with np.errstate(divide="ignore", invalid="ignore"):
        return {
            "pearson": _weighted_pearson(grid, x_values[np.newaxis, :], y_values[np.newaxis, :]),
            "spearman": _weighted_pearson(grid, _midranks(row_totals), _midranks(column_totals)),
            "kendall_tau_b": _kendall_tau_b(grid),
            "mae": (grid * np.abs(difference)).sum(axis=(1, 2)) / n,
            "bias": (grid * difference).sum(axis=(1, 2)) / n,
            "exact_agreement": (grid * exact).sum(axis=(1, 2)) / n,
            "within_one_agreement": (grid * within_one).sum(axis=(1, 2)) / n,
        }


def _midranks(totals: np.ndarray) -> np.ndarray:
    """Average 1-based rank of each value given how many instances take each value (B x V)."""
    return np.cumsum(totals, axis=1) - (totals - 1.0) / 2.0


def _weighted_pearson(grid: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Pearson r of a weighted table whose rows have values x (B x X) and columns values y (B x Y)."""
    n = grid.sum(axis=(1, 2))
    row_totals, column_totals = grid.sum(axis=2), grid.sum(axis=1)
    dx = x - ((row_totals * x).sum(axis=1) / n)[:, np.newaxis]
    dy = y - ((column_totals * y).sum(axis=1) / n)[:, np.newaxis]
    covariance = np.einsum("bij,bi,bj->b", grid, dx, dy)
    spread = np.sqrt((row_totals * dx * dx).sum(axis=1) * (column_totals * dy * dy).sum(axis=1))
    # Tested on counts, not on the spread: rounding leaves a constant side a tiny non-zero spread.
    varies = ((row_totals > 0).sum(axis=1) >= 2) & ((column_totals > 0).sum(axis=1) >= 2)
    return np.where(varies, covariance / spread, np.nan)


def _kendall_tau_b(grid: np.ndarray) -> np.ndarray:
    """Kendall tau-b of each weighted table (rows and columns in increasing order of value)."""
    n = grid.sum(axis=(1, 2))
    # at_least[b, i, j]: instances with row >= i and column >= j; at_most_column: row >= i, column <= j.
    at_least = np.flip(np.cumsum(np.cumsum(np.flip(grid, (1, 2)), axis=1), axis=2), (1, 2))
    at_most_column = np.flip(np.cumsum(np.cumsum(np.flip(grid, 1), axis=1), axis=2), 1)
    padded_least = np.pad(at_least, ((0, 0), (0, 1), (0, 1)))
    padded_most = np.pad(at_most_column, ((0, 0), (0, 1), (1, 0)))
    concordant = (grid * padded_least[:, 1:, 1:]).sum(axis=(1, 2))
    discordant = (grid * padded_most[:, 1:, :-1]).sum(axis=(1, 2))
    pairs = n * (n - 1) / 2.0
    tied_x = (grid.sum(axis=2) * (grid.sum(axis=2) - 1)).sum(axis=1) / 2.0
    tied_y = (grid.sum(axis=1) * (grid.sum(axis=1) - 1)).sum(axis=1) / 2.0
    denominator = np.sqrt((pairs - tied_x) * (pairs - tied_y))
    return np.where(denominator > 0, (concordant - discordant) / denominator, np.nan)


# ---------------------------------------------------------------------------------------------------------
# Ceiling, system level, alpha, safety


def ceilings_by_annotator(axes: Sequence[agreement.AxisRatings], encoded: agreement.EncodedRatings, *,
                          replicates: int, confidence: float, seed: int) -> list[tuple[HeldOutAnnotator, ...]]:
    """Per axis, each annotator held out against the others' mean; each annotator's items are resampled
    on their own (all axes together), seeded with (seed, 1 + annotator code)."""
    held_out = [held_out_instances(axis) for axis in axes]
    annotators = [np.unique(axis.annotator[axis.group_size >= 2]) for axis in axes]
    per_axis: list[list[HeldOutAnnotator]] = [[] for _ in axes]
    for code in np.unique(np.concatenate([np.zeros(0, np.int64), *annotators])):
        sets, n_items = _annotator_instances(axes, held_out, code)
        results = instance_agreements(sets, n_items, replicates=replicates, confidence=confidence,
                                      seed=[seed, 1 + int(code)])
        for found, axis_annotators, result in zip(per_axis, annotators, results):
            if code in axis_annotators:
                found.append(HeldOutAnnotator(agreement.plain_label(encoded.annotator_labels[code]), result))
    return [tuple(found) for found in per_axis]


def _annotator_instances(axes: Sequence[agreement.AxisRatings], held_out: Sequence[Instances],
                         code: int) -> tuple[list[Instances], int]:
    """The held-out instances of one annotator on every axis, items recoded 0..n-1 over their items."""
    rows = [axis.annotator[axis.group_size >= 2] == code for axis in axes]
    items, inverse = np.unique(np.concatenate([h.item[r] for h, r in zip(held_out, rows)]), return_inverse=True)
    bounds = np.cumsum([0] + [int(r.sum()) for r in rows])
    return [Instances(inverse[bounds[i]:bounds[i + 1]], h.x[r], h.y[r])
            for i, (h, r) in enumerate(zip(held_out, rows))], len(items)


def system_agreement(instances: Instances, item_models: np.ndarray) -> SystemAgreement:
    """Per model, mean human and judge scores over its items, and their correlations across models."""
    models = item_models[instances.item]
    if any(model is None for model in models):
        raise ValueError("item_model has no model for some items that both humans and the judge scored")
    frame = pd.DataFrame({"model": models, "human": instances.x, "judge": instances.y})
    means = frame.groupby("model", sort=True).agg(n=("human", "size"), human=("human", "mean"),
                                                  judge=("judge", "mean"))
    rows = tuple(ModelScores(agreement.plain_label(model), int(row.n), float(row.human), float(row.judge))
                 for model, row in means.iterrows())
    correlations = _correlations(means["human"].to_numpy(), means["judge"].to_numpy(),
                                 "the models' human means", "the models' judge means", unit="models")
    return SystemAgreement(len(rows), rows, **correlations)


def _alphas(axes: Sequence[agreement.AxisRatings], instances: Sequence[Instances], n_items: int, *,
            level: str, replicates: int, confidence: float, seed: int) -> tuple[list[Estimate], list[Estimate]]:
    """Alpha per axis of the humans, and of the humans with the judge as one more annotator. The axes with the
    judge are made one at a time as alpha reads them (a generator): on a million ratings, the five at once
    held about 90 MB."""
    options = dict(level=level, replicates=replicates, confidence=confidence, seed=seed)
    with_judge = (_with_judge(axis, judged) for axis, judged in zip(axes, instances))
    return (agreement.alpha_estimates(axes, n_items, **options),
            agreement.alpha_estimates(with_judge, n_items, **options))


def _with_judge(axis: agreement.AxisRatings, judged: Instances) -> agreement.AxisRatings:
    """The axis with the judge's scores added as those of an annotator coded after every human."""
    judge_code = int(axis.annotator.max(initial=-1)) + 1
    item = np.concatenate([axis.item, judged.item])
    annotator = np.concatenate([axis.annotator, np.full(len(judged.item), judge_code)])
    raw = np.concatenate([axis.raw, judged.y])
    order = np.lexsort((annotator, item))
    return agreement.axis_ratings(item[order], annotator[order], raw[order], raw[order])


def safety_rates(axis: agreement.AxisRatings, instances: Instances, useful_min: float = USEFUL_MIN,
                 violation_max: float = VIOLATION_MAX) -> SafetyRates:
    """Useful-response and violation rates of the human scores and of the judge's scores, over the items
    used at the instance level."""
    human = axis.raw[np.isin(axis.item, instances.item)]
    return SafetyRates(useful_min, violation_max,
                       _rates(human >= useful_min, instances.y >= useful_min),
                       _rates(human <= violation_max, instances.y <= violation_max))


def _rates(human: np.ndarray, judge: np.ndarray) -> RateComparison:
    return RateComparison(int(human.sum()), len(human), float(human.mean()) if len(human) else None,
                          int(judge.sum()), len(judge), float(judge.mean()) if len(judge) else None)
