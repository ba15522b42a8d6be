import json
import warnings

import krippendorff
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from annotation import agreement
from judging import meta_eval

AXES = ("relevance", "safety")
MODELS = ("llm-jp-13b", "gpt-4o", "swallow-7b", "calm2-7b")


def synthetic_campaign(seed=0, n_items=120, n_annotators=4, leniency=0.5):
    """Humans (2-3 per item) and a lenient judge (3 samples per item) scoring the same latent quality."""
    rng = np.random.default_rng(seed)
    quality = rng.uniform(1, 5, size=(n_items, len(AXES))) + np.arange(n_items)[:, np.newaxis] % 4 * 0.3
    human_rows, judge_rows = [], []
    for item in range(n_items):
        for annotator in rng.choice(n_annotators, size=rng.integers(2, 4), replace=False):
            for axis_index, axis in enumerate(AXES):
                score = np.clip(np.rint(quality[item, axis_index] + rng.normal(0, 0.7)), 1, 5)
                human_rows.append((f"item-{item}", f"annotator-{annotator}", axis, score))
        for sample in range(3):
            for axis_index, axis in enumerate(AXES):
                score = np.clip(np.rint(quality[item, axis_index] + leniency + rng.normal(0, 0.7)), 1, 5)
                judge_rows.append((f"item-{item}", axis, score, sample))
    human = pd.DataFrame(human_rows, columns=["item", "annotator", "axis", "score"])
    judge = pd.DataFrame(judge_rows, columns=["item", "axis", "score", "sample"])
    models = {f"item-{item}": MODELS[item % len(MODELS)] for item in range(n_items)}
    return human, judge, models


def report_for(human, judge, models, **options):
    options.setdefault("replicates", 200)
    return meta_eval.meta_eval_report(human, judge, models, **options)


def axis_of(report, key):
    return next(axis for axis in report.axes if axis.axis == key)


def expected_instances(human, judge, axis):
    human_mean = human[human.axis == axis].groupby("item")["score"].mean()
    judge_median = judge[judge.axis == axis].groupby("item")["score"].median()
    both = pd.concat([human_mean.rename("x"), judge_median.rename("y")], axis=1).dropna()
    return both["x"].to_numpy(), both["y"].to_numpy(), both.index.to_numpy()


pytestmark = pytest.mark.xdist_group("meta-eval")  # one process runs the module, so its fixtures run once


@pytest.fixture(scope="module")
def campaign():
    return synthetic_campaign()


@pytest.fixture(scope="module")
def report(campaign):
    return report_for(*campaign, safety_axes=["safety"], seed=3)


# --- instance level ---------------------------------------------------------------------------------------


def test_instance_correlations_match_scipy_on_human_means_and_judge_medians(campaign, report):
    human, judge, _ = campaign
    x, y, _ = expected_instances(human, judge, "relevance")
    instance = axis_of(report, "relevance").instance
    assert instance.n_items == instance.n_instances == len(x)
    assert instance.pearson.value == pytest.approx(stats.pearsonr(x, y).statistic, abs=1e-12)
    assert instance.spearman.value == pytest.approx(stats.spearmanr(x, y).statistic, abs=1e-12)
    assert instance.kendall_tau_b.value == pytest.approx(stats.kendalltau(x, y, variant="b").statistic, abs=1e-12)
    assert instance.mae.value == pytest.approx(np.mean(np.abs(y - x)))
    assert instance.bias.value == pytest.approx(np.mean(y - x))


def test_a_lenient_judge_shows_a_positive_bias_with_an_interval(report):
    bias = axis_of(report, "relevance").instance.bias
    assert bias.value > 0.2
    assert 0 < bias.low < bias.value < bias.high


def test_every_instance_figure_has_an_interval_around_it(report):
    instance = axis_of(report, "relevance").instance
    for name in meta_eval._STATISTICS:
        estimate = getattr(instance, name)
        assert estimate.low <= estimate.value <= estimate.high, name
        assert estimate.replicates == 200


