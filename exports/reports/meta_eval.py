"""A judge against a campaign's human raters as JSON: what `meta_eval --json` prints and the API returns.

Which verdicts count: judging.verdict_selectors.judge_verdicts, and of those the scored ones
(annotation.scored_verdicts); failed ones are only counted, in meta.verdicts_by_status.
"""

import dataclasses

from annotation import agreement
from annotation.agreement_selectors import rubric_axis_keys
from annotation.ranking_selectors import campaign_votes
from annotation.scored_verdicts import failed_count
from exports.reports.leaderboard import safety_axis_keys
from exports.reports.ranking import judge_meta, pairwise_judge
from judging import meta_eval
from judging.meta_eval_selectors import report_inputs


def likert_meta_eval(campaign, judge, *, level=agreement.DEFAULT_LEVEL, replicates=agreement.DEFAULT_REPLICATES,
                     seed=agreement.DEFAULT_SEED, inconsistent=None, inputs=None):
    """The human–judge report of `judge` (a JudgeConfig) on a likert campaign: "meta" (the run's parameters
    and counts, and "reason": why nothing could be computed, or None), then one entry per axis key (every
    axis of the rubric, in rubric order; an axis the humans did not score is {"axis": key, "reason": why}).
    Axes whose key starts with "safety" also get the useful-response and violation rates. Pass `inputs`
    (judging.meta_eval_selectors.report_inputs) when already read. `inconsistent` is for pairs; unused."""
    inputs = inputs or report_inputs(campaign, judge)
    keys = rubric_axis_keys(campaign)
    report = meta_eval.meta_eval_report(
        inputs.human, inputs.judge, inputs.item_models, judge_name=judge.name, level=level,
        replicates=replicates, seed=seed, safety_axes=safety_axis_keys(keys),
    )
    computed = {axis.axis: dataclasses.asdict(axis) for axis in report.axes}
    meta = {
        "campaign": campaign.slug, "rubric": campaign.rubric.key, "judge": judge.name,
        "judge_external": judge.is_external, "job": inputs.job, "level": report.level,
        "replicates": report.replicates, "confidence": report.confidence, "seed": report.seed,
        "n_human_scores": len(inputs.human), "n_judge_scores": len(inputs.judge),
        "verdicts_by_status": inputs.verdicts_by_status,
        "reason": judge_reason(campaign, judge, inputs),
    }
    return {"meta": meta, **{key: computed.get(key) or {"axis": key, "reason": "no human scores on this axis"}
                             for key in keys}}


def judge_reason(campaign, judge, inputs):
    """Why the judge cannot be compared with the humans at all, or None."""
    if not len(inputs.human):
        return f"campaign {campaign.slug} has no ratings yet"
    if not len(inputs.judge):
        failed = failed_count(inputs.verdicts_by_status)
        detail = f" ({failed} verdicts failed and have no scores)" if failed else ""
        return f"judge {judge.name} has no scores in campaign {campaign.slug}{detail}"
    if not inputs.judge["item"].isin(inputs.human["item"]).any():
        return f"judge {judge.name} scored none of the items the humans rated in campaign {campaign.slug}"
    return None


def pairwise_meta_eval(campaign, judge, *, level=None, replicates=None, seed=None, inconsistent=None):
    """A pairwise judge against the human votes: "meta" (counts, the inconsistency setting, and "reason": why
    nothing could be compared, or None), "agreement" (annotation.ranking.HumanJudgeAgreement: with each vote
    and with the majority, with and without ties, Cohen's kappa) and "position_bias". `inconsistent` overrides
    the judge's setting for pairs judged differently in the two orders; level, replicates and seed do not
    apply. A HyokaError when the judge has no pairwise verdicts in the campaign."""
    human = campaign_votes(campaign)
    inputs, figures = pairwise_judge(campaign, judge, human, inconsistent)
    meta = {"campaign": campaign.slug, "rubric": campaign.rubric.key, "kind": campaign.rubric.kind,
            "verdicts": list(campaign.rubric.verdicts), "n_human_votes": len(human),
            **judge_meta(judge, inputs, figures)}
    if human.empty:
        meta["reason"] = f"campaign {campaign.slug} has no pairwise votes yet"
    elif not figures.agreement.n_items:
        meta["reason"] = f"judge {judge.name} judged none of the items the humans voted on in campaign {campaign.slug}"
    else:
        meta["reason"] = None
    return {"meta": meta, "agreement": figures.agreement.as_dict(), "position_bias": figures.position_bias.as_dict()}
