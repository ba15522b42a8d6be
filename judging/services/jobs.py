"""Judge jobs: their estimate, creation and lifecycle.

Only the functions here change a job's status, each with a conditional update that
must match one row (so a worker finishing and a lead cancelling cannot both win):

    queued ──start──> running ──finish──> succeeded | failed
      │                 │ ──pause (401/403/404, quota, budget)──> paused ──resume──> queued
      └──── cancel ─────┴──────────────────────────────────────────┴──> cancelled ──resume──> queued

A job's work is its JudgeUnit rows (items × samples; for a pairwise campaign items × both
orders × samples, so that every pair is judged with each response shown first), made when
it is created; the work itself runs in judging.services.runs on Celery workers.
"""

from dataclasses import asdict, dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from annotation.bulk import bulk_insert
from annotation.checklists import prompt_checklists
from annotation.errors import HyokaError
from annotation.models import Item
from judging import kinds
from judging.limits import lease_seconds
from judging.models import JudgeCacheEntry, JudgeCall, JudgeJob, JudgeUnit, Verdict
from judging.parsing import PARSER_VERSION
from judging.prompts import approximate_tokens, cache_key, template_for, templates_fitting

Status = JudgeJob.Status
UNFINISHED = (Status.QUEUED, Status.RUNNING, Status.PAUSED)
MILLION = Decimal(1_000_000)


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
        "base_url": config.base_url, "model": config.model, "template": config.template,
        "template_version": config.template_version, "output_format": config.output_format,
        "temperature": config.temperature, "seed": config.seed, "max_tokens": config.max_tokens,
        "samples": config.samples, "max_parse_retries": config.max_parse_retries,
        "price_input_per_million": str(config.price_input_per_million),
        "price_output_per_million": str(config.price_output_per_million),
    }


def call_cost(spec, tokens_in, tokens_out):
    return (tokens_in * Decimal(spec["price_input_per_million"])
            + tokens_out * Decimal(spec["price_output_per_million"])) / MILLION


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
    items = Item.objects.filter(campaign=campaign).select_related("response__prompt", "response_b").order_by("id")
    checklists = campaign_checklist_texts(campaign)
    keys, tokens = [], []
    for item in items.iterator(chunk_size=2000):
        for order in unit_orders(campaign):
            messages = template.item_messages(scale, item, order, spec["output_format"],
                                              checklists.get(item.response.prompt_id, ()))
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
    item_ids = Item.objects.filter(campaign=campaign).order_by("id").values_list("id", flat=True)
    bulk_insert(JudgeUnit, [{"job_id": job.id, "item_id": item_id, "order": order, "sample": sample}
                            for item_id in item_ids for order in unit_orders(campaign)
                            for sample in range(config.samples)])
    _queue_run(job)
    return job


def _queue_run(job):
    from judging.tasks import judge_job_run_task  # tasks import services; import here to keep the graph one-way

    transaction.on_commit(lambda: judge_job_run_task.delay(job.id))


# Lifecycle -----------------------------------------------------------------------------------------------

def _transition(job, allowed, **changes):
    """Move the job from one of ``allowed`` statuses; True when this call made the change."""
    changed = JudgeJob.objects.filter(pk=job.pk, status__in=allowed).update(**changes)
    job.refresh_from_db()
    return changed == 1


def judge_job_start(*, job_id):
    """Mark a queued job running. Returns the job while it is running (a second worker joins it), else None."""
    now = timezone.now()
    JudgeJob.objects.filter(pk=job_id, status=Status.QUEUED).update(
        status=Status.RUNNING, started_at=now, heartbeat_at=now, message=""
    )
    job = JudgeJob.objects.select_related("config", "campaign__rubric").filter(pk=job_id).first()
    return job if job is not None and job.status == Status.RUNNING else None


def judge_job_pause(*, job, message):
    return _transition(job, (Status.QUEUED, Status.RUNNING), status=Status.PAUSED, message=message)


def judge_job_pause_by(*, job, user):
    """A lead's pause: in-flight calls finish, no new call starts; resume continues."""
    if not judge_job_pause(job=job, message=_("Paused by %(user)s.") % {"user": user}):
        raise HyokaError(f"job {job.public_id} is {job.status}; only queued or running jobs can be paused.")


