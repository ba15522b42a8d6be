"""Likert campaigns, the exports side (see exports.kinds)."""

NAME = "likert"


# ---------------------------------------------------------------------------------------------------------
# Reports: a score per axis; agreement per axis, the judge's scores against the humans' per axis

from exports.reports.agreement import likert_agreement as agreement_report  # noqa: E402, F401
from exports.reports.likert_page import likert_report as report_page  # noqa: E402, F401
from exports.reports.meta_eval import likert_meta_eval as meta_eval_report  # noqa: E402, F401
from exports.reports.text import agreement_text, meta_eval_text  # noqa: E402, F401

REPORT_TEMPLATE = "exports/report.html"


def checklist_part(ticks):
    """What this kind adds to the checklist report (exports.reports.checklists): figures per checklist item
    ({item pk: dict}) and "meta" entries. Nothing per item here, the ticks being compared with the rater's score
    (exports.checklist_selectors); no answers per response, and no reason to give."""
    return {}, {"n_side_unknown": None, "reason": None}
