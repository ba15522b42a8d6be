"""Agreement among a campaign's annotators as JSON: what `agreement --json` prints and the API returns.

Both kinds' reports are {"meta": the run's parameters and counts, "reason" (why nothing could be computed,
or None) and "raters_per_item" (the real number of distinct raters per item, imported raters included:
least, median, most, and how many items have each count), ...the figures}. A likert campaign's "meta" also
holds "tiers": per annotator tier its mean and alpha per axis, and tier against tier (exports.tier_stats).
"""

import dataclasses

from annotation import agreement
from annotation.agreement_selectors import (
    annotator_tiers, axis_keys_with_turns, campaign_ratings, campaign_verdict_votes, ratings_per_turn_as_axes,
    rubric_axis_keys,
)
from annotation.models import Annotator
from annotation.errors import HyokaError
from annotation.selectors import campaign_rater_counts
from exports import tier_stats


def likert_agreement(campaign, *, level=None, replicates=agreement.DEFAULT_REPLICATES, seed=agreement.DEFAULT_SEED,
                     normalise=False, ratings=None):
    """The agreement report of a likert campaign: "meta", then one entry per axis key (every axis of the
    rubric, in rubric order; an axis nobody scored has counts 0 and every statistic undefined with its
    reason). Pass `ratings` (campaign_ratings) when already read. `level` None is the default (ordinal)."""
    level = level or agreement.DEFAULT_LEVEL
    # Per-turn scores (a campaign that scores each turn) are agreed on per axis and turn: "relevance (turn 1)".
    ratings = campaign_ratings(campaign) if ratings is None else ratings
    keys = axis_keys_with_turns(rubric_axis_keys(campaign), ratings)
    ratings = ratings_per_turn_as_axes(ratings)
    report = agreement.agreement_report(ratings, level=level, replicates=replicates, seed=seed, normalise=normalise)
    computed = {axis.axis: axis for axis in report.axes}
    meta = {
        "campaign": campaign.slug, "rubric": campaign.rubric.key, "level": report.level,
        "normalised": report.normalised, "replicates": report.replicates, "confidence": report.confidence,
        "seed": report.seed, "min_common_items": report.min_common_items, "n_items": report.n_items,
        "n_scores": len(ratings), "n_annotators": int(ratings["annotator"].nunique()),
        "reason": ratings_reason(campaign, ratings), "raters_per_item": raters_per_item(campaign),
        "tiers": tier_figures(ratings, level=level, replicates=replicates, seed=seed),
    }
    axes = {key: computed.get(key) or agreement.unscored_axis_agreement(key, level=level) for key in keys}
    return {"meta": meta, **{key: dataclasses.asdict(axis) for key, axis in axes.items()}}


def tier_figures(ratings, *, level, replicates, seed, tiers=None):
    """Per annotator tier the mean and alpha per axis, and tier against tier (exports.tier_stats), as a dict
    with "reason" (why there are none: every annotator is of one tier, or no ratings). `tiers` ({annotator as
    `ratings` names them: tier}) are read here by handle when not given."""
    if tiers is None:
        tiers = annotator_tiers(ratings["annotator"].unique().tolist()) if len(ratings) else {}
    else:
        tiers = {name: tiers[name] for name in ratings["annotator"].unique().tolist()}
    if len(set(tiers.values())) < 2:
        # One tier's figures would repeat the campaign's: they are not computed twice.
        return {"tiers": [], "pairs": [], "reason": "the annotators are all of one tier" if tiers else "no ratings"}
    report = tier_stats.tier_report(ratings, tiers, order=Annotator.Tier.values, level=level, replicates=replicates,
                                    seed=seed)
    return {**report.as_dict(), "reason": None}


def ratings_reason(campaign, ratings):
    """Why no agreement can be computed on `ratings` at all, or None."""
    if not len(ratings):
        return f"campaign {campaign.slug} has no ratings yet"
    if ratings["annotator"].nunique() < 2:
        return f"only one annotator has rated in campaign {campaign.slug}: agreement needs two or more"
    return None


def verdict_agreement(campaign, *, level=None, replicates=agreement.DEFAULT_REPLICATES, seed=agreement.DEFAULT_SEED,
                      normalise=False, votes=None):
    """The agreement report of a pairwise campaign: "meta" (with "kind" and "verdicts") and "verdict"
    (annotation.agreement.VerdictAgreement as a dict). Its verdicts are categories: `level` must be None or
    nominal, and `normalise` False. Pass `votes` (campaign_verdict_votes) when already read."""
    check_verdict_options(campaign, level, normalise)
    votes = campaign_verdict_votes(campaign) if votes is None else votes
    verdicts = list(campaign.rubric.verdicts)
    report = agreement.verdict_agreement(votes, verdicts, replicates=replicates, seed=seed)
    meta = {
        "campaign": campaign.slug, "rubric": campaign.rubric.key, "kind": campaign.rubric.kind,
        "verdicts": verdicts, "level": report.level, "normalised": False, "replicates": replicates,
        "confidence": report.confidence, "seed": seed, "n_items": report.n_items, "n_votes": report.n_votes,
        "n_annotators": report.n_annotators, "reason": votes_reason(campaign, votes),
        "raters_per_item": raters_per_item(campaign),
    }
    return {"meta": meta, agreement.VERDICT_AXIS: report.as_dict()}


def check_verdict_options(campaign, level, normalise):
    if level not in (None, "nominal"):
        raise HyokaError(f"campaign {campaign.slug} compares pairs: its verdicts are categories, so alpha is "
                         f"nominal (not {level})")
    if normalise:
        raise HyokaError(f"campaign {campaign.slug} compares pairs: verdicts cannot be normalised")


def votes_reason(campaign, votes):
    """Why no agreement can be computed on pairwise `votes` at all, or None."""
    if not len(votes):
        return f"campaign {campaign.slug} has no pairwise votes yet"
    if votes["annotator"].nunique() < 2:
        return f"only one annotator has voted in campaign {campaign.slug}: agreement needs two or more"
    return None


def raters_per_item(campaign):
    """The real number of distinct raters per item (annotation.rater_counts.RaterCounts as a dict), never the
    configured overlap: imported raters hold no slots, and items still being rated have fewer."""
    return campaign_rater_counts([campaign.pk]).as_dict()
