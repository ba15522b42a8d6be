"""What a trajectory report is asked for: the smoothing window and the thresholds of the trajectory type's rule
(TypeRule), each with its meaning in words and the values it may take. Imports neither Django nor numpy, so
that the API's serializers and the series page check them in a web process (annotation.trajectory computes).
"""

import math
from dataclasses import dataclass, field

DEFAULT_WINDOW = 3


class TrajectoryType:
    GRADUAL = "gradual"
    TWO_STAGE = "two-stage"
    LATE_ONSET = "late-onset"
    UNCLASSIFIED = "unclassified"


def check_window(window):
    """A window must be a positive odd number of checkpoints (so that it is centred)."""
    if not isinstance(window, int) or window < 1 or window % 2 == 0:
        raise ValueError(f"the window must be a positive odd number of checkpoints, not {window!r}")
    return window


def _threshold(default, words, *, highest=1.0):
    """A threshold of TypeRule with its meaning in words (the command's --rule-* help says them) and the
    largest value it may take (None: no limit); every threshold is 0 or more."""
    return field(default=default, metadata={"words": words, "highest": highest})


@dataclass(frozen=True)
class TypeRule:
    """The thresholds of annotation.trajectory.classify. Positions are shares of training (0 at the first
    checkpoint's step, 1 at the last's); progress is the share of the rise made so far:
    (m_t − m_first) / (m_peak − m_first) on the smoothed scores m. A threshold out of its bounds is a
    ValueError naming it (``threshold_problem``)."""

    min_rise: float = _threshold(0.05, "the rise (peak − first score, in the score's own units) under which a "
                                       "trajectory is unclassified", highest=None)
    max_fall: float = _threshold(0.25, "how far the last score may drop below the peak, as a share of the rise, "
                                       "before the trajectory counts as a rise and fall (unclassified)",
                                 highest=None)
    onset_progress: float = _threshold(0.2, "the onset is the first position where progress reaches this")
    late_onset_after: float = _threshold(0.5, "an onset at or after this position makes the trajectory late-onset")
    plateau_span: float = _threshold(0.2, "a plateau lasts at least this share of training (also the stretch "
                                          "of the gradual test)")
    plateau_change: float = _threshold(0.1, "over a plateau, progress moves by less than this")
    first_stage: float = _threshold(0.2, "two-stage: progress made before the plateau, at least this (an early "
                                         "jump)")
    second_stage: float = _threshold(0.2, "two-stage: progress rises by at least this after the plateau (a "
                                          "later rise)")
    steepest_share: float = _threshold(0.6, "gradual: no stretch of plateau_span makes more than this share of "
                                            "the rise")

    def __post_init__(self):
        for name in RULE_THRESHOLDS:
            problem = threshold_problem(name, getattr(self, name))
            if problem:
                raise ValueError(f"{name} {problem}")

    def as_dict(self):
        return {name: getattr(self, name) for name in RULE_THRESHOLDS}

    @classmethod
    def words(cls, name):
        """What the threshold ``name`` means, in words."""
        return cls.__dataclass_fields__[name].metadata["words"]

    @classmethod
    def highest(cls, name):
        """The largest value the threshold ``name`` may take; None when it has no limit (the lowest is 0)."""
        return cls.__dataclass_fields__[name].metadata["highest"]


RULE_THRESHOLDS = tuple(TypeRule.__dataclass_fields__)


def threshold_problem(name, value):
    """Why ``value`` cannot be the threshold ``name``, or None: every threshold is a finite number, 0 or more;
    the shares (all but min_rise, in the score's units, and max_fall, which a score ending below the first one
    exceeds) at most 1."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return f"must be a finite number, not {value!r}"
    highest = TypeRule.highest(name)
    if value < 0 or (highest is not None and value > highest):
        return f"must be {threshold_bounds(name)}, not {value:g}"
    return None


def threshold_bounds(name):
    """The values the threshold ``name`` may take, in words: "between 0 and 1" or "0 or more"."""
    highest = TypeRule.highest(name)
    return f"between 0 and {highest:g}" if highest is not None else "0 or more"
