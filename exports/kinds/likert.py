"""Likert campaigns, the exports side (see exports.kinds)."""

NAME = "likert"
