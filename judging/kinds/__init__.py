"""Campaign kinds, the judging side: how a judge job asks about an item of each kind and what the human–judge
figures are. See annotation.kinds for the seam; every module here defines the names in ``CONTRACT``."""

from annotation.kinds import for_name as annotation_kind
from judging.kinds import likert, pairwise

KINDS = {module.NAME: module for module in (likert, pairwise)}

CONTRACT = (
    "NAME",
    # Judge jobs (judging.services.jobs, configs) and imported verdicts (judging.services.imports).
    "UNIT_ORDERS", "DEFAULT_TEMPLATE", "template_scale", "verdict_importer",
    # Reports (judging.selectors)
    "verdicts_position_bias",
)


def for_name(name):
    annotation_kind(name)  # the same names, and the same error for an unknown one
    return KINDS[name]


def for_rubric(rubric):
    return for_name(rubric.kind)


def for_campaign(campaign):
    return for_name(campaign.rubric.kind)
