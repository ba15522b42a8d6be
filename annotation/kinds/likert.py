"""Likert campaigns: an item is one response, answered with a score per axis of the rubric."""

NAME = "likert"


# ---------------------------------------------------------------------------------------------------------
# Reports

from annotation.errors import HyokaError  # noqa: E402


def check_rankable(campaign):
    """Likert scores rank no pairs: a HyokaError saying where the scores are compared instead."""
    raise HyokaError(f"campaign {campaign.slug} uses the likert rubric {campaign.rubric.key}: rankings need a "
                     f"pairwise campaign (see agreement and meta_eval for scores)")
