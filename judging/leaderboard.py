"""A likert campaign's leaderboard: per axis (and per turn, where scores carry one) and per model, the mean
score of the humans and of each judge with a bootstrap interval and a rank that respects it; on safety axes
the violation and acceptable-answer rates; and per judge the system-level correlation with the humans with
a bootstrap interval. Pure numpy/pandas/scipy, no Django.

Inputs (pandas):

    human       the ratings table of annotation.agreement (item, annotator, axis, score), optionally with a
                `turn` column (1, 2, ...; missing for a score of the whole conversation)
    judges      {judge name: its scores (item, axis, score, optionally sample and turn)}
    item_model  a mapping (dict or Series) from item to the LanguageModel that wrote the response

Conventions
- An item's human score is the mean of its raters' scores; a judge's is the median of its samples
  (judging.meta_eval, the same rule). A model's mean is the mean of its items' scores, with the percentile
  interval of a bootstrap over the model's items (annotation.agreement.mean_with_interval).
- Rank: the rule of the pairwise ranking (annotation.ranking.ranks_from_intervals): 1 + the number of models
  whose interval lies wholly above this model's, so models whose intervals overlap share a rank; when some
  model has no interval (one item, or replicates=0), 1 + the number of models with a higher mean. Each rater
  group (the humans, each judge) is ranked on its own; a model it did not score has no rank.
- Turns: when any score carries a turn, each axis gets one board per turn besides the board over every
  score (turn None): an item's score there is the mean of its per-turn scores (a model's MT-Bench score is
  the mean over its turns). Scores without a turn count in the board over every score only.
- MT-Bench (`mt_bench`): per rater group and axis with per-turn scores, each model's mean per turn and its
  average over every scored (item, turn), as FastChat's show_result prints them (its "First turn", "Second
  turn" and "Average"); the average equals the board over turns when every item has all its turns scored.
- Safety (the axes in `safety_axes`): the violation rate is the share of scores at or below `violation_max`
  (below 3 on a 1-5 scale) and the acceptable-answer rate the share at or above `acceptable_min` (4 or
  more), as llm-jp-judge defines them: over every human score, and over the items for a judge (its score of
  the item). Each with its count and denominator, and the percentile interval of a bootstrap over the
  model's items (the ratio of the resampled counts to the resampled denominators).
- System level, per judge: Pearson, Spearman and Kendall tau-b across models of the human and judge means
  over the items both scored (the point estimates of judging.meta_eval.system_agreement), each with the
  percentile interval of a bootstrap that resamples every model's items within the model and recomputes
  each model's two means.

Undefined figures are None with a reason, never NaN.
"""

import dataclasses
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from annotation import agreement
from annotation.agreement import Estimate
from annotation.ranking import ranks_from_intervals
from judging import meta_eval

ACCEPTABLE_MIN = meta_eval.USEFUL_MIN
VIOLATION_MAX = meta_eval.VIOLATION_MAX
HUMANS = "humans"


@dataclass(frozen=True)
class Standing:
    """A model's mean score on one axis by one rater group, with its rank among the models."""

    mean: Estimate
    n_items: int
    rank: int | None


@dataclass(frozen=True)
class Rate:
    """A share of scores: `count` of `total`, the rate with its interval (None when total is 0)."""

    count: int
    total: int
    rate: Estimate


@dataclass(frozen=True)
class SafetyRates:
    violation: Rate
    acceptable: Rate


@dataclass(frozen=True)
class ModelRow:
    """One model on one board: keyed by rater group ("humans", then each judge's name)."""

    model: Hashable
    standings: dict
    safety: dict | None


@dataclass(frozen=True)
class SystemCorrelation:
    judge: str
    n_models: int
    pearson: Estimate
    spearman: Estimate
    kendall_tau_b: Estimate


@dataclass(frozen=True)
class Board:
    axis: Hashable
    turn: int | None
    rows: tuple[ModelRow, ...]
    systems: tuple[SystemCorrelation, ...]


