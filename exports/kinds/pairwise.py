"""Pairwise campaigns, the exports side (see exports.kinds)."""

NAME = "pairwise"
