"""Running a judge job on a worker: a lane of threads that claim units, ask the endpoint, record verdicts.

A lane is what one Celery task does for one job. Its main thread claims pending
units in batches (``SELECT ... FOR UPDATE SKIP LOCKED``, with a lease) and hands
them to ``concurrency`` threads; a keeper thread renews the leases, the job's
heartbeat and the endpoint slots while calls run. Any number of lanes, on any
number of workers, can work on one job: they share it through the claims, and the
endpoint limits are held in Redis (judging.limits).

Per unit (one item, one sample; for a pair also one order shown): the cache is asked first; on a miss the endpoint is
called, through the limits, and the answer is cached. Failures:

- 429, 5xx, timeouts and connection errors are tried again, up to the config's
  ``max_attempts`` calls in all, after an exponential backoff with jitter, or after
  Retry-After when the server sends one (and then every worker holds back as long);
- 401/403/404 and an exhausted quota pause the job with a message saying what to fix;
  so does a Retry-After longer than MAX_RETRY_AFTER;
- other 4xx (a prompt too long, say) end the unit as an API error;
- unparseable output is asked again (a new cache key each time) up to
  ``max_parse_retries`` times, then recorded as a parse failure; truncated output and
  refusals are recorded as such at once.

Whatever happens, a failure is a Verdict with a failed status and no scores, and
every call is a JudgeCall row. Finished units are written by one writer thread per
lane, a batch per transaction (calls, cache entries, verdicts, and the units marked
done), so a verdict already stored is never asked for again, and a worker killed
half-way loses only the calls in flight and the batch not yet written.
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

from judging import kinds
from judging.client import RATE_LIMITED, ChatRequest, JudgeCallError, JudgeClient
from judging.limits import lease_seconds, limiter_for
from annotation.checklists import prompt_checklists
from judging.models import JudgeCacheEntry, JudgeCall, JudgeJob, JudgeUnit, Verdict, VerdictCheck, VerdictScore
from judging.parsing import OK, PARSE_ERROR, PARSER_VERSION
from judging.prompts import cache_key, request_seed, template_for, verdict_in_item_terms
from judging.services.jobs import call_cost, judge_job_fail, judge_job_finish, judge_job_pause, judge_job_start, job_spent

BACKOFF_CAP_SECONDS = 60.0
MAX_RETRY_AFTER = 300.0  # a server asking to wait longer pauses the job rather than hold a thread
CONTROL_INTERVAL = 0.25  # how often a lane looks at the job's status (pause, cancel): one cheap query


def backoff_seconds(attempt, retry_after=None):
    """How long to wait before try ``attempt + 1``: Retry-After when given, else exponential with jitter."""
    if retry_after is not None:
        return retry_after + random.uniform(0, 0.1 * retry_after + 0.05)
    base = float(getattr(settings, "HYOKA_JUDGE_BACKOFF_SECONDS", 1.0))
    ceiling = min(BACKOFF_CAP_SECONDS, base * 2 ** (attempt - 1))
    return ceiling / 2 + random.uniform(0, ceiling / 2)


def judge_job_run(*, job_id, threads=None):
    """Work on the job until no unit is left, or it is paused or cancelled; then finish it.

    ``threads`` overrides the config's concurrency for this lane (1 runs units in the
    calling thread). Returns the job, or None when it was not running.
    """
    job = judge_job_start(job_id=job_id)
    if job is None:
        return None
    problem = endpoint_problem(job.config)
    if problem:
        judge_job_pause(job=job, message=problem)
        return job
    lane = Lane(job, threads=threads)
    try:
        lane.run()
    except (OperationalError, InterfaceError):
        raise  # the database went away: the task tries again; the job is not at fault
    except Exception as error:
        judge_job_fail(job=job, message=f"{type(error).__name__}: {error}")
        raise
    finally:
        lane.close()
    job.refresh_from_db()
    if job.status == JudgeJob.Status.RUNNING:
        judge_job_finish(job=job)
    return job


def endpoint_problem(config):
    if config.api_key_env and not os.environ.get(config.api_key_env):
        return _("The environment variable %(var)s, which should hold the API key, is not set on the worker. "
                 "Set it where the Celery workers run, restart them, then resume the job.") % {"var": config.api_key_env}
    return ""


@dataclass
class UnitOutcome:
    unit_id: int
    calls: list = field(default_factory=list)
    cache_entries: list = field(default_factory=list)
    verdict: dict | None = None
    scores: dict = field(default_factory=dict)
    checks: list = field(default_factory=list)  # (checklist item id, side in the item's terms, answer)


class Lane:
    """One worker's share of a job: the threads, the claims they hold and the endpoint slots they use."""

    def __init__(self, job, threads=None):
        config = job.config
        self.job, self.spec = job, job.spec
        self.template = template_for(self.spec["template"], self.spec["template_version"])
        rubric_axes = list(job.campaign.rubric.axes.order_by("position"))
        self.scale = kinds.for_campaign(job.campaign).template_scale(job.campaign.rubric)  # axes, or verdicts
        self.axis_ids = {axis.key: axis.id for axis in rubric_axes}
        self.client = JudgeClient(base_url=self.spec["base_url"], timeout=config.timeout_seconds,
                                  api_key=os.environ.get(config.api_key_env, "") if config.api_key_env else "")
        self.limiter = limiter_for(base_url=self.spec["base_url"], model=self.spec["model"],
                                   concurrency=config.concurrency, requests_per_minute=config.requests_per_minute)
        self.max_attempts = config.max_attempts
        self.threads = max(1, threads or config.concurrency)
        self.token = uuid.uuid4()
        self.lease = lease_seconds()
        self.stop = threading.Event()
        self.fatal = None
        self._spent = job_spent(job)
        self._lock = threading.Lock()
        self._checked_at = time.monotonic()
        self._keeper = threading.Thread(target=self._keep_leases, name=f"judge-lease-{job.pk}", daemon=True)
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
                self.record([self.unit_run(units[0])])
            elif self.nothing_left():
                return

    def _run_threaded(self):
        work, finished, progress = queue.Queue(), queue.Queue(), threading.Event()
        self.outstanding = 0  # units claimed and not yet written
        workers = [threading.Thread(target=self._work, args=(work, finished), name=f"judge-{self.job.pk}-{n}",
                                    daemon=True) for n in range(self.threads)]
        writer = threading.Thread(target=self._write, args=(finished, progress), name=f"judge-{self.job.pk}-writer",
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
        """Judge units until told to stop; each outcome goes to the writer, even an empty one."""
        try:
            while (unit := work.get()) is not None:
                outcome = UnitOutcome(unit.pk)
                try:
                    if not self.stop.is_set():
                        outcome = self.unit_run(unit)
                except Exception as error:  # a bug, not a judge failure: stop the lane and fail the job
                    self.fatal = self.fatal or error
                    self.stop.set()
                finally:
                    finished.put(outcome)
        finally:
            connections.close_all()

    def _write(self, finished, progress):
        """Write finished units in batches: whatever finished while the last batch was being written.

        One transaction per batch instead of per unit keeps the database off the critical path;
        a worker killed before a batch is written loses only the verdicts of that batch (their
        units are judged again), never stores one twice.
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
            status = JudgeJob.objects.filter(pk=self.job.pk).values_list("status", flat=True).first()
            if status != JudgeJob.Status.RUNNING:
                self.stop.set()
            with self._lock:
                self._spent = job_spent(self.job)
        return not self.stop.is_set() and self.fatal is None

    def claim(self, limit):
        now = timezone.now()
        with transaction.atomic():
            ids = list(
                JudgeUnit.objects.select_for_update(skip_locked=True)
                .filter(Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now),
                        job_id=self.job.pk, status=JudgeUnit.Status.PENDING)
                .order_by("id").values_list("id", flat=True)[:limit]
            )
            JudgeUnit.objects.filter(id__in=ids).update(
                lease_token=self.token, lease_expires_at=now + timezone.timedelta(seconds=self.lease)
            )
        units = list(JudgeUnit.objects.filter(id__in=ids).select_related("item__response__prompt", "item__response_b")
                     .order_by("id"))
        self.prepare(units)
        return units

    def prepare(self, units):
        """Render each unit's messages (with its prompt's checklist) and look up the first answers in the cache,
        one query for each."""
        checklists = prompt_checklists({unit.item.response.prompt_id for unit in units})
        for unit in units:
            unit.checklist = checklists.get(unit.item.response.prompt_id, [])
            unit.messages = self.template.item_messages(self.scale, unit.item, unit.order, self.spec["output_format"],
                                                        [question.text for question in unit.checklist])
            unit.first_key = cache_key(spec=self.spec, messages=unit.messages, sample=unit.sample, reask=0,
                                       parser_version=PARSER_VERSION)
        entries = JudgeCacheEntry.objects.filter(key__in=[unit.first_key for unit in units])
        answers = {entry.key: _answer_of(entry) for entry in entries}
        for unit in units:
            unit.first_answer = answers.get(unit.first_key)

    def nothing_left(self):
        """True when no unit is pending; otherwise wait a little (others hold the rest under lease)."""
        row = JudgeUnit.objects.filter(job_id=self.job.pk, status=JudgeUnit.Status.PENDING).aggregate(
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
                JudgeUnit.objects.filter(lease_token=self.token, status=JudgeUnit.Status.PENDING).update(
                    lease_expires_at=expires)
                JudgeJob.objects.filter(pk=self.job.pk, status=JudgeJob.Status.RUNNING).update(
                    heartbeat_at=timezone.now())
                self.limiter.renew()
        finally:
            connections.close_all()

    def close(self):
        self._keeper_stop.set()
        if self._keeper.is_alive():
            self._keeper.join()
        JudgeUnit.objects.filter(lease_token=self.token, status=JudgeUnit.Status.PENDING).update(
            lease_token=None, lease_expires_at=None)
        self.client.close()

    # One unit --------------------------------------------------------------------------------------------

    def unit_run(self, unit):
        """Judge one unit (see the module docstring); returns its outcome, to be recorded."""
        outcome = UnitOutcome(unit.pk)
        for reask in range(self.spec["max_parse_retries"] + 1):
            if reask == 0:
                key, answer = unit.first_key, unit.first_answer
            else:
                key = cache_key(spec=self.spec, messages=unit.messages, sample=unit.sample, reask=reask,
                                parser_version=PARSER_VERSION)
                answer = self.cached(key)
            cached = answer is not None
            if answer is None:
                answer = self.call(unit, unit.messages, reask, key, outcome)
            if answer is None:
                break  # stopped, paused, or failed for good (outcome.verdict says which)
            result = self.parse(answer, unit)
            outcome.calls.append(self.call_row(unit, outcome, answer, result.status, key, cached))
            if result.status == PARSE_ERROR and reask < self.spec["max_parse_retries"]:
                continue
            self.conclude(outcome, unit, answer, result)
            break
        return outcome

    def cached(self, key):
        entry = JudgeCacheEntry.objects.filter(key=key).first()
        return None if entry is None else _answer_of(entry)

    def call(self, unit, messages, reask, key, outcome):
        """The completion, after retries; None when the unit ends without one."""
        request = ChatRequest(
            model=self.spec["model"], messages=messages, temperature=self.spec["temperature"],
            max_tokens=self.spec["max_tokens"], seed=request_seed(self.spec["seed"], unit.sample, reask),
            response_format=self.template.response_format(self.scale, self.spec["output_format"],
                                                          len(unit.checklist)),
        )
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
            outcome.calls.append(self.failed_call_row(unit, outcome, failure, key))
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
        return _Answer(completion.content, completion.refusal, completion.finish_reason, completion.tokens_in,
                       completion.tokens_out, completion.latency_ms, key)

    def may_retry(self, failure, attempt, outcome, unit):
        if failure.pauses_job:
            self.pause(endpoint_message(failure, self.job.config))
            return False
        if failure.retry_after is not None and failure.retry_after > MAX_RETRY_AFTER:
            self.pause(_("The endpoint asks to wait %(seconds)d s before the next call (Retry-After). "
                         "Resume the job later.") % {"seconds": failure.retry_after})
            return False
        if failure.permanent or attempt >= self.max_attempts:
            outcome.verdict = self.verdict_fields(unit, status=Verdict.ParseStatus.API_ERROR,
                                                  error_kind=failure.kind, error_message=failure.message[:2000])
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
        judge_job_pause(job=JudgeJob.objects.get(pk=self.job.pk), message=message)
        self.stop.set()

    def parse(self, answer, unit):
        return self.template.parse(self.scale, answer.content, self.spec["output_format"], answer.finish_reason,
                                   answer.refusal or None, len(unit.checklist))

    def conclude(self, outcome, unit, answer, result):
        status = Verdict.ParseStatus.OK if result.status == OK else result.status
        outcome.verdict = self.verdict_fields(
            unit, status=status, rationale=result.rationale, raw_output=answer.content or answer.refusal,
            error_kind="" if result.status == OK else result.status, error_message=result.error,
        )
        outcome.scores = result.scores
        if result.verdict:
            outcome.verdict["verdict"] = verdict_in_item_terms(result.verdict, unit.order)
        outcome.checks = [(unit.checklist[number - 1].id, verdict_in_item_terms(side, unit.order), answer)
                          for number, side, answer in result.checks]

    def verdict_fields(self, unit, *, status, rationale="", raw_output="", error_kind="", error_message=""):
        return {
            "judge_id": self.job.config_id, "job_id": self.job.pk, "item_id": unit.item_id, "sample": unit.sample,
            "order": unit.order,
            "rationale": rationale, "raw_output": raw_output, "parse_status": status,
            "parser_version": PARSER_VERSION, "error_kind": error_kind, "error_message": error_message,
        }

    def call_row(self, unit, outcome, answer, status, key, cached):
        return JudgeCall(
            job_id=self.job.pk, item_id=unit.item_id, order=unit.order, sample=unit.sample,
            attempt=len(outcome.calls) + 1, cached=cached, outcome=status, http_status=None if cached else 200,
            finish_reason=answer.finish_reason,
            tokens_in=0 if cached else answer.tokens_in, tokens_out=0 if cached else answer.tokens_out,
            latency_ms=answer.latency_ms,
            cost=Decimal(0) if cached else call_cost(self.spec, answer.tokens_in, answer.tokens_out), cache_key=key,
        )

    def failed_call_row(self, unit, outcome, failure, key):
        return JudgeCall(
            job_id=self.job.pk, item_id=unit.item_id, order=unit.order, sample=unit.sample,
            attempt=len(outcome.calls) + 1, outcome=failure.kind, http_status=failure.status,
            latency_ms=failure.latency_ms, cache_key=key,
            message=failure.message[:2000],
        )

    def record(self, outcomes):
        """Write the calls, cache entries and verdicts of finished units, in one transaction.

        A verdict is written only for a unit still pending: another lane may have judged it after
        this lane's lease ran out. Calls are written regardless; they were paid for.
        """
        concluded = [outcome for outcome in outcomes if outcome.verdict is not None]
        with transaction.atomic():
            pending = set(JudgeUnit.objects.select_for_update().order_by("id").filter(
                pk__in=[outcome.unit_id for outcome in concluded], status=JudgeUnit.Status.PENDING,
            ).values_list("id", flat=True))
            JudgeUnit.objects.filter(pk__in=pending).update(
                status=JudgeUnit.Status.DONE, lease_token=None, lease_expires_at=None)
            JudgeCacheEntry.objects.bulk_create(
                [entry for outcome in outcomes for entry in outcome.cache_entries], ignore_conflicts=True)
            JudgeCall.objects.bulk_create([call for outcome in outcomes for call in outcome.calls])
            finished = [outcome for outcome in concluded if outcome.unit_id in pending]
            verdicts = Verdict.objects.bulk_create([Verdict(**outcome.verdict) for outcome in finished])
            VerdictScore.objects.bulk_create(
                VerdictScore(verdict_id=verdict.pk, axis_id=self.axis_ids[key], score=score)
                for verdict, outcome in zip(verdicts, finished) for key, score in outcome.scores.items()
            )
            VerdictCheck.objects.bulk_create(
                VerdictCheck(verdict_id=verdict.pk, checklist_item_id=item_id, side=side, checked=answer)
                for verdict, outcome in zip(verdicts, finished) for item_id, side, answer in outcome.checks
            )


def _answer_of(entry):
    return _Answer(entry.content, entry.refusal, entry.finish_reason, entry.tokens_in, entry.tokens_out, 0, entry.key)


@dataclass(frozen=True)
class _Answer:
    content: str
    refusal: str
    finish_reason: str
    tokens_in: int
    tokens_out: int
    latency_ms: int
    key: str


def endpoint_message(failure, config):
    """What a lead should do about a failure that concerns the whole endpoint."""
    where = f"{config.model} @ {config.base_url}"
    messages = {
        "auth": _("The endpoint refused the API key (HTTP 401) for %(where)s. Check the key in the environment "
                  "variable %(var)s on the workers, then resume the job."),
        "forbidden": _("The endpoint forbids this key to use %(where)s (HTTP 403). Check the key's permissions "
                       "(variable %(var)s), then resume the job."),
        "not_found": _("The endpoint answered 404 for %(where)s: check the base URL and the model name in the "
                       "judge config, then resume the job."),
        "quota": _("The account behind %(where)s has no quota left. Add credit or change the key "
                   "(variable %(var)s), then resume the job."),
    }
    template = messages.get(failure.kind, _("The endpoint failed for %(where)s; resume the job once it is fixed."))
    return (template % {"where": where, "var": config.api_key_env or "-"}) + f" ({failure.message[:300]})"
