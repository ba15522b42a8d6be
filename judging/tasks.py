"""Celery tasks of the judging app: thin wrappers that take ids and call a service.

Tasks are acknowledged late, so a worker that dies mid-task leaves its message to be
delivered again; and since Redis redelivers only after its visibility timeout (an
hour by default), a starting worker also looks for jobs whose workers stopped beating
(jobs_recover) and takes them over. Only transient infrastructure errors
(database or broker connections) are retried here; endpoint errors are handled per
call by the engine itself. Every kind of LLM job (judge, generation) runs through one
task, named by its model's label and its id.
"""

from celery import shared_task
from celery.signals import worker_ready
from django.db import InterfaceError, OperationalError

from judging.limits import lease_seconds
from judging.services.engine import llm_job_run
from judging.services.lifecycle import jobs_recover

try:
    from redis.exceptions import ConnectionError as RedisConnectionError, TimeoutError as RedisTimeoutError

    TRANSIENT = (OperationalError, InterfaceError, RedisConnectionError, RedisTimeoutError)
except ImportError:  # the embedded default runs without the redis package
    TRANSIENT = (OperationalError, InterfaceError)

RETRY_POLICY = {
    "acks_late": True, "reject_on_worker_lost": True, "autoretry_for": TRANSIENT, "retry_backoff": 2,
    "retry_backoff_max": 60, "retry_jitter": True, "max_retries": 5, "ignore_result": True,
}


@shared_task(name="judging.llm_job_run", **RETRY_POLICY)
def llm_job_run_task(label, job_id):
    llm_job_run(label=label, job_id=job_id)


@shared_task(name="judging.jobs_recover", **RETRY_POLICY)
def jobs_recover_task():
    jobs_recover()


@worker_ready.connect
def recover_jobs_when_a_worker_starts(sender=None, **kwargs):
    # After a lease, so that the heartbeats of workers killed just before have gone stale.
    jobs_recover_task.apply_async(countdown=lease_seconds() + 1)
