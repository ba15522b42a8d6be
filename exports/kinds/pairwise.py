"""Pairwise campaigns, the exports side (see exports.kinds)."""

NAME = "pairwise"


# ---------------------------------------------------------------------------------------------------------
# Reports: a verdict per pair; agreement on the verdicts, rankings, the judge's verdicts against the humans'

from exports.checklist_stats import pair_checklist_figures  # noqa: E402
from exports.reports.agreement import verdict_agreement as agreement_report  # noqa: E402, F401
from exports.reports.meta_eval import pairwise_meta_eval as meta_eval_report  # noqa: E402, F401
from exports.reports.pairwise_page import pairwise_report as report_page  # noqa: E402, F401
from exports.reports.text import pairwise_meta_eval_text as meta_eval_text  # noqa: E402, F401
from exports.reports.text import verdict_agreement_text as agreement_text  # noqa: E402, F401

REPORT_TEMPLATE = "exports/report_pairwise.html"
CHECKLIST_REASON = ("pairwise votes have no score to compare the ticks with; each item is answered for each "
                    "response instead, and tracks the preference when the response ticked is the preferred one")


def checklist_part(ticks):
    """Votes answer each checklist item for each response: per item, the tick rates per response and how well
    the item tracks the preference (exports.checklist_stats.pair_checklist_figures); in "meta", the answers
    that name no response and why the ticks are not compared with a score."""
    per_item = {found.checklist_item: found.as_dict() for found in pair_checklist_figures(ticks)}
    unknown = sum(figures["n_side_unknown"] for figures in per_item.values())
    return per_item, {"n_side_unknown": unknown, "reason": CHECKLIST_REASON}
