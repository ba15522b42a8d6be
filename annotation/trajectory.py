"""Checkpoint trajectories: how a score moves over a model's pretraining checkpoints. Pure (no Django).

A trajectory is a task's score at successive checkpoints (a float array in step order, NaN where a checkpoint
has no score); with per-example outcomes it is also a matrix of checkpoints × examples (uint8: 1 correct,
0 wrong, MISSING not evaluated).

- Gaps, one rule for both measures: a checkpoint where the task has nothing (no score; no outcome of any
  example) is skipped, so "consecutive" means consecutive among the checkpoints that have one, and the step
  over the gap counts once.
- Mean total variation: the mean over consecutive scored checkpoints of |s_t − s_{t−1}|.
- Flip rate: for each pair of consecutive evaluated checkpoints, the share of the examples evaluated at both
  whose correctness differs; the mean of those shares over the pairs. A pair with no example evaluated at both
  (disjoint subsets of the examples) has no share and is left out.
- Smoothing over a centred window of K checkpoints (K odd): at checkpoint t the window is t − K//2 … t + K//2,
  cut at the ends of the series (so the first checkpoint's window of K = 3 holds two checkpoints). Scores: the
  mean of the window's scores (the moving average). Outcomes: per example, the majority of the window's
  outcomes; a tie (possible where the window is cut, or where outcomes are missing) keeps the checkpoint's own
  outcome, and a checkpoint without an outcome stays without one.
- Trajectory type: see ``classify`` and TypeRule (annotation.trajectory_rule).
"""

from dataclasses import dataclass, field

import numpy as np

# The window and the type rule live in a module without numpy (the API checks them in web processes).
from annotation.trajectory_rule import DEFAULT_WINDOW, TrajectoryType, TypeRule, check_window  # noqa: F401

MISSING = 255
# Slack for comparing shares computed in floating point with thresholds (0.6 * 0.2 / 0.6 is not quite 0.2).
EPSILON = 1e-9


def total_variation(scores):
    """Mean |s_t − s_{t−1}| over consecutive scored checkpoints; None with fewer than two scores."""
    present = np.asarray(scores, dtype=float)
    present = present[~np.isnan(present)]
    if len(present) < 2:
        return None
    return float(np.mean(np.abs(np.diff(present))))


def moving_average(scores, window=DEFAULT_WINDOW):
    """The centred moving average over ``window`` checkpoints, cut at the ends; NaN stays NaN and is left out
    of its neighbours' means."""
    half = check_window(window) // 2
    values = np.asarray(scores, dtype=float)
    present = ~np.isnan(values)
    sums = _window_sums(np.where(present, values, 0.0), half)
    counts = _window_sums(present.astype(float), half)
    with np.errstate(invalid="ignore", divide="ignore"):
        smoothed = sums / counts
    smoothed[~present] = np.nan
    return smoothed


def _window_sums(values, half):
    """Sums over the window t − half … t + half (cut at the ends) along the first axis."""
    n = values.shape[0]
    cumulative = np.concatenate([np.zeros((1,) + values.shape[1:]), np.cumsum(values, axis=0)])
    index = np.arange(n)
    high = np.minimum(index + half + 1, n)
    low = np.maximum(index - half, 0)
    return cumulative[high] - cumulative[low]


def majority_vote(outcomes, window=DEFAULT_WINDOW):
    """Per example, the majority outcome over the window around each checkpoint (checkpoints × examples
    uint8 in, the same shape out); ties keep the checkpoint's own outcome, MISSING stays MISSING."""
    half = check_window(window) // 2
    matrix = np.asarray(outcomes, dtype=np.uint8)
    present = matrix != MISSING
    correct = _window_sums((matrix == 1).astype(np.int64), half)
    wrong = _window_sums(((matrix == 0)).astype(np.int64), half)
    voted = np.where(correct > wrong, 1, np.where(wrong > correct, 0, matrix)).astype(np.uint8)
    voted[~present] = MISSING
    return voted


def accuracy(outcomes):
    """Per checkpoint, the share of its evaluated examples that are correct (NaN where none is evaluated)."""
    matrix = np.asarray(outcomes, dtype=np.uint8)
    evaluated = (matrix != MISSING).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(evaluated > 0, (matrix == 1).sum(axis=1) / evaluated, np.nan)


def flip_rate(outcomes):
    """Mean over consecutive evaluated checkpoints of the share of examples (evaluated at both) whose
    correctness changes. A checkpoint with no outcome at all is skipped, as total_variation skips an unscored
    one: its neighbours are consecutive. A pair of evaluated checkpoints with no example in common (disjoint
    subsets) has nothing to compare and is left out. None when no pair is left."""
    matrix = np.asarray(outcomes, dtype=np.uint8)
    matrix = matrix[(matrix != MISSING).any(axis=1)]
    if matrix.shape[0] < 2:
        return None
    before, after = matrix[:-1], matrix[1:]
    both = (before != MISSING) & (after != MISSING)
    compared = both.sum(axis=1)
    flips = (both & (before != after)).sum(axis=1)
    shares = flips[compared > 0] / compared[compared > 0]
    return float(shares.mean()) if len(shares) else None


# ---------------------------------------------------------------------------------------------------------
# Trajectory type


@dataclass(frozen=True)
class TypeReading:
    """The type of one trajectory and what it was read from (positions as shares of training)."""

    type: str
    rise: float | None = None
    onset: float | None = None
    plateau: tuple | None = None  # (start, end) positions of the plateau that made it two-stage
    steepest: float | None = None  # the largest share of the rise made within plateau_span
    fall: float | None = None  # how far the last score is below the peak, as a share of the rise

    def as_dict(self):
        return {"type": self.type, "rise": self.rise, "onset": self.onset,
                "plateau": list(self.plateau) if self.plateau else None, "steepest": self.steepest,
                "fall": self.fall}