def judge_job_cancel(*, job):
    if not _transition(job, UNFINISHED, status=Status.CANCELLED, finished_at=timezone.now(),
                       message=_("Cancelled; resume to judge the remaining items.")):
        raise HyokaError(f"job {job.public_id} is {job.status}; only unfinished jobs can be cancelled.")


@transaction.atomic
def judge_job_resume(*, job, budget=None):
    """Queue a paused, cancelled or failed job again; it continues with the units still pending.

    ``budget`` replaces the job's budget (to go on after the cap paused it).
    """
    if budget is not None:
        JudgeJob.objects.filter(pk=job.pk).update(budget=budget)
        job.budget = budget
    spent = job_spent(job)
    if job.budget is not None and spent >= job.budget:
        raise HyokaError(f"job {job.public_id} has spent ${spent:.4f} of its ${job.budget:.4f} budget; "
                         f"raise the budget to resume.")
    if not _transition(job, (Status.PAUSED, Status.CANCELLED, Status.FAILED),
                       status=Status.QUEUED, finished_at=None, message=""):
        raise HyokaError(f"job {job.public_id} is {job.status}; only paused, cancelled or failed jobs resume.")
    _queue_run(job)


def judge_job_finish(*, job):
    """Close a running job once no unit is pending: failed if no unit produced a score, else succeeded."""
    if JudgeUnit.objects.filter(job=job, status=JudgeUnit.Status.PENDING).exists():
        return False
    scored = Verdict.objects.filter(job=job, parse_status=Verdict.ParseStatus.OK).count()
    if scored == 0 and job.total:
        return _transition(job, (Status.RUNNING,), status=Status.FAILED, finished_at=timezone.now(),
                           message=_("No item got a score: every call failed. See the error rates."))
    return _transition(job, (Status.RUNNING,), status=Status.SUCCEEDED, finished_at=timezone.now(), message="")


def judge_job_fail(*, job, message):
    return _transition(job, (Status.QUEUED, Status.RUNNING), status=Status.FAILED,
                       finished_at=timezone.now(), message=message[:2000])


def judge_job_retry_failures(*, job):
    """Judge again the units that ended in an API error (429s or 5xx that outlasted the retries).

    Parse failures, truncations and refusals stay: asking again would give the same answer from the cache.
    """
    with transaction.atomic():
        failed = Verdict.objects.filter(job=job, parse_status=Verdict.ParseStatus.API_ERROR)
        keys = list(failed.values_list("item_id", "order", "sample"))
        if not keys:
            raise HyokaError(f"job {job.public_id} has no API errors to retry.")
        condition = Q()
        for item_id, order, sample in keys:
            condition |= Q(item_id=item_id, order=order, sample=sample)
        failed.delete()
        JudgeUnit.objects.filter(condition, job=job).update(status=JudgeUnit.Status.PENDING, lease_token=None,
                                                              lease_expires_at=None)
        if job.status in (Status.SUCCEEDED, Status.FAILED, Status.CANCELLED, Status.PAUSED):
            _requeue_finished(job)
    return len(keys)


def _requeue_finished(job):
    try:
        with transaction.atomic():
            JudgeJob.objects.filter(pk=job.pk).update(status=Status.QUEUED, finished_at=None, message="")
    except IntegrityError:
        raise HyokaError(f"judge {job.config.name} has another unfinished job on {job.campaign.slug}; "
                         f"finish or cancel it first.") from None
    job.refresh_from_db()
    _queue_run(job)


def judge_jobs_recover():
    """Run again the jobs whose workers died: running (or queued) jobs with no heartbeat for a lease.

    Safe to call any time: a job that is in fact alive just gets one more worker, and
    units are claimed with leases, so no unit is judged twice.
    """
    stale = timezone.now() - timezone.timedelta(seconds=lease_seconds())
    jobs = JudgeJob.objects.filter(
        Q(status=Status.RUNNING, heartbeat_at__lt=stale)
        | Q(status=Status.QUEUED, created_at__lt=stale) & (Q(heartbeat_at__lt=stale) | Q(heartbeat_at__isnull=True))
    )
    recovered = list(jobs.values_list("id", flat=True))
    for job_id in recovered:
        JudgeJob.objects.filter(pk=job_id).update(heartbeat_at=timezone.now())  # one recovery per lease
        _queue_run(JudgeJob(pk=job_id))
    return recovered


def job_spent(job):
    return JudgeCall.objects.filter(job=job).aggregate(total=Sum("cost"))["total"] or Decimal(0)

