import dataclasses
import json
import warnings

import krippendorff
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from annotation import agreement
from annotation.agreement import LEVELS

nan = np.nan

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: 4 observers, 12 units.
PAPER_DATA = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
    [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan],
]
PAPER_ALPHA = {"nominal": 0.743, "ordinal": 0.815, "interval": 0.849, "ratio": 0.797}

# The example of the Wikipedia article "Krippendorff's alpha": 3 coders, 15 units.
WIKIPEDIA_DATA = [
    [nan, nan, nan, nan, nan, 3, 4, 1, 2, 1, 1, 3, 3, nan, 3],
    [1, nan, 2, 1, 3, 3, 4, 3, nan, nan, nan, nan, nan, nan, nan],
    [nan, nan, 2, 1, 3, 4, 4, nan, 2, 1, 1, 3, 3, nan, 4],
]
WIKIPEDIA_ALPHA = {"nominal": 0.691, "interval": 0.811}


def ratings_frame(matrix, axis="overall"):
    """A reliability matrix (annotators x items, NaN = not rated) as the long ratings table."""
    matrix = np.asarray(matrix, dtype=float)
    annotator, item = np.indices(matrix.shape).reshape(2, -1)
    frame = pd.DataFrame({"item": item, "annotator": annotator, "axis": axis, "score": matrix.reshape(-1)})
    return frame.dropna(subset=["score"])


def random_matrix(rng, n_annotators, n_items, values=(1, 2, 3, 4, 5), missing=0.3):
    matrix = rng.choice(np.asarray(values, dtype=float), size=(n_annotators, n_items))
    matrix[rng.random(matrix.shape) < missing] = nan
    return matrix


def package_alpha(matrix, level):
    return krippendorff.alpha(reliability_data=matrix, level_of_measurement=level)


def only_axis(ratings, **options):
    options.setdefault("replicates", 0)
    return agreement.agreement_report(ratings, **options).axes[0]


# --- point estimates --------------------------------------------------------------------------------------


@pytest.mark.parametrize("level", LEVELS)
def test_alpha_reproduces_krippendorffs_worked_example(level):
    alpha = only_axis(ratings_frame(PAPER_DATA), level=level).alpha.value
    assert round(alpha, 3) == PAPER_ALPHA[level]
    assert alpha == pytest.approx(package_alpha(PAPER_DATA, level), abs=1e-12)


@pytest.mark.parametrize("level", ["nominal", "interval"])
def test_alpha_reproduces_the_wikipedia_example(level):
    alpha = only_axis(ratings_frame(WIKIPEDIA_DATA), level=level).alpha.value
    assert round(alpha, 3) == WIKIPEDIA_ALPHA[level]


def test_nominal_alpha_of_the_worked_example_is_the_exact_fraction():
    assert only_axis(ratings_frame(PAPER_DATA), level="nominal").alpha.value == pytest.approx(113 / 152, abs=1e-15)


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("seed, n_annotators, n_items, values", [
    (1, 2, 40, (1, 2, 3, 4, 5)),
    (2, 3, 25, (1, 2, 3, 4, 5)),
    (3, 5, 60, (1, 2, 3, 4, 5, 6, 7)),
    (4, 8, 15, (1, 2, 5, 9)),           # gaps in the scale: ordinal ranks differ from interval values
    (5, 4, 200, (0.5, 1.0, 2.5, 4.0)),  # non-integer scores
])
def test_alpha_matches_the_krippendorff_package_on_random_data_with_missing_values(
        level, seed, n_annotators, n_items, values):
    matrix = random_matrix(np.random.default_rng(seed), n_annotators, n_items, values)
    alpha = only_axis(ratings_frame(matrix), level=level).alpha.value
    assert alpha == pytest.approx(package_alpha(matrix, level), abs=1e-9)


