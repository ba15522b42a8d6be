"""Pairwise campaigns, the judging side (see judging.kinds)."""

NAME = "pairwise"
