"""How answer length goes with winning in a pairwise campaign: how often the longer response wins, for the
humans' votes as for each judge's verdicts, overall and per context category; and per category how long the
two responses are. Pure numpy/pandas, no Django.

Inputs (pandas):

    items    one row per item: item, category (the prompt's context category; None for a prompt without a
             context), len_a, len_b (characters of the item's two responses over all turns, in the item's terms)
    votes    {group name: its verdicts, one row per vote or verdict: item, verdict (in the item's terms)}: the
             humans' votes and each judge's verdicts (every verdict: both orders, every sample)

The longer response wins: judging.position_bias.longer_wins (among decisive verdicts on responses of different
lengths, the share where the longer won; 0.5 is no length bias), one rule for humans and judges.
"""

import dataclasses
from collections.abc import Hashable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from judging.position_bias import Share, longer_wins

ITEM_COLUMNS = ("item", "category", "len_a", "len_b")


@dataclass(frozen=True)
class CategoryLengths:
    """The items of one context category: their count, the mean and median characters of responses A and B,
    the share where A is the longer, and per group how often the longer response wins."""

    category: Hashable
    n_items: int
    mean_len_a: float
    mean_len_b: float
    median_len_a: float
    median_len_b: float
    a_longer: Share
    longer_wins: dict


@dataclass(frozen=True)
class LengthReport:
    longer_wins: dict  # group name -> Share, over every item
    categories: tuple[CategoryLengths, ...]  # the context categories, in order of name

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


def length_report(items: pd.DataFrame, votes: Mapping[str, pd.DataFrame]) -> LengthReport:
    """The length figures (module docstring)."""
    missing = [column for column in ITEM_COLUMNS if column not in items.columns]
    if missing:
        raise ValueError(f"items table lacks the column(s) {', '.join(missing)}")
    lengths = items.set_index("item")[["len_a", "len_b"]]
    joined = {name: table[["item", "verdict"]].join(lengths, on="item", how="inner") for name, table in votes.items()}
    overall = {name: longer_wins(table) for name, table in joined.items()}
    with_context = items[items["category"].notna()]
    categories = tuple(
        _category(category, rows, joined)
        for category, rows in with_context.groupby("category", sort=True)
    )
    return LengthReport(overall, categories)


def _category(category, rows, joined):
    len_a, len_b = rows["len_a"].to_numpy(dtype=float), rows["len_b"].to_numpy(dtype=float)
    differ = len_a != len_b
    a_longer = int((len_a > len_b).sum())
    return CategoryLengths(
        category=category, n_items=len(rows), mean_len_a=float(len_a.mean()), mean_len_b=float(len_b.mean()),
        median_len_a=float(np.median(len_a)), median_len_b=float(np.median(len_b)),
        a_longer=Share(int(differ.sum()), a_longer, a_longer / differ.sum() if differ.any() else None,
                       None if differ.any() else "every pair of responses has the same length"),
        longer_wins={name: longer_wins(table[table["item"].isin(rows["item"])]) for name, table in joined.items()},
    )