def test_alpha_ignores_scores_of_items_nobody_else_scored():
    matrix = random_matrix(np.random.default_rng(6), 3, 30)
    lonely = np.full((3, 5), nan)
    lonely[0] = [1, 5, 1, 5, 1]
    widened = np.hstack([matrix, lonely])
    assert only_axis(ratings_frame(widened)).alpha.value == pytest.approx(package_alpha(widened, "ordinal"), abs=1e-9)


@pytest.mark.parametrize("level", LEVELS)
def test_pattern_totals_give_the_same_alpha_as_the_coincidence_matrix(level):
    matrix = random_matrix(np.random.default_rng(7), 4, 50)
    encoded = agreement.encode_ratings(ratings_frame(matrix))
    axis = agreement.axis_ratings_all(encoded)[0]
    patterns = agreement.value_patterns(axis, encoded.n_items)
    observed = np.bincount(patterns.item_pattern, minlength=patterns.n_patterns + 1)[np.newaxis, :-1]
    batch = agreement.alpha_from_pattern_totals(patterns, observed.astype(float), level)
    assert batch[0] == pytest.approx(agreement.alpha_point(axis, level).value, abs=1e-12)


def test_each_axis_is_computed_separately():
    rng = np.random.default_rng(8)
    first, second = random_matrix(rng, 3, 30), random_matrix(rng, 3, 30)
    ratings = pd.concat([ratings_frame(first, "relevance"), ratings_frame(second, "fluency")])
    alphas = agreement.alpha_by_axis(ratings, replicates=0)
    assert alphas["relevance"].value == pytest.approx(package_alpha(first, "ordinal"), abs=1e-9)
    assert alphas["fluency"].value == pytest.approx(package_alpha(second, "ordinal"), abs=1e-9)


def test_annotator_and_item_ids_can_be_any_hashable():
    frame = ratings_frame(PAPER_DATA)
    frame["item"] = "prompt-" + frame["item"].astype(str)
    frame["annotator"] = frame["annotator"].map({0: "alice", 1: "bob", 2: "carol", 3: "dave"})
    axis = only_axis(frame)
    assert round(axis.alpha.value, 3) == 0.815
    assert [a.annotator for a in axis.annotators] == ["alice", "bob", "carol", "dave"]


# --- bootstrap --------------------------------------------------------------------------------------------


def test_interval_contains_the_estimate_and_is_reproducible_with_the_same_seed():
    ratings = ratings_frame(random_matrix(np.random.default_rng(9), 3, 80))
    first = only_axis(ratings, replicates=300, seed=11).alpha
    again = only_axis(ratings, replicates=300, seed=11).alpha
    other = only_axis(ratings, replicates=300, seed=12).alpha
    assert first.low < first.value < first.high
    assert (first.low, first.high) == (again.low, again.high)
    assert (first.low, first.high) != (other.low, other.high)
    assert first.replicates + first.dropped == 300


def fast_bootstrap_inputs(matrix):
    encoded = agreement.encode_ratings(ratings_frame(matrix))
    patterns = agreement.value_patterns(agreement.axis_ratings_all(encoded)[0], encoded.n_items)
    return encoded, patterns


def resampled_matrices(matrix, replicates, seed):
    """The resampled reliability matrices behind the fast bootstrap of `matrix`, one per replicate."""
    encoded, patterns = fast_bootstrap_inputs(matrix)
    blocks = agreement.bootstrap_resamples([patterns.item_pattern], [patterns.n_patterns], encoded.n_items,
                                           replicates, seed)
    return [matrix[:, encoded.item_labels[indices].astype(int)] for block in blocks for indices in block]


# Items with nearly unique patterns are resampled by drawing item indices; items that fall into a few
# classes (same values) by drawing class counts.
DRAWN_AS_ITEMS = dict(n_annotators=4, n_items=40, values=(1, 2, 3, 4, 5), missing=0.3)
DRAWN_AS_CLASSES = dict(n_annotators=2, n_items=300, values=(1, 2, 3), missing=0.1)


