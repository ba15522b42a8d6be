"""Pairwise campaigns: an item is an ordered pair of two models' responses to one prompt, answered with a
verdict (A, B, and any of tie, both, neither), stored in the item's terms whatever order it was shown in."""

NAME = "pairwise"


# ---------------------------------------------------------------------------------------------------------
# Reports


def check_rankable(campaign):
    """A pairwise campaign's votes rank its models (annotation.ranking)."""
