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


# ---------------------------------------------------------------------------------------------------------
# Generation jobs: the campaign's prompts, answered turn by turn as they are

GENERATION_OPTIONS = ()  # the options a job takes (the pages show their fields)


def generation_options(campaign, endpoint, options):
    """None: the options of a generation job (text-only, figures, output format) are an exam campaign's."""
    from judging.services.generation import no_options  # the services import the kinds

    return no_options(campaign, options)


def generation_prompt_ids(campaign, spec):
    """Every prompt of the campaign: its items' and those listed for generation (import_prompts)."""
    from judging.services.generation import campaign_prompt_ids  # the services import the kinds

    return campaign_prompt_ids(campaign)


def generation_asks(campaign, spec, prompts):
    """Each prompt's own turns, after the endpoint's system prompt and the prompt's context."""
    from judging.services.generation import prompt_asks  # the services import the kinds

    return prompt_asks(spec, prompts)


# Reports


def verdicts_position_bias(verdicts):
    """None: a judge scoring one response at a time has no position to favour."""
    return None
