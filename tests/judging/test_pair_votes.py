"""judging.pair_votes: a pairwise judge's verdicts made into one vote per item and set against the humans'
votes, without a database."""

import pandas as pd
import pytest

from judging.pair_votes import pairwise_judge_figures

# Item 1: judged A in both orders; item 2: A then B (inconsistent); item 3: B in one order only.
JUDGE = pd.DataFrame(
    [(1, 0, "AB", "A"), (1, 0, "BA", "A"), (2, 0, "AB", "A"), (2, 0, "BA", "B"), (3, 0, "AB", "B")],
    columns=["item", "sample", "order", "verdict"],
).assign(model_a="calm2", model_b="gpt-4o", len_a=[10, 10, 30, 30, 5], len_b=[20, 20, 10, 10, 5])
HUMANS = pd.DataFrame([(1, "ayumi", "A"), (1, "kenta", "A"), (2, "ayumi", "B"), (3, "kenta", "A")],
                      columns=["item", "annotator", "verdict"])


@pytest.mark.parametrize("inconsistent, votes, agreeing", [
    ("tie", {1: "A", 2: "tie", 3: "B"}, 2),  # item 1 agrees with both votes; items 2 and 3 with none
    ("drop", {1: "A", 3: "B"}, 2),
])
def test_one_vote_per_item_and_its_agreement_with_each_human_vote(inconsistent, votes, agreeing):
    figures = pairwise_judge_figures(HUMANS, JUDGE, inconsistent)

    assert dict(zip(figures.votes["item"], figures.votes["verdict"])) == votes
    assert set(figures.votes["model_a"]) == {"calm2"} and set(figures.votes["model_b"]) == {"gpt-4o"}
    each = figures.agreement.with_each_vote
    assert (each.n, each.agreement) == (len(HUMANS[HUMANS["item"].isin(votes)]),
                                         pytest.approx(agreeing / len(HUMANS[HUMANS["item"].isin(votes)])))
    assert (figures.combined.n_pairs, figures.combined.n_inconsistent) == (2, 1)
    assert figures.combined.n_dropped == (1 if inconsistent == "drop" else 0)


def test_the_position_bias_counts_every_verdict_whatever_the_setting():
    tie, drop = (pairwise_judge_figures(HUMANS, JUDGE, setting).position_bias for setting in ("tie", "drop"))

    assert tie == drop
    assert (tie.consistency.count, tie.consistency.n) == (1, 2)
    # The response shown first won (1, AB, A), (2, AB, A) and (2, BA, B); not (1, BA, A) nor (3, AB, B).
    assert (tie.first_position_wins.count, tie.first_position_wins.n) == (3, 5)
    # Lengths differ on items 1 (B longer) and 2 (A longer): only (2, AB, A) went to the longer response.
    assert (tie.longer_wins.count, tie.longer_wins.n) == (1, 4)
