"""The QC report of a campaign (the QC page, ``/api/campaigns/<slug>/qc/`` and ``qc``): the campaign's answers
read as integer arrays (one streamed query on PostgreSQL, as the agreement reads them) and handed to
annotation.quality, with each annotator's gold standing (annotation.quality_gates)."""

import numpy as np
import pandas as pd
from django.db.models import Count

from annotation import quality
from annotation.agreement_selectors import integer_columns
from annotation.models import Annotator, GoldAnswer, Item, Rating, RatingScore
from annotation.quality_gates import misses_forgiven, standing_of
from annotation.rubric_axes import rubric_axes
from annotation.verdict_options import PAIRWISE_VERDICTS

VERDICT_CODES = {verdict: code for code, verdict in enumerate(PAIRWISE_VERDICTS)}


def campaign_qc_report(campaign):
    """A dict: the campaign's quality-control items and, per annotator, the attention test, gold accuracy,
    score spread and MACE competence, with the flags and gold standing the lead acts on."""
    axes = list(rubric_axes(campaign.rubric))
    answers, handles = _answers(campaign, axes)
    copies, originals = _attention_copies(campaign)
    results = quality.reliability(answers, copies, originals, _gold_keys(campaign, axes, len(axes)),
                                  n_annotators=len(handles))
    forgiven = misses_forgiven(campaign)
    rows = [_annotator_row(handles[result.annotator], result,
                           standing_of(campaign, result.gold.items, result.gold.items_missed,
                                       forgiven.get(handles[result.annotator], 0)))
            for result in results]
    return {
        "campaign": campaign.slug,
        "items": _item_counts(campaign),
        "rules": {"alpha": quality.ALPHA, "min_pairs": quality.MIN_PAIRS, "gold_share": campaign.gold_share,
                  "warn_after": campaign.gold_warn_after, "pause_after": campaign.gold_pause_after},
        "annotators": sorted(rows, key=lambda row: (-len(row["flags"]), row["annotator"])),
    }


def _answers(campaign, axes):
    """The campaign's scores and verdicts as quality.Answers, and the handle of each annotator code."""
    axis_codes = {axis.pk: code for code, axis in enumerate(axes)}
    item, annotator_id, axis_id, score = integer_columns(
        # Gold answers score the whole conversation: per-turn scores are not compared with them.
        RatingScore.objects.filter(rating__item__campaign=campaign, turn__isnull=True).values_list(
            "rating__item_id", "rating__annotator_id", "axis_id", "score"),
        (np.int64, np.int64, np.int64, np.int16))
    verdicts = list(Rating.objects.filter(item__campaign=campaign).exclude(verdict="")
                    .values_list("item_id", "annotator_id", "verdict"))
    v_item, v_annotator, v_value = (np.array(column, dtype=np.int64) for column in (zip(*verdicts) if verdicts
                                                                                  else ([], [], [])))
    if len(verdicts):
        v_value = np.array([VERDICT_CODES[verdict] for _, _, verdict in verdicts], dtype=np.int64)
    codes, ids = pd.factorize(np.concatenate([annotator_id, v_annotator]))
    present = np.unique(axis_id)
    axis = np.array([axis_codes[pk] for pk in present.tolist()], dtype=np.int64)[
        np.searchsorted(present, axis_id)] if len(axis_id) else np.zeros(0, dtype=np.int64)
    answers = quality.Answers(
        item=np.concatenate([item, v_item]), annotator=codes.astype(np.int64),
        axis=np.concatenate([axis, np.full(len(v_item), len(axes), dtype=np.int64)]),
        value=np.concatenate([score.astype(np.int64), v_value]), verdict_axis=len(axes),
        scored=np.concatenate([np.ones(len(item), dtype=bool), np.zeros(len(v_item), dtype=bool)]),
    )
    names = dict(Annotator.objects.filter(pk__in=ids.tolist()).values_list("pk", "handle"))
    return answers, [names[pk] for pk in ids.tolist()]


def _attention_copies(campaign):
    rows = list(Item.objects.filter(campaign=campaign, quality_role=Item.QualityRole.ATTENTION)
                .values_list("id", "original_id"))
    return (np.array([row[0] for row in rows], dtype=np.int64), np.array([row[1] for row in rows], dtype=np.int64))


def _gold_keys(campaign, axes, verdict_axis):
    """The known answers of every gold item of the campaign, its copies' included (they share their original's)."""
    axis_codes = {axis.key: code for code, axis in enumerate(axes)}
    answers = {item: (scores, tolerance, verdict) for item, scores, tolerance, verdict in GoldAnswer.objects.filter(
        item__campaign=campaign).values_list("item_id", "scores", "tolerance", "verdict")}
    keys = []
    for pk, original in Item.objects.filter(campaign=campaign, quality_role=Item.QualityRole.GOLD).values_list(
            "id", "original_id"):
        scores, tolerance, verdict = answers.get(original or pk, ({}, 0, ""))
        keys += [(pk, axis_codes[key], score, tolerance) for key, score in scores.items() if key in axis_codes]
        if verdict:
            keys.append((pk, verdict_axis, VERDICT_CODES[verdict], 0))
    columns = list(zip(*keys)) if keys else ([], [], [], [])
    return quality.GoldKeys(*(np.array(column, dtype=np.int64) for column in columns))


def _item_counts(campaign):
    counts = dict(Item.objects.filter(campaign=campaign).values("quality_role").annotate(n=Count("id"))
                  .values_list("quality_role", "n"))
    return {"ordinary": counts.get("", 0), "gold": counts.get("gold", 0), "attention": counts.get("attention", 0)}


def _annotator_row(handle, result, standing):
    attention, gold, spread = result.attention, result.gold, result.spread
    flags = []
    if attention.flagged:
        flags.append("attention")
    if standing.warned:
        flags.append("gold_paused" if standing.paused else "gold_warning")
    if spread.sd == 0 and spread.scores >= quality.MIN_PAIRS:
        flags.append("no_spread")
    return {
        "annotator": handle, "answers": result.answers,
        "attention": {"pairs": attention.pairs, "u": attention.u, "p_value": attention.p_value},
        "gold": {"answers": gold.answers, "exact": gold.exact, "within_tolerance": gold.within_tolerance,
                 "misses": gold.misses, "items": gold.items, "items_missed": gold.items_missed},
        "scores": {"n": spread.scores, "mean": spread.mean, "sd": spread.sd, "z_gap": spread.z_gap},
        "competence": result.competence,
        "paused": standing.paused, "flags": flags,
    }

