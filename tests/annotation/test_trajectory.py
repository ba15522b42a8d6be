"""Trajectory statistics on series built by hand, where the answer is known (and pandas as a reference)."""

import numpy as np
import pandas as pd
import pytest

from annotation.trajectory import (
    MISSING, TrajectoryType, TypeRule, accuracy, classify, flip_rate, majority_vote, moving_average,
    task_trajectory, total_variation,
)

M = MISSING


def test_total_variation_is_the_mean_absolute_step_between_consecutive_scores():
    assert total_variation([0.1, 0.3, 0.2, 0.6]) == pytest.approx((0.2 + 0.1 + 0.4) / 3)


def test_total_variation_skips_unscored_checkpoints_and_needs_two_scores():
    assert total_variation([0.1, np.nan, 0.4]) == pytest.approx(0.3)
    assert total_variation([0.5]) is None
    assert total_variation([np.nan, 0.5, np.nan]) is None


def test_moving_average_is_cut_at_the_ends_of_the_series():
    smoothed = moving_average([0.0, 0.3, 0.6, 0.3, 0.9], window=3)
    assert smoothed == pytest.approx([0.15, 0.3, 0.4, 0.6, 0.6])


def test_moving_average_matches_pandas_centred_rolling_mean():
    scores = np.random.default_rng(7).random(40)
    for window in (1, 3, 5, 7):
        expected = pd.Series(scores).rolling(window, center=True, min_periods=1).mean().to_numpy()
        assert moving_average(scores, window) == pytest.approx(expected)


def test_moving_average_leaves_a_missing_score_missing_and_out_of_its_neighbours_means():
    smoothed = moving_average([0.2, np.nan, 0.6, 0.8], window=3)
    assert smoothed[0] == pytest.approx(0.2)
    assert np.isnan(smoothed[1])
    assert smoothed[2] == pytest.approx(0.7)
    assert smoothed[3] == pytest.approx(0.7)


@pytest.mark.parametrize("window", [0, 2, -1, 4])
def test_the_window_must_be_a_positive_odd_number(window):
    with pytest.raises(ValueError, match="odd"):
        moving_average([0.1, 0.2], window)


def test_flip_rate_is_the_mean_share_of_examples_changing_between_consecutive_checkpoints():
    outcomes = [[1, 0, 1, 0],
                [1, 1, 1, 0],   # one flip of four
                [0, 0, 1, 1]]   # three flips of four
    assert flip_rate(outcomes) == pytest.approx((1 / 4 + 3 / 4) / 2)


def test_flip_rate_compares_only_examples_evaluated_at_both_checkpoints():
    outcomes = [[1, M, 0],
                [0, 1, M],     # only example 0 is at both: one flip of one
                [0, 1, 1]]     # examples 0 and 1: no flip
    assert flip_rate(outcomes) == pytest.approx((1.0 + 0.0) / 2)
    assert flip_rate([[1, 0]]) is None


def test_a_checkpoint_without_outcomes_is_skipped_as_an_unscored_one_is():
    # The middle checkpoint evaluated nothing: its neighbours are consecutive, for flips as for total variation.
    outcomes = np.array([[1, 1], [M, M], [0, 1]], dtype=np.uint8)
    assert flip_rate(outcomes) == pytest.approx(1 / 2)  # example 0 flips from the first to the last
    assert total_variation(accuracy(outcomes)) == pytest.approx(1 / 2)  # accuracy 1, –, 1/2
    found = task_trajectory([0, 1, 2], accuracy(outcomes), outcomes)
    assert found.raw.flip_rate == pytest.approx(1 / 2) and found.raw.total_variation == pytest.approx(1 / 2)


def test_a_pair_of_checkpoints_with_no_example_in_common_has_nothing_to_compare():
    # Disjoint subsets of the examples at the first two checkpoints: that pair is left out, not counted as 0.
    outcomes = [[1, M, M],
                [M, 0, M],
                [M, 1, 1]]   # example 1 flips
    assert flip_rate(outcomes) == pytest.approx(1.0)
    assert flip_rate([[1, M], [M, 0]]) is None


def test_majority_vote_in_the_middle_takes_the_majority_of_the_window():
    outcomes = np.array([[1], [0], [1], [1], [0]], dtype=np.uint8)
    assert majority_vote(outcomes, 3)[:, 0].tolist() == [1, 1, 1, 1, 0]


def test_majority_vote_at_the_ends_ties_keep_the_checkpoints_own_outcome():
    # Window 3 at the first checkpoint holds checkpoints 0 and 1: 1 vs 0 is a tie, so checkpoint 0 keeps 1;
    # at the last, checkpoints 3 and 4 (1 vs 0): it keeps its 0.
    outcomes = np.array([[1, 0], [0, 0], [1, 0], [1, 1], [0, 1]], dtype=np.uint8)
    voted = majority_vote(outcomes, 3)
    assert voted[:, 0].tolist() == [1, 1, 1, 1, 0]
    assert voted[:, 1].tolist() == [0, 0, 0, 1, 1]


def test_majority_vote_with_a_missing_neighbour_is_a_tie_kept_and_missing_stays_missing():
    outcomes = np.array([[1], [0], [M], [1]], dtype=np.uint8)
    # checkpoint 1: window {1, 0, missing} is a tie → its own 0; checkpoint 2 stays missing;
    # checkpoint 3: window {missing, 1} → 1.
    assert majority_vote(outcomes, 3)[:, 0].tolist() == [1, 0, M, 1]


def test_majority_vote_over_five_and_the_smoothed_flip_rate_falls():
    rng = np.random.default_rng(3)
    truth = (np.arange(60)[:, None] > rng.integers(10, 50, size=200)[None, :]).astype(np.uint8)
    noisy = np.where(rng.random(truth.shape) < 0.15, 1 - truth, truth).astype(np.uint8)
    assert flip_rate(majority_vote(noisy, 5)) < flip_rate(noisy) / 2


