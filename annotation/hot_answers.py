"""What the rating hot path's parts (annotation.hot_paths and the kinds' parts of it) share: reading JSON columns,
and reading a submit's answer.

The hot path takes a body only when it is plainly well-formed; anything else goes to the service, which explains
what is wrong. So these functions answer None for anything out of the ordinary, never an error.
"""

import json

SMALLINT = 2**15


def from_json(value):
    """A JSON column's value as Python (Django reads jsonb as text on PostgreSQL)."""
    return json.loads(value) if isinstance(value, str) else value


def small_int(value):
    """Whether ``value`` is an integer (not a boolean) that fits a score's column."""
    return isinstance(value, int) and not isinstance(value, bool) and -SMALLINT <= value < SMALLINT


def ticks(checks, rows_of):
    """Checklist answers as the statement's three parallel arrays (checklist item ids, sides as shown on screen,
    ticked), or None. ``rows_of(answer)`` gives one answer's [(side, ticked)] in the kind's shape, or None when
    the answer is not of that shape. Unanswered points (null, or no side) go to the service: it also checks that
    such a point is on the prompt's checklist."""
    arrays = {"check_items": [], "check_sides": [], "check_values": []}
    if checks is None:
        return arrays
    if not isinstance(checks, dict):
        return None
    for key, answer in checks.items():
        rows = rows_of(answer)
        if not (isinstance(key, str) and key.isascii() and key.isdigit() and str(int(key)) == key) or not rows:
            return None
        for side, ticked in rows:
            arrays["check_items"].append(int(key))
            arrays["check_sides"].append(side)
            arrays["check_values"].append(ticked)
    return arrays