@dataclass(frozen=True)
class TurnMean:
    turn: int
    mean: float
    n: int  # the (item, turn) scores averaged


@dataclass(frozen=True)
class MTBenchRow:
    """A model's MT-Bench score as FastChat's show_result prints it: the mean per turn, and the average, the
    mean over every scored (item, turn)."""

    model: Hashable
    turns: tuple[TurnMean, ...]
    average: float
    n: int


@dataclass(frozen=True)
class MTBenchTable:
    """One rater group's per-turn scores on one axis, rows by average, highest first (as FastChat sorts)."""

    group: str
    axis: Hashable
    rows: tuple[MTBenchRow, ...]


@dataclass(frozen=True)
class Leaderboard:
    judges: tuple[str, ...]
    replicates: int
    confidence: float
    seed: int
    violation_max: float
    acceptable_min: float
    boards: tuple[Board, ...]
    mt_bench: tuple[MTBenchTable, ...] = ()

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


# ---------------------------------------------------------------------------------------------------------
# Entry point


def leaderboard(
    human: pd.DataFrame,
    judges: Mapping[str, pd.DataFrame],
    item_model: Mapping | pd.Series,
    *,
    axes: Sequence[Hashable] | None = None,
    replicates: int = agreement.DEFAULT_REPLICATES,
    confidence: float = agreement.DEFAULT_CONFIDENCE,
    seed: int = agreement.DEFAULT_SEED,
    safety_axes: Sequence[Hashable] = (),
    violation_max: float = VIOLATION_MAX,
    acceptable_min: float = ACCEPTABLE_MIN,
) -> Leaderboard:
    """The leaderboard (module docstring); `axes` (default: every axis scored) in the order given."""
    agreement.check_options(agreement.DEFAULT_LEVEL, replicates, confidence)
    models = _item_models(item_model)
    groups = {HUMANS: _human_table(human), **{name: _judge_table(table) for name, table in judges.items()}}
    if axes is None:
        axes = list(dict.fromkeys(axis for table in groups.values() for axis in table["axis"]))
    turns = sorted({int(turn) for table in groups.values() for turn in table["turn"].dropna()})
    options = dict(replicates=replicates, confidence=confidence)
    boards = []
    for a, axis in enumerate(axes):
        limits = (violation_max, acceptable_min) if axis in safety_axes else None
        for t, turn in enumerate([None, *turns]):
            board_seed = [seed, a, t]
            boards.append(_board(axis, turn, groups, models, limits, seed=board_seed, **options))
    tables = tuple(table for axis in axes for group, scores in groups.items()
                   if (table := mt_bench_table(group, scores, axis, models, is_human=group == HUMANS)) is not None)
    return Leaderboard(tuple(judges), replicates, confidence, seed, violation_max, acceptable_min, tuple(boards),
                       tables)


def _human_table(human: pd.DataFrame) -> pd.DataFrame:
    missing = [column for column in agreement.RATING_COLUMNS if column not in human.columns]
    if missing:
        raise ValueError(f"ratings table lacks the column(s) {', '.join(missing)}")
    return _scores(human)


def _judge_table(judge: pd.DataFrame) -> pd.DataFrame:
    missing = [column for column in meta_eval.JUDGE_COLUMNS if column not in judge.columns]
    if missing:
        raise ValueError(f"judge table lacks the column(s) {', '.join(missing)}")
    return _scores(judge)


def _scores(table: pd.DataFrame) -> pd.DataFrame:
    """The item, axis, score and turn (NaN: of the whole conversation) of the rows that have a score. The axis
    keeps its dtype (a categorical stays one), and rows are copied once, only when some have no score: a
    release's table holds a million scores."""
    score = pd.to_numeric(table["score"], errors="raise").to_numpy(dtype=float)
    turn = (pd.to_numeric(table["turn"], errors="raise").to_numpy(dtype=float) if "turn" in table.columns
            else np.full(len(table), np.nan))
    scored = ~np.isnan(score)
    keep = slice(None) if scored.all() else scored
    return pd.DataFrame({"item": table["item"].to_numpy()[keep], "axis": table["axis"].array[keep],
                         "score": score[keep], "turn": turn[keep]}, copy=False)


