"""Celery tasks of the annotation app: thin wrappers that take ids and call a service.

The import of an upload runs in one transaction that is rolled back as a whole when it fails, so a task
redelivered after a worker died finds the upload claimed (running) and leaves it; only transient
infrastructure errors are retried.
"""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from annotation.services.uploads import upload_run


@shared_task(name="annotation.upload_run", acks_late=True, reject_on_worker_lost=True,
             autoretry_for=(OperationalError, InterfaceError), retry_backoff=2, retry_backoff_max=60,
             retry_jitter=True, max_retries=5, ignore_result=True)
def upload_run_task(upload_id):
    upload_run(upload_id=upload_id)
