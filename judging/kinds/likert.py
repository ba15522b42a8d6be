"""Likert campaigns, the judging side (see judging.kinds)."""

NAME = "likert"