@pytest.mark.parametrize("shape, drawn_as_classes", [(DRAWN_AS_ITEMS, False), (DRAWN_AS_CLASSES, True)])
@pytest.mark.parametrize("level", LEVELS)
def test_each_bootstrap_replicate_equals_the_package_on_the_resampled_items(level, shape, drawn_as_classes):
    matrix = random_matrix(np.random.default_rng(10), **shape)
    encoded, patterns = fast_bootstrap_inputs(matrix)
    classes = agreement.few_item_classes([patterns.item_pattern], [patterns.n_patterns], encoded.n_items)
    assert (classes is not None) == drawn_as_classes
    fast = agreement.alpha_replicates([patterns], level, encoded.n_items, replicates=20, seed=3)[0]
    resampled = resampled_matrices(matrix, 20, seed=3)
    for replicate in (0, 7, 19):
        assert fast[replicate] == pytest.approx(package_alpha(resampled[replicate], level), abs=1e-9)


@pytest.mark.parametrize("shape", [DRAWN_AS_ITEMS, DRAWN_AS_CLASSES])
def test_fast_interval_equals_the_naive_interval_on_the_same_resamples(shape):
    matrix = random_matrix(np.random.default_rng(11), **shape)
    fast = only_axis(ratings_frame(matrix), replicates=200, seed=5).alpha
    naive = [package_alpha(resampled, "ordinal") for resampled in resampled_matrices(matrix, 200, seed=5)]
    assert (fast.low, fast.high) == pytest.approx(tuple(np.quantile(naive, [0.025, 0.975])), abs=1e-9)


def test_class_counts_and_item_draws_give_the_same_distribution():
    matrix = random_matrix(np.random.default_rng(20), **DRAWN_AS_CLASSES)
    encoded, patterns = fast_bootstrap_inputs(matrix)
    by_classes = agreement.alpha_replicates([patterns], "ordinal", encoded.n_items, 2000, seed=1)[0]
    item_draws = agreement._totals_from_item_indices([patterns.item_pattern], [patterns.n_patterns],
                                                     encoded.n_items, 2000, seed=1)
    totals = np.concatenate([block[0] for block in item_draws])
    by_items = agreement.alpha_from_pattern_totals(patterns, totals, "ordinal")
    # Standard errors: about 0.0015 for the mean, 2% for the standard deviation.
    assert by_items.mean() == pytest.approx(by_classes.mean(), abs=0.01)
    assert by_items.std() == pytest.approx(by_classes.std(), rel=0.1)


def test_blocks_of_replicates_do_not_change_the_draws(monkeypatch):
    ratings = ratings_frame(random_matrix(np.random.default_rng(12), 3, 50))
    whole = only_axis(ratings, replicates=100, seed=2).alpha
    monkeypatch.setattr(agreement, "_DRAWS_PER_BLOCK", 1)
    one_by_one = only_axis(ratings, replicates=100, seed=2).alpha
    assert (whole.low, whole.high) == (one_by_one.low, one_by_one.high)


def test_axes_share_one_resampling_of_items():
    matrix = random_matrix(np.random.default_rng(13), 3, 60)
    ratings = pd.concat([ratings_frame(matrix, "relevance"), ratings_frame(matrix, "fluency"),
                         ratings_frame(matrix[:, :30], "detail")])
    report = agreement.agreement_report(ratings, replicates=200, seed=4)
    relevance, fluency = report.axes[0].alpha, report.axes[1].alpha
    assert (relevance.low, relevance.high) == (fluency.low, fluency.high)
    assert report.n_items == 60


def test_replicates_without_variation_are_dropped_and_counted():
    # Two items where everybody agrees and one where they do not: a resample without the third item
    # has no variation.
    ratings = ratings_frame([[1, 1, 1], [1, 1, 2]])
    alpha = only_axis(ratings, level="nominal", replicates=500, seed=0).alpha
    assert alpha.dropped > 50
    assert alpha.replicates + alpha.dropped == 500


def test_without_replicates_there_is_no_interval():
    alpha = only_axis(ratings_frame(PAPER_DATA), replicates=0).alpha
    assert alpha.low is None and alpha.high is None
    assert alpha.reason is None and alpha.replicates == 0


