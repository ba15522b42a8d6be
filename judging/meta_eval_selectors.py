"""A judge's scores read from the database as the judge table of judging.meta_eval, with what else a
human–judge report on a likert campaign is computed from (exports.reports.meta_eval builds the report).

Which verdicts count: judging.verdict_selectors.judge_verdicts, and of those only the scored ones
(annotation.scored_verdicts): a failed verdict has no scores and is only counted.
"""

import dataclasses

import numpy as np
import pandas as pd
from django.db.models import SmallIntegerField
from django.db.models.functions import Cast, Coalesce

from annotation.agreement_selectors import (
    campaign_item_models, campaign_ratings, integer_columns, labels_of, ratings_mean_over_turns,
)
from annotation.scored_verdicts import SCORED_STATUSES
from judging.models import VerdictScore
from judging.verdict_selectors import judge_verdicts, verdict_counts


def judge_scores(verdicts, campaign):
    """The scores of `verdicts`: columns item (Item pk), axis (axis key), score, sample, turn (the turn graded,
    1, 2, ...; NaN for a verdict on the whole conversation); one query."""
    whole = Cast(Coalesce("verdict__turn", 0), SmallIntegerField())  # integer_columns reads no NULL: 0 stands in
    rows = VerdictScore.objects.filter(verdict__in=verdicts, verdict__parse_status__in=SCORED_STATUSES).values_list(
        "verdict__item_id", "axis_id", "score", "verdict__sample", whole)
    item, axis, score, sample, turn = integer_columns(rows, (np.int64, np.int64, np.int16, np.int16, np.int16))
    return pd.DataFrame({"item": item, "axis": labels_of(axis, campaign.rubric.axes.all(), "key"),
                         "score": score, "sample": sample, "turn": turns_or_nan(turn)})


def turns_or_nan(turns):
    """Turn numbers as floats, 0 (the whole conversation) as NaN: the leaderboard's `turn` column."""
    return np.where(turns == 0, np.nan, turns.astype(float))


@dataclasses.dataclass(frozen=True)
class ReportInputs:
    """What a human–judge report is computed from, read once (the report page also draws it)."""

    human: pd.DataFrame
    judge: pd.DataFrame
    item_models: pd.Series
    job: str | None
    verdicts_by_status: dict


def report_inputs(campaign, judge, *, ratings=None, item_models=None):
    """Read what the report needs; `ratings` (campaign_ratings) and `item_models` (campaign_item_models)
    when given are used as they are."""
    verdicts, job = judge_verdicts(campaign, judge)
    return ReportInputs(
        # A rater's per-turn scores count as their mean over the item's turns, as a judge's do (meta_eval).
        human=ratings_mean_over_turns(campaign_ratings(campaign) if ratings is None else ratings),
        judge=judge_scores(verdicts, campaign),
        item_models=campaign_item_models(campaign) if item_models is None else item_models,
        job=job,
        verdicts_by_status=verdict_counts(verdicts),
    )
