"""Generation jobs: a model endpoint answers a campaign's prompts, on the one engine of LLM jobs.

A job's units are (prompt, sample) pairs: every prompt of the campaign (the prompts of its
items, and those listed by import_prompts) that has no response from the endpoint's model.
Sample 0 is stored as the endpoint's LanguageModel, sample n (n ≥ 1) as ``MODEL#n+1``: a
Response is one model's answer to one prompt, so each sample is a model of its own.

A unit is one conversation: the endpoint's system prompt, the prompt's context where the
campaign says (``Campaign.context_placement``: the system message, or before the question in
the first user turn), then each user turn, every later turn sent with the model's own earlier
answers (as MT-Bench does). Each turn's request is cached under the hash of everything that
decides it (judging.prompts.cache_key), so a rerun makes no call for what was answered.

A turn cut by max tokens, a refusal, or an API error that outlasted the retries ends the unit
as a typed failure (a Generation row without a response): counted, retryable (a retry asks
the endpoint again: the unit's ``round`` is part of the cache key), never a response to rate.
An answer the endpoint returned normally is a response, even an empty one. Each response is
stored with its provenance (Generation: endpoint, model at the endpoint, sampling, seed,
finish reasons, tokens, latency, cost) and its items are made as an import makes them
(annotation kinds: ``items_for_generated``).

Responses are never overwritten: a model whose responses to the campaign's prompts were made
elsewhere (imported, or by another endpoint) refuses a new endpoint, unless the job asks for a
new sample (stored under the next free ``MODEL#n``).

What differs by campaign kind is asked of the kind (judging.kinds): the job's options
(``generation_options``, frozen in its spec), the prompts it answers (``generation_prompt_ids``)
and what a unit sends first and how its answer is read (``generation_asks``: an Ask). Likert and
pairwise campaigns send the prompt's own turns (``prompt_asks``); an exam campaign sends each
question in the built-in exam prompt and reads the reply as an answer (judging.kinds.exam).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy

from annotation import kinds as annotation_kinds
from annotation.bulk import bulk_insert
from annotation.errors import HyokaError
from annotation.models import CampaignPrompt, Item, LanguageModel, Prompt, Response, sample_model_name
from judging import kinds
from judging.client import ChatRequest
from judging.models import Generation, GenerationCall, GenerationJob, GenerationUnit, LlmJob, ModelEndpoint
from judging.prompts import approximate_tokens, cache_key, request_seed
from judging.services.engine import UnitOutcome, call_cost, cached_answers, llm_job_run, register_work
from judging.services.jobs import JobEstimate, cached_among
from judging.services.lifecycle import (
    UNFINISHED, job_cancel, job_pause_by, job_queue_run, job_resume, job_units_reopen,
)

TEMPLATE = "generation"  # stands for the template in the cache key: the messages are the prompt's own
TEMPLATE_VERSION = 1
REFUSAL_FINISH = "content_filter"

generation_job_run = partial(llm_job_run, label=GenerationJob._meta.label_lower)


def campaign_prompt_ids(campaign):
    """The pks of the campaign's prompts: its items' (both responses of a pair answer one prompt) and those listed
    for generation."""
    return (set(Item.objects.filter(campaign=campaign).values_list("response__prompt_id", flat=True))
            | set(CampaignPrompt.objects.filter(campaign=campaign).values_list("prompt_id", flat=True)))


def generation_spec(endpoint, campaign, options=None):
    """The request parameters a job freezes: what decides the answers and their price, with the kind's options
    (``options``: {name: value or None for not given}; judging.kinds: generation_options)."""
    return {
        **endpoint.connection_spec(), "template": TEMPLATE, "template_version": TEMPLATE_VERSION,
        "output_format": "text", "system_prompt": endpoint.system_prompt,
        "context_placement": campaign.context_placement, "language_model": endpoint.language_model.name,
        **kinds.for_campaign(campaign).generation_options(campaign, endpoint, options or {}),
    }


def no_options(campaign, options):
    """{}: for a kind that takes no generation options; any given is refused, naming it."""
    given = sorted(name for name, value in options.items() if value not in (None, False, ""))
    if given:
        raise HyokaError(f"{', '.join(given)}: options of generation jobs on exam campaigns; campaign "
                         f"{campaign.slug} is a {campaign.rubric.kind} campaign, whose prompts are sent as they are")
    return {}


def reply_outcome(answer):
    """How an answer ends, as a call outcome: refused, truncated (cut by max tokens) or ok."""
    if answer.refusal or answer.finish_reason == REFUSAL_FINISH:
        return Generation.Status.REFUSED
    if answer.finish_reason == "length":
        return Generation.Status.TRUNCATED
    return Generation.Status.OK


@dataclass(frozen=True)
class Ask:
    """What a unit sends first, and how its answer is read (judging.kinds: generation_asks).

    ``messages`` open the conversation up to the first user turn (later turns follow the prompt's own);
    ``response_format`` goes with every request; ``metadata`` is stored on the response; ``outcome`` tells
    how an answer ends (a call outcome): ``truncated`` or ``refused`` end the unit as a failure, ``ok`` and
    ``parse_error`` (an exam reply with no readable answer) are stored as the response."""

    messages: list
    response_format: dict | None = None
    metadata: dict = field(default_factory=dict)
    outcome: Callable = reply_outcome


def prompt_asks(spec, prompts):
    """{prompt pk: Ask} sending each prompt's own turns (likert and pairwise campaigns)."""
    return {prompt.pk: Ask(opening_messages(spec, prompt) + [user_message(spec, prompt, 0)]) for prompt in prompts}


def opening_messages(spec, prompt):
    """The system message: the endpoint's system prompt, and the prompt's context when the campaign puts it there."""
    parts = [spec["system_prompt"]] if spec["system_prompt"] else []
    if prompt.context and spec["context_placement"] == "system":
        parts.append(prompt.context)
    return [{"role": "system", "content": "\n\n".join(parts)}] if parts else []


def user_message(spec, prompt, turn):
    text = prompt.turns[turn]
    if turn == 0 and prompt.context and spec["context_placement"] == "before_question":
        text = f"{prompt.context}\n\n{text}"
    return {"role": "user", "content": text}


def turn_key(spec, messages, sample, round_):
    return cache_key(spec=spec, messages=messages, sample=sample, reask=round_, parser_version="")


# Creating a job ----------------------------------------------------------------------------------------

def generation_samples(prompt_ids, endpoint, new_sample):
    """The samples the job answers: 0.. (samples - 1), or with ``new_sample`` the next free ones."""
    count = endpoint.samples
    if not new_sample:
        return range(count)
    first = 0
    while Response.objects.filter(model__name=sample_model_name(endpoint.language_model.name, first),
                                  prompt_id__in=prompt_ids).exists():
        first += 1
    return range(first, first + count)


def generation_check(*, campaign, prompt_ids, endpoint, samples):
    """Refuse to mix another source's responses with this endpoint's under one model name (module docstring)."""
    if not prompt_ids:
        raise HyokaError(f"campaign {campaign.slug} has no prompts to answer (in a text-only run, none without a "
                         f"figure); import them first (manage.py import_prompts FILE --campaign {campaign.slug}, "
                         f"or import_exam for an exam campaign).")
    names = [sample_model_name(endpoint.language_model.name, sample) for sample in samples]
    foreign = (Response.objects.filter(prompt_id__in=prompt_ids, model__name__in=names)
               .exclude(generation__endpoint=endpoint))
    count = foreign.count()
    if count:
        makers = sorted({name or "import" for name in foreign.values_list("generation__endpoint__name", flat=True)})
        raise HyokaError(
            f"model {names[0]} already has {count} responses to the prompts of {campaign.slug} that endpoint "
            f"{endpoint.name} did not make (made by: {', '.join(makers)}); responses are never overwritten. Give "
            f"the endpoint its own model name (manage.py model_endpoint {endpoint.name} --answers-as NEW-NAME ...) "
            f"or answer as a new sample (generate --new-sample)."
        )


def missing_units(prompt_ids, endpoint, samples):
    """[(prompt, sample)] for the job's prompts without a response of the sample's model, in prompt order."""
    prompts = list(Prompt.objects.filter(pk__in=prompt_ids).order_by("pk"))
    missing = []
    for sample in samples:
        answered = set(Response.objects.filter(
            prompt__in=prompts, model__name=sample_model_name(endpoint.language_model.name, sample),
        ).values_list("prompt_id", flat=True))
        missing.extend((prompt, sample) for prompt in prompts if prompt.pk not in answered)
    return missing


@dataclass(frozen=True)
class JobPlan:
    """What a job would do: its spec, the samples it answers and its units, (prompt, sample) pairs."""

    spec: dict
    samples: range
    prompt_ids: set
    units: list


def generation_plan(*, campaign, endpoint, new_sample=False, options=None):
    """The plan of a job of ``endpoint`` on ``campaign``, checked (HyokaError says what is wrong)."""
    spec = generation_spec(endpoint, campaign, options)
    prompt_ids = kinds.for_campaign(campaign).generation_prompt_ids(campaign, spec)
    samples = generation_samples(prompt_ids, endpoint, new_sample)
    generation_check(campaign=campaign, prompt_ids=prompt_ids, endpoint=endpoint, samples=samples)
    return JobPlan(spec, samples, prompt_ids, missing_units(prompt_ids, endpoint, samples))


def generation_job_estimate(*, campaign, endpoint, new_sample=False, options=None):
    """Calls, tokens and cost of answering the campaign's prompts that lack this endpoint's answer.

    The first turn's answer may be cached; later turns are counted as calls (they follow the answers).
    Input tokens count the questions and context only (earlier answers add up to max tokens per turn);
    output tokens and the cost are upper bounds (max tokens per call)."""
    plan = generation_plan(campaign=campaign, endpoint=endpoint, new_sample=new_sample, options=options)
    return _estimate(campaign, plan.spec, plan.units)


def _estimate(campaign, spec, units):
    keys, turns, tokens = [], 0, 0
    asks = kinds.for_campaign(campaign).generation_asks(campaign, spec, list({prompt for prompt, _ in units}))
    for prompt, sample in units:
        messages = asks[prompt.pk].messages
        keys.append(turn_key(spec, messages, sample, 0))
        turns += len(prompt.turns)
        tokens += approximate_tokens(messages) + approximate_tokens(
            [user_message(spec, prompt, turn) for turn in range(1, len(prompt.turns))])
    cached = len(cached_among(keys))
    calls = turns - cached
    output_max = calls * spec["max_tokens"]
    cost_input = call_cost(spec, tokens, 0)
    return JobEstimate(units=len(units), calls=calls, cached=cached, input_tokens=tokens,
                       output_tokens_max=output_max, cost_input=cost_input,
                       cost_max=cost_input + call_cost(spec, 0, output_max))


@transaction.atomic
def generation_job_create(*, campaign, endpoint, new_sample=False, options=None, user=None):
    """Queue a job answering every prompt of the campaign without this endpoint's answer; the work starts once
    the transaction commits. With nothing to answer the job is made succeeded at once and makes no call.
    ``options`` are the kind's (judging.kinds: generation_options), e.g. an exam's text_only."""
    plan = generation_plan(campaign=campaign, endpoint=endpoint, new_sample=new_sample, options=options)
    spec, samples, units = plan.spec, plan.samples, plan.units
    _items_of_stored_answers(campaign, plan.prompt_ids, endpoint, samples)
    estimate = _estimate(campaign, spec, units)
    done = {} if units else {"status": LlmJob.Status.SUCCEEDED, "finished_at": timezone.now(),
                             "message": str(NOTHING_TO_ANSWER) % {"model": endpoint.language_model.name}}
    try:
        with transaction.atomic():
            job = GenerationJob.objects.create(
                campaign=campaign, endpoint=endpoint, spec=spec, total=len(units), budget=endpoint.budget,
                estimate=estimate.as_json(), created_by=user, first_sample=samples[0], **done,
            )
    except IntegrityError:
        active = GenerationJob.objects.filter(campaign=campaign, endpoint=endpoint, status__in=UNFINISHED).first()
        raise HyokaError(
            f"endpoint {endpoint.name} already has an unfinished job on {campaign.slug} ({active.public_id}, "
            f"{active.status}); resume or cancel it."
        ) from None
    if units:
        _sample_models(endpoint, {sample for _, sample in units})
        bulk_insert(GenerationUnit, [{"job_id": job.id, "prompt_id": prompt.pk, "sample": sample}
                                     for prompt, sample in units])
        job_queue_run(job)
    return job


def _items_of_stored_answers(campaign, prompt_ids, endpoint, samples):
    """Make the campaign's items of the answers this endpoint already gave to its prompts (for another campaign,
    say), as an import of them would: they are asked for no second time."""
    names = [sample_model_name(endpoint.language_model.name, sample) for sample in samples]
    stored = list(Response.objects.filter(prompt_id__in=prompt_ids, model__name__in=names)
                  .values_list("id", "prompt_id", "model__name"))
    if stored:
        annotation_kinds.for_campaign(campaign).items_for_generated(campaign=campaign, responses=stored)


NOTHING_TO_ANSWER = gettext_lazy("Every prompt already has an answer from %(model)s: nothing to ask.")


def _sample_models(endpoint, samples):
    """Make the LanguageModel of each sample beyond the first, like the endpoint's own."""
    base = endpoint.language_model
    for sample in samples - {0}:
        LanguageModel.objects.get_or_create(
            name=sample_model_name(base.name, sample),
            defaults={"family": base.family, "size": base.size, "checkpoint": base.checkpoint,
                      "is_japanese": base.is_japanese},
        )


def generation_job_retry_failures(*, job):
    """Answer again the units that ended in a failure (API error, truncated, refused): the failures are deleted
    and the units asked again in a new round, so the endpoint is asked rather than the cache."""
    with transaction.atomic():
        failed = Generation.objects.filter(job=job).exclude(status=Generation.Status.OK)
        keys = list(failed.values_list("prompt_id", "sample"))
        if not keys:
            raise HyokaError(f"job {job.public_id} has no failed generations to retry.")
        condition = Q()
        for prompt_id, sample in keys:
            condition |= Q(prompt_id=prompt_id, sample=sample)
        failed.delete()
        job.units.filter(condition).update(round=F("round") + 1)
        job_units_reopen(job=job, condition=condition)
    return len(keys)


def generation_job_act(*, job, action, user, budget=None):
    """Pause, resume, cancel or retry-failures (``action``) of a generation job: what the page and the API offer."""
    if action == "pause":
        job_pause_by(job=job, user=user)
    elif action == "resume":
        job_resume(job=job, budget=budget)
    elif action == "cancel":
        job_cancel(job=job)
    elif action == "retry-failures":
        generation_job_retry_failures(job=job)
    else:
        raise HyokaError(f"unknown action {action!r}; use pause, resume, cancel or retry-failures.")


def endpoint_named(name):
    endpoint = ModelEndpoint.objects.select_related("language_model").filter(name=name).first()
    if endpoint is None:
        raise HyokaError(f"model endpoint {name} does not exist; create it with manage.py model_endpoint.")
    return endpoint


# Running a unit ----------------------------------------------------------------------------------------

@register_work
class GenerationWork:
    """A generation job's units: (prompt, sample) → a Response with its Generation, or a typed failure."""

    job_model, unit_model, call_model = GenerationJob, GenerationUnit, GenerationCall
    unit_related = ("prompt",)
    NOT_FOUND_MESSAGE = gettext_lazy(
        "The endpoint answered 404 for %(where)s: check the base URL and the model name in the model endpoint, "
        "then resume the job.")

    def __init__(self, job):
        self.job, self.spec = job, job.spec
        self.campaign = job.campaign
        self.endpoint_name = job.endpoint.name
        names = {sample_model_name(self.spec["language_model"], sample)
                 for sample in range(job.first_sample, job.first_sample + self.spec["samples"])}
        self.model_ids = dict(LanguageModel.objects.filter(name__in=names).values_list("name", "id"))

    def prepare(self, units):
        """The first turn's messages (the kind's Ask) and cached answer of each unit, one query."""
        asks = kinds.for_campaign(self.campaign).generation_asks(self.campaign, self.spec,
                                                                 list({unit.prompt for unit in units}))
        for unit in units:
            unit.ask = asks[unit.prompt_id]
            unit.messages = unit.ask.messages
            unit.first_key = turn_key(self.spec, unit.messages, unit.sample, unit.round)
        answers = cached_answers(unit.first_key for unit in units)
        for unit in units:
            unit.first_answer = answers.get(unit.first_key)

    def call_identity(self, unit):
        return {"job_id": self.job.pk, "prompt_id": unit.prompt_id, "sample": unit.sample}

    def unit_run(self, lane, unit):
        """Answer every turn of the prompt in one conversation (module docstring)."""
        outcome = UnitOutcome(unit.pk)
        messages, answers = list(unit.messages), []
        for turn in range(len(unit.prompt.turns)):
            if turn:
                messages.append(user_message(self.spec, unit.prompt, turn))
            key = unit.first_key if turn == 0 else turn_key(self.spec, messages, unit.sample, unit.round)
            answer = unit.first_answer if turn == 0 else lane.cached(key)
            cached = answer is not None
            if answer is None:
                answer = lane.call(unit, self.request(messages, unit), key, outcome, turn=turn)
            if answer is None:
                return outcome  # stopped, paused, or an API error (outcome.result)
            ending = unit.ask.outcome(answer)  # ok, or parse_error, is an answer; truncated, refused are not
            outcome.calls.append(lane.call_row(unit, outcome, answer, ending, cached, turn=turn))
            answers.append((answer, cached))
            if ending in (Generation.Status.TRUNCATED, Generation.Status.REFUSED):
                outcome.result = self.generation_fields(unit, answers, status=ending,
                                                        raw_output=answer.content or answer.refusal)
                return outcome
            messages.append({"role": "assistant", "content": answer.content})
        outcome.result = self.generation_fields(unit, answers, status=Generation.Status.OK)
        outcome.extra["turns"] = [answer.content for answer, _ in answers]
        outcome.extra["metadata"] = unit.ask.metadata
        return outcome

    def request(self, messages, unit):
        return ChatRequest(model=self.spec["model"], messages=list(messages), temperature=self.spec["temperature"],
                           max_tokens=self.spec["max_tokens"], top_p=self.spec["top_p"],
                           seed=request_seed(self.spec["seed"], unit.sample, unit.round),
                           response_format=unit.ask.response_format)

    def api_error(self, unit, failure):
        return self.generation_fields(unit, [], status=Generation.Status.API_ERROR, error_kind=failure.kind,
                                      error_message=failure.message[:2000])

    def generation_fields(self, unit, answers, *, status, raw_output="", error_kind="", error_message=""):
        paid = [answer for answer, cached in answers if not cached]
        spec = self.spec
        return {
            "job_id": self.job.pk, "endpoint_id": self.job.endpoint_id, "prompt_id": unit.prompt_id,
            "sample": unit.sample, "status": status,
            "model_at_endpoint": next((answer.model for answer, _ in answers if answer.model), ""),
            "base_url": spec["base_url"],
            "sampling": {"model": spec["model"], "temperature": spec["temperature"], "top_p": spec["top_p"],
                         "max_tokens": spec["max_tokens"], "round": unit.round},
            "seed": request_seed(spec["seed"], unit.sample, unit.round),
            "finish_reasons": [answer.finish_reason for answer, _ in answers],
            "tokens_in": sum(answer.tokens_in for answer in paid),
            "tokens_out": sum(answer.tokens_out for answer in paid),
            "latency_ms": sum(answer.latency_ms for answer, _ in answers),
            "cost": sum((call_cost(spec, answer.tokens_in, answer.tokens_out) for answer in paid), 0),
            "raw_output": raw_output, "error_kind": error_kind or ("" if status == "ok" else status),
            "error_message": error_message,
        }

    def store(self, finished):
        """The generations of finished units; an answer becomes a Response (never over one stored meanwhile)
        and the campaign's items (inside the lane's transaction)."""
        answered = [outcome for outcome in finished if outcome.result["status"] == Generation.Status.OK]
        keys = {(outcome.result["prompt_id"], self.model_id(outcome.result["sample"])) for outcome in answered}
        taken = set(Response.objects.filter(
            prompt_id__in={prompt for prompt, _ in keys}, model_id__in={model for _, model in keys},
        ).values_list("prompt_id", "model_id")) & keys
        new = [outcome for outcome in answered
               if (outcome.result["prompt_id"], self.model_id(outcome.result["sample"])) not in taken]
        for outcome in answered:
            if outcome not in new:
                outcome.result.update(status=Generation.Status.API_ERROR, error_kind="exists",
                                      error_message="a response of this model to this prompt was stored meanwhile; "
                                                    "it was not overwritten")
        response_ids = bulk_insert(Response, [
            {"prompt_id": outcome.result["prompt_id"], "model_id": self.model_id(outcome.result["sample"]),
             "turns": outcome.extra["turns"], "metadata": {"generated_by": self.endpoint_name,
                                                           **outcome.extra["metadata"]}}
            for outcome in new
        ])
        for outcome, response_id in zip(new, response_ids):
            outcome.result["response_id"] = response_id
        bulk_insert(Generation, [outcome.result for outcome in finished])
        if new:
            annotation_kinds.for_campaign(self.campaign).items_for_generated(campaign=self.campaign, responses=[
                (response_id, outcome.result["prompt_id"],
                 sample_model_name(self.spec["language_model"], outcome.result["sample"]))
                for outcome, response_id in zip(new, response_ids)
            ])

    def model_id(self, sample):
        return self.model_ids[sample_model_name(self.spec["language_model"], sample)]
