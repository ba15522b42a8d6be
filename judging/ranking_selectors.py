"""A pairwise campaign's ranking as JSON, from the human votes and, side by side, from a judge's verdicts,
with the human–judge agreement: what ``ranking --json`` prints.

Which judge verdicts count: those with a verdict of the judge's latest job with verdicts in the campaign, or
its imported ones (judging.meta_eval_selectors.judge_verdicts); failures have none and are only counted.
A judge that judged an item more than once (in both orders, several samples) gives it one vote: the most
common of its verdicts there, a tie when there is no single one (annotation.ranking.item_verdicts).
"""

import pandas as pd

from annotation import ranking
from annotation.errors import HyokaError
from annotation.ranking_selectors import campaign_models, campaign_votes, ranking_of
from judging.meta_eval_selectors import judge_verdicts, verdict_counts
from judging.models import Verdict

JUDGE_TABLE_COLUMNS = ("item", "order", "model_a", "model_b", "verdict")


def judge_pair_verdicts(verdicts):
    """The pairwise verdicts among `verdicts` (a Verdict queryset): columns item, order, model_a, model_b,
    verdict, in the item's terms."""
    rows = verdicts.filter(parse_status__in=Verdict.SCORED, item__response_b__isnull=False).exclude(verdict="")
    rows = rows.values_list("item_id", "order", "item__response__model__name", "item__response_b__model__name",
                            "verdict")
    return pd.DataFrame(list(rows), columns=JUDGE_TABLE_COLUMNS)


def judge_item_votes(table):
    """One vote per item from a judge's verdicts table: item, model_a, model_b, verdict."""
    verdict, _ = ranking.item_verdicts(table)
    models = table.drop_duplicates("item").set_index("item")[["model_a", "model_b"]]
    return models.join(verdict.rename("verdict"), how="inner").rename_axis("item").reset_index()


def campaign_ranking(campaign, judge=None, *, neither=ranking.DEFAULT_NEITHER, replicates=ranking.DEFAULT_REPLICATES,
                     seed=ranking.DEFAULT_SEED):
    """The ranking report of a pairwise campaign as one JSON-ready dict: "meta" (the run's parameters and
    counts), "humans" (annotation.ranking.Ranking as a dict), and with `judge` (a JudgeConfig) "judge" (the
    same from its verdicts) and "agreement" (HumanJudgeAgreement as a dict). A HyokaError when there is
    nothing to rank."""
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
    verdicts, job = judge_verdicts(campaign, judge)
    table = judge_pair_verdicts(verdicts)
    counts = verdict_counts(verdicts)
    if table.empty:
        failed = sum(n for status, n in counts.items() if status not in Verdict.SCORED)
        detail = f" ({failed} verdicts failed)" if failed else ""
        raise HyokaError(f"judge {judge.name} has no pairwise verdicts in campaign {campaign.slug}{detail}")
    votes = judge_item_votes(table)
    meta.update(judge=judge.name, judge_external=judge.is_external, job=job, n_judge_verdicts=len(table),
                n_judge_items=len(votes), verdicts_by_status=counts)
    report["judge"] = ranking_of(votes, models, options)
    report["agreement"] = ranking.human_judge_agreement(human, table).as_dict()
    return report
