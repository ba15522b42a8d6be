"""Lanes of threads on committed data: limits across threads and lanes, cancel, and leases of dead workers."""

import os
import threading

import pytest
from django.db import connections
from django.utils import timezone

from judging.models import JudgeJob, JudgeUnit, Verdict
from judging.services import judge_job_cancel, judge_job_create, judge_job_resume, judge_job_run
from judging.testing.campaigns import campaign_for_judging
from judging.testing.fake_server import Reply, valid_scores_reply

from .conftest import make_config

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture(params=["redis", "local"])
def limits_in(request, settings):
    """Run each test with the limits held in Redis (as on the workers) and in process (the embedded default)."""
    if request.param == "redis":
        url = os.environ.get("HYOKA_TEST_REDIS_URL")
        if not url:
            pytest.skip("Redis is not reachable (bin/test sets HYOKA_TEST_REDIS_URL when it is)")
        settings.HYOKA_JUDGE_REDIS_URL = url
    else:
        settings.HYOKA_JUDGE_REDIS_URL = ""
        settings.CELERY_BROKER_URL = "filesystem://"
    return request.param


def closing_connections(function):
    """Run ``function`` in a thread of ours, closing the thread's database connection after."""
    def wrapped(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        finally:
            connections.close_all()
    return wrapped


def units_judged_once(job, server):
    """Every unit has one verdict, and the endpoint saw one request per unit."""
    contents = [request["messages"][-1]["content"] for request in server.requests]
    return Verdict.objects.filter(job=job).count() == job.total and len(contents) == len(set(contents)) == job.total


def test_concurrency_limit_holds_with_more_threads_than_slots(fake_llm, limits_in):
    campaign = campaign_for_judging(slug="lanes", items=12)
    config = make_config(fake_llm, concurrency=3)
    fake_llm.delay = 0.15
    job = judge_job_create(campaign=campaign, config=config)
    judge_job_run(job_id=job.id, threads=6)
    job.refresh_from_db()
    assert job.status == "succeeded" and units_judged_once(job, fake_llm)
    assert fake_llm.max_in_flight == 3


def test_two_lanes_share_a_job_without_judging_a_unit_twice(fake_llm, limits_in):
    campaign = campaign_for_judging(slug="two-lanes", items=16)
    config = make_config(fake_llm, concurrency=4)
    fake_llm.delay = 0.05
    job = judge_job_create(campaign=campaign, config=config)
    lanes = [threading.Thread(target=closing_connections(judge_job_run), kwargs={"job_id": job.id, "threads": 4}) for _ in range(2)]
    for lane in lanes:
        lane.start()
    for lane in lanes:
        lane.join()
    job.refresh_from_db()
    assert job.status == "succeeded" and units_judged_once(job, fake_llm)
    assert fake_llm.max_in_flight <= 4


def test_cancel_stops_handing_out_calls_and_resume_continues_where_it_stopped(fake_llm):
    campaign = campaign_for_judging(slug="cancel", items=6)
    config = make_config(fake_llm, concurrency=1)
    job = judge_job_create(campaign=campaign, config=config)

    @closing_connections
    def cancel_at_the_second_call(request):
        if len(fake_llm.requests) == 2:
            judge_job_cancel(job=JudgeJob.objects.get(pk=job.pk))
        return valid_scores_reply(request, delay=0.5)

    fake_llm.responder = cancel_at_the_second_call
    judge_job_run(job_id=job.id, threads=2)
    job.refresh_from_db()
    assert job.status == "cancelled" and len(fake_llm.requests) == 2  # only the calls already in flight
    done_before = set(Verdict.objects.filter(job=job).values_list("item_id", flat=True))
    assert len(done_before) == len(fake_llm.requests)  # calls in flight when cancelled are kept
    asked_before = len(fake_llm.requests)

    fake_llm.responder = valid_scores_reply
    judge_job_resume(job=job)
    judge_job_run(job_id=job.id, threads=2)
    job.refresh_from_db()
    assert job.status == "succeeded" and units_judged_once(job, fake_llm)
    assert len(fake_llm.requests) == 6 and asked_before == len(done_before) == 2


def test_units_under_a_dead_workers_expired_lease_are_taken_over(fake_llm, settings):
    settings.HYOKA_JUDGE_LEASE_SECONDS = 1
    campaign = campaign_for_judging(slug="lease", items=4)
    config = make_config(fake_llm)
    job = judge_job_create(campaign=campaign, config=config)
    JudgeJob.objects.filter(pk=job.pk).update(status="running")
    # A worker that died holding two units: its lease runs out a moment from now.
    held = JudgeUnit.objects.filter(job=job).order_by("id")[:2]
    JudgeUnit.objects.filter(pk__in=[u.pk for u in held]).update(
        lease_token="00000000-0000-0000-0000-000000000001",
        lease_expires_at=timezone.now() + timezone.timedelta(seconds=1))
    judge_job_run(job_id=job.id, threads=2)
    job.refresh_from_db()
    assert job.status == "succeeded" and units_judged_once(job, fake_llm)