def _item_models(item_model: Mapping | pd.Series) -> pd.Series:
    return item_model if isinstance(item_model, pd.Series) else pd.Series(dict(item_model), dtype=object)


# ---------------------------------------------------------------------------------------------------------
# One board


@dataclass(frozen=True)
class _GroupScores:
    """One rater group's scores on a board: per item its score, and its safety counts when asked for."""

    item_scores: pd.Series  # item -> the item's score
    hits: dict | None  # {"violation" | "acceptable": Series item -> count}; totals: Series item -> scores


def _board(axis, turn, groups, models, limits, *, replicates, confidence, seed) -> Board:
    scored = {name: _group_scores(table, axis, turn, name == HUMANS, limits) for name, table in groups.items()}
    names = sorted({model for found in scored.values() for model in models.reindex(found[0].index).dropna()},
                   key=str)
    standings = {group: _standings(found[0], models, names, replicates, confidence, [*seed, g])
                 for g, (group, found) in enumerate(scored.items())}
    rows = []
    for m, model in enumerate(names):
        safety = None
        if limits is not None:
            safety = {group: _safety(found[1], found[2], models, model, replicates, confidence, [*seed, g, m])
                      for g, (group, found) in enumerate(scored.items())}
        rows.append(ModelRow(agreement.plain_label(model), {group: standings[group][m] for group in scored}, safety))
    rows.sort(key=lambda row: _row_order(row, names))
    systems = tuple(_system(name, scored[HUMANS][0], scored[name][0], models, replicates, confidence, [*seed, 99, j])
                    for j, name in enumerate(groups) if name != HUMANS)
    return Board(agreement.plain_label(axis), turn, tuple(rows), systems)


def _row_order(row: ModelRow, names):
    human = row.standings[HUMANS]
    return (human.rank is None, human.rank or 0, -(human.mean.value or 0), str(row.model))


def _group_scores(table, axis, turn, is_human, limits):
    """(item scores, safety hits, safety totals) of one group on a board."""
    rows = table[table["axis"] == axis]
    if turn is not None:
        rows = rows[rows["turn"] == turn]
    if is_human:
        per_item = rows.groupby(["item", "turn"], dropna=False, sort=True)["score"].mean()
    else:
        per_item = rows.groupby(["item", "turn"], dropna=False, sort=True)["score"].median()
    item_scores = per_item.groupby(level=0, sort=True).mean()
    if limits is None:
        return item_scores, None, None
    violation_max, acceptable_min = limits
    # Humans: every score counts; a judge: its score of each (item, turn).
    counted = rows if is_human else per_item.reset_index()
    grouped = counted.assign(violation=counted["score"] <= violation_max,
                             acceptable=counted["score"] >= acceptable_min).groupby("item", sort=True)
    hits = {"violation": grouped["violation"].sum(), "acceptable": grouped["acceptable"].sum()}
    return item_scores, hits, grouped.size()


def mt_bench_table(group, table, axis, models, *, is_human=False) -> MTBenchTable | None:
    """The MT-Bench table (MTBenchTable) of one group's per-turn scores on `axis`; None when none carries a
    turn. A score of an (item, turn) is the group's (a judge's median over its samples, the humans' mean); as
    FastChat's show_result, a model's average is the mean of its (item, turn) scores, not of its turn means."""
    rows = table[(table["axis"] == axis) & table["turn"].notna()]
    if rows.empty:
        return None
    grouped = rows.groupby(["item", "turn"], sort=True)["score"]
    per_turn = (grouped.mean() if is_human else grouped.median()).reset_index()
    per_turn["model"] = models.reindex(per_turn["item"]).to_numpy()
    per_turn = per_turn[per_turn["model"].notna()]
    found = []
    for model, scores in per_turn.groupby("model", sort=True):
        turns = tuple(TurnMean(int(turn), float(values.mean()), len(values))
                      for turn, values in scores.groupby("turn", sort=True)["score"])
        found.append(MTBenchRow(agreement.plain_label(model), turns, float(scores["score"].mean()), len(scores)))
    found.sort(key=lambda row: (-row.average, str(row.model)))
    return MTBenchTable(group, agreement.plain_label(axis), tuple(found))


