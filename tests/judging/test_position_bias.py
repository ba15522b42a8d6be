"""Position and length bias of a pairwise judge, and both orders combined (pure: no database), against a
plain computation over dictionaries written independently here."""

import random
from collections import Counter, defaultdict

import pandas as pd
import pytest

from judging.position_bias import combine_orders, position_bias
from judging.pair_votes import judge_item_votes

VERDICTS = ("A", "B", "tie", "both", "neither")


def random_verdicts(seed, items=60, samples=2):
    """Verdicts of a judge leaning to the first position, some orders missing or unknown, some equal lengths."""
    rng = random.Random(seed)
    rows = []
    for item in range(items):
        len_a, len_b = rng.choice([(10, 10), (30, 12), (8, 40), (25, 25), (50, 49)])
        for sample in range(samples):
            orders = rng.choice([("AB", "BA")] * 5 + [("AB",), ("BA",), ("",)])
            for order in orders:
                shown = rng.choices(VERDICTS, weights=(5, 3, 2, 1, 1))[0]  # about the order shown
                verdict = {"A": "B", "B": "A"}.get(shown, shown) if order == "BA" else shown
                rows.append({"item": f"i{item}", "sample": sample, "order": order, "verdict": verdict,
                             "len_a": len_a, "len_b": len_b})
    return pd.DataFrame(rows)


def reference_bias(rows):
    by_pair = defaultdict(dict)
    for row in rows:
        if row["order"]:
            by_pair[(row["item"], row["sample"])][row["order"]] = row["verdict"]
    both = [pair for pair in by_pair.values() if len(pair) == 2]
    consistent = sum(1 for pair in both if pair["AB"] == pair["BA"])
    first_n = first_won = longer_n = longer_won = 0
    for row in rows:
        if row["verdict"] not in ("A", "B"):
            continue
        winner_first = (row["verdict"] == "A") == (row["order"] == "AB")
        if row["order"]:
            first_n += 1
            first_won += winner_first
        if row["len_a"] != row["len_b"]:
            longer_n += 1
            longer_won += (row["verdict"] == "A") == (row["len_a"] > row["len_b"])
    return {"consistency": (len(both), consistent), "first_position_wins": (first_n, first_won),
            "longer_wins": (longer_n, longer_won)}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_figures_match_a_plain_count(seed):
    table = random_verdicts(seed)
    bias = position_bias(table).as_dict()
    expected = reference_bias(table.to_dict("records"))
    assert {name: (bias[name]["n"], bias[name]["count"]) for name in expected} == expected
    for name, (n, count) in expected.items():
        assert n > 0 and bias[name]["rate"] == pytest.approx(count / n)
    assert bias["n_verdicts"] == len(table)


def test_no_pairs_or_decisive_verdicts_give_no_rate_but_a_reason():
    table = pd.DataFrame({"item": [1, 2], "sample": [0, 0], "order": ["AB", ""], "verdict": ["tie", "both"],
                          "len_a": [3, 4], "len_b": [3, 5]})
    bias = position_bias(table)
    assert (bias.consistency.n, bias.consistency.rate) == (0, None) and "both orders" in bias.consistency.reason
    assert bias.first_position_wins.rate is None and bias.longer_wins.rate is None


def reference_combined(rows, inconsistent):
    orders = defaultdict(dict)
    for row in rows:
        if row["order"]:
            orders[(row["item"], row["sample"])][row["order"]] = row["verdict"]
    inconsistent_pairs = {key for key, pair in orders.items() if len(pair) == 2 and pair["AB"] != pair["BA"]}
    kept = [row for row in rows if inconsistent == "tie" or not row["order"]
            or (row["item"], row["sample"]) not in inconsistent_pairs]
    return Counter((row["item"], row["sample"], row["order"], row["verdict"]) for row in kept), inconsistent_pairs


@pytest.mark.parametrize("inconsistent", ["tie", "drop"])
def test_inconsistent_pairs_are_kept_or_left_out(inconsistent):
    table = random_verdicts(7)
    combined = combine_orders(table, inconsistent)
    got = Counter(combined.table[["item", "sample", "order", "verdict"]].itertuples(index=False, name=None))
    expected, inconsistent_pairs = reference_combined(table.to_dict("records"), inconsistent)
    assert got == expected and len(inconsistent_pairs) > 5
    pairs = reference_bias(table.to_dict("records"))["consistency"]
    assert (combined.n_pairs, combined.n_inconsistent) == (pairs[0], len(inconsistent_pairs))
    assert combined.n_dropped == (len(inconsistent_pairs) if inconsistent == "drop" else 0)


@pytest.mark.parametrize("inconsistent, votes", [
    # i1: one pair, the orders disagree; i2: two samples, one consistent (A) and one not; i3: consistent B
    ("tie", {"i1": "tie", "i2": "A", "i3": "B"}),
    ("drop", {"i2": "A", "i3": "B"}),
])
def test_an_items_vote_counts_inconsistent_pairs_as_ties_or_leaves_them_out(inconsistent, votes):
    rows = [("i1", 0, "AB", "A"), ("i1", 0, "BA", "B"),
            ("i2", 0, "AB", "A"), ("i2", 0, "BA", "A"), ("i2", 1, "AB", "A"), ("i2", 1, "BA", "B"),
            ("i3", 0, "AB", "B"), ("i3", 0, "BA", "B")]
    table = pd.DataFrame(rows, columns=["item", "sample", "order", "verdict"]).assign(model_a="m1", model_b="m2")
    item_votes = judge_item_votes(table, inconsistent)
    assert dict(zip(item_votes["item"], item_votes["verdict"])) == votes


def test_two_verdicts_for_one_order_and_sample_are_an_error():
    table = pd.DataFrame({"item": [1, 1], "sample": [0, 0], "order": ["AB", "AB"], "verdict": ["A", "B"]})
    with pytest.raises(ValueError, match="item 1 has more than one verdict for sample 0 in order AB"):
        combine_orders(table)
    with pytest.raises(ValueError, match="inconsistent must be one of tie, drop"):
        combine_orders(table, "half")