@pytest.mark.parametrize("seed", [1, 2])
def test_table_statistics_equal_scipy_with_ties_and_repeated_items(seed):
    rng = np.random.default_rng(seed)
    x = rng.choice([1, 1.5, 2, 2.5, 3, 4, 4.5, 5], size=200)
    y = np.clip(np.rint(x + rng.normal(0, 1, size=200)), 1, 5)
    x_values, x_index = np.unique(x, return_inverse=True)
    y_values, y_index = np.unique(y, return_inverse=True)
    grid = np.zeros((1, len(x_values), len(y_values)))
    np.add.at(grid, (0, x_index, y_index), 1)
    table = meta_eval.table_statistics(grid, x_values, y_values)
    assert table["pearson"][0] == pytest.approx(stats.pearsonr(x, y).statistic, abs=1e-9)
    assert table["spearman"][0] == pytest.approx(stats.spearmanr(x, y).statistic, abs=1e-9)
    assert table["kendall_tau_b"][0] == pytest.approx(stats.kendalltau(x, y, variant="b").statistic, abs=1e-9)
    points = meta_eval.point_statistics(x, y)
    for name in ("mae", "bias", "exact_agreement", "within_one_agreement"):
        assert table[name][0] == pytest.approx(points[name].value, abs=1e-12)


def test_intervals_equal_scipy_rerun_on_the_same_resampled_items():
    rng = np.random.default_rng(4)
    x = rng.choice([1, 2, 2.5, 3, 4, 5], size=60)
    y = np.clip(np.rint(x + rng.normal(0, 1, size=60)), 1, 5)
    instances = meta_eval.Instances(np.arange(60), x, y)
    result = meta_eval.instance_agreements([instances], 60, replicates=100, confidence=0.9, seed=8)[0]
    draws = np.concatenate(list(agreement.bootstrap_item_indices(60, 100, seed=8)))
    naive = {
        "pearson": [stats.pearsonr(x[d], y[d]).statistic for d in draws],
        "kendall_tau_b": [stats.kendalltau(x[d], y[d], variant="b").statistic for d in draws],
        "bias": [np.mean(y[d] - x[d]) for d in draws],
    }
    for name, values in naive.items():
        estimate = getattr(result, name)
        assert (estimate.low, estimate.high) == pytest.approx(tuple(np.quantile(values, [0.05, 0.95])), abs=1e-9)


def test_a_resample_with_one_reference_value_has_no_correlation():
    grid = np.array([[[0, 0, 0], [3, 2, 0]], [[1, 0, 0], [0, 2, 1]]], dtype=float)  # replicate 0: x constant
    table = meta_eval.table_statistics(grid, np.array([1.1, 2.2]), np.array([1.0, 2.0, 3.0]))
    assert np.isnan(table["pearson"][0]) and np.isnan(table["spearman"][0]) and np.isnan(table["kendall_tau_b"][0])
    assert not np.isnan(table["pearson"][1])
    assert table["mae"][0] == pytest.approx((3 * 1.2 + 2 * 0.2) / 5)


def test_exact_and_within_one_agreement_round_the_human_mean_half_up():
    # Human means 2.5 -> 3, 3.5 -> 4, 1.0 -> 1, 4.5 -> 5; the judge says 3, 3, 3, 5.
    x, y = np.array([2.5, 3.5, 1.0, 4.5]), np.array([3.0, 3.0, 3.0, 5.0])
    points = meta_eval.point_statistics(x, y)
    assert points["exact_agreement"].value == pytest.approx(2 / 4)
    assert points["within_one_agreement"].value == pytest.approx(3 / 4)
    confusion = meta_eval.confusion_matrix(x, y)
    assert confusion.labels == [1, 2, 3, 4, 5]
    assert confusion.counts[2][2] == 1 and confusion.counts[3][2] == 1
    assert confusion.counts[0][2] == 1 and confusion.counts[4][4] == 1
    assert sum(map(sum, confusion.counts)) == 4


