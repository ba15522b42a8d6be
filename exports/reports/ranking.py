"""A pairwise campaign's ranking as JSON, from the human votes and, side by side, from a judge's verdicts,
with the human–judge agreement and the judge's position bias: what `ranking --json` prints and the API
returns.

Which judge verdicts count: judging.ranking_selectors.pairwise_judge_inputs (its latest job's or its imported
scored verdicts); a judge's verdicts on one item make one vote (judging.pair_votes).
"""

from annotation import ranking
from annotation.errors import HyokaError
from annotation.ranking_selectors import campaign_models, campaign_votes
from annotation.scored_verdicts import failed_count
from judging.pair_votes import pairwise_judge_figures
from judging.ranking_selectors import pairwise_judge_inputs


def campaign_ranking(campaign, judge=None, *, neither=ranking.DEFAULT_NEITHER, replicates=ranking.DEFAULT_REPLICATES,
                     seed=ranking.DEFAULT_SEED, inconsistent=None):
    """The ranking report of a pairwise campaign: "meta" (the run's parameters and counts), "humans"
    (annotation.ranking.Ranking as a dict), and with `judge` (a JudgeConfig) "judge" (the same from its
    verdicts), "agreement" (HumanJudgeAgreement as a dict) and "position_bias" (judging.position_bias.
    PositionBias as a dict). `inconsistent` ("tie" or "drop") overrides the judge's setting for pairs judged
    differently in the two orders. A HyokaError when there is nothing to rank."""
    options = {"neither": neither, "replicates": replicates, "seed": seed}
    human = campaign_votes(campaign)
    models = campaign_models(campaign)
    meta = {"campaign": campaign.slug, "rubric": campaign.rubric.key, "verdicts": list(campaign.rubric.verdicts),
            "neither": neither, "replicates": replicates, "confidence": ranking.DEFAULT_CONFIDENCE, "seed": seed,
            "prior": ranking.DEFAULT_PRIOR, "n_human_votes": len(human), "judge": None}
    report = {"meta": meta, "humans": ranking_of(human, models, options)}
    if judge is None:
        if human.empty:
            raise HyokaError(f"campaign {campaign.slug} has no pairwise votes yet")
        return report
    inputs, figures = pairwise_judge(campaign, judge, human, inconsistent)
    meta.update(judge_meta(judge, inputs, figures))
    report["judge"] = ranking_of(figures.votes, models, options)
    report["agreement"] = figures.agreement.as_dict()
    report["position_bias"] = figures.position_bias.as_dict()
    return report


def ranking_of(votes, models, options):
    """annotation.ranking.ranking of a votes table (its model_a, model_b and verdict columns) as a dict."""
    return ranking.ranking(votes[["model_a", "model_b", "verdict"]], models=models, **options).as_dict()


def pairwise_judge(campaign, judge, human, inconsistent=None):
    """The judge's verdicts (judging.ranking_selectors.PairwiseJudgeInputs) and its figures against the
    `human` votes (judging.pair_votes.PairwiseJudgeFigures); a HyokaError when it has no pairwise verdicts
    in the campaign."""
    inputs = pairwise_judge_inputs(campaign, judge)
    if inputs.table.empty:
        failed = failed_count(inputs.verdicts_by_status)
        detail = f" ({failed} verdicts failed)" if failed else ""
        raise HyokaError(f"judge {judge.name} has no pairwise verdicts in campaign {campaign.slug}{detail}")
    return inputs, pairwise_judge_figures(human, inputs.table, inconsistent or judge.inconsistent)


def judge_meta(judge, inputs, figures):
    """What the reports say about a pairwise judge's verdicts."""
    combined = figures.combined
    return {"judge": judge.name, "judge_external": judge.is_external, "job": inputs.job,
            "n_judge_verdicts": len(inputs.table), "n_judge_items": len(figures.votes),
            "verdicts_by_status": inputs.verdicts_by_status, "inconsistent": combined.inconsistent,
            "n_pairs_both_orders": combined.n_pairs, "n_inconsistent_pairs": combined.n_inconsistent,
            "n_dropped_pairs": combined.n_dropped}
