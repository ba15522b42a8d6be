"""Reads that the judging pages, API and commands share."""

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Avg, Count, Q, Sum
from django.http import Http404
from django.utils.translation import gettext as _

from annotation.access import is_lead, is_lead_of, led_campaigns
from judging import kinds
from judging.models import (
    Generation, GenerationJob, JudgeCall, JudgeConfig, JudgeJob, ModelEndpoint, Verdict, VerdictScore,
)

FAILURE_OUTCOMES = [outcome for outcome in JudgeCall.Outcome if outcome != JudgeCall.Outcome.OK]


@dataclass(frozen=True)
class JobProgress:
    status: str
    total: int
    done: int
    failed: int
    failures: dict  # verdict status -> units (parse_error, truncated, refused, api_error)
    calls: int  # calls made to the endpoint (cache hits excluded)
    cached: int
    call_errors: dict  # call outcome -> count, failures only
    error_rates: dict  # call outcome -> share of all calls and cache hits
    tokens_in: int
    tokens_out: int
    cost: Decimal
    latency_ms_avg: int
    projected_cost: Decimal | None
    estimate: dict = field(default_factory=dict)

    @property
    def pending(self):
        return max(0, self.total - self.done - self.failed)

    @property
    def percent(self):
        return round(100 * (self.done + self.failed) / self.total, 1) if self.total else 100.0

    def error_rows(self):
        """The call failures by kind, most frequent first, with their label and share of all calls in percent."""
        labels = dict(JudgeCall.Outcome.choices)
        return [{"kind": kind, "label": labels.get(kind, kind), "count": count,
                 "percent": 100 * self.error_rates.get(kind, 0)}
                for kind, count in sorted(self.call_errors.items(), key=lambda pair: -pair[1])]

    def failure_rows(self):
        """The failed units by verdict status, with their label."""
        labels = {**dict(Generation.Status.choices), **dict(Verdict.ParseStatus.choices)}
        return [{"kind": kind, "label": labels.get(kind, kind), "count": count}
                for kind, count in sorted(self.failures.items(), key=lambda pair: -pair[1])]

    def as_json(self):
        return {
            "status": self.status, "total": self.total, "done": self.done, "failed": self.failed,
            "pending": self.pending, "percent": self.percent, "failures": self.failures, "calls": self.calls,
            "cached": self.cached, "call_errors": self.call_errors, "error_rates": self.error_rates,
            "tokens_in": self.tokens_in, "tokens_out": self.tokens_out, "cost": str(self.cost),
            "latency_ms_avg": self.latency_ms_avg,
            "projected_cost": None if self.projected_cost is None else str(self.projected_cost),
            "estimate": self.estimate,
        }


def job_progress(job):
    """Progress, failures by kind, error rates, tokens and cost of a job (judge or generation): three aggregate
    queries."""
    by_status = job.results_by_status()
    done = by_status.pop("ok", 0)
    calls = job.calls.aggregate(
        made=Count("id", filter=Q(cached=False)), hits=Count("id", filter=Q(cached=True)),
        sum_in=Sum("tokens_in"), sum_out=Sum("tokens_out"), sum_cost=Sum("cost"),
        latency=Avg("latency_ms", filter=Q(cached=False)),
    )
    errors = dict(job.calls.filter(outcome__in=FAILURE_OUTCOMES).values_list("outcome").annotate(n=Count("id"))
                  .order_by())
    all_calls = calls["made"] + calls["hits"]
    cost = calls["sum_cost"] or Decimal(0)
    return JobProgress(
        status=job.status, total=job.total, done=done, failed=sum(by_status.values()), failures=by_status,
        calls=calls["made"], cached=calls["hits"], call_errors=errors,
        error_rates={kind: round(n / all_calls, 4) for kind, n in errors.items()} if all_calls else {},
        tokens_in=calls["sum_in"] or 0, tokens_out=calls["sum_out"] or 0, cost=cost,
        latency_ms_avg=int(calls["latency"] or 0), projected_cost=_projected(job, done + sum(by_status.values()), cost),
        estimate=job.estimate,
    )


