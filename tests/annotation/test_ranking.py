"""annotation.ranking: rates, Bradley–Terry against known answers, bootstrap coverage, conventions, degenerate
input, and human–judge agreement on a hand example. No database."""

import json
import math

import numpy as np
import pandas as pd
import pytest

from annotation.ranking import (
    ELO_SCALE, count_table, fit_strengths, human_judge_agreement, item_verdicts, ranking, ranks_from_intervals,
)


def votes(*rows):
    return pd.DataFrame(rows, columns=["model_a", "model_b", "verdict"])


def simulated_votes(strengths, n_votes, seed, tie_share=0.0):
    """Votes between random pairs of models drawn from a Bradley–Terry model with log-strengths `strengths`,
    each pair shown in a random order; a share of the votes replaced by ties at random."""
    rng = np.random.default_rng(seed)
    k = len(strengths)
    a = rng.integers(0, k, n_votes)
    b = (a + rng.integers(1, k, n_votes)) % k
    a_wins = rng.random(n_votes) < 1.0 / (1.0 + np.exp(strengths[b] - strengths[a]))
    verdict = np.where(a_wins, "A", "B")
    verdict[rng.random(n_votes) < tie_share] = "tie"
    return pd.DataFrame({"model_a": a, "model_b": b, "verdict": verdict})


def by_model(result):
    return {standing.model: standing for standing in result.models}


TRUE = np.array([-1.2, -0.5, 0.0, 0.4, 1.3])
TRUE_CENTRED = TRUE - TRUE.mean()


class TestKnownAnswer:
    def test_simulated_votes_recover_the_order_and_the_strengths(self):
        result = ranking(simulated_votes(TRUE, 20_000, seed=1), replicates=200)
        assert [standing.model for standing in result.models] == [4, 3, 2, 1, 0]
        estimated = np.array([by_model(result)[m].strength.value for m in range(5)])
        assert np.abs(estimated - TRUE_CENTRED).max() < 0.06
        assert abs(estimated.sum()) < 1e-6
        assert [standing.rank for standing in result.models] == [1, 2, 3, 4, 5]
        for standing in result.models:
            assert standing.rating.value == pytest.approx(1000 + ELO_SCALE * standing.strength.value)
            assert standing.rating.low < standing.rating.value < standing.rating.high

    def test_intervals_cover_the_true_strengths_at_about_the_nominal_rate(self):
        covered = []
        for dataset in range(100):
            result = ranking(simulated_votes(TRUE, 600, seed=100 + dataset), replicates=200, seed=dataset)
            covered += [s.strength.low <= TRUE_CENTRED[s.model] <= s.strength.high for s in result.models]
        assert 0.89 <= np.mean(covered) <= 0.99  # nominal 0.95; 500 intervals, correlated within a dataset

    def test_two_models_fit_the_closed_form(self):
        # 30 wins to 10 with 10 ties: effective wins 35 to 15, so s_a - s_b = ln(35 / 15)
        rows = [("a", "b", "A")] * 30 + [("b", "a", "A")] * 10 + [("a", "b", "tie")] * 10
        strengths = fit_strengths(count_table(votes(*rows))[0], prior=1e-9)
        assert strengths[0] - strengths[1] == pytest.approx(math.log(35 / 15), abs=1e-6)

    def test_the_default_prior_barely_moves_well_measured_strengths(self):
        table, _ = count_table(simulated_votes(TRUE, 300, seed=5))
        change = ELO_SCALE * np.abs(fit_strengths(table) - fit_strengths(table, prior=1e-9))
        assert change.max() < 1.0  # rating points


