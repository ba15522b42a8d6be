"""A pairwise judge's verdicts made into one vote per item, and its figures against the human votes. Pure
pandas, no Django.

Input: a judge's verdicts table, one row per verdict, with the columns item, order, model_a, model_b, verdict
(in the item's terms), and sample (several samples of one item and order are separate verdicts; a table
without it is taken to list each item's verdicts of one order in sample order); len_a and len_b (the
characters of each response) for the position bias.

A judge that judged an item more than once (in both orders, several samples) gives it one vote: the most
common of those verdicts, a tie when there is no single one (annotation.ranking.item_verdicts). A pair judged
differently in the two orders (one item and sample) counts as a tie, its two verdicts offsetting each other,
or is left out, as `inconsistent` says (judging.position_bias.combine_orders).
"""

from dataclasses import dataclass

import pandas as pd

from annotation import ranking
from judging import position_bias


@dataclass(frozen=True)
class PairwiseJudgeFigures:
    """A pairwise judge against the humans: its verdicts combined across orders, its one vote per item
    (item, model_a, model_b, verdict), its agreement with the human votes and its position bias."""

    combined: position_bias.CombinedVerdicts
    votes: pd.DataFrame
    agreement: ranking.HumanJudgeAgreement
    position_bias: position_bias.PositionBias


def pairwise_judge_figures(human_votes, judge_table, inconsistent=position_bias.DEFAULT_INCONSISTENT):
    """PairwiseJudgeFigures of a judge's verdicts table (module docstring) against the humans' votes (item,
    annotator, verdict)."""
    combined = combined_verdicts(judge_table, inconsistent)
    return PairwiseJudgeFigures(
        combined=combined,
        votes=votes_of(judge_table, combined),
        agreement=ranking.human_judge_agreement(human_votes, combined.table),
        position_bias=position_bias.position_bias(judge_table),
    )


def judge_item_votes(table, inconsistent=position_bias.DEFAULT_INCONSISTENT):
    """One vote per item from a judge's verdicts table: item, model_a, model_b, verdict; the pairs judged in
    both orders combined first (inconsistent ones a tie, or left out)."""
    return votes_of(table, combined_verdicts(table, inconsistent))


def combined_verdicts(table, inconsistent=position_bias.DEFAULT_INCONSISTENT):
    """judging.position_bias.combine_orders of a judge's verdicts table."""
    if "sample" not in table.columns:
        table = table.assign(sample=table.groupby(["item", "order"]).cumcount())
    return position_bias.combine_orders(table, inconsistent)


def votes_of(table, combined):
    """One vote per item of the `combined` verdicts, with the item's models from `table`."""
    verdict, _ = ranking.item_verdicts(combined.table)
    models = table.drop_duplicates("item").set_index("item")[["model_a", "model_b"]]
    return models.join(verdict.rename("verdict"), how="inner").rename_axis("item").reset_index()
