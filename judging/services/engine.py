"""The one engine of LLM jobs (judge jobs, generation jobs): a lane of threads that claim units, ask the
endpoint and record what came back.

A lane is what one Celery task does for one job. Its main thread claims pending
units in batches (``SELECT ... FOR UPDATE SKIP LOCKED``, with a lease) and hands
them to ``concurrency`` threads; a keeper thread renews the leases, the job's
heartbeat and the endpoint slots while calls run. Any number of lanes, on any
number of workers, can work on one job: they share it through the claims, and the
endpoint limits are held in Redis (judging.limits).

What a unit asks and what it stores is a *work* (one class per kind of job, as NetBox
has one runner subclass per job type): ``JudgeWork`` (judging.services.runs) renders a
judge prompt, parses the verdict and re-asks after unparseable output; ``GenerationWork``
(judging.services.generation) answers a prompt turn by turn and stores a response. The
lane does the rest, the same for both: the cache is asked first; on a miss the endpoint
is called, through the limits, and the answer is cached. Failures:

- 429, 5xx, timeouts and connection errors are tried again, up to the connection's
  ``max_attempts`` calls in all, after an exponential backoff with jitter, or after
  Retry-After when the server sends one (and then every worker holds back as long);
- 401/403/404 and an exhausted quota pause the job with a message saying what to fix;
  so does a Retry-After longer than MAX_RETRY_AFTER;
- other 4xx (a prompt too long, say) end the unit as an API error (the work's typed failure);
- the budget pauses the job before a call that would go past it.

Every call is a call row. Finished units are written by one writer thread per lane, a
batch per transaction (calls, cache entries, results, and the units marked done), and a
result is written only for a unit still pending, so a result already stored is never
asked for again, and a worker killed half-way loses only the calls in flight and the
batch not yet written.
"""

import os
import queue
import random
import threading
import time
import uuid
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import InterfaceError, OperationalError, connections, transaction
from django.db.models import Count, Min, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from judging.client import RATE_LIMITED, JudgeCallError, client_for
from judging.limits import lease_seconds, limiter_for_connection
from judging.models import JudgeCacheEntry, LlmJob, LlmUnit
from judging.services.lifecycle import job_fail, job_finish, job_pause, job_spent, job_start

BACKOFF_CAP_SECONDS = 60.0
MAX_RETRY_AFTER = 300.0  # a server asking to wait longer pauses the job rather than hold a thread
CONTROL_INTERVAL = 0.25  # how often a lane looks at the job's status (pause, cancel): one cheap query
MILLION = Decimal(1_000_000)

WORKS = {}  # job model label -> work class, filled by register_work


def register_work(work_class):
    """Make ``work_class`` the work of its ``job_model`` (a class decorator)."""
    WORKS[work_class.job_model._meta.label_lower] = work_class
    return work_class


def work_for(label):
    if not WORKS:  # the works register when their modules are imported
        import judging.services.generation  # noqa: F401
        import judging.services.runs  # noqa: F401
    return WORKS[label]


def backoff_seconds(attempt, retry_after=None):
    """How long to wait before try ``attempt + 1``: Retry-After when given, else exponential with jitter."""
    if retry_after is not None:
        return retry_after + random.uniform(0, 0.1 * retry_after + 0.05)
    base = float(getattr(settings, "HYOKA_JUDGE_BACKOFF_SECONDS", 1.0))
    ceiling = min(BACKOFF_CAP_SECONDS, base * 2 ** (attempt - 1))
    return ceiling / 2 + random.uniform(0, ceiling / 2)


def call_cost(spec, tokens_in, tokens_out):
    return (tokens_in * Decimal(spec["price_input_per_million"])
            + tokens_out * Decimal(spec["price_output_per_million"])) / MILLION


def llm_job_run(*, label, job_id, threads=None):
    """Work on the job (of the kind ``label`` names, e.g. "judging.judgejob") until no unit is left, or it
    is paused or cancelled; then finish it.

    ``threads`` overrides the connection's concurrency for this lane (1 runs units in the
    calling thread). Returns the job, or None when it was not running.
    """
    work_class = work_for(label)
    job = job_start(job_model=work_class.job_model, job_id=job_id)
    if job is None:
        return None
    problem = endpoint_problem(job.connection)
    if problem:
        job_pause(job=job, message=problem)
        return job
    lane = Lane(job, work_class(job), threads=threads)
    try:
        lane.run()
    except (OperationalError, InterfaceError):
        raise  # the database went away: the task tries again; the job is not at fault
    except Exception as error:
        job_fail(job=job, message=f"{type(error).__name__}: {error}")
        raise
    finally:
        lane.close()
    job.refresh_from_db()
    if job.status == LlmJob.Status.RUNNING:
        job_finish(job=job)
    return job


