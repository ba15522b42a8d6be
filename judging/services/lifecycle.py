"""The lifecycle of LLM jobs, whatever they do (judge jobs, generation jobs): one home for every status change.

Only the functions here change a job's status, each with a conditional update that
must match one row (so a worker finishing and a lead cancelling cannot both win):

    queued ──start──> running ──finish──> succeeded | failed
      │                 │ ──pause (401/403/404, quota, budget)──> paused ──resume──> queued
      └──── cancel ─────┴──────────────────────────────────────────┴──> cancelled ──resume──> queued

Each function takes a job of any kind (a judging.models.LlmJob subclass); what differs by
kind (its units, its results, the task that runs it) comes from the job's model and from
the engine's registry of works (judging.services.engine.work_for).
"""

from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from annotation.errors import HyokaError
from judging.limits import lease_seconds
from judging.models import GenerationJob, JudgeJob, LlmJob, LlmUnit

Status = LlmJob.Status
UNFINISHED = (Status.QUEUED, Status.RUNNING, Status.PAUSED)
JOB_MODELS = (JudgeJob, GenerationJob)


def job_queue_run(job):
    """Queue the job's run on a worker once the transaction commits."""
    from judging.tasks import llm_job_run_task  # tasks import services; import here to keep the graph one-way

    label = job._meta.label_lower
    transaction.on_commit(lambda: llm_job_run_task.delay(label, job.pk))


def _transition(job, allowed, **changes):
    """Move the job from one of ``allowed`` statuses; True when this call made the change."""
    changed = type(job).objects.filter(pk=job.pk, status__in=allowed).update(**changes)
    job.refresh_from_db()
    return changed == 1


def job_start(*, job_model, job_id):
    """Mark a queued job running. Returns the job while it is running (a second worker joins it), else None."""
    now = timezone.now()
    job_model.objects.filter(pk=job_id, status=Status.QUEUED).update(
        status=Status.RUNNING, started_at=now, heartbeat_at=now, message=""
    )
    job = job_model.objects.filter(pk=job_id).first()
    return job if job is not None and job.status == Status.RUNNING else None


def job_pause(*, job, message):
    return _transition(job, (Status.QUEUED, Status.RUNNING), status=Status.PAUSED, message=message)


def job_pause_by(*, job, user):
    """A lead's pause: in-flight calls finish, no new call starts; resume continues."""
    if not job_pause(job=job, message=_("Paused by %(user)s.") % {"user": user}):
        raise HyokaError(f"job {job.public_id} is {job.status}; only queued or running jobs can be paused.")


def job_cancel(*, job):
    if not _transition(job, UNFINISHED, status=Status.CANCELLED, finished_at=timezone.now(),
                       message=str(job.CANCELLED_MESSAGE)):
        raise HyokaError(f"job {job.public_id} is {job.status}; only unfinished jobs can be cancelled.")


@transaction.atomic
def job_resume(*, job, budget=None):
    """Queue a paused, cancelled or failed job again; it continues with the units still pending.

    ``budget`` replaces the job's budget (to go on after the cap paused it).
    """
    if budget is not None:
        type(job).objects.filter(pk=job.pk).update(budget=budget)
        job.budget = budget
    spent = job_spent(job)
    if job.budget is not None and spent >= job.budget:
        raise HyokaError(f"job {job.public_id} has spent ${spent:.4f} of its ${job.budget:.4f} budget; "
                         f"raise the budget to resume.")
    if not _transition(job, (Status.PAUSED, Status.CANCELLED, Status.FAILED),
                       status=Status.QUEUED, finished_at=None, message=""):
        raise HyokaError(f"job {job.public_id} is {job.status}; only paused, cancelled or failed jobs resume.")
    job_queue_run(job)


def job_finish(*, job):
    """Close a running job once no unit is pending: failed if no unit produced a result, else succeeded."""
    if job.units.filter(status=LlmUnit.Status.PENDING).exists():
        return False
    produced = job.results_by_status().get("ok", 0)
    if produced == 0 and job.total:
        return _transition(job, (Status.RUNNING,), status=Status.FAILED, finished_at=timezone.now(),
                           message=str(job.FAILED_MESSAGE))
    return _transition(job, (Status.RUNNING,), status=Status.SUCCEEDED, finished_at=timezone.now(), message="")


def job_fail(*, job, message):
    return _transition(job, (Status.QUEUED, Status.RUNNING), status=Status.FAILED,
                       finished_at=timezone.now(), message=message[:2000])


def job_units_reopen(*, job, condition):
    """Make the job's units matching ``condition`` pending again, and queue the job if it had stopped.

    Call inside the transaction that deleted those units' failed results."""
    job.units.filter(condition).update(status=LlmUnit.Status.PENDING, lease_token=None, lease_expires_at=None)
    if job.status in (Status.SUCCEEDED, Status.FAILED, Status.CANCELLED, Status.PAUSED):
        try:
            with transaction.atomic():
                type(job).objects.filter(pk=job.pk).update(status=Status.QUEUED, finished_at=None, message="")
        except IntegrityError:
            raise HyokaError(f"{job.connection.name} has another unfinished job on {job.campaign.slug}; "
                             f"finish or cancel it first.") from None
        job.refresh_from_db()
        job_queue_run(job)


def jobs_recover():
    """Run again the jobs whose workers died: running (or queued) jobs with no heartbeat for a lease.

    Safe to call any time: a job that is in fact alive just gets one more worker, and
    units are claimed with leases, so no unit is done twice.
    """
    stale = timezone.now() - timezone.timedelta(seconds=lease_seconds())
    recovered = []
    for job_model in JOB_MODELS:
        jobs = job_model.objects.filter(
            Q(status=Status.RUNNING, heartbeat_at__lt=stale)
            | Q(status=Status.QUEUED, created_at__lt=stale) & (Q(heartbeat_at__lt=stale) | Q(heartbeat_at__isnull=True))
        )
        for job_id in jobs.values_list("id", flat=True):
            job_model.objects.filter(pk=job_id).update(heartbeat_at=timezone.now())  # one recovery per lease
            job_queue_run(job_model(pk=job_id))
            recovered.append(job_id)
    return recovered


def job_spent(job):
    return job.calls.aggregate(total=Sum("cost"))["total"] or Decimal(0)
