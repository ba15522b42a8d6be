"""A pairwise judge's position and length bias, and what its pairs judged differently in the two orders
count as. Pure pandas, no Django.

Input: a judge's verdicts as a DataFrame, one row per verdict, with the columns

    item       the item (any hashable label)
    sample     the sample index (several samples of one item and order are separate verdicts)
    order      "AB" (the item's first response shown first), "BA" (shown second) or "" (unknown)
    verdict    in the item's terms: "A" (the item's first response is better), "B", "tie", "both", "neither"
    len_a, len_b   the lengths of the item's two responses (characters over all turns); needed by
                   `position_bias` only

A pair is one (item, sample) judged in both orders: one AB and one BA verdict. Its verdicts are consistent
when they are equal in the item's terms (the judge preferred the same response whichever came first, or
gave the same non-decisive verdict).

Figures (`position_bias`), each a Share (count of n, and the rate, None with a reason when n is 0):

- consistency: pairs whose two verdicts are consistent, among all pairs;
- first_position_wins: among decisive verdicts (A or B) with a known order, those where the response
  shown first won; 0.5 is no position bias, above it a bias towards the first position;
- longer_wins: among decisive verdicts on items whose two responses differ in length, those where the
  longer response won; 0.5 is no length bias.

`combine_orders` settles the inconsistent pairs before a judge's verdicts on an item are counted (the item's
vote is then the most common of them, a tie when there is no single one: annotation.ranking.item_verdicts):

- "tie" (default, FastChat's convention): both verdicts of an inconsistent pair are kept, and offset each
  other in that count: an item judged once in each order with two different verdicts is a tie (with several
  samples, each inconsistent pair adds one verdict to each side and so moves the count to neither);
- "drop": both verdicts of an inconsistent pair are left out; an item left without verdicts has no vote.

Consistent pairs, and verdicts without their swapped partner (one order judged, or the order unknown), are
kept as they are.
"""

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd

INCONSISTENT_OPTIONS = ("tie", "drop")
DEFAULT_INCONSISTENT = "tie"
DECISIVE = ("A", "B")
VERDICT_COLUMNS = ("item", "sample", "order", "verdict")
LENGTH_COLUMNS = ("len_a", "len_b")


@dataclass(frozen=True)
class Share:
    """`count` of `n`; `rate` is count / n, None (with a reason) when n is 0."""

    n: int
    count: int
    rate: float | None
    reason: str | None = None


@dataclass(frozen=True)
class PositionBias:
    n_verdicts: int
    consistency: Share
    first_position_wins: Share
    longer_wins: Share

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class CombinedVerdicts:
    """The verdicts to count, after the inconsistency setting: the input's columns item, sample, order and
    verdict, less the inconsistent pairs' rows when they are dropped.

    `n_pairs` pairs were judged in both orders, `n_inconsistent` of them inconsistently; `n_dropped` of those
    were left out (inconsistent="drop")."""

    table: pd.DataFrame
    inconsistent: str
    n_pairs: int
    n_inconsistent: int
    n_dropped: int


def position_bias(verdicts: pd.DataFrame) -> PositionBias:
    """Consistency under position swap, first-position and longer-response win rates (module docstring)."""
    _check_columns(verdicts, VERDICT_COLUMNS + LENGTH_COLUMNS)
    pairs = swapped_pairs(verdicts)
    consistent = int((pairs["AB"] == pairs["BA"]).sum())
    decisive = verdicts[verdicts["verdict"].isin(DECISIVE)]
    ordered = decisive[decisive["order"].isin(("AB", "BA"))]
    first_won = ((ordered["order"] == "AB") & (ordered["verdict"] == "A")) | (
        (ordered["order"] == "BA") & (ordered["verdict"] == "B"))
    return PositionBias(
        n_verdicts=len(verdicts),
        consistency=share(consistent, len(pairs), "no item and sample was judged in both orders"),
        first_position_wins=share(int(first_won.sum()), len(ordered), "no decisive verdict with a known order"),
        longer_wins=longer_wins(decisive),
    )


def longer_wins(verdicts: pd.DataFrame) -> Share:
    """Among the decisive verdicts (A or B) of `verdicts` (columns verdict, len_a, len_b; a judge's verdicts or
    the humans' votes) on responses of different lengths, those where the longer response won."""
    decisive = verdicts[verdicts["verdict"].isin(DECISIVE)]
    len_a, len_b = decisive["len_a"].to_numpy(dtype=float), decisive["len_b"].to_numpy(dtype=float)
    differ = len_a != len_b
    longer = np.where(len_a > len_b, "A", "B")[differ]
    longer_won = decisive["verdict"].to_numpy(dtype=object)[differ] == longer
    return share(int(longer_won.sum()), int(differ.sum()), "no decisive verdict on responses of different lengths")


def swapped_pairs(verdicts: pd.DataFrame) -> pd.DataFrame:
    """The (item, sample) judged in both orders, with their AB and BA verdicts as columns."""
    ordered = verdicts[verdicts["order"].isin(("AB", "BA"))]
    repeated = ordered.duplicated(["item", "sample", "order"])
    if repeated.any():
        row = ordered[repeated].iloc[0]
        raise ValueError(f"item {row['item']} has more than one verdict for sample {row['sample']} in order "
                         f"{row['order']}")
    wide = ordered.pivot(index=["item", "sample"], columns="order", values="verdict")
    if "AB" not in wide.columns or "BA" not in wide.columns:
        return pd.DataFrame({"AB": [], "BA": []}, index=pd.MultiIndex.from_arrays([[], []], names=["item", "sample"]))
    return wide[["AB", "BA"]].dropna()


def combine_orders(verdicts: pd.DataFrame, inconsistent: str = DEFAULT_INCONSISTENT) -> CombinedVerdicts:
    """The verdicts to count, with the inconsistent pairs kept to offset each other or left out (module
    docstring)."""
    if inconsistent not in INCONSISTENT_OPTIONS:
        raise ValueError(f"inconsistent must be one of {', '.join(INCONSISTENT_OPTIONS)}, not {inconsistent!r}")
    _check_columns(verdicts, VERDICT_COLUMNS)
    pairs = swapped_pairs(verdicts)
    disagree = pairs.index[(pairs["AB"] != pairs["BA"]).to_numpy()]
    table = verdicts[list(VERDICT_COLUMNS)]
    if inconsistent == "drop":
        in_pair = verdicts["order"].isin(("AB", "BA")).to_numpy()
        table = table[~(pd.MultiIndex.from_frame(verdicts[["item", "sample"]]).isin(disagree) & in_pair)]
    return CombinedVerdicts(table=table.reset_index(drop=True), inconsistent=inconsistent, n_pairs=len(pairs),
                            n_inconsistent=len(disagree), n_dropped=len(disagree) if inconsistent == "drop" else 0)


def share(count: int, n: int, reason: str) -> Share:
    if not n:
        return Share(0, 0, None, reason)
    return Share(n, count, count / n)


def _check_columns(table, columns):
    missing = [column for column in columns if column not in table.columns]
    if missing:
        raise ValueError(f"verdicts table lacks the column(s) {', '.join(missing)}")
