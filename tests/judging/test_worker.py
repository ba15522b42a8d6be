"""End to end through real Celery worker processes and the Redis broker.

The tests start ``celery -A hyoka worker`` as a subprocess on the test database and a
queue of their own, queue jobs with ``manage.py judge`` and let the worker call the fake
OpenAI-compatible server over loopback. Skipped when Redis is not reachable (bin/test
says so; CI requires it).
"""

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest
from django.db import connection

from judging.models import JudgeJob, Verdict
from judging.testing.campaigns import campaign_for_judging

from .conftest import make_config

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("HYOKA_TEST_REDIS_URL")

pytestmark = [
    pytest.mark.skipif(not REDIS_URL, reason="Redis is not reachable (bin/test sets HYOKA_TEST_REDIS_URL when it is)"),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="worker processes share the test database: PostgreSQL"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def database_url():
    settings = connection.settings_dict
    password = f":{settings['PASSWORD']}" if settings["PASSWORD"] else ""
    return f"postgres://{settings['USER']}{password}@{settings['HOST']}:{settings['PORT'] or 5432}/{settings['NAME']}"


@pytest.fixture
def environment():
    queue = f"hyoka-test-{uuid.uuid4().hex[:10]}"
    return {**os.environ, "DATABASE_URL": database_url(), "CELERY_BROKER_URL": REDIS_URL,
            "DJANGO_SETTINGS_MODULE": "tests.judging.worker_settings", "HYOKA_TEST_CELERY_QUEUE": queue}


class Worker:
    """A ``celery -A hyoka worker`` subprocess on the test's queue."""

    def __init__(self, environment, name):
        queue = environment["HYOKA_TEST_CELERY_QUEUE"]
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "hyoka", "worker", "-Q", queue, "-n", f"{name}-{queue}@localhost",
             "--pool=threads", "--concurrency=2", "--without-gossip", "--without-mingle", "--loglevel=info"],
            cwd=ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        self.output, self.ready = [], threading.Event()
        threading.Thread(target=self._read, daemon=True).start()
        if not self.ready.wait(30):
            self.stop()
            raise AssertionError("the worker did not start:\n" + "".join(self.output))

    def _read(self):
        for line in self.process.stdout:
            self.output.append(line)
            if " ready." in line:
                self.ready.set()

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def workers(environment):
    started = []

    def start(name="w"):
        started.append(Worker(environment, name))
        return started[-1]

    yield start
    for worker in started:
        worker.stop()


def manage(environment, *arguments, timeout=60):
    return subprocess.run([sys.executable, "manage.py", *arguments], cwd=ROOT, env=environment,
                          capture_output=True, text=True, timeout=timeout)


def wait_until(condition, timeout, message):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(message)


def test_judge_wait_runs_the_job_on_a_worker_and_shows_its_progress(fake_llm, environment, workers):
    campaign = campaign_for_judging(slug="e2e", items=8)
    make_config(fake_llm, name="e2e-judge", concurrency=4)
    fake_llm.delay = 0.1
    workers()

    result = manage(environment, "judge", "--campaign", "e2e", "--config", "e2e-judge", "--wait")

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("job ") and "8 judgments, 8 calls (0 cached)" in lines[0]
    assert lines[-1].startswith("[" + "#" * 30 + "] 100.0% 8/8 (scored 8, failed 0)") and "succeeded" in lines[-1]
    job = JudgeJob.objects.get(campaign=campaign)
    assert job.status == "succeeded" and Verdict.objects.filter(job=job, parse_status="ok").count() == 8
    assert len(fake_llm.requests) == 8 and fake_llm.max_in_flight <= 4


def test_a_worker_killed_mid_job_is_replaced_and_no_verdict_is_asked_for_twice(fake_llm, environment, workers):
    campaign = campaign_for_judging(slug="killed", items=30)
    make_config(fake_llm, name="kill-judge", concurrency=4)
    fake_llm.hold_after(8)  # the first worker gets 8 answers; its later calls wait until it is gone
    first = workers("first")
    queued = manage(environment, "judge", "--campaign", "killed", "--config", "kill-judge")
    assert queued.returncode == 0, queued.stderr
    job = JudgeJob.objects.get(campaign=campaign)

    wait_until(lambda: Verdict.objects.filter(job=job).count() >= 8, 30, "the first worker judged too little")
    first.kill()
    stored_before = {turns[0] for turns in Verdict.objects.filter(job=job).values_list("item__response__turns", flat=True)}
    assert len(stored_before) == 8
    assert JudgeJob.objects.get(pk=job.pk).status == "running"

    fake_llm.release()
    workers("second")
    wait_until(lambda: JudgeJob.objects.get(pk=job.pk).status == "succeeded", 45,
               "the job did not finish after the worker was replaced")

    per_item = Counter(Verdict.objects.filter(job=job).values_list("item_id", "sample"))
    assert len(per_item) == 30 and set(per_item.values()) == {1}  # exactly one verdict per (item, sample)
    asked = Counter(answer for request in fake_llm.requests for answer in stored_before
                    if answer in request["messages"][-1]["content"])
    assert all(asked[answer] == 1 for answer in stored_before)  # no call repeated for a verdict already stored
