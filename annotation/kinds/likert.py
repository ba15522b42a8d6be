"""Likert campaigns: an item is one response, answered with a score per axis of the rubric."""

NAME = "likert"
