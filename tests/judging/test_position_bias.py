"""Position and length bias of a pairwise judge, and both orders combined (pure: no database), against a
plain computation over dictionaries written independently here."""

import random
from collections import Counter, defaultdict

import pandas as pd
import pytest

from judging.position_bias import combine_orders, position_bias

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
    by_pair = defaultdict(dict)
    alone = []
    for row in rows:
        by_pair[(row["item"], row["sample"])].setdefault(row["order"], []).append(row["verdict"])
    result = []
    for (item, sample), orders in by_pair.items():
        if "AB" in orders and "BA" in orders:
            ab, ba = orders["AB"][0], orders["BA"][0]
            if ab == ba:
                result.append((item, sample, ab))
            elif inconsistent == "tie":
                result.append((item, sample, "tie"))
            for order in set(orders) - {"AB", "BA"}:
                alone += [(item, sample, verdict) for verdict in orders[order]]
        else:
            alone += [(item, sample, verdict) for verdict_list in orders.values() for verdict in verdict_list]
    return Counter(result + alone)


@pytest.mark.parametrize("inconsistent", ["tie", "drop"])
def test_both_orders_make_one_verdict_inconsistent_ones_a_tie_or_nothing(inconsistent):
    table = random_verdicts(7)
    combined = combine_orders(table, inconsistent)
    got = Counter(combined.table[["item", "sample", "verdict"]].itertuples(index=False, name=None))
    assert got == reference_combined(table.to_dict("records"), inconsistent)
    pairs = reference_bias(table.to_dict("records"))["consistency"]
    assert (combined.n_pairs, combined.n_inconsistent) == (pairs[0], pairs[0] - pairs[1])
    assert combined.n_dropped == (combined.n_inconsistent if inconsistent == "drop" else 0)


def test_two_verdicts_for_one_order_and_sample_are_an_error():
    table = pd.DataFrame({"item": [1, 1], "sample": [0, 0], "order": ["AB", "AB"], "verdict": ["A", "B"]})
    with pytest.raises(ValueError, match="item 1 has more than one verdict for sample 0 in order AB"):
        combine_orders(table)
    with pytest.raises(ValueError, match="inconsistent must be one of tie, drop"):
        combine_orders(table, "half")
