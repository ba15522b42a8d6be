"""A campaign's checklist ticks read from the database as the tables of exports.checklist_stats (the checklist
report, exports.reports.checklists, is built from them).

The rater's score a tick is compared with is their score on the rubric's `overall` axis, or for a rubric
without one the mean of their scores; the midpoint is that axis's (min + max) / 2 (the mean of the axes'
midpoints without one). A rubric without axes (pairwise verdicts) gives no score.
"""

import numpy as np
import pandas as pd

from annotation.models import RatingCheck, RatingScore

OVERALL_AXIS = "overall"


def campaign_ticks(campaign):
    """The campaign's ticks (columns rating, checklist_item, side, checked, verdict, score), the scale's midpoint
    and what the score is ("overall", "mean of the axes"); both None, and the scores NaN, for a rubric without
    axes."""
    rows = (RatingCheck.objects.filter(rating__item__campaign=campaign)
            .order_by("checklist_item__prompt_id", "checklist_item__position", "rating_id", "side")
            .values_list("rating_id", "checklist_item_id", "side", "checked", "rating__verdict"))
    ticks = pd.DataFrame(list(rows), columns=["rating", "checklist_item", "side", "checked", "verdict"])
    axes = list(campaign.rubric.axes.all())
    if not axes:
        return ticks.assign(score=np.nan), None, None
    overall = [axis for axis in axes if axis.key == OVERALL_AXIS]
    used = overall or axes
    scores = RatingScore.objects.filter(rating__item__campaign=campaign, axis__in=used).values_list("rating_id", "score")
    mean = pd.DataFrame(list(scores), columns=["rating", "score"]).groupby("rating")["score"].mean()
    midpoint = float(np.mean([(axis.min_score + axis.max_score) / 2 for axis in used]))
    source = OVERALL_AXIS if overall else "mean of the axes"
    return ticks.assign(score=ticks["rating"].map(mean).astype(float)), midpoint, source
