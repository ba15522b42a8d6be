"""Campaign kinds, the exports side: the report page's sections, the release tables and row counts, and the
dataset card's sections of each kind. See annotation.kinds for the seam; every module here defines the names
in ``CONTRACT``."""

from annotation.kinds import for_name as annotation_kind
from exports.kinds import likert, pairwise

KINDS = {module.NAME: module for module in (likert, pairwise)}

CONTRACT = (
    "NAME",
    # Reports (exports.reports): the report page, the JSON reports and the commands' text of them
    "REPORT_TEMPLATE", "report_page", "agreement_report", "agreement_text", "meta_eval_report", "meta_eval_text",
    "checklist_part",
)


def for_name(name):
    annotation_kind(name)  # the same names, and the same error for an unknown one
    return KINDS[name]


def for_rubric(rubric):
    return for_name(rubric.kind)


def for_campaign(campaign):
    return for_name(campaign.rubric.kind)