def test_judge_samples_are_reduced_to_their_median():
    human = pd.DataFrame({"item": [1, 1, 2, 2, 3, 3], "annotator": ["a", "b"] * 3, "axis": "overall",
                          "score": [2, 3, 4, 4, 1, 2]})
    judge = pd.DataFrame({"item": [1, 1, 1, 2, 3, 3], "axis": "overall", "score": [5, 1, 2, 4, 1, 2],
                          "sample": [0, 1, 2, 0, 0, 1]})
    instance = report_for(human, judge, {1: "m", 2: "m", 3: "m"}, replicates=0).axes[0].instance
    # Medians 2, 4, 1.5 against human means 2.5, 4, 1.5; rounded: (3, 2), (4, 4), (2, 2).
    assert instance.bias.value == pytest.approx((-0.5 + 0 + 0) / 3)
    assert instance.confusion.labels == [2, 3, 4]
    assert instance.confusion.counts == [[1, 0, 0], [1, 0, 0], [0, 0, 1]]


# --- system level -----------------------------------------------------------------------------------------


def test_system_level_correlates_model_means(campaign, report):
    human, judge, models = campaign
    x, y, items = expected_instances(human, judge, "relevance")
    frame = pd.DataFrame({"model": [models[item] for item in items], "x": x, "y": y})
    means = frame.groupby("model").mean()
    system = axis_of(report, "relevance").system
    assert system.n_models == 4
    assert [m.model for m in system.models] == sorted(MODELS)
    assert [m.human_mean for m in system.models] == pytest.approx(means["x"].tolist())
    assert system.spearman.value == pytest.approx(stats.spearmanr(means["x"], means["y"]).statistic)
    assert system.kendall_tau_b.value == pytest.approx(stats.kendalltau(means["x"], means["y"]).statistic)


def test_system_level_with_two_models_says_why_there_is_no_correlation(campaign):
    human, judge, models = campaign
    two = {item: ("a" if int(item.split("-")[1]) % 2 else "b") for item in models}
    system = report_for(human, judge, two, replicates=0).axes[0].system
    assert system.n_models == 2
    assert system.pearson.value is None and "fewer than 3 models" in system.pearson.reason


def test_an_item_without_a_model_is_refused(campaign):
    human, judge, models = campaign
    with pytest.raises(ValueError, match="item_model"):
        report_for(human, judge, dict(list(models.items())[1:]), replicates=0)


# --- ceiling, alpha, safety -------------------------------------------------------------------------------


def test_ceiling_holds_each_annotator_out_against_the_others_mean(campaign, report):
    human, _, _ = campaign
    rows = human[human.axis == "relevance"]
    held_out = axis_of(report, "relevance").ceiling_by_annotator
    assert sorted(h.annotator for h in held_out) == sorted(rows.annotator.unique())
    for entry in held_out:
        own = rows[rows.annotator == entry.annotator].set_index("item")["score"]
        others = rows[rows.annotator != entry.annotator].groupby("item")["score"].mean()
        both = pd.concat([others.rename("x"), own.rename("y")], axis=1).dropna()
        assert entry.agreement.n_items == len(both)
        assert entry.agreement.pearson.value == pytest.approx(stats.pearsonr(both.x, both.y).statistic)
        assert entry.agreement.pearson.low < entry.agreement.pearson.value < entry.agreement.pearson.high


def test_pooled_ceiling_counts_every_held_out_score(campaign, report):
    human, _, _ = campaign
    counts = human[human.axis == "relevance"].groupby("item").size()
    ceiling = axis_of(report, "relevance").ceiling
    assert ceiling.n_instances == counts.sum()
    assert ceiling.n_items == len(counts)
    assert ceiling.bias.value == pytest.approx(0.0, abs=1e-12)  # held-out minus the others' mean cancels