def _projected(job, finished_units, cost):
    """The cost at the end, at the pace so far; None before any unit is finished."""
    if not finished_units:
        return None
    return (cost / finished_units * job.total).quantize(Decimal("0.0001"))


def job_for_lead(user, public_id):
    """The job if the user leads its campaign; 404 otherwise (jobs of other campaigns are none of their business)."""
    job = JudgeJob.objects.select_related("campaign__rubric", "config", "created_by").filter(public_id=public_id).first()
    if job is None or not is_lead_of(user, job.campaign):
        raise Http404("no such judge job among your campaigns")
    return job


def jobs_for_lead(user, campaign=None):
    jobs = JudgeJob.objects.select_related("campaign", "config").filter(campaign__in=led_campaigns(user))
    return jobs.filter(campaign=campaign) if campaign is not None else jobs


def configs_for_lead(user):
    if not is_lead(user):
        return JudgeConfig.objects.none()
    return JudgeConfig.objects.select_related("rubric").filter(is_external=False)


def job_position_bias(job):
    """The position bias of the job's verdicts so far (judging.position_bias.PositionBias), or None for a
    kind whose judge sees one response at a time (judging.kinds: verdicts_position_bias)."""
    return kinds.for_campaign(job.campaign).verdicts_position_bias(Verdict.objects.filter(job=job))


def position_bias_rows(bias):
    """The rows of a position-bias table (templates/judging/position_bias_table.html) from
    PositionBias.as_dict(): a label, count, n, percent (None with a reason when n is 0) per figure."""
    if not bias:
        return []
    figures = ((_("Pairs judged alike in both orders"), bias["consistency"]),
               (_("Decisive verdicts for the response shown first"), bias["first_position_wins"]),
               (_("Decisive verdicts for the longer response"), bias["longer_wins"]))
    return [{"label": label, "count": share["count"], "n": share["n"], "reason": share["reason"],
             "percent": None if share["rate"] is None else 100 * share["rate"]} for label, share in figures]


def job_item_medians(job):
    """Per item and axis, the median of the job's parsed samples ({item_id: {axis_key: median}}).

    Failed samples have no scores, so they never pull a median; an item whose every sample
    failed is absent.
    """
    values = defaultdict(lambda: defaultdict(list))
    rows = VerdictScore.objects.filter(verdict__job=job, verdict__parse_status=Verdict.ParseStatus.OK).values_list(
        "verdict__item_id", "axis__key", "score")
    for item_id, axis, score in rows:
        values[item_id][axis].append(score)
    return {item_id: {axis: statistics.median(scores) for axis, scores in axes.items()}
            for item_id, axes in values.items()}


def generation_job_for_lead(user, public_id):
    """The generation job if the user leads its campaign; 404 otherwise."""
    job = (GenerationJob.objects.select_related("campaign__rubric", "endpoint__language_model", "created_by")
           .filter(public_id=public_id).first())
    if job is None or not is_lead_of(user, job.campaign):
        raise Http404("no such generation job among your campaigns")
    return job


def generation_jobs_for_lead(user, campaign=None):
    jobs = GenerationJob.objects.select_related("campaign", "endpoint").filter(campaign__in=led_campaigns(user))
    return jobs.filter(campaign=campaign) if campaign is not None else jobs


def endpoints_for_lead(user):
    if not is_lead(user):
        return ModelEndpoint.objects.none()
    return ModelEndpoint.objects.select_related("language_model")


def generation_samples_shown(job, count=5):
    """A few of the job's latest answers (and failures), for the job page: prompt, sample, status, first turn."""
    rows = (Generation.objects.filter(job=job).select_related("prompt", "response").order_by("-id")[:count])
    return [{"prompt": row.prompt.external_id, "question": row.prompt.first_turn, "sample": row.sample,
             "status": row.status, "answer": row.response.turns[0] if row.response_id else row.raw_output,
             "error": row.error_message, "tokens_out": row.tokens_out, "latency_ms": row.latency_ms}
            for row in rows]