class TestRatesAndConventions:
    HAND = votes(("x", "y", "A"), ("x", "y", "B"), ("y", "x", "A"), ("x", "z", "tie"), ("z", "y", "both"),
                 ("x", "z", "neither"))

    def test_win_tie_and_loss_rates_on_a_hand_example(self):
        result = by_model(ranking(self.HAND, replicates=0))
        x, y, z = result["x"], result["y"], result["z"]
        assert (x.n_votes, x.wins, x.ties, x.losses) == (5, 1, 2, 2)
        assert (x.win_rate, x.tie_rate, x.loss_rate) == (0.2, 0.4, 0.4)
        assert (y.wins, y.ties, y.losses) == (2, 1, 1) and (z.wins, z.ties, z.losses) == (0, 3, 0)

    def test_neither_can_be_dropped_instead_of_counted_as_a_tie(self):
        result = ranking(self.HAND, neither="drop", replicates=0)
        x = by_model(result)["x"]
        assert (result.n_votes, result.n_dropped, x.n_votes, x.ties) == (5, 1, 4, 1)
        assert ranking(self.HAND, replicates=0).n_dropped == 0

    def test_a_tie_is_half_a_win_and_both_counts_as_a_tie(self):
        tie_votes = [("a", "b", "tie")] * 4 + [("a", "b", "A")] * 4
        half_wins = [("a", "b", "A")] * 6 + [("a", "b", "B")] * 2
        both_votes = [("a", "b", "both")] * 4 + [("a", "b", "A")] * 4
        fits = [fit_strengths(count_table(votes(*rows))[0]) for rows in (tie_votes, half_wins, both_votes)]
        assert fits[0] == pytest.approx(fits[1]) and fits[0] == pytest.approx(fits[2])

    def test_the_order_of_a_pair_in_a_vote_does_not_matter(self):
        forward = votes(("a", "b", "A"), ("a", "b", "tie"), ("b", "c", "B"), ("a", "c", "A"), ("c", "b", "A"))
        backward = votes(("b", "a", "B"), ("b", "a", "tie"), ("c", "b", "A"), ("c", "a", "B"), ("b", "c", "B"))
        assert ranking(forward).as_dict() == ranking(backward).as_dict()

    def test_pair_counts_and_json(self):
        result = ranking(self.HAND, replicates=50)
        assert result.pairs[0].__dict__ == {"model_a": "x", "model_b": "y", "a_wins": 1, "b_wins": 2, "ties": 0}
        json.dumps(result.as_dict(), allow_nan=False)

    def test_the_bootstrap_is_seeded(self):
        data = simulated_votes(TRUE, 500, seed=3)
        assert ranking(data, replicates=100, seed=7) == ranking(data, replicates=100, seed=7)
        assert ranking(data, replicates=100, seed=7) != ranking(data, replicates=100, seed=8)

    def test_ranks_respect_the_intervals(self):
        low, high = np.array([10.0, 8.0, 1.0, 0.0]), np.array([12.0, 11.0, 9.0, 2.0])
        assert ranks_from_intervals(low, high).tolist() == [1, 1, 2, 3]

    def test_models_whose_intervals_overlap_share_a_rank(self):
        close = simulated_votes(np.array([0.0, 0.02, 2.0]), 300, seed=4)
        ranks = {s.model: s.rank for s in ranking(close, replicates=200).models}
        assert ranks[2] == 1 and ranks[0] == ranks[1] == 2


