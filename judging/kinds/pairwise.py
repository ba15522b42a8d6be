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
    """The position and length bias (judging.position_bias.PositionBias) of `verdicts`, a Verdict queryset."""
    from judging.position_bias import position_bias  # pandas: loaded by the reports that use it, not by every page
    from judging.ranking_selectors import judge_pair_verdicts

    return position_bias(judge_pair_verdicts(verdicts))
