"""A pairwise campaign's ranking as JSON, from the human votes and, side by side, from a judge's verdicts,
with the human–judge agreement and the judge's position bias: what ``ranking --json`` prints; and the
pairwise part of ``meta_eval``.

Which judge verdicts count: those with a verdict of the judge's latest job with verdicts in the campaign, or
its imported ones (judging.meta_eval_selectors.judge_verdicts); failures have none and are only counted.
A judge that judged an item more than once (in both orders, several samples) gives it one vote: the most
common of those verdicts, a tie when there is no single one (annotation.ranking.item_verdicts). A pair
judged differently in the two orders (one item and sample) counts as a tie, its two verdicts offsetting
each other, or is left out, as the judge config's ``inconsistent`` setting (or the caller) says
(judging.position_bias.combine_orders).
"""

import pandas as pd

from annotation import ranking
from annotation.errors import HyokaError
from annotation.models import Item
from annotation.ranking_selectors import campaign_models, campaign_votes, ranking_of
from judging import position_bias
from judging.meta_eval_selectors import judge_verdicts, verdict_counts
from judging.models import Verdict

JUDGE_TABLE_COLUMNS = ("item", "sample", "order", "model_a", "model_b", "verdict")


def judge_pair_verdicts(verdicts):
    """The pairwise verdicts among `verdicts` (a Verdict queryset): columns item, sample, order, model_a,
    model_b, verdict (in the item's terms), len_a and len_b (the characters of each response, all turns)."""
    rows = verdicts.filter(parse_status__in=Verdict.SCORED, item__response_b__isnull=False).exclude(verdict="")
    rows = rows.values_list("item_id", "sample", "order", "item__response__model__name",
                            "item__response_b__model__name", "verdict")
    table = pd.DataFrame(list(rows), columns=JUDGE_TABLE_COLUMNS)
    lengths = item_lengths(table["item"].unique().tolist())
    table["len_a"] = table["item"].map(lambda item: lengths[item][0]).astype("int64")
    table["len_b"] = table["item"].map(lambda item: lengths[item][1]).astype("int64")
    return table


def item_lengths(item_ids):
    """{item id: (characters of item.response, of item.response_b)}, summed over turns."""
    lengths = {}
    for start in range(0, len(item_ids), 2000):
        rows = Item.objects.filter(id__in=item_ids[start:start + 2000]).values_list(
            "id", "response__turns", "response_b__turns")
        lengths.update({item: (_characters(a), _characters(b)) for item, a, b in rows})
    return lengths


def _characters(turns):
    return sum(len(turn) for turn in turns or ())


def judge_item_votes(table, inconsistent=position_bias.DEFAULT_INCONSISTENT):
    """One vote per item from a judge's verdicts table (item, order, model_a, model_b, verdict, and sample):
    item, model_a, model_b, verdict; the pairs judged in both orders combined first (inconsistent ones a
    tie, or left out)."""
    return votes_of(table, combined_verdicts(table, inconsistent))


def combined_verdicts(table, inconsistent=position_bias.DEFAULT_INCONSISTENT):
    """judging.position_bias.combine_orders of a judge's verdicts table. A table without a sample column is
    taken to list each item's verdicts of one order in sample order."""
    if "sample" not in table.columns:
        table = table.assign(sample=table.groupby(["item", "order"]).cumcount())
    return position_bias.combine_orders(table, inconsistent)


def votes_of(table, combined):
    verdict, _ = ranking.item_verdicts(combined.table)
    models = table.drop_duplicates("item").set_index("item")[["model_a", "model_b"]]
    return models.join(verdict.rename("verdict"), how="inner").rename_axis("item").reset_index()


def judge_pairwise_inputs(campaign, judge, inconsistent=None):
    """The judge's verdicts table, its counts by status and job, and the verdicts combined across orders."""
    verdicts, job = judge_verdicts(campaign, judge)
    table = judge_pair_verdicts(verdicts)
    counts = verdict_counts(verdicts)
    if table.empty:
        failed = sum(n for status, n in counts.items() if status not in Verdict.SCORED)
        detail = f" ({failed} verdicts failed)" if failed else ""
        raise HyokaError(f"judge {judge.name} has no pairwise verdicts in campaign {campaign.slug}{detail}")
    combined = combined_verdicts(table, inconsistent or judge.inconsistent)
    return table, counts, job, votes_of(table, combined), combined


def judge_meta(judge, job, table, votes, counts, combined):
    """What the JSON reports say about a pairwise judge's verdicts."""
    return {"judge": judge.name, "judge_external": judge.is_external, "job": job, "n_judge_verdicts": len(table),
            "n_judge_items": len(votes), "verdicts_by_status": counts, "inconsistent": combined.inconsistent,
            "n_pairs_both_orders": combined.n_pairs, "n_inconsistent_pairs": combined.n_inconsistent,
            "n_dropped_pairs": combined.n_dropped}


def campaign_ranking(campaign, judge=None, *, neither=ranking.DEFAULT_NEITHER, replicates=ranking.DEFAULT_REPLICATES,
                     seed=ranking.DEFAULT_SEED, inconsistent=None):
    """The ranking report of a pairwise campaign as one JSON-ready dict: "meta" (the run's parameters and
    counts), "humans" (annotation.ranking.Ranking as a dict), and with `judge` (a JudgeConfig) "judge" (the
    same from its verdicts), "agreement" (HumanJudgeAgreement as a dict) and "position_bias"
    (judging.position_bias.PositionBias as a dict). `inconsistent` ("tie" or "drop") overrides the judge's
    setting for pairs judged differently in the two orders. A HyokaError when there is nothing to rank."""
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
    table, counts, job, votes, combined = judge_pairwise_inputs(campaign, judge, inconsistent)
    meta.update(judge_meta(judge, job, table, votes, counts, combined))
    report["judge"] = ranking_of(votes, models, options)
    report["agreement"] = ranking.human_judge_agreement(human, combined.table).as_dict()
    report["position_bias"] = position_bias.position_bias(table).as_dict()
    return report


def campaign_pairwise_meta_eval(campaign, judge, *, inconsistent=None):
    """A pairwise judge against the human votes as one JSON-ready dict: "meta" (counts, the inconsistency
    setting, and "reason": why nothing could be compared, or None), "agreement" (annotation.ranking's
    HumanJudgeAgreement: with each vote and with the majority, with and without ties, Cohen's kappa) and
    "position_bias". A HyokaError when the judge has no pairwise verdicts in the campaign."""
    human = campaign_votes(campaign)
    table, counts, job, votes, combined = judge_pairwise_inputs(campaign, judge, inconsistent)
    agreement = ranking.human_judge_agreement(human, combined.table)
    meta = {"campaign": campaign.slug, "rubric": campaign.rubric.key, "kind": campaign.rubric.kind,
            "verdicts": list(campaign.rubric.verdicts), "n_human_votes": len(human),
            **judge_meta(judge, job, table, votes, counts, combined)}
    if human.empty:
        meta["reason"] = f"campaign {campaign.slug} has no pairwise votes yet"
    elif not agreement.n_items:
        meta["reason"] = f"judge {judge.name} judged none of the items the humans voted on in campaign {campaign.slug}"
    else:
        meta["reason"] = None
    return {"meta": meta, "agreement": agreement.as_dict(),
            "position_bias": position_bias.position_bias(table).as_dict()}