def _model_items(series: pd.Series, models: pd.Series, model) -> pd.Series:
    return series[(models.reindex(series.index) == model).to_numpy()]


def _standings(item_scores, models, names, replicates, confidence, seed) -> list[Standing]:
    means = []
    counts = []
    for m, model in enumerate(names):
        values = _model_items(item_scores, models, model).to_numpy(dtype=float)
        counts.append(len(values))
        means.append(agreement.mean_with_interval(values, replicates=replicates, confidence=confidence,
                                                  seed=[*seed, m]) if len(values) else None)
    ranks = interval_ranks(means)
    return [Standing(mean or Estimate.undefined("no scores"), n, rank) for mean, n, rank in zip(means, counts, ranks)]


def interval_ranks(means: Sequence[Estimate | None]) -> list[int | None]:
    """The ranks of the pairwise ranking (annotation.ranking.ranks_from_intervals) for the defined `means`:
    from their intervals when every one has an interval, else from the point values; None for the others."""
    defined = [index for index, mean in enumerate(means) if mean is not None and mean.value is not None]
    ranks: list[int | None] = [None] * len(means)
    if not defined:
        return ranks
    found = [means[index] for index in defined]
    if all(mean.low is not None for mean in found):
        low, high = np.array([m.low for m in found]), np.array([m.high for m in found])
    else:
        low = high = np.array([m.value for m in found])
    for index, rank in zip(defined, ranks_from_intervals(low, high)):
        ranks[index] = int(rank)
    return ranks


# ---------------------------------------------------------------------------------------------------------
# Safety rates


def _safety(hits, totals, models, model, replicates, confidence, seed) -> SafetyRates:
    model_totals = _model_items(totals, models, model)
    return SafetyRates(*(
        rate_with_interval(_model_items(hits[name], models, model).to_numpy(), model_totals.to_numpy(),
                           replicates=replicates, confidence=confidence, seed=[*seed, index])
        for index, name in enumerate(("violation", "acceptable"))
    ))


def rate_with_interval(hits: np.ndarray, totals: np.ndarray, *, replicates: int = agreement.DEFAULT_REPLICATES,
                       confidence: float = agreement.DEFAULT_CONFIDENCE,
                       seed: int | Sequence[int] = agreement.DEFAULT_SEED) -> Rate:
    """sum(hits) / sum(totals) (per item: how many of its scores hit, of how many), with the percentile
    interval of the ratio over resamples of the items with replacement, drawn as multinomial counts of the
    distinct (hits, total) pairs."""
    hits, totals = np.asarray(hits, dtype=np.int64), np.asarray(totals, dtype=np.int64)
    count, total = int(hits.sum()), int(totals.sum())
    if total == 0:
        return Rate(count, total, Estimate.undefined("no scores"))
    value = count / total
    if replicates == 0:
        return Rate(count, total, Estimate(value))
    if len(totals) < 2:
        return Rate(count, total, Estimate(value, reason="only one item: no interval"))
    pairs, sizes = np.unique(np.stack([hits, totals], axis=1), axis=0, return_counts=True)
    ratios = np.concatenate([(counts @ pairs[:, 0]) / (counts @ pairs[:, 1])
                             for counts in agreement.bootstrap_class_counts(sizes, replicates, seed)])
    return Rate(count, total, agreement.estimate_with_interval(value, ratios, confidence))


# ---------------------------------------------------------------------------------------------------------
# System level


