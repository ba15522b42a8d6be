"""How the annotators' checklist ticks behave, per checklist item: how many raters answered it, how often they
ticked it, and how well the tick tracks the rater's own overall score. Pure numpy/pandas, no Django.

Input: a DataFrame of ticks, one row per (rating, checklist item) the annotator answered, with the columns

    checklist_item  any hashable id of the checklist item
    checked         True (ticked) or False (answered "no")
    score           the rater's overall score of the rated response (NaN when the rating has none, or for
                    pairwise votes, whose ticks carry no side)

and the scale's midpoint. A tick "agrees" with the score when it is ticked and the score is at or above the
midpoint, or not ticked and the score is below it. The point-biserial correlation is Pearson's r between the
tick (1/0) and the score. Both use only the rows with a score; an undefined figure is None with a reason.
"""

from collections.abc import Hashable
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from annotation.agreement import Estimate, constant_input_reason

TICK_COLUMNS = ("checklist_item", "checked", "score")


@dataclass(frozen=True)
class ChecklistItemFigures:
    """One checklist item: `n_answered` raters answered it, `n_ticked` ticked it (`tick_rate` of them);
    `n_scored` of the answers come with the rater's overall score, and the two tracking figures rest on those."""

    checklist_item: Hashable
    n_answered: int
    n_ticked: int
    tick_rate: float | None
    n_scored: int
    agreement_with_score: Estimate
    point_biserial: Estimate

    def as_dict(self) -> dict:
        return asdict(self)


def checklist_figures(ticks: pd.DataFrame, midpoint: float | None) -> list[ChecklistItemFigures]:
    """Figures for each checklist item of `ticks` (module docstring), in order of first appearance.
    `midpoint` None (no scores, e.g. a pairwise campaign) leaves the tracking figures undefined."""
    missing = [column for column in TICK_COLUMNS if column not in ticks.columns]
    if missing:
        raise ValueError(f"ticks table lacks the column(s) {', '.join(missing)}")
    codes, labels = pd.factorize(ticks["checklist_item"])
    checked = ticks["checked"].to_numpy(dtype=bool)
    score = pd.to_numeric(ticks["score"]).to_numpy(dtype=float)
    return [_item_figures(label, checked[codes == code], score[codes == code], midpoint)
            for code, label in enumerate(labels)]


def _item_figures(label, checked, score, midpoint):
    scored = ~np.isnan(score)
    n_answered = len(checked)
    return ChecklistItemFigures(
        checklist_item=label.item() if isinstance(label, np.generic) else label,
        n_answered=n_answered, n_ticked=int(checked.sum()),
        tick_rate=float(checked.mean()) if n_answered else None, n_scored=int(scored.sum()),
        agreement_with_score=tick_score_agreement(checked[scored], score[scored], midpoint),
        point_biserial=point_biserial(checked[scored], score[scored]),
    )


def tick_score_agreement(checked: np.ndarray, score: np.ndarray, midpoint: float | None) -> Estimate:
    """Share of answers where the tick matches the score being at or above `midpoint`."""
    if midpoint is None or not len(score):
        return Estimate.undefined("no overall scores with these ticks")
    return Estimate(float(np.mean(checked == (score >= midpoint))))


def point_biserial(checked: np.ndarray, score: np.ndarray) -> Estimate:
    """Pearson's r of the tick (1/0) with the score; undefined for fewer than 3 answers or a constant side."""
    tick = checked.astype(float)
    reason = constant_input_reason(tick, score, "the ticks", "the scores", unit="answers")
    if reason:
        return Estimate.undefined(reason)
    dt, ds = tick - tick.mean(), score - score.mean()
    r = float((dt * ds).sum() / np.sqrt((dt * dt).sum() * (ds * ds).sum()))
    return Estimate(max(-1.0, min(1.0, r)))
