"""Which judge verdicts count: those that carry a judgment (scores, or a pairwise verdict), that is those
parsed from a judge's reply or imported. A failed call (unparseable, truncated, refused, an API error) is a
verdict row without scores: it is counted as a failure, never as a judgment.

The rule's one home. It lives in annotation, the lowest app, so that every layer uses it: annotation's
campaign summaries, judging's models and reports, exports' release statistics. Pure: no Django imports.
"""

# The parse statuses of verdicts that count (judging.models.Verdict.ParseStatus values), for `__in` lookups.
SCORED_STATUSES = ("ok", "imported")


def is_scored(parse_status):
    """Whether a verdict with this parse status counts as a judgment."""
    return parse_status in SCORED_STATUSES


def failed_count(verdicts_by_status):
    """How many of the verdicts counted by parse status ({"ok": 120, "refused": 3, ...}) failed."""
    return sum(count for status, count in verdicts_by_status.items() if not is_scored(status))
