"""Annotators by tier (professional, graduate, undergraduate, vendor, external): per tier and axis the mean
score and the agreement among the tier's annotators, and tier against tier (does the vendor agree with the
professionals?). Pure numpy/pandas, no Django.

Input: the ratings table of annotation.agreement (item, annotator, axis, score) and each annotator's tier.

- A tier's mean on an axis: the mean over the items its annotators scored of the item's mean score by them,
  with a bootstrap interval over those items (annotation.agreement.mean_with_interval).
- A tier's alpha: Krippendorff's alpha among its own annotators (annotation.agreement.alpha_by_axis), with
  its bootstrap interval; undefined, with the reason, when fewer than two of them scored the same items.
- Tier against tier: on the items both tiers scored, the first tier's mean score of the item (x) against the
  second's (y): the instance-level figures of judging.meta_eval (Pearson, Spearman, Kendall tau-b, MAE, bias
  = mean of y − x, exact and within-one agreement of the rounded means), with intervals from resampling
  those items.
"""

import dataclasses
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd

from annotation import agreement
from annotation.agreement import Estimate
from judging import meta_eval


@dataclass(frozen=True)
class TierAxis:
    n_annotators: int
    n_items: int
    n_scores: int
    mean: Estimate
    alpha: Estimate


@dataclass(frozen=True)
class Tier:
    tier: str
    n_annotators: int
    axes: dict  # axis -> TierAxis


@dataclass(frozen=True)
class TierPair:
    first: str
    second: str
    axes: dict  # axis -> judging.meta_eval.InstanceAgreement (x: the first tier, y: the second)


@dataclass(frozen=True)
class TierReport:
    tiers: tuple[Tier, ...]
    pairs: tuple[TierPair, ...]

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


def tier_report(ratings: pd.DataFrame, tiers: Mapping[Hashable, str], *, order: Sequence[str] = (),
                level: str = agreement.DEFAULT_LEVEL, replicates: int = agreement.DEFAULT_REPLICATES,
                confidence: float = agreement.DEFAULT_CONFIDENCE, seed: int = agreement.DEFAULT_SEED) -> TierReport:
    """Figures per tier and per pair of tiers (module docstring), tiers in `order` (then any other by name)."""
    agreement.check_options(level, replicates, confidence)
    codes, annotators = pd.factorize(ratings["annotator"])
    tier_of = np.array([tiers.get(annotator) for annotator in annotators] + [None], dtype=object)[codes]
    if any(tier is None for tier in tier_of):
        raise ValueError("some annotators have no tier")
    found = set(tier_of.tolist())
    names = [tier for tier in order if tier in found] + sorted(found - set(order))
    axes = list(dict.fromkeys(ratings["axis"]))
    options = dict(replicates=replicates, confidence=confidence)
    item_means = {}
    results = []
    for t, tier in enumerate(names):
        rows = ratings[tier_of == tier]
        alphas = agreement.alpha_by_axis(rows, level=level, seed=seed, **options) if len(rows) else {}
        per_axis = {}
        for a, axis in enumerate(axes):
            scores = rows[rows["axis"] == axis]
            means = scores.groupby("item", sort=True)["score"].mean()
            item_means[tier, axis] = means
            per_axis[agreement.plain_label(axis)] = TierAxis(
                n_annotators=int(scores["annotator"].nunique()), n_items=len(means), n_scores=len(scores),
                mean=(agreement.mean_with_interval(means.to_numpy(dtype=float), seed=[seed, t, a], **options)
                      if len(means) else Estimate.undefined("no scores")),
                alpha=alphas.get(axis) or Estimate.undefined("no scores"),
            )
        results.append(Tier(tier, int(rows["annotator"].nunique()), per_axis))
    pairs = tuple(_pair(first, second, axes, item_means, seed=[seed, 1000 + p], **options)
                  for p, (first, second) in enumerate(combinations(names, 2)))
    return TierReport(tuple(results), pairs)


def _pair(first, second, axes, item_means, *, replicates, confidence, seed) -> TierPair:
    sets = []
    for axis in axes:
        x, y = item_means[first, axis], item_means[second, axis]
        both = x.index.intersection(y.index)
        sets.append(meta_eval.Instances(np.arange(len(both)), x.reindex(both).to_numpy(dtype=float),
                                        y.reindex(both).to_numpy(dtype=float)))
    # One resampling per axis (its own items), as the statistics of separate sets.
    found = [meta_eval.instance_agreements([instances], len(instances.x), replicates=replicates,
                                           confidence=confidence, seed=[*seed, index])[0]
             for index, instances in enumerate(sets)]
    return TierPair(first, second, {agreement.plain_label(axis): result for axis, result in zip(axes, found)})
