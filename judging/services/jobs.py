"""Judge jobs: their estimate and creation; their lifecycle is every job's (judging.services.lifecycle).

A job's work is its JudgeUnit rows (items × samples; for a pairwise campaign items × both
orders × samples, so that every pair is judged with each response shown first; × turns for a
template that grades per turn, MT-Bench's on two-turn items), made when
it is created; the work itself runs in judging.services.runs (JudgeWork, on the one engine) on Celery workers.
"""

import itertools
from dataclasses import asdict, dataclass
from decimal import Decimal
from functools import partial

from django.db import IntegrityError, transaction
from django.db.models import Q

from annotation.bulk import bulk_insert
from annotation.checklists import prompt_checklists
from annotation.errors import HyokaError
from annotation.quality_items import counted
from annotation.models import Item
from judging import kinds
from judging.models import JudgeCacheEntry, JudgeJob, JudgeUnit, Verdict
from judging.parsing import PARSER_VERSION
from judging.prompts import approximate_tokens, cache_key, template_for, templates_fitting
from judging.services.engine import call_cost
from judging.services.lifecycle import (
    UNFINISHED, job_cancel, job_fail, job_finish, job_pause, job_pause_by, job_queue_run, job_resume, job_start,
    job_units_reopen, jobs_recover,
)

@dataclass(frozen=True)
class JobEstimate:
    """What a job will ask for before it starts. Output tokens and cost are upper bounds (max tokens per call)."""

    units: int
    calls: int
    cached: int
    input_tokens: int
    output_tokens_max: int
    cost_input: Decimal
    cost_max: Decimal

    def as_json(self):
        return {key: str(value) if isinstance(value, Decimal) else value for key, value in asdict(self).items()}


def judge_spec(config):
    """The request parameters a job freezes: what decides the answers and their price."""
    return {
        **config.connection_spec(), "template": config.template, "template_version": config.template_version,
        "output_format": config.output_format, "max_parse_retries": config.max_parse_retries,
    }


def judge_job_check(*, campaign, config):
    """Raise HyokaError when this config cannot judge this campaign."""
    if config.is_external:
        raise HyokaError(f"judge {config.name} only holds imported verdicts; create a config with an endpoint.")
    template = template_for(config.template)
    rubric = campaign.rubric
    if template is not None and not template.fits(rubric):
        raise HyokaError(
            f"campaign {campaign.slug} is {rubric.kind}, but judge {config.name} uses the {template.kind} template "
            f"{config.template}; use a config with the {_one_of(templates_fitting(rubric))} template and rubric "
            f"{rubric.key}."
        )
    if config.rubric_id != campaign.rubric_id:
        raise HyokaError(
            f"judge {config.name} scores with rubric {config.rubric.key}, but campaign {campaign.slug} uses "
            f"{campaign.rubric.key}; use a config made for {campaign.rubric.key}."
        )
    if template_for(config.template, config.template_version) is None:
        raise HyokaError(f"judge {config.name} uses template {config.template} v{config.template_version}, "
                         f"which this version of Hyoka cannot render; save the config again to update it.")


def _one_of(names):
    """"a", "a or b", "a, b or c"."""
    return names[-1] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


def judge_job_estimate(*, campaign, config):
    """Calls, tokens and cost of judging every item of the campaign with this config, counting cache hits."""
    judge_job_check(campaign=campaign, config=config)
    spec = judge_spec(config)
    template = template_for(config.template, config.template_version)
    scale = kinds.for_campaign(campaign).template_scale(campaign.rubric)
    items = Item.objects.filter(counted(), campaign=campaign).select_related("response__prompt", "response_b").order_by("id")
    checklists = campaign_checklist_texts(campaign)
    keys, tokens = [], []
    for item in items.iterator(chunk_size=2000):
        turns = template.unit_turns(len(item.response.prompt.turns), len(item.response.turns))
        for order, turn in itertools.product(unit_orders(campaign), turns):
            messages = template.item_messages(scale, item, order, spec["output_format"],
                                              checklists.get(item.response.prompt_id, ()), turn)
            for sample in range(spec["samples"]):
                keys.append(cache_key(spec=spec, messages=messages, sample=sample, reask=0,
                                      parser_version=PARSER_VERSION))
                tokens.append(approximate_tokens(messages))
    cached_keys = cached_among(keys)
    input_tokens = sum(count for key, count in zip(keys, tokens) if key not in cached_keys)
    calls = len(keys) - sum(1 for key in keys if key in cached_keys)
    output_max = calls * spec["max_tokens"]
    cost_input = call_cost(spec, input_tokens, 0)
    return JobEstimate(
        units=len(keys), calls=calls, cached=len(keys) - calls, input_tokens=input_tokens,
        output_tokens_max=output_max, cost_input=cost_input, cost_max=cost_input + call_cost(spec, 0, output_max),
    )