def test_too_few_defined_replicates_give_no_interval_and_say_why():
    alpha = only_axis(ratings_frame([[1, 1, 3], [1, 2, 3]]), level="nominal", replicates=1).alpha
    assert alpha.value is not None and alpha.low is None
    assert "fewer than 2 bootstrap replicates" in alpha.reason


def test_many_patterns_still_use_exact_counts():
    # Non-integer scores (as after normalisation) make many distinct values and patterns; the package is
    # slow on those (it builds units x values x values), hence the small table.
    matrix = np.random.default_rng(14).normal(size=(3, 80)).round(3)
    for level in ("interval", "ordinal"):
        axis = only_axis(ratings_frame(matrix), level=level, replicates=50)
        assert axis.alpha.value == pytest.approx(package_alpha(matrix, level), abs=1e-9)
        assert axis.alpha.low <= axis.alpha.value <= axis.alpha.high


# --- degenerate data --------------------------------------------------------------------------------------


@pytest.mark.parametrize("matrix, reason", [
    ([[1, 2, 3, 4]], "only one annotator"),
    ([[3, 3, 3], [3, 3, 3]], "same value"),
    ([[1, nan, 3], [nan, 2, nan]], "no item was scored by two"),
    ([[1, 4, nan], [2, nan, 5]], "only one item"),
])
def test_degenerate_data_gives_no_alpha_and_says_why(matrix, reason):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        axis = only_axis(ratings_frame(matrix), replicates=100)
    assert axis.alpha.value is None
    assert reason in axis.alpha.reason
    json.dumps(dataclasses.asdict(axis), allow_nan=False)


def test_empty_input_gives_an_empty_report():
    empty = pd.DataFrame(columns=["item", "annotator", "axis", "score"])
    report = agreement.agreement_report(empty)
    assert report.axes == () and report.n_items == 0
    assert agreement.alpha_by_axis(empty) == {}


def test_an_axis_without_pairable_items_beside_a_good_one():
    good = ratings_frame(PAPER_DATA, "relevance")
    lonely = pd.DataFrame({"item": [0, 1], "annotator": [0, 1], "axis": "fluency", "score": [2, 3]})
    report = agreement.agreement_report(pd.concat([good, lonely]), replicates=100)
    relevance, fluency = report.axes
    assert relevance.alpha.low is not None
    assert fluency.alpha.value is None and fluency.exact_agreement.value is None
    assert fluency.mean_kappa.value is None
    assert all(a.alpha_without.value is None for a in fluency.annotators)


def test_a_repeated_score_is_refused():
    ratings = pd.DataFrame({"item": [1, 1], "annotator": [7, 7], "axis": "overall", "score": [3, 4]})
    with pytest.raises(ValueError, match="twice"):
        agreement.agreement_report(ratings)


def test_a_missing_column_is_refused():
    with pytest.raises(ValueError, match="score"):
        agreement.agreement_report(pd.DataFrame({"item": [1], "annotator": [1], "axis": ["x"]}))


def test_unknown_level_is_refused():
    with pytest.raises(ValueError, match="level"):
        agreement.agreement_report(ratings_frame(PAPER_DATA), level="circular")


# --- pairwise agreement, kappa, annotators ----------------------------------------------------------------


def test_exact_and_within_one_agreement_count_pairs_within_items():
    # Item 0: (1, 1, 3) -> pairs 1-1, 1-3, 1-3; item 1: (4, 5) -> one pair; item 2: a single score.
    ratings = ratings_frame([[1, 4, 2], [1, 5, nan], [3, nan, nan]])
    axis = only_axis(ratings)
    assert axis.n_pairs == 4
    assert axis.exact_agreement.value == pytest.approx(1 / 4)
    assert axis.within_one_agreement.value == pytest.approx(2 / 4)
    assert (axis.n_items, axis.n_pairable_items, axis.n_ratings, axis.n_pairable_values) == (3, 2, 6, 5)


