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

Pairwise votes (pair_checklist_figures) answer each checklist item for each response of the pair: one row per
(vote, checklist item, side) answered, with the columns

    rating          any hashable id of the vote
    checklist_item  as above
    side            "A" or "B" (the item's terms), or "" for an answer that names no side (older pairwise ticks)
    checked         as above
    verdict         the vote's verdict in the item's terms (A, B, tie, both, neither)

An item "tracks the preference" on a vote with an A or B verdict where exactly one response is ticked yes (the
other answered no or left unanswered) when the ticked response is the preferred one.
"""

from collections.abc import Hashable
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from annotation.agreement import Estimate, constant_input_reason

TICK_COLUMNS = ("checklist_item", "checked", "score")
PAIR_COLUMNS = ("rating", "checklist_item", "side", "checked", "verdict")
SIDES = ("A", "B")


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
    _require_columns(ticks, TICK_COLUMNS)
    codes, labels = pd.factorize(ticks["checklist_item"])
    checked = ticks["checked"].to_numpy(dtype=bool)
    score = pd.to_numeric(ticks["score"]).to_numpy(dtype=float)
    return [_item_figures(label, checked[codes == code], score[codes == code], midpoint)
            for code, label in enumerate(labels)]


def _item_figures(label, checked, score, midpoint):
    scored = ~np.isnan(score)
    n_answered = len(checked)
    return ChecklistItemFigures(
        checklist_item=_plain(label),
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


def _require_columns(table, columns):
    missing = [column for column in columns if column not in table.columns]
    if missing:
        raise ValueError(f"ticks table lacks the column(s) {', '.join(missing)}")


def _plain(label):
    return label.item() if isinstance(label, np.generic) else label


@dataclass(frozen=True)
class PairChecklistFigures:
    """One checklist item on pairwise votes: per response (A, B in the item's terms) how many votes answered it
    and ticked it yes; `n_side_unknown` answers that name no side; and `tracks_preference`, the share of the
    `n_preference` decisive votes (an A or B verdict, exactly one response ticked yes) where the ticked
    response is the preferred one."""

    checklist_item: Hashable
    n_answered_a: int
    n_ticked_a: int
    tick_rate_a: float | None
    n_answered_b: int
    n_ticked_b: int
    tick_rate_b: float | None
    n_side_unknown: int
    n_preference: int
    tracks_preference: Estimate

    def as_dict(self) -> dict:
        return asdict(self)


def pair_checklist_figures(answers: pd.DataFrame) -> list[PairChecklistFigures]:
    """Figures for each checklist item of pairwise `answers` (module docstring), in order of first appearance."""
    _require_columns(answers, PAIR_COLUMNS)
    codes, labels = pd.factorize(answers["checklist_item"])
    return [_pair_item_figures(_plain(label), answers[codes == code]) for code, label in enumerate(labels)]


def _pair_item_figures(label, rows):
    side = rows["side"].to_numpy(dtype=object)
    checked = rows["checked"].to_numpy(dtype=bool)
    per_side = {}
    for name in SIDES:
        on_side = checked[side == name]
        per_side[name] = (len(on_side), int(on_side.sum()), float(on_side.mean()) if len(on_side) else None)
    n_preference, share = preference_tracking(rows)
    return PairChecklistFigures(
        label, *per_side["A"], *per_side["B"], n_side_unknown=int((~np.isin(side, SIDES)).sum()),
        n_preference=n_preference, tracks_preference=share,
    )


def preference_tracking(rows: pd.DataFrame) -> tuple[int, Estimate]:
    """(n, share): among the votes of `rows` (one checklist item) with an A or B verdict and exactly one
    response ticked yes, how many there are and the share where the ticked response is the preferred one."""
    yes = rows[rows["checked"].astype(bool) & rows["side"].isin(SIDES)]
    per_vote = yes.groupby("rating", sort=False).agg(n_yes=("side", "size"), side=("side", "first"),
                                                     verdict=("verdict", "first"))
    decisive = per_vote[(per_vote["n_yes"] == 1) & per_vote["verdict"].isin(SIDES)]
    if decisive.empty:
        return 0, Estimate.undefined("no vote for A or B ticks this item yes for exactly one response")
    return len(decisive), Estimate(float((decisive["side"] == decisive["verdict"]).mean()))


# ---------------------------------------------------------------------------------------------------------
# A judge's answers against the humans'

ANSWER_COLUMNS = ("checklist_item", "item", "side", "checked")


@dataclass(frozen=True)
class JudgeChecklistAgreement:
    """One checklist item: how often a judge's answer matches a human's on the same response. Each pair of a
    human answer and a judge answer on the same item and side (the response answered for) counts once:
    `agreement_with_humans` is the share of the `n_pairs` pairs that answer alike. `human_agreement`, the same
    share over pairs of two human answers (`n_human_pairs`), is the humans' own level to compare it with."""

    checklist_item: Hashable
    n_pairs: int
    agreement_with_humans: Estimate
    n_human_pairs: int
    human_agreement: Estimate

    def as_dict(self) -> dict:
        return asdict(self)


def judge_checklist_agreement(human: pd.DataFrame, judge: pd.DataFrame) -> list[JudgeChecklistAgreement]:
    """Per checklist item the judge answered (in order of first appearance), its agreement with the humans'
    answers (JudgeChecklistAgreement). Both tables have one row per answer with the columns checklist_item,
    item (the rated item), side ("A", "B" or "" for a single response) and checked."""
    _require_columns(human, ANSWER_COLUMNS)
    _require_columns(judge, ANSWER_COLUMNS)
    keys = ["checklist_item", "item", "side"]
    human_counts = _yes_no(human, keys)
    judge_counts = _yes_no(judge, keys)
    both = judge_counts.add_suffix("_judge").join(human_counts.add_suffix("_human"), how="inner")
    agreeing = both["yes_judge"] * both["yes_human"] + both["no_judge"] * both["no_human"]
    pairs = (both["yes_judge"] + both["no_judge"]) * (both["yes_human"] + both["no_human"])
    judged = pd.DataFrame({"agreeing": agreeing, "pairs": pairs}).groupby(level=0, sort=False).sum()
    n = human_counts["yes"] + human_counts["no"]
    among = pd.DataFrame({"agreeing": (human_counts["yes"] * (human_counts["yes"] - 1)
                                       + human_counts["no"] * (human_counts["no"] - 1)) // 2,
                          "pairs": n * (n - 1) // 2}).groupby(level=0, sort=False).sum()
    return [_judge_item_agreement(_plain(label), judged, among) for label in pd.unique(judge["checklist_item"])]


def _yes_no(answers, keys):
    checked = answers["checked"].astype(bool)
    counted = answers.assign(yes=checked.astype(int), no=(~checked).astype(int))
    return counted.groupby(keys, sort=False)[["yes", "no"]].sum()


def _judge_item_agreement(label, judged, among):
    def share(table, reason):
        if label not in table.index or not table.loc[label, "pairs"]:
            return 0, Estimate.undefined(reason)
        return int(table.loc[label, "pairs"]), Estimate(float(table.loc[label, "agreeing"] / table.loc[label, "pairs"]))

    n_pairs, agreement = share(judged, "no human answered this item on a response the judge answered it for")
    n_human_pairs, human = share(among, "no two humans answered this item on the same response")
    return JudgeChecklistAgreement(label, n_pairs, agreement, n_human_pairs, human)
