"""Exam campaigns, the judging side (see judging.kinds): no judge grades an exam question, since each answer is
scored against the question's correct answer; models answer the questions through generation jobs, each question
asked in the built-in exam prompt (judging.exam_prompt)."""

NAME = "exam"


# ---------------------------------------------------------------------------------------------------------
# Judge jobs: none. No template fits an exam rubric (judging.prompts), so a judge job on an exam campaign is
# refused before any of these is asked.

from functools import partial  # noqa: E402

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
# Generation jobs: each question asked in the built-in exam prompt (judging.exam_prompt), its reply read as an
# answer. The reply is stored as the model's response, as every generation is; the annotation side reads it
# into an ExamAnswer (annotation.kinds.exam.items_for_generated → annotation.services.exam_answers), with the
# output format and whether the figures went with it, both kept in the response's metadata.
#
# The job's options (spec keys):
# - ``output_format``: ``text`` (a reply ending in 「答え: N」) or ``json_schema`` ({"answer": [...]}, a strict
#   schema); by default the endpoint's (ModelEndpoint.output_format).
# - ``text_only``: leave out the questions that need a figure (ExamQuestion.needs_figure).
# - ``figures``: send a question's figures as image parts; by default whether the endpoint accepts images
#   (ModelEndpoint.accepts_images), never in a text-only run. Without them a question is asked by its text alone.
# A reply with no readable answer is a response all the same (its call's outcome is ``parse_error``, counted in
# the job's progress) and a parse failure in its ExamAnswer; a truncated reply or a refusal is the job's typed
# failure, as exam_prompt.exam_answer_parse types it, never an answer.

GENERATION_OPTIONS = ("output_format", "text_only", "figures")


def generation_options(campaign, endpoint, options):
    """The spec's part of a job on an exam campaign, from ``options`` (output_format, text_only, figures; None:
    not given) and the endpoint's defaults. Raises HyokaError for an option the endpoint cannot take."""
    from judging.exam_prompt import EXAM_PROMPT_VERSION, TEMPLATE
    from judging.models import JudgeConfig

    unknown = sorted(set(options) - set(GENERATION_OPTIONS))
    if unknown:
        raise HyokaError(f"unknown generation options: {', '.join(unknown)}")
    output_format = options.get("output_format") or endpoint.output_format
    if output_format not in JudgeConfig.OutputFormat.values:
        raise HyokaError(f"output format {output_format!r}: expected one of "
                         f"{', '.join(JudgeConfig.OutputFormat.values)}")
    text_only, figures = bool(options.get("text_only")), options.get("figures")
    if text_only and figures:
        raise HyokaError("a text-only run leaves out the questions that need a figure: it sends no figures; "
                         "ask for one or the other")
    if figures and not endpoint.accepts_images:
        raise HyokaError(f"endpoint {endpoint.name} does not accept images; if it does, say so with "
                         f"manage.py model_endpoint {endpoint.name} ... --accepts-images")
    if figures is None:
        figures = endpoint.accepts_images and not text_only
    return {"template": TEMPLATE, "template_version": EXAM_PROMPT_VERSION, "output_format": output_format,
            "text_only": text_only, "figures": figures}


def generation_prompt_ids(campaign, spec):
    """The questions' prompts; in a text-only run, of those that need no figure."""
    from annotation.models import ExamQuestion

    questions = ExamQuestion.objects.filter(exam__campaign=campaign)
    if spec.get("text_only"):
        questions = questions.filter(needs_figure=False)
    return set(questions.values_list("prompt_id", flat=True))


def generation_asks(campaign, spec, prompts):
    """{prompt pk: Ask}: each question in the exam prompt (with its figures when the job sends them), its
    reply's outcome read by exam_prompt.exam_answer_parse."""
    from annotation.models import ExamQuestion

    questions = {question.prompt_id: question
                 for question in ExamQuestion.objects.filter(exam__campaign=campaign, prompt__in=prompts)}
    return {prompt.pk: _question_ask(campaign, spec, prompt, questions[prompt.pk]) for prompt in prompts}


def _question_ask(campaign, spec, prompt, question):
    from annotation.services.exam_answers import question_reading
    from judging.exam_prompt import exam_messages, exam_response_format
    from judging.services.generation import Ask  # the services import the kinds

    reading = question_reading(question)
    figures = [question_figure(campaign, name) for name in question.figures] if spec["figures"] else []
    messages = exam_messages(text=prompt.turns[0], choices=reading.choices, answer_count=reading.count,
                             form=reading.form, output_format=spec["output_format"], figures=figures)
    if spec["system_prompt"]:  # the endpoint's own system prompt first (a model's chat template may want it)
        messages[0] = {"role": "system", "content": f"{spec['system_prompt']}\n\n{messages[0]['content']}"}
    return Ask(messages, response_format=exam_response_format(reading.choices, spec["output_format"]),
               metadata={"output_format": spec["output_format"], "figures_sent": bool(figures)},
               outcome=partial(_reply_outcome, reading, spec["output_format"]))


def question_figure(campaign, name):
    """A figure of the campaign's folder (annotation.figure_files) as an exam_prompt.Figure; HyokaError when the
    file is gone."""
    from annotation.figure_files import campaign_figure_dir
    from judging.exam_prompt import Figure, figure_media_type

    path = campaign_figure_dir(campaign.slug) / name
    if not path.is_file():
        raise HyokaError(f"figure {name} of campaign {campaign.slug} is not in {path.parent}; import the exam "
                         f"again with its figures (import_exam --images DIR), or run the job text-only")
    return Figure(name, figure_media_type(name), path.read_bytes())


def _reply_outcome(reading, output_format, answer):
    from judging.exam_prompt import exam_answer_parse

    return exam_answer_parse(content=answer.content, choices=reading.choices, answer_count=reading.count,
                             output_format=output_format, finish_reason=answer.finish_reason,
                             refusal=answer.refusal or None).status


# ---------------------------------------------------------------------------------------------------------
# Reports


def verdicts_position_bias(verdicts):
    """None: no judge verdicts on exam questions."""
    return None