def weighted_kappa_by_matrix(x, y):
    """Cohen's kappa with weights (a - b)^2 on the score values, from the textbook matrix formula."""
    categories = np.unique(np.concatenate([x, y]))
    index = {value: position for position, value in enumerate(categories)}
    observed = np.zeros((len(categories), len(categories)))
    for a, b in zip(x, y):
        observed[index[a], index[b]] += 1
    observed /= observed.sum()
    expected = np.outer(observed.sum(axis=1), observed.sum(axis=0))
    weights = (categories[:, np.newaxis] - categories[np.newaxis, :]) ** 2
    return 1 - (weights * observed).sum() / (weights * expected).sum()


def test_quadratic_kappa_of_a_hand_example():
    # x = 1 2 3 4 5 1 and y = 1 2 3 5 5 2: the mean squared difference is 2/6 = 1/3; by chance (from the
    # marginals) it is var x + var y + (mean x - mean y)^2 = 20/9 + 7/3 + 1/9 = 14/3, so kappa = 1 - 1/14.
    x, y = np.array([1, 2, 3, 4, 5, 1.0]), np.array([1, 2, 3, 5, 5, 2.0])
    axis = only_axis(ratings_frame([x, y]), min_common_items=6)
    assert axis.mean_kappa.value == pytest.approx(13 / 14, abs=1e-12)
    assert axis.mean_kappa.value == pytest.approx(weighted_kappa_by_matrix(x, y), abs=1e-12)
    assert axis.n_kappa_pairs == 1
    assert only_axis(ratings_frame([x, y]), min_common_items=7).mean_kappa.value is None


def test_mean_kappa_averages_pairs_with_enough_common_items():
    matrix = random_matrix(np.random.default_rng(15), 4, 60, missing=0.2)
    matrix[3, 10:] = nan  # annotator 3 shares at most 10 items with each other annotator
    axis = only_axis(ratings_frame(matrix), min_common_items=20)
    kappas = []
    for a in range(3):
        for b in range(a + 1, 3):
            both = ~np.isnan(matrix[a]) & ~np.isnan(matrix[b])
            kappas.append(weighted_kappa_by_matrix(matrix[a, both], matrix[b, both]))
    assert axis.n_kappa_pairs == 3
    assert axis.mean_kappa.value == pytest.approx(np.mean(kappas), abs=1e-12)


def test_alpha_without_each_annotator_matches_the_package_on_the_others():
    rng = np.random.default_rng(16)
    matrix = np.clip(np.rint(rng.uniform(1, 5, 50) + rng.normal(0, 0.5, (4, 50))), 1, 5)
    matrix[rng.random(matrix.shape) < 0.2] = nan
    matrix[2] = rng.choice([1.0, 5.0], size=50)  # an erratic annotator
    axis = only_axis(ratings_frame(matrix))
    for annotator in axis.annotators:
        rest = np.delete(matrix, annotator.annotator, axis=0)
        assert annotator.alpha_without.value == pytest.approx(package_alpha(rest, "ordinal"), abs=1e-9)
    erratic = axis.annotators[2]
    assert erratic.alpha_without.value == max(a.alpha_without.value for a in axis.annotators)


def test_correlation_with_the_others_mean_matches_scipy():
    matrix = random_matrix(np.random.default_rng(18), 3, 40, missing=0.2)
    axis = only_axis(ratings_frame(matrix))
    for annotator in axis.annotators:
        own = matrix[annotator.annotator]
        others = np.delete(matrix, annotator.annotator, axis=0)
        shared = ~np.isnan(own) & (~np.isnan(others)).any(axis=0)
        expected = stats.pearsonr(own[shared], np.nanmean(others[:, shared], axis=0)).statistic
        assert annotator.correlation_with_others.value == pytest.approx(expected, abs=1e-9)
        assert annotator.n_shared_items == shared.sum()
        assert annotator.n_ratings == (~np.isnan(own)).sum()


