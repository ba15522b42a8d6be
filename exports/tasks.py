"""Celery tasks of the exports app: thin wrappers that take ids and call a service.

A build is acknowledged late, so a worker that dies before it starts leaves the message to be
delivered again. It is not retried on errors: release_build records every failure on the release
(and claims only queued builds, so a redelivered message for a build under way does nothing); the
lead reads the error and rebuilds.
"""

from celery import shared_task

from exports.services import release_build
from exports.services.report_snapshots import report_snapshot_compute


@shared_task(name="exports.release_build", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def release_build_task(release_id):
    release_build(release_id=release_id)


@shared_task(name="exports.report_snapshot", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def report_snapshot_task(snapshot_id):
    """Compute a report snapshot; claimed by a conditional update, so a redelivered message does nothing."""
    report_snapshot_compute(snapshot_id=snapshot_id)