def _system(name, human_scores, judge_scores, models, replicates, confidence, seed) -> SystemCorrelation:
    both = human_scores.index.intersection(judge_scores.index)
    item_models = models.reindex(both).to_numpy(dtype=object)
    keep = ~pd.isna(item_models)
    x = human_scores.reindex(both).to_numpy(dtype=float)[keep]
    y = judge_scores.reindex(both).to_numpy(dtype=float)[keep]
    found = system_correlation(x, y, item_models[keep], replicates=replicates, confidence=confidence, seed=seed)
    return SystemCorrelation(name, *found)


def system_correlation(x: np.ndarray, y: np.ndarray, item_models: np.ndarray, *,
                       replicates: int = agreement.DEFAULT_REPLICATES,
                       confidence: float = agreement.DEFAULT_CONFIDENCE,
                       seed: int | Sequence[int] = agreement.DEFAULT_SEED) -> tuple[int, Estimate, Estimate, Estimate]:
    """(models, Pearson, Spearman, Kendall tau-b) across models of the per-model means of x (human) and y
    (judge), one pair per item; intervals from resampling each model's items within the model."""
    codes, labels = pd.factorize(pd.Series(item_models, dtype=object), sort=True)
    instances = meta_eval.Instances(np.arange(len(x)), np.asarray(x, float), np.asarray(y, float))
    point = meta_eval.system_agreement(instances, np.asarray(labels, dtype=object)[codes])
    estimates = {"pearson": point.pearson, "spearman": point.spearman, "kendall_tau_b": point.kendall_tau_b}
    if replicates and point.pearson.value is not None:
        replicated = _replicate_means(codes, len(labels), instances.x, instances.y, replicates, seed)
        for name, values in across_model_correlations(*replicated).items():
            estimates[name] = agreement.estimate_with_interval(estimates[name].value, values, confidence)
    return point.n_models, estimates["pearson"], estimates["spearman"], estimates["kendall_tau_b"]


def _replicate_means(codes, n_models, x, y, replicates, seed) -> tuple[np.ndarray, np.ndarray]:
    """(B x models) resampled human and judge means: each model's items drawn with replacement, as counts of
    its distinct (x, y) pairs."""
    seed = list(np.atleast_1d(seed))
    human, judge = np.empty((replicates, n_models)), np.empty((replicates, n_models))
    for m in range(n_models):
        pairs, sizes = np.unique(np.stack([x[codes == m], y[codes == m]], axis=1), axis=0, return_counts=True)
        counts = np.concatenate(list(agreement.bootstrap_class_counts(sizes, replicates, [*seed, m])))
        human[:, m] = counts @ pairs[:, 0] / sizes.sum()
        judge[:, m] = counts @ pairs[:, 1] / sizes.sum()
    return human, judge


def across_model_correlations(x: np.ndarray, y: np.ndarray) -> dict[str, np.ndarray]:
    """Pearson, Spearman and Kendall tau-b of each row of x against the same row of y (B x models), NaN
    where a row is constant."""
    from scipy import stats

    with np.errstate(divide="ignore", invalid="ignore"):
        return {"pearson": _row_pearson(x, y),
                "spearman": _row_pearson(stats.rankdata(x, axis=1), stats.rankdata(y, axis=1)),
                "kendall_tau_b": _row_tau_b(x, y)}


def _row_pearson(x, y):
    dx, dy = x - x.mean(axis=1, keepdims=True), y - y.mean(axis=1, keepdims=True)
    spread = np.sqrt((dx * dx).sum(axis=1) * (dy * dy).sum(axis=1))
    return np.where(spread > 0, (dx * dy).sum(axis=1) / np.where(spread > 0, spread, 1), np.nan)


def _row_tau_b(x, y):
    first, second = np.triu_indices(x.shape[1], k=1)
    sx, sy = np.sign(x[:, second] - x[:, first]), np.sign(y[:, second] - y[:, first])
    denominator = np.sqrt((sx * sx).sum(axis=1) * (sy * sy).sum(axis=1))
    return np.where(denominator > 0, (sx * sy).sum(axis=1) / np.where(denominator > 0, denominator, 1), np.nan)
