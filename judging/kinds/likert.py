"""Likert campaigns, the judging side (see judging.kinds)."""

NAME = "likert"


# ---------------------------------------------------------------------------------------------------------
# Judge jobs: the orders a unit asks in, the template and what it is rendered with, imported verdicts

from judging.prompts import axes_from_rubric  # noqa: E402

UNIT_ORDERS = ("",)  # one response: nothing to show in another order
DEFAULT_TEMPLATE = "quality"  # for a rubric with no template of its own (prompts.DEFAULT_TEMPLATE_FOR_RUBRIC)


def template_scale(rubric):
    """What a likert template is rendered with: the rubric's axes, in order."""
    return axes_from_rubric(rubric.axes.order_by("position"))


def verdict_importer(campaign, path, summary, judge):
    """Reads {prompt_id, model, scores, rationale?, sample?, turn?}."""
    from judging.services.imports import VerdictImporter  # the services import the kinds

    return VerdictImporter(campaign, path, summary, judge)
# Reports


def verdicts_position_bias(verdicts):
    """None: a judge scoring one response at a time has no position to favour."""
    return None