def test_accuracy_counts_only_evaluated_examples():
    assert accuracy([[1, 0, M, 1], [M, M, M, M]])[0] == pytest.approx(2 / 3)
    assert np.isnan(accuracy([[M, M]])[0])


STEPS = np.arange(0, 101, 5)  # 21 checkpoints, positions 0, 0.05, ..., 1


def curve(function):
    return np.array([function(step / 100) for step in STEPS])


def test_a_steady_rise_from_the_start_is_gradual():
    reading = classify(STEPS, curve(lambda x: 0.2 + 0.6 * x))
    assert reading.type == TrajectoryType.GRADUAL
    assert reading.onset == pytest.approx(0.2)


def test_a_jump_a_plateau_and_a_later_rise_is_two_stage():
    scores = curve(lambda x: 0.1 + (0.3 if x >= 0.1 else 0) + (0.4 * (x - 0.6) / 0.4 if x > 0.6 else 0))
    reading = classify(STEPS, scores)
    assert reading.type == TrajectoryType.TWO_STAGE
    assert reading.plateau[0] == pytest.approx(0.1)


def test_near_chance_for_long_then_rising_is_late_onset():
    reading = classify(STEPS, curve(lambda x: 0.25 if x < 0.6 else 0.25 + 0.5 * (x - 0.6) / 0.4))
    assert reading.type == TrajectoryType.LATE_ONSET
    assert reading.onset == pytest.approx(0.7)


def test_a_single_early_jump_then_flat_is_unclassified():
    reading = classify(STEPS, curve(lambda x: 0.7 if x >= 0.3 else 0.2))
    assert reading.type == TrajectoryType.UNCLASSIFIED
    assert reading.steepest == pytest.approx(1.0)


def test_a_flat_or_falling_trajectory_is_unclassified():
    assert classify(STEPS, curve(lambda x: 0.5 - 0.3 * x)).type == TrajectoryType.UNCLASSIFIED
    assert classify(STEPS, curve(lambda x: 0.5 + 0.01 * x)).type == TrajectoryType.UNCLASSIFIED
    assert classify([0, 1], [0.1, 0.9]).type == TrajectoryType.UNCLASSIFIED


def test_a_rise_and_fall_is_unclassified():
    triangle = curve(lambda x: 1.2 * x if x <= 0.5 else 1.2 * (1 - x))  # up to 0.6 and back to 0
    hump = curve(lambda x: 0.1 + 0.5 * np.sin(np.pi * x))
    for scores in (triangle, hump, moving_average(triangle), moving_average(hump)):
        reading = classify(STEPS, scores)
        assert reading.type == TrajectoryType.UNCLASSIFIED
        assert reading.fall == pytest.approx(1.0, abs=0.05)
    # A rise that keeps most of its gain is still read: losing a fifth of it is within the default max_fall.
    kept = curve(lambda x: 0.2 + 0.6 * x if x <= 0.8 else 0.68 - 0.6 * (x - 0.8))
    assert classify(STEPS, kept).type == TrajectoryType.GRADUAL


def test_a_gradual_rise_with_ordinary_jitter_at_the_end_stays_gradual():
    jitter = np.random.default_rng(11).normal(0, 0.02, len(STEPS))
    scores = curve(lambda x: 0.2 + 0.6 * x) + jitter
    scores[-1] -= 0.04  # the last checkpoint a little low, below the one before it
    assert scores[-1] < scores[:-1].max()
    assert classify(STEPS, scores).type == TrajectoryType.GRADUAL
    assert task_trajectory(STEPS, scores).reading.type == TrajectoryType.GRADUAL


def test_the_thresholds_are_parameters():
    triangle = curve(lambda x: 1.2 * x if x <= 0.5 else 1.2 * (1 - x))
    assert classify(STEPS, triangle, TypeRule(max_fall=1.0)).type == TrajectoryType.GRADUAL
    late_rise = curve(lambda x: 0.25 if x < 0.6 else 0.25 + 0.5 * (x - 0.6) / 0.4)
    assert classify(STEPS, late_rise, TypeRule(late_onset_after=0.8)).type != TrajectoryType.LATE_ONSET


def test_task_trajectory_puts_raw_and_smoothed_side_by_side():
    steps = [0, 1, 2, 3, 4]
    outcomes = np.array([[0, 0], [1, 0], [0, 1], [1, 1], [1, 1]], dtype=np.uint8)
    found = task_trajectory(steps, accuracy(outcomes), outcomes, window=3)
    assert found.raw.scores == [0.0, 0.5, 0.5, 1.0, 1.0]
    assert found.smoothed.scores == pytest.approx([0.25, 1 / 3, 2 / 3, 5 / 6, 1.0])
    assert found.raw.total_variation == pytest.approx(1.0 / 4)
    assert found.raw.flip_rate == pytest.approx((1 / 2 + 2 / 2 + 1 / 2 + 0) / 4)
    # votes: example 0 → [0 (tie keeps 0), 0, 1, 1, 1]; example 1 → [0, 0, 1, 1, 1]
    assert found.voted_accuracy == [0.0, 0.0, 1.0, 1.0, 1.0]
    assert found.smoothed.flip_rate == pytest.approx((0 + 1 + 0 + 0) / 4)
    assert found.voted_total_variation == pytest.approx((0 + 1 + 0 + 0) / 4)  # of the voted accuracy
    assert found.window == 3
    assert task_trajectory(steps, accuracy(outcomes)).voted_total_variation is None  # no outcomes, none
