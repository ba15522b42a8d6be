"""Pairwise campaigns, the judging side (see judging.kinds)."""

NAME = "pairwise"


# ---------------------------------------------------------------------------------------------------------
# Judge jobs: the orders a unit asks in, the template and what it is rendered with, imported verdicts

from annotation.models import PairOrder  # noqa: E402

UNIT_ORDERS = (PairOrder.AB, PairOrder.BA)  # each pair judged with either response shown first (position swap)
DEFAULT_TEMPLATE = "pairwise"


def template_scale(rubric):
    """What the pairwise template is rendered with: the rubric's verdicts."""
    return tuple(rubric.verdicts)


def verdict_importer(campaign, path, summary, judge):
    """Reads {prompt_id, model_a, model_b, verdict, order?, sample?, rationale?}, making the item of a pair when
    missing and turning each record to the item's terms (annotation.services.pairwise_imports)."""
    from judging.services.imports import PairVerdictImporter  # the services import the kinds

    return PairVerdictImporter(campaign, path, summary, judge)
# Reports

def verdicts_position_bias(verdicts):
    """The position and length bias (judging.position_bias.PositionBias) of `verdicts`, a Verdict queryset."""
    from judging.position_bias import position_bias  # pandas: loaded by the reports that use it, not by every page
    from judging.ranking_selectors import judge_pair_verdicts

    return position_bias(judge_pair_verdicts(verdicts))
