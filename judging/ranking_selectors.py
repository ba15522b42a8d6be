"""A pairwise judge's verdicts read from the database as the verdicts table of judging.pair_votes and
judging.position_bias (exports.reports.ranking builds the ranking and the human–judge report from them).

Which verdicts count: judging.verdict_selectors.judge_verdicts, and of those the scored ones with a verdict
(annotation.scored_verdicts); failures have none and are only counted.
"""

import dataclasses

import pandas as pd

from annotation.models import Item
from annotation.scored_verdicts import SCORED_STATUSES
from judging.verdict_selectors import judge_verdicts, verdict_counts

JUDGE_TABLE_COLUMNS = ("item", "sample", "order", "model_a", "model_b", "verdict")


def judge_pair_verdicts(verdicts):
    """The pairwise verdicts among `verdicts` (a Verdict queryset): columns item, sample, order, model_a,
    model_b, verdict (in the item's terms), len_a and len_b (the characters of each response, all turns)."""
    rows = verdicts.filter(parse_status__in=SCORED_STATUSES).exclude(verdict="")
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


@dataclasses.dataclass(frozen=True)
class PairwiseJudgeInputs:
    """What a pairwise judge's reports are computed from: its verdicts table (judge_pair_verdicts), the public
    id of their job (None for imported verdicts) and its verdicts counted by parse status."""

    table: pd.DataFrame
    job: str | None
    verdicts_by_status: dict


def pairwise_judge_inputs(campaign, judge):
    verdicts, job = judge_verdicts(campaign, judge)
    return PairwiseJudgeInputs(table=judge_pair_verdicts(verdicts), job=job,
                               verdicts_by_status=verdict_counts(verdicts))