def classify(steps, scores, rule=TypeRule()):
    """The trajectory type of (smoothed) ``scores`` at ``steps``, by this rule, in order:

    1. unclassified when fewer than three checkpoints are scored or the rise (peak − first) is under min_rise;
    2. unclassified when the last score is more than max_fall of the rise below the peak (a rise and fall: the
       trajectory does not keep what it gained);
    3. late-onset when the onset (first position with progress ≥ onset_progress) is at or after late_onset_after;
    4. two-stage when a plateau (≥ plateau_span of training over which progress moves < plateau_change) starts
       before late_onset_after with progress ≥ first_stage already made, and progress rises ≥ second_stage after it;
    5. gradual when no stretch of plateau_span makes more than steepest_share of the rise;
    6. unclassified otherwise (a single jump, noise).

    The report reads the smoothed scores, so "the last score" there is the moving average at the last
    checkpoint (the mean of the last K//2 + 1 scores): a jitter of the last raw score alone does not make a fall.
    """
    steps, scores = np.asarray(steps, dtype=float), np.asarray(scores, dtype=float)
    keep = ~np.isnan(scores)
    steps, scores = steps[keep], scores[keep]
    if len(scores) < 3 or steps[-1] == steps[0]:
        return TypeReading(TrajectoryType.UNCLASSIFIED)
    rise = float(scores.max() - scores[0])
    if rise < rule.min_rise or rise <= 0:
        return TypeReading(TrajectoryType.UNCLASSIFIED, rise=rise)
    position = (steps - steps[0]) / (steps[-1] - steps[0])
    progress = (scores - scores[0]) / rise
    onset = float(position[np.argmax(progress >= rule.onset_progress - EPSILON)])
    steepest = _steepest_share(position, progress, rule.plateau_span)
    fall = float((scores.max() - scores[-1]) / rise)
    reading = {"rise": rise, "onset": onset, "steepest": steepest, "fall": fall}
    if fall > rule.max_fall + EPSILON:
        return TypeReading(TrajectoryType.UNCLASSIFIED, **reading)
    if onset >= rule.late_onset_after:
        return TypeReading(TrajectoryType.LATE_ONSET, **reading)
    plateau = _two_stage_plateau(position, progress, rule)
    if plateau:
        return TypeReading(TrajectoryType.TWO_STAGE, plateau=plateau, **reading)
    if steepest <= rule.steepest_share:
        return TypeReading(TrajectoryType.GRADUAL, **reading)
    return TypeReading(TrajectoryType.UNCLASSIFIED, **reading)


def _steepest_share(position, progress, span):
    """The largest progress made between two checkpoints at most ``span`` apart."""
    steepest = 0.0
    for start in range(len(position)):
        within = position - position[start] <= span + EPSILON
        within[:start] = False
        steepest = max(steepest, float(progress[within].max() - progress[start]))
    return steepest


def _two_stage_plateau(position, progress, rule):
    """The first plateau that makes the trajectory two-stage, as (start, end) positions, or None."""
    n = len(position)
    for start in range(n):
        if position[start] >= rule.late_onset_after or progress[start] < rule.first_stage:
            continue
        low = high = progress[start]
        for end in range(start + 1, n):
            low, high = min(low, progress[end]), max(high, progress[end])
            if high - low >= rule.plateau_change:
                break
            if position[end] - position[start] >= rule.plateau_span - EPSILON and \
                    progress[end:].max() - progress[end] >= rule.second_stage:
                return float(position[start]), float(position[end])
    return None


# ---------------------------------------------------------------------------------------------------------
# One task's trajectory, raw and smoothed


@dataclass(frozen=True)
class Measures:
    """Instability of one version (raw or smoothed) of a trajectory."""

    scores: list
    total_variation: float | None
    flip_rate: float | None = None


@dataclass(frozen=True)
class TaskTrajectory:
    """A task's trajectory (one metric), raw and smoothed over ``window`` checkpoints, and its type (read
    from the smoothed scores)."""

    raw: Measures
    smoothed: Measures
    window: int
    reading: TypeReading
    voted_accuracy: list | None = field(default=None)  # accuracy of the majority-voted outcomes
    voted_total_variation: float | None = None  # the mean total variation of that accuracy


def task_trajectory(steps, scores, outcomes=None, *, window=DEFAULT_WINDOW, rule=TypeRule()):
    """Raw and smoothed measures of one task. ``outcomes`` (checkpoints × examples, rows in the order of
    ``steps``) is optional; without it there is no flip rate, and no accuracy of voted outcomes (whose mean
    total variation sits beside the smoothed scores': smoothing the outcomes, not the score)."""
    scores = np.asarray(scores, dtype=float)
    smoothed = moving_average(scores, window)
    raw_flips = smoothed_flips = voted = voted_variation = None
    if outcomes is not None and np.asarray(outcomes).size:
        votes = majority_vote(outcomes, window)
        raw_flips, smoothed_flips = flip_rate(outcomes), flip_rate(votes)
        voted_scores = accuracy(votes)
        voted, voted_variation = _listed(voted_scores), total_variation(voted_scores)
    return TaskTrajectory(
        raw=Measures(_listed(scores), total_variation(scores), raw_flips),
        smoothed=Measures(_listed(smoothed), total_variation(smoothed), smoothed_flips),
        window=window, reading=classify(steps, smoothed, rule), voted_accuracy=voted,
        voted_total_variation=voted_variation,
    )


def last_score(scores):
    """The score at the last checkpoint that has one (None when none has)."""
    present = [value for value in scores if value is not None and not np.isnan(value)]
    return present[-1] if present else None


def _listed(values):
    return [None if np.isnan(value) else float(value) for value in values]