def test_alpha_with_the_judge_adds_it_as_one_more_rater(campaign, report):
    human, judge, _ = campaign
    rows = human[human.axis == "relevance"]
    matrix = rows.pivot(index="annotator", columns="item", values="score")
    judge_median = judge[judge.axis == "relevance"].groupby("item")["score"].median()
    with_judge = pd.concat([matrix, judge_median.rename("judge").to_frame().T])
    axis = axis_of(report, "relevance")
    assert axis.alpha_humans.value == pytest.approx(
        krippendorff.alpha(matrix.to_numpy(float), level_of_measurement="ordinal"), abs=1e-9)
    assert axis.alpha_with_judge.value == pytest.approx(
        krippendorff.alpha(with_judge.to_numpy(float), level_of_measurement="ordinal"), abs=1e-9)
    assert axis.alpha_with_judge.low < axis.alpha_with_judge.value < axis.alpha_with_judge.high


def test_safety_rates_compare_humans_and_judge_with_denominators(campaign, report):
    human, judge, _ = campaign
    _, y, _ = expected_instances(human, judge, "safety")
    scores = human[human.axis == "safety"]["score"]
    safety = axis_of(report, "safety").safety
    assert axis_of(report, "relevance").safety is None
    assert (safety.useful.human_count, safety.useful.human_total) == ((scores >= 4).sum(), len(scores))
    assert (safety.useful.judge_count, safety.useful.judge_total) == ((y >= 4).sum(), len(y))
    assert safety.violation.human_rate == pytest.approx((scores <= 2).mean())
    assert safety.violation.judge_rate == pytest.approx((y <= 2).mean())


# --- degenerate data and output ---------------------------------------------------------------------------


def test_a_constant_judge_gives_no_correlation_and_no_warning():
    human = pd.DataFrame({"item": [1, 1, 2, 2, 3, 3, 4, 4], "annotator": ["a", "b"] * 4, "axis": "overall",
                          "score": [1, 2, 3, 3, 4, 5, 2, 2]})
    judge = pd.DataFrame({"item": [1, 2, 3, 4], "axis": "overall", "score": [4, 4, 4, 4]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        instance = report_for(human, judge, {i: f"m{i}" for i in range(1, 5)}).axes[0].instance
    assert instance.pearson.value is None
    assert "scores under test are all the same" in instance.pearson.reason
    assert instance.kendall_tau_b.value is None
    assert instance.bias.value == pytest.approx(4 - 2.75)


def test_no_overlap_between_judge_and_humans_gives_reasons_not_errors():
    human = pd.DataFrame({"item": [1, 1], "annotator": ["a", "b"], "axis": "overall", "score": [3, 4]})
    judge = pd.DataFrame({"item": [2], "axis": "fluency", "score": [4]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        report = report_for(human, judge, {1: "m"})
    axis = report.axes[0]
    assert axis.instance.n_items == 0 and axis.instance.pearson.value is None
    assert axis.instance.mae.reason.startswith("no item has both")
    assert axis.system.n_models == 0
    assert axis.alpha_humans.value is None and "only one item" in axis.alpha_humans.reason
    json.dumps(report.as_dict(), allow_nan=False)


def test_two_items_are_too_few_for_a_correlation():
    human = pd.DataFrame({"item": [1, 2], "annotator": ["a", "a"], "axis": "overall", "score": [3, 4]})
    judge = pd.DataFrame({"item": [1, 2], "axis": "overall", "score": [2, 5]})
    instance = report_for(human, judge, {1: "m", 2: "n"}).axes[0].instance
    assert "fewer than 3 items" in instance.spearman.reason
    assert instance.mae.value == pytest.approx(1.0)


def test_report_serialises_to_json(report):
    data = json.loads(json.dumps(report.as_dict(), allow_nan=False))
    assert data["axes"][0]["instance"]["confusion"]["labels"] == [1, 2, 3, 4, 5]
    assert data["judge"] == "judge"


def test_same_seed_same_report_other_seed_other_intervals(campaign):
    first = report_for(*campaign, replicates=50, seed=1).axes[0].instance.pearson
    again = report_for(*campaign, replicates=50, seed=1).axes[0].instance.pearson
    other = report_for(*campaign, replicates=50, seed=2).axes[0].instance.pearson
    assert first == again
    assert (first.low, first.high) != (other.low, other.high)
