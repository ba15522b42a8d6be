"""Exam campaigns, the judging side (see judging.kinds): no judge grades an exam question, since each answer is
scored against the question's correct answer; models answer the questions through generation jobs."""

NAME = "exam"


# ---------------------------------------------------------------------------------------------------------
# Judge jobs: none. No template fits an exam rubric (judging.prompts), so a judge job on an exam campaign is
# refused before any of these is asked.

from annotation.errors import HyokaError  # noqa: E402

UNIT_ORDERS = ("",)
DEFAULT_TEMPLATE = ""


def template_scale(rubric):
    raise HyokaError(f"rubric {rubric.key} is an exam rubric: its answers are scored against each question's "
                     f"correct answer, so no judge template fits it; let models answer with generate")


def verdict_importer(campaign, path, summary, judge):
    raise HyokaError(f"campaign {campaign.slug} is an exam campaign: a judge has nothing to grade there; import "
                     f"models' answers with import_responses, or let them answer with generate")


# ---------------------------------------------------------------------------------------------------------
# Reports


def verdicts_position_bias(verdicts):
    """None: no judge verdicts on exam questions."""
    return None