def campaign_checklist_texts(campaign):
    """{prompt pk: (question, ...)} for the campaign's prompts that have a checklist."""
    prompt_ids = Item.objects.filter(campaign=campaign).values_list("response__prompt_id", flat=True).distinct()
    return {prompt_id: tuple(question.text for question in questions)
            for prompt_id, questions in prompt_checklists(list(prompt_ids)).items()}


def unit_orders(campaign):
    """The orders each item is judged in, as the campaign's kind says: both for a pair (position swap), none for
    a likert item."""
    return kinds.for_campaign(campaign).UNIT_ORDERS


def cached_among(keys):
    found = set()
    for start in range(0, len(keys), 2000):
        found.update(JudgeCacheEntry.objects.filter(key__in=keys[start:start + 2000]).values_list("key", flat=True))
    return found


@transaction.atomic
def judge_job_create(*, campaign, config, user=None, api_error_as_lowest=False):
    """Queue a job judging every item of the campaign; the work starts once the transaction commits.
    `api_error_as_lowest`: the job's API errors count as the lowest score in the leaderboard (JudgeJob)."""
    estimate = judge_job_estimate(campaign=campaign, config=config)
    if estimate.units == 0:
        raise HyokaError(f"campaign {campaign.slug} has no items; import responses first.")
    try:
        with transaction.atomic():
            job = JudgeJob.objects.create(
                campaign=campaign, config=config, spec=judge_spec(config), total=estimate.units,
                budget=config.budget, estimate=estimate.as_json(), created_by=user,
                api_error_as_lowest=api_error_as_lowest,
            )
    except IntegrityError:
        active = JudgeJob.objects.filter(campaign=campaign, config=config, status__in=UNFINISHED).first()
        raise HyokaError(
            f"judge {config.name} already has an unfinished job on {campaign.slug} ({active.public_id}, "
            f"{active.status}); resume or cancel it."
        ) from None
    template = template_for(config.template, config.template_version)
    bulk_insert(JudgeUnit, [{"job_id": job.id, "item_id": item_id, "order": order, "turn": turn, "sample": sample}
                            for item_id, turns in item_turns(campaign, template)
                            for order, turn in itertools.product(unit_orders(campaign), turns)
                            for sample in range(config.samples)])
    job_queue_run(job)
    return job


def item_turns(campaign, template):
    """(item pk, the turns the template grades in it) for each item of the campaign, in item order: (None,),
    the whole conversation, unless the template grades per turn (it then reads the items' turns)."""
    items = Item.objects.filter(counted(), campaign=campaign).order_by("id")  # QC items are never judged
    if not template.per_turn:
        return ((item_id, (None,)) for item_id in items.values_list("id", flat=True))
    rows = items.values_list("id", "response__prompt__turns", "response__turns")
    return ((item_id, template.unit_turns(len(questions), len(answers))) for item_id, questions, answers in rows)


# The lifecycle is every job's (judging.services.lifecycle); these names are the judge job's use of it.
judge_job_start = partial(job_start, job_model=JudgeJob)
judge_job_pause, judge_job_pause_by, judge_job_cancel = job_pause, job_pause_by, job_cancel
judge_job_resume, judge_job_finish, judge_job_fail = job_resume, job_finish, job_fail
judge_jobs_recover = jobs_recover


def judge_job_retry_failures(*, job):
    """Judge again the units that ended in an API error (429s or 5xx that outlasted the retries).

    Parse failures, truncations and refusals stay: asking again would give the same answer from the cache.
    """
    with transaction.atomic():
        failed = Verdict.objects.filter(job=job, parse_status=Verdict.ParseStatus.API_ERROR)
        keys = list(failed.values_list("item_id", "order", "turn", "sample"))
        if not keys:
            raise HyokaError(f"job {job.public_id} has no API errors to retry.")
        condition = Q()
        for item_id, order, turn, sample in keys:
            condition |= Q(item_id=item_id, order=order, turn=turn, sample=sample)  # turn None: IS NULL
        failed.delete()
        job_units_reopen(job=job, condition=condition)
    return len(keys)
