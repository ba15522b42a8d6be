"""Likert campaigns, the judging side (see judging.kinds)."""

NAME = "likert"


# ---------------------------------------------------------------------------------------------------------
# Reports


def verdicts_position_bias(verdicts):
    """None: a judge scoring one response at a time has no position to favour."""
    return None
