"""Pairwise campaigns, the judging side (see judging.kinds)."""

NAME = "pairwise"


# ---------------------------------------------------------------------------------------------------------
# Reports

from judging.position_bias import position_bias  # noqa: E402
from judging.ranking_selectors import judge_pair_verdicts  # noqa: E402


def verdicts_position_bias(verdicts):
    """The position and length bias (judging.position_bias.PositionBias) of `verdicts`, a Verdict queryset."""
    return position_bias(judge_pair_verdicts(verdicts))