def test_a_constant_annotator_has_no_correlation_and_says_why():
    axis = only_axis(ratings_frame([[3, 3, 3, 3], [1, 2, 3, 4]]))
    assert axis.annotators[0].correlation_with_others.value is None
    assert "all the same" in axis.annotators[0].correlation_with_others.reason


# --- normalisation ----------------------------------------------------------------------------------------


def zscore_rows(matrix):
    mean = np.nanmean(matrix, axis=1, keepdims=True)
    std = np.nanstd(matrix, axis=1, keepdims=True)
    return (matrix - mean) / std


def test_normalisation_z_scores_each_annotator_per_axis():
    rng = np.random.default_rng(19)
    matrix = random_matrix(rng, 3, 60, values=(1, 2, 3), missing=0.1)
    matrix[1] += 2  # a lenient annotator
    axis = only_axis(ratings_frame(matrix), level="interval", normalise=True, replicates=50)
    assert axis.alpha.value == pytest.approx(package_alpha(zscore_rows(matrix), "interval"), abs=1e-9)
    assert axis.alpha.value > package_alpha(matrix, "interval")
    assert axis.exact_agreement.value == only_axis(ratings_frame(matrix)).exact_agreement.value


def test_normalisation_gives_a_constant_annotator_zeros():
    matrix = np.array([[4, 4, 4, 4, 4], [1, 2, 3, 4, 5], [2, 2, 3, 5, 4.0]])
    axis = only_axis(ratings_frame(matrix), level="interval", normalise=True)
    normalised = zscore_rows(matrix[1:])
    expected = package_alpha(np.vstack([np.zeros(5), normalised]), "interval")
    assert axis.alpha.value == pytest.approx(expected, abs=1e-9)


# --- output -----------------------------------------------------------------------------------------------


def test_report_serialises_to_json_with_plain_values():
    frame = ratings_frame(PAPER_DATA)
    frame["annotator"] = frame["annotator"].astype(np.int32)
    report = agreement.agreement_report(pd.concat([frame, ratings_frame([[3, 3], [3, 3]], "fluency")]),
                                        replicates=50)
    text = json.dumps(report.as_dict(), allow_nan=False)
    assert json.loads(text)["axes"][1]["alpha"]["value"] is None
    assert type(report.axes[0].annotators[0].annotator) is int


def test_an_unscored_axis_reports_zero_counts_and_says_why():
    axis = agreement.unscored_axis_agreement("detail", level="interval")
    assert (axis.axis, axis.level, axis.n_items, axis.n_ratings, axis.annotators) == ("detail", "interval", 0, 0, ())
    assert axis.alpha.value is None and axis.alpha.reason == "no scores on this axis"
    assert json.loads(json.dumps(dataclasses.asdict(axis), allow_nan=False))["mean_kappa"]["value"] is None


# --- mean of item scores with an interval -------------------------------------------------------------------


def test_mean_with_interval_matches_the_item_bootstrap():
    rng = np.random.default_rng(23)
    values = rng.choice([1.0, 1.5, 2.0, 3.0, 4.5, 5.0], size=400)
    estimate = agreement.mean_with_interval(values, replicates=4000, seed=5)
    naive = values[rng.integers(0, len(values), size=(4000, len(values)))].mean(axis=1)
    low, high = np.quantile(naive, [0.025, 0.975])
    assert estimate.value == pytest.approx(values.mean())
    assert (estimate.low, estimate.high) == pytest.approx((low, high), abs=0.02)
    assert estimate.replicates == 4000 and estimate.low < estimate.value < estimate.high
    assert agreement.mean_with_interval(values, replicates=4000, seed=5) == estimate


def test_mean_with_interval_of_too_few_items_says_why():
    assert agreement.mean_with_interval(np.array([nan]), replicates=10).reason == "no items"
    one = agreement.mean_with_interval(np.array([3.0, nan]), replicates=10)
    assert (one.value, one.low, one.reason) == (3.0, None, "only one item: no interval")
    assert agreement.mean_with_interval(np.array([2.0, 4.0]), replicates=0) == agreement.Estimate(3.0)