def endpoint_problem(connection):
    if connection.api_key_env and not os.environ.get(connection.api_key_env):
        return _("The environment variable %(var)s, which should hold the API key, is not set on the worker. "
                 "Set it where the Celery workers run, restart them, then resume the job.") % {
                     "var": connection.api_key_env}
    return ""


@dataclass
class UnitOutcome:
    """What one unit came to: the calls it made, the answers to cache, and its result (None: not finished,
    the unit stays pending). ``extra`` is the work's (scores and checks of a verdict, turns of a response)."""

    unit_id: int
    calls: list = field(default_factory=list)
    cache_entries: list = field(default_factory=list)
    result: dict | None = None
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Answer:
    content: str
    refusal: str
    finish_reason: str
    tokens_in: int
    tokens_out: int
    latency_ms: int
    key: str
    model: str = ""


def answer_of(entry):
    return Answer(entry.content, entry.refusal, entry.finish_reason, entry.tokens_in, entry.tokens_out, 0, entry.key,
                  entry.model)


def cached_answers(keys):
    """{key: Answer} for the keys in the cache, one query."""
    return {entry.key: answer_of(entry) for entry in JudgeCacheEntry.objects.filter(key__in=list(keys))}


class Lane:
    """One worker's share of a job: the threads, the claims they hold and the endpoint slots they use."""

    def __init__(self, job, work, threads=None):
        connection = job.connection
        self.job, self.work, self.spec = job, work, job.spec
        self.unit_model = work.unit_model
        self.client = client_for(connection)
        self.limiter = limiter_for_connection(connection, self.spec)
        self.max_attempts = connection.max_attempts
        self.threads = max(1, threads or connection.concurrency)
        self.token = uuid.uuid4()
        self.lease = lease_seconds()
        self.stop = threading.Event()
        self.fatal = None
        self._spent = job_spent(job)
        self._lock = threading.Lock()
        self._checked_at = time.monotonic()
        self._keeper = threading.Thread(target=self._keep_leases, name=f"llm-lease-{job.pk}", daemon=True)
        self._keeper_stop = threading.Event()

    # The loop ------------------------------------------------------------------------------------------

    def run(self):
        self._keeper.start()
        if self.threads == 1:
            self._run_inline()
        else:
            self._run_threaded()
        if self.fatal is not None:
            raise self.fatal

    def _run_inline(self):
        while self.keep_going():
            units = self.claim(1)
            if units:
                self.record([self.work.unit_run(self, units[0])])
            elif self.nothing_left():
                return

    def _run_threaded(self):
        work, finished, progress = queue.Queue(), queue.Queue(), threading.Event()
        self.outstanding = 0  # units claimed and not yet written
        workers = [threading.Thread(target=self._work, args=(work, finished), name=f"llm-{self.job.pk}-{n}",
                                    daemon=True) for n in range(self.threads)]
        writer = threading.Thread(target=self._write, args=(finished, progress), name=f"llm-{self.job.pk}-writer",
                                  daemon=True)
        for thread in [*workers, writer]:
            thread.start()
        try:
            while self.keep_going():
                if self.outstanding <= self.threads:  # keep a backlog, so threads never wait for a claim
                    units = self.claim(2 * self.threads - self.outstanding)
                    with self._lock:
                        self.outstanding += len(units)
                    for unit in units:
                        work.put(unit)
                    if not units and self.outstanding == 0 and self.nothing_left():
                        return
                progress.wait(CONTROL_INTERVAL)
                progress.clear()
        finally:
            for _worker in workers:
                work.put(None)
            for worker in workers:
                worker.join()
            finished.put(None)
            writer.join()

    def _work(self, work, finished):
        """Run units until told to stop; each outcome goes to the writer, even an empty one."""
        try:
            while (unit := work.get()) is not None:
                outcome = UnitOutcome(unit.pk)
                try:
                    if not self.stop.is_set():
                        outcome = self.work.unit_run(self, unit)
                except Exception as error:  # a bug, not an endpoint failure: stop the lane and fail the job
                    self.fatal = self.fatal or error
                    self.stop.set()
                finally:
                    finished.put(outcome)
        finally:
            connections.close_all()

    def _write(self, finished, progress):
        """Write finished units in batches: whatever finished while the last batch was being written.

        One transaction per batch instead of per unit keeps the database off the critical path;
        a worker killed before a batch is written loses only the results of that batch (their
        units are run again), never stores one twice.
        """
        try:
            done = False
            while not done:
                batch = [finished.get()]
                while len(batch) < 500 and not finished.empty():
                    batch.append(finished.get_nowait())
                done = batch[-1] is None
                outcomes = [outcome for outcome in batch if outcome is not None]
                try:
                    self.record(outcomes)
                except Exception as error:
                    self.fatal = self.fatal or error
                    self.stop.set()
                with self._lock:
                    self.outstanding -= len(outcomes)
                progress.set()
        finally:
            connections.close_all()

    def keep_going(self):
        """False once the job left the running state (paused, cancelled) or a thread hit a bug."""
        now = time.monotonic()
        if now - self._checked_at >= CONTROL_INTERVAL:
            self._checked_at = now
            status = type(self.job).objects.filter(pk=self.job.pk).values_list("status", flat=True).first()
            if status != LlmJob.Status.RUNNING:
                self.stop.set()
            with self._lock:
                self._spent = job_spent(self.job)
        return not self.stop.is_set() and self.fatal is None

    def claim(self, limit):
        now = timezone.now()
        pending = self.unit_model.objects.filter(job_id=self.job.pk, status=LlmUnit.Status.PENDING)
        with transaction.atomic():
            ids = list(
                pending.select_for_update(skip_locked=True)
                .filter(Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now))
                .order_by("id").values_list("id", flat=True)[:limit]
            )
            self.unit_model.objects.filter(id__in=ids).update(
                lease_token=self.token, lease_expires_at=now + timezone.timedelta(seconds=self.lease)
            )
        units = list(self.unit_model.objects.filter(id__in=ids).select_related(*self.work.unit_related).order_by("id"))
        self.work.prepare(units)
        return units

    def nothing_left(self):
        """True when no unit is pending; otherwise wait a little (others hold the rest under lease)."""
        row = self.unit_model.objects.filter(job_id=self.job.pk, status=LlmUnit.Status.PENDING).aggregate(
            n=Count("id"), soonest=Min("lease_expires_at"))
        if row["n"] == 0:
            return True
        wait = (row["soonest"] - timezone.now()).total_seconds() if row["soonest"] else 0
        self.stop.wait(min(max(wait, 0.05), CONTROL_INTERVAL))
        return False

    def _keep_leases(self):
        """Renew this lane's unit leases, the job's heartbeat and the endpoint slots, well within the lease."""
        try:
            while not self._keeper_stop.wait(self.lease / 3):
                expires = timezone.now() + timezone.timedelta(seconds=self.lease)
                self.unit_model.objects.filter(lease_token=self.token, status=LlmUnit.Status.PENDING).update(
                    lease_expires_at=expires)
                type(self.job).objects.filter(pk=self.job.pk, status=LlmJob.Status.RUNNING).update(
                    heartbeat_at=timezone.now())
                self.limiter.renew()
        finally:
            connections.close_all()

    def close(self):
        self._keeper_stop.set()
        if self._keeper.is_alive():
            self._keeper.join()
        self.unit_model.objects.filter(lease_token=self.token, status=LlmUnit.Status.PENDING).update(
            lease_token=None, lease_expires_at=None)
        self.client.close()

    # One call ------------------------------------------------------------------------------------------

    def cached(self, key):
        entry = JudgeCacheEntry.objects.filter(key=key).first()
        return None if entry is None else answer_of(entry)

    def call(self, unit, request, key, outcome, **call_fields):
        """The completion of ``request``, after retries; None when the unit ends without one (stopped, paused,
        or failed for good: then ``outcome.result`` is the work's API error). Failed calls are recorded in
        ``outcome.calls`` with ``call_fields`` (the work's, e.g. the turn)."""
        for attempt in range(1, self.max_attempts + 1):
            if not self.budget_allows():
                return None
            slot = self.limiter.acquire(self.stop)
            if slot is None:
                return None
            try:
                completion = self.client.complete(request)
            except JudgeCallError as error:
                failure = error
            else:
                return self.answered(outcome, completion, key)
            finally:
                self.limiter.release(slot)
            outcome.calls.append(self.failed_call_row(unit, outcome, failure, key, call_fields))
            if not self.may_retry(failure, attempt, outcome, unit):
                return None
            delay = backoff_seconds(attempt, failure.retry_after)
            if failure.kind == RATE_LIMITED and failure.retry_after:
                self.limiter.cool_down(failure.retry_after)  # every worker holds back, not only this thread
            if self.stop.wait(delay):
                return None
        return None

    def answered(self, outcome, completion, key):
        outcome.cache_entries.append(JudgeCacheEntry(
            key=key, content=completion.content, refusal=completion.refusal, finish_reason=completion.finish_reason,
            model=completion.model[:200], tokens_in=completion.tokens_in, tokens_out=completion.tokens_out,
        ))
        with self._lock:
            self._spent += call_cost(self.spec, completion.tokens_in, completion.tokens_out)
        return Answer(completion.content, completion.refusal, completion.finish_reason, completion.tokens_in,
                      completion.tokens_out, completion.latency_ms, key, completion.model[:200])

    def may_retry(self, failure, attempt, outcome, unit):
        if failure.pauses_job:
            self.pause(endpoint_message(failure, self.job.connection, self.work.NOT_FOUND_MESSAGE))
            return False
        if failure.retry_after is not None and failure.retry_after > MAX_RETRY_AFTER:
            self.pause(_("The endpoint asks to wait %(seconds)d s before the next call (Retry-After). "
                         "Resume the job later.") % {"seconds": failure.retry_after})
            return False
        if failure.permanent or attempt >= self.max_attempts:
            outcome.result = self.work.api_error(unit, failure)
            return False
        return True

    def budget_allows(self):
        budget = self.job.budget
        with self._lock:
            spent = self._spent
        if budget is None or spent < budget:
            return True
        self.pause(_("The budget of $%(budget)s is reached ($%(spent)s spent). Raise the budget to resume.")
                   % {"budget": f"{budget:.4f}", "spent": f"{spent:.4f}"})
        return False

    def pause(self, message):
        job_pause(job=type(self.job).objects.get(pk=self.job.pk), message=message)
        self.stop.set()

    def call_row(self, unit, outcome, answer, status, cached, **call_fields):
        """The call row of an answer (from the endpoint, or from the cache: then it cost nothing)."""
        return self.work.call_model(
            **self.work.call_identity(unit), **call_fields,
            attempt=len(outcome.calls) + 1, cached=cached, outcome=status, http_status=None if cached else 200,
            finish_reason=answer.finish_reason,
            tokens_in=0 if cached else answer.tokens_in, tokens_out=0 if cached else answer.tokens_out,
            latency_ms=answer.latency_ms,
            cost=Decimal(0) if cached else call_cost(self.spec, answer.tokens_in, answer.tokens_out),
            cache_key=answer.key,
        )

    def failed_call_row(self, unit, outcome, failure, key, call_fields):
        return self.work.call_model(
            **self.work.call_identity(unit), **call_fields,
            attempt=len(outcome.calls) + 1, outcome=failure.kind, http_status=failure.status,
            latency_ms=failure.latency_ms, cache_key=key, message=failure.message[:2000],
        )

    # Writing -------------------------------------------------------------------------------------------

    def record(self, outcomes):
        """Write the calls, cache entries and results of finished units, in one transaction.

        A result is written only for a unit still pending: another lane may have finished it after
        this lane's lease ran out. Calls are written regardless; they were paid for.
        """
        concluded = [outcome for outcome in outcomes if outcome.result is not None]
        with transaction.atomic():
            pending = set(self.unit_model.objects.select_for_update().order_by("id").filter(
                pk__in=[outcome.unit_id for outcome in concluded], status=LlmUnit.Status.PENDING,
            ).values_list("id", flat=True))
            self.unit_model.objects.filter(pk__in=pending).update(
                status=LlmUnit.Status.DONE, lease_token=None, lease_expires_at=None)
            JudgeCacheEntry.objects.bulk_create(
                [entry for outcome in outcomes for entry in outcome.cache_entries], ignore_conflicts=True)
            self.work.call_model.objects.bulk_create([call for outcome in outcomes for call in outcome.calls])
            self.work.store([outcome for outcome in concluded if outcome.unit_id in pending])


def endpoint_message(failure, connection, not_found_message):
    """What a lead should do about a failure that concerns the whole endpoint; ``not_found_message`` (the work's)
    says where the base URL and model are set (the judge config, the model endpoint)."""
    where = f"{connection.model} @ {connection.base_url}"
    messages = {
        "auth": _("The endpoint refused the API key (HTTP 401) for %(where)s. Check the key in the environment "
                  "variable %(var)s on the workers, then resume the job."),
        "forbidden": _("The endpoint forbids this key to use %(where)s (HTTP 403). Check the key's permissions "
                       "(variable %(var)s), then resume the job."),
        "not_found": not_found_message,
        "quota": _("The account behind %(where)s has no quota left. Add credit or change the key "
                   "(variable %(var)s), then resume the job."),
    }
    template = messages.get(failure.kind, _("The endpoint failed for %(where)s; resume the job once it is fixed."))
    return (str(template) % {"where": where, "var": connection.api_key_env or "-"}) + f" ({failure.message[:300]})"
