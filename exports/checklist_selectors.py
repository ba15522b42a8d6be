"""A campaign's checklist ticks read from the database as the tables of exports.checklist_stats (the checklist
report, exports.reports.checklists, is built from them): the raters' ticks, and a judge's answers (those of
the verdicts its reports rest on, judging.verdict_selectors, and of those the scored ones).

The score a tick is compared with is the rater's (or the judge verdict's) score on the rubric's `overall` axis,
or for a rubric without one the mean of their scores; the midpoint is that axis's (min + max) / 2 (the mean of
the axes' midpoints without one). A rubric without axes (pairwise verdicts) gives no score.
"""

import numpy as np
import pandas as pd

from annotation.models import RatingCheck, RatingScore
from annotation.scored_verdicts import SCORED_STATUSES
from annotation.quality_items import counted
from judging.models import VerdictCheck, VerdictScore
from judging.verdict_selectors import judge_verdicts

OVERALL_AXIS = "overall"
TICK_COLUMNS = ["rating", "checklist_item", "side", "checked", "verdict", "item"]


def campaign_ticks(campaign):
    """The campaign's ticks (columns rating, checklist_item, side, checked, verdict, item, score), the scale's
    midpoint and what the score is ("overall", "mean of the axes"); both None, and the scores NaN, for a rubric
    without axes."""
    rows = (RatingCheck.objects.filter(counted("rating__item__"), rating__item__campaign=campaign)
            .order_by("checklist_item__prompt_id", "checklist_item__position", "rating_id", "side")
            .values_list("rating_id", "checklist_item_id", "side", "checked", "rating__verdict", "rating__item_id"))
    ticks = pd.DataFrame(list(rows), columns=TICK_COLUMNS)
    # The ticks are tracked against scores of the whole conversation (per-turn scores are left out).
    return _with_scores(ticks, campaign, RatingScore.objects.filter(counted("rating__item__"), rating__item__campaign=campaign,
                                                                    turn__isnull=True), "rating_id")


def judge_ticks(campaign, judge):
    """The answers of `judge` (a JudgeConfig) to the checklists in the campaign, as campaign_ticks gives the
    raters': one row per answer of a scored verdict, `rating` being the verdict; and the public id of its job."""
    verdicts, job = judge_verdicts(campaign, judge)
    scored = verdicts.filter(parse_status__in=SCORED_STATUSES)
    rows = (VerdictCheck.objects.filter(verdict__in=scored)
            .order_by("checklist_item__prompt_id", "checklist_item__position", "verdict_id", "side")
            .values_list("verdict_id", "checklist_item_id", "side", "checked", "verdict__verdict", "verdict__item_id"))
    ticks = pd.DataFrame(list(rows), columns=TICK_COLUMNS)
    return (*_with_scores(ticks, campaign, VerdictScore.objects.filter(verdict__in=scored), "verdict_id"), job)


def judges_with_checks(campaign):
    """Names of the judges that answered checklists in the campaign, in name order."""
    return list(VerdictCheck.objects.filter(verdict__item__campaign=campaign).order_by("verdict__judge__name")
                .values_list("verdict__judge__name", flat=True).distinct())


def _with_scores(ticks, campaign, scores, judgment_field):
    axes = list(campaign.rubric.axes.all())
    if not axes:
        return ticks.assign(score=np.nan), None, None
    overall = [axis for axis in axes if axis.key == OVERALL_AXIS]
    used = overall or axes
    rows = scores.filter(axis__in=used).values_list(judgment_field, "score")
    mean = pd.DataFrame(list(rows), columns=["rating", "score"]).groupby("rating")["score"].mean()
    midpoint = float(np.mean([(axis.min_score + axis.max_score) / 2 for axis in used]))
    source = OVERALL_AXIS if overall else "mean of the axes"
    return ticks.assign(score=ticks["rating"].map(mean).astype(float)), midpoint, source
