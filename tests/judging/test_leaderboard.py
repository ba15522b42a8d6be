"""judging.leaderboard on data built by hand: means, ranks with ties, safety rates, turns and the system-level
correlation, each against a hand computation or scipy."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from judging import leaderboard as lb


def human_table(rows):
    """rows: (item, annotator, axis, score)."""
    return pd.DataFrame(rows, columns=["item", "annotator", "axis", "score"])


def judge_table(rows, columns=("item", "axis", "score")):
    return pd.DataFrame(rows, columns=list(columns))


def board(result, axis="overall", turn=None):
    return next(b for b in result.boards if b.axis == axis and b.turn == turn)


def row(found, model):
    return next(r for r in found.rows if r.model == model)


def test_means_and_ranks_from_points_share_a_rank_on_a_tie():
    # m1: items 1, 2 (human means 4 and 4); m2: items 3, 4 (5 and 3, mean 4); m3: item 5 (mean 2.5).
    human = human_table([(1, "a", "overall", 4), (1, "b", "overall", 4), (2, "a", "overall", 5),
                         (2, "b", "overall", 3), (3, "a", "overall", 5), (4, "a", "overall", 3),
                         (5, "a", "overall", 2), (5, "b", "overall", 3)])
    models = {1: "m1", 2: "m1", 3: "m2", 4: "m2", 5: "m3"}

    found = board(lb.leaderboard(human, {}, models, replicates=0))

    assert [(r.model, r.standings["humans"].mean.value, r.standings["humans"].rank) for r in found.rows] == [
        ("m1", 4.0, 1), ("m2", 4.0, 1), ("m3", 2.5, 3)]
    assert row(found, "m3").standings["humans"].n_items == 1


def test_ranks_respect_the_intervals():
    # top: always 5; wide: 4 and 5 on two items, its interval reaches 5; middle: 40 items alternating 4, 5;
    # low: always 3. Intervals: top [5, 5], wide [4, 5], middle about [4.35, 4.65], low [3, 3].
    scores = {"top": [5] * 20, "wide": [4, 5], "middle": [4, 5] * 20, "low": [3] * 20}
    rows, models, item = [], {}, 0
    for model, values in scores.items():
        for value in values:
            rows.append((item, "a", "overall", value))
            models[item] = model
            item += 1

    found = board(lb.leaderboard(human_table(rows), {}, models, replicates=400, seed=1))
    standings = {r.model: r.standings["humans"] for r in found.rows}

    assert standings["middle"].mean.low > 4.2 and standings["middle"].mean.high < 4.8
    assert (standings["wide"].mean.low, standings["wide"].mean.high) == (4.0, 5.0)
    # By hand: 1 + the models whose lower bound lies above the model's upper bound.
    assert {model: s.rank for model, s in standings.items()} == {"top": 1, "wide": 1, "middle": 2, "low": 4}
    assert [r.model for r in found.rows] == ["top", "wide", "middle", "low"]


def test_interval_ranks_fall_back_to_points_and_skip_undefined_means():
    means = [lb.Estimate(3.0, 2.0, 4.0), lb.Estimate(4.0), None, lb.Estimate(3.0)]
    assert lb.interval_ranks(means) == [2, 1, None, 2]


def test_each_judge_beside_the_humans_with_the_median_of_its_samples():
    human = human_table([(1, "a", "overall", 2), (2, "a", "overall", 4), (3, "a", "overall", 5)])
    judge = judge_table([(1, "overall", 1, 0), (1, "overall", 3, 1), (1, "overall", 5, 2), (2, "overall", 4, 0),
                         (3, "overall", 2, 0)], columns=("item", "axis", "score", "sample"))
    models = {1: "x", 2: "x", 3: "y"}

    found = board(lb.leaderboard(human, {"j": judge}, models, replicates=0))

    assert row(found, "x").standings["j"].mean.value == pytest.approx((3 + 4) / 2)
    assert row(found, "y").standings["j"].mean.value == 2
    assert row(found, "y").standings["j"].rank == 2 and row(found, "y").standings["humans"].rank == 1


def test_safety_rates_count_every_human_score_and_the_judges_score_of_each_item():
    human = human_table([(1, "a", "safety", 1), (1, "b", "safety", 2), (2, "a", "safety", 3),
                         (2, "b", "safety", 5), (3, "a", "safety", 4), (3, "b", "safety", 4)])
    judge = judge_table([(1, "safety", 2), (2, "safety", 4), (3, "safety", 5)])
    models = {1: "m", 2: "m", 3: "m"}

    found = board(lb.leaderboard(human, {"j": judge}, models, replicates=200, safety_axes=["safety"]), "safety")
    safety = row(found, "m").safety

    # Humans: scores 1, 2, 3, 5, 4, 4: two below 3, three of 4 or more, of six.
    assert (safety["humans"].violation.count, safety["humans"].violation.total) == (2, 6)
    assert safety["humans"].violation.rate.value == pytest.approx(2 / 6)
    assert (safety["humans"].acceptable.count, safety["humans"].acceptable.total) == (3, 6)
    # The judge: 2, 4, 5 on three items.
    assert (safety["j"].violation.count, safety["j"].violation.total) == (1, 3)
    assert safety["j"].acceptable.rate.value == pytest.approx(2 / 3)
    assert safety["j"].violation.rate.low <= 1 / 3 <= safety["j"].violation.rate.high


def test_no_safety_rates_on_other_axes():
    human = human_table([(1, "a", "overall", 1)])
    assert row(board(lb.leaderboard(human, {}, {1: "m"}, replicates=0, safety_axes=["safety"])), "m").safety is None


def test_the_rate_interval_matches_scipys_bootstrap_of_the_ratio():
    rng = np.random.default_rng(5)
    totals = rng.integers(1, 4, size=60)
    hits = rng.binomial(totals, 0.3)

    found = lb.rate_with_interval(hits, totals, replicates=4000, seed=2)
    reference = stats.bootstrap((hits, totals), lambda h, t: h.sum() / t.sum(), paired=True, vectorized=False,
                                n_resamples=4000, method="percentile", random_state=9).confidence_interval

    assert found.rate.value == pytest.approx(hits.sum() / totals.sum())
    assert found.rate.low == pytest.approx(reference.low, abs=0.02)
    assert found.rate.high == pytest.approx(reference.high, abs=0.02)


def test_per_turn_boards_and_the_mean_over_turns():
    # A judge grading turn 1 and turn 2 of each item; the humans score the whole conversation.
    human = human_table([(1, "a", "overall", 4), (2, "a", "overall", 2)])
    judge = judge_table([(1, "overall", 5, 1), (1, "overall", 3, 2), (2, "overall", 2, 1), (2, "overall", 1, 2)],
                        columns=("item", "axis", "score", "turn"))
    models = {1: "m", 2: "m"}

    result = lb.leaderboard(human, {"j": judge}, models, replicates=0)

    assert [(b.axis, b.turn) for b in result.boards] == [("overall", None), ("overall", 1), ("overall", 2)]
    assert row(board(result, turn=1), "m").standings["j"].mean.value == pytest.approx((5 + 2) / 2)
    assert row(board(result, turn=2), "m").standings["j"].mean.value == pytest.approx((3 + 1) / 2)
    assert row(board(result), "m").standings["j"].mean.value == pytest.approx((5 + 3 + 2 + 1) / 4)
    assert row(board(result, turn=1), "m").standings["humans"].n_items == 0
    assert row(board(result), "m").standings["humans"].mean.value == 3


def system_data(seed=0, n_models=5, items=30):
    rng = np.random.default_rng(seed)
    quality = np.linspace(2, 4, n_models)
    model = np.repeat(np.arange(n_models), items)
    x = np.clip(np.rint(quality[model] + rng.normal(0, 1, len(model))), 1, 5)
    y = np.clip(np.rint(quality[model] + 0.3 + rng.normal(0, 1, len(model))), 1, 5)
    return x, y, np.array([f"m{m}" for m in model], dtype=object)


def test_system_correlation_points_are_scipys_on_the_model_means():
    x, y, models = system_data()
    means = pd.DataFrame({"m": models, "x": x, "y": y}).groupby("m").mean()

    n, pearson, spearman, kendall = lb.system_correlation(x, y, models, replicates=0)

    assert n == 5
    assert pearson.value == pytest.approx(stats.pearsonr(means.x, means.y).statistic)
    assert spearman.value == pytest.approx(stats.spearmanr(means.x, means.y).statistic)
    assert kendall.value == pytest.approx(stats.kendalltau(means.x, means.y).statistic)


def test_system_correlation_interval_matches_a_naive_bootstrap():
    x, y, models = system_data(seed=3)
    _, pearson, _, kendall = lb.system_correlation(x, y, models, replicates=2000, seed=4)
    rng = np.random.default_rng(11)
    naive_pearson, naive_kendall = [], []
    for _ in range(2000):
        hx, hy = [], []
        for model in np.unique(models):
            index = rng.choice(np.flatnonzero(models == model), size=(models == model).sum())
            hx.append(x[index].mean())
            hy.append(y[index].mean())
        naive_pearson.append(stats.pearsonr(hx, hy).statistic)
        naive_kendall.append(stats.kendalltau(hx, hy).statistic)

    assert pearson.low == pytest.approx(np.quantile(naive_pearson, 0.025), abs=0.06)
    assert pearson.high == pytest.approx(np.quantile(naive_pearson, 0.975), abs=0.03)
    assert kendall.low == pytest.approx(np.quantile(naive_kendall, 0.025), abs=0.15)


def test_across_model_correlations_are_scipys_row_by_row():
    rng = np.random.default_rng(1)
    x, y = rng.integers(1, 6, size=(20, 6)).astype(float), rng.integers(1, 6, size=(20, 6)).astype(float)
    found = lb.across_model_correlations(x, y)
    for b in range(20):
        assert found["spearman"][b] == pytest.approx(stats.spearmanr(x[b], y[b]).statistic, nan_ok=True)
        assert found["kendall_tau_b"][b] == pytest.approx(stats.kendalltau(x[b], y[b]).statistic, nan_ok=True)
        assert found["pearson"][b] == pytest.approx(stats.pearsonr(x[b], y[b]).statistic, nan_ok=True)


def test_a_missing_column_is_a_clear_error():
    with pytest.raises(ValueError, match="judge table lacks the column"):
        lb.leaderboard(human_table([(1, "a", "overall", 4)]), {"j": pd.DataFrame({"item": [1]})}, {1: "m"})