class TestDegenerateInput:
    def test_no_votes(self):
        result = ranking(votes(), models=["a", "b"])
        assert result.reason == "no votes" and result.n_votes == 0
        assert [(s.model, s.rank, s.rating.value, s.reason) for s in result.models] == [
            ("a", None, None, "no votes"), ("b", None, None, "no votes")]

    def test_a_listed_model_without_votes_comes_last(self):
        result = ranking(votes(("a", "b", "A"), ("a", "b", "B")), models=["c", "a"], replicates=20)
        assert [s.model for s in result.models][-1] == "c" and result.models[-1].win_rate is None

    def test_a_model_that_never_loses_gets_a_finite_rating_and_a_reason(self):
        rows = [("champ", "b", "A")] * 20 + [("c", "champ", "B")] * 10 + [("b", "c", "A"), ("b", "c", "B")] * 5
        result = ranking(votes(*rows), replicates=100)
        champ = by_model(result)["champ"]
        assert champ.rank == 1 and math.isfinite(champ.rating.high) and "never lost" in champ.reason
        json.dumps(result.as_dict(), allow_nan=False)

    def test_models_never_compared_with_each_other(self):
        result = ranking(votes(("a", "b", "A"), ("a", "b", "B"), ("c", "d", "A"), ("c", "d", "tie")), replicates=20)
        assert not result.connected and len(result.models) == 4 and result.reason is None

    def test_only_neither_votes_dropped_leaves_no_votes(self):
        result = ranking(votes(("a", "b", "neither")), neither="drop")
        assert result.reason == "no votes" and result.n_dropped == 1

    @pytest.mark.parametrize("table, message", [
        (votes(("a", "b", "draw")), "unknown verdict 'draw'"),
        (votes(("a", "a", "A")), "model 'a' is compared with itself"),
        (pd.DataFrame({"model_a": ["a"], "verdict": ["A"]}), r"lacks the column\(s\) model_b"),
    ])
    def test_malformed_input_raises(self, table, message):
        with pytest.raises(ValueError, match=message):
            ranking(table)

    def test_bad_options_raise(self):
        with pytest.raises(ValueError, match="neither must be one of tie, drop"):
            ranking(votes(), neither="keep")


class TestHumanJudgeAgreement:
    HUMAN = pd.DataFrame(
        [(1, "h1", "A"), (1, "h2", "A"), (2, "h1", "B"), (2, "h2", "tie"), (3, "h1", "A"), (3, "h2", "B"),
         (4, "h1", "B"), (4, "h2", "B"), (5, "h1", "A")],
        columns=["item", "annotator", "verdict"])
    # Item 1 judged in both orders alike, item 2 inconsistently (a split: a tie), item 6 has no human vote.
    JUDGE = pd.DataFrame([(1, "A"), (1, "A"), (2, "B"), (2, "A"), (3, "A"), (4, "B"), (6, "A")],
                         columns=["item", "verdict"])

    def test_hand_example(self):
        result = human_judge_agreement(self.HUMAN, self.JUDGE)
        counts = (result.n_items, result.n_human_votes, result.judge_split_items, result.human_split_items)
        assert counts == (4, 8, 1, 2)
        figures = {name: (getattr(result, name).n, getattr(result, name).agreement, getattr(result, name).kappa)
                   for name in ("with_each_vote", "with_each_vote_without_ties", "with_majority",
                                "with_majority_without_ties")}
        assert figures == {
            "with_each_vote": (8, 0.75, pytest.approx(13 / 21)),
            "with_each_vote_without_ties": (6, pytest.approx(5 / 6), pytest.approx(2 / 3)),
            "with_majority": (4, 0.75, pytest.approx(7 / 11)),
            "with_majority_without_ties": (2, 1.0, pytest.approx(1.0)),
        }
        json.dumps(result.as_dict(), allow_nan=False)

    def test_item_verdicts_take_the_most_common_and_call_a_split_a_tie(self):
        labels, split = item_verdicts(self.JUDGE)
        assert labels.to_dict() == {1: "A", 2: "tie", 3: "A", 4: "B", 6: "A"}
        assert split.to_dict() == {1: False, 2: True, 3: False, 4: False, 6: False}

    def test_nothing_in_common_and_constant_verdicts_give_reasons(self):
        none = human_judge_agreement(self.HUMAN, pd.DataFrame({"item": [99], "verdict": ["A"]}))
        assert none.n_items == 0 and none.with_each_vote.reason.startswith("no item has both")
        constant = human_judge_agreement(self.HUMAN[self.HUMAN["item"] == 1], self.JUDGE)
        assert constant.with_each_vote.agreement == 1.0 and constant.with_each_vote.kappa is None
        assert "kappa is undefined" in constant.with_each_vote.reason
