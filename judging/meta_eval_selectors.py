"""A judge's scores read from the database as the judge table of judging.meta_eval, and a campaign's
human–judge report as JSON: what `meta_eval --json` prints and what the API returns.

Which verdicts count: only those with scores (VerdictScore rows; a failed verdict, unparseable, refused,
truncated or an API error, has none and is only counted). For a judge run by jobs, the verdicts of its
latest job that has verdicts in the campaign; for imported verdicts (no job), those.
"""

import dataclasses

import numpy as np
import pandas as pd
from django.db.models import Count

from annotation import agreement
from annotation.agreement_selectors import (
    campaign_item_models, campaign_ratings, check_likert, integer_columns, labels_of, rubric_axis_keys,
)
from annotation.errors import HyokaError
from annotation.models import Rubric
from judging import meta_eval
from judging.models import JudgeConfig, Verdict, VerdictScore

SCORED_STATUSES = Verdict.SCORED


def judge_for_report(name):
    judge = JudgeConfig.objects.filter(name=name).first()
    if judge is None:
        raise HyokaError(f"no judge {name!r}: give the name of a judge config or of imported verdicts")
    return judge


def campaign_judges(campaign):
    """Names of the judges with scored verdicts in the campaign, in name order."""
    return list(
        Verdict.objects.filter(item__campaign=campaign, parse_status__in=SCORED_STATUSES)
        .order_by("judge__name").values_list("judge__name", flat=True).distinct()
    )


def judge_verdicts(campaign, judge):
    """The verdicts of `judge` in `campaign` that the report rests on (module docstring), and the public id
    of their job (None for imported verdicts)."""
    verdicts = Verdict.objects.filter(judge=judge, item__campaign=campaign)
    latest = (verdicts.exclude(job=None).order_by("-job__created_at", "-job_id")
              .values_list("job_id", "job__public_id").first())
    if latest is None:
        return verdicts.filter(job=None), None
    return verdicts.filter(job_id=latest[0]), str(latest[1])


def judge_scores(verdicts, campaign):
    """The scores of `verdicts`: columns item (Item pk), axis (axis key), score, sample; one query."""
    rows = VerdictScore.objects.filter(verdict__in=verdicts, verdict__parse_status__in=SCORED_STATUSES).values_list(
        "verdict__item_id", "axis_id", "score", "verdict__sample")
    item, axis, score, sample = integer_columns(rows, (np.int64, np.int64, np.int16, np.int16))
    return pd.DataFrame({"item": item, "axis": labels_of(axis, campaign.rubric.axes.all(), "key"),
                         "score": score, "sample": sample})


def verdict_counts(verdicts):
    """How many verdicts there are by parse status ({"ok": 120, "parse_error": 3, ...})."""
    rows = verdicts.order_by().values("parse_status").annotate(n=Count("id")).values_list("parse_status", "n")
    return dict(sorted(rows))


# ---------------------------------------------------------------------------------------------------------
# The report as JSON


@dataclasses.dataclass(frozen=True)
class ReportInputs:
    """What a human–judge report is computed from, read once (the report page also draws it)."""

    human: pd.DataFrame
    judge: pd.DataFrame
    item_models: pd.Series
    job: str | None
    verdicts_by_status: dict


def report_inputs(campaign, judge, *, ratings=None, item_models=None):
    """Read what the report needs; `ratings` (campaign_ratings) and `item_models` (campaign_item_models)
    when given are used as they are."""
    verdicts, job = judge_verdicts(campaign, judge)
    return ReportInputs(
        human=campaign_ratings(campaign) if ratings is None else ratings,
        judge=judge_scores(verdicts, campaign),
        item_models=campaign_item_models(campaign) if item_models is None else item_models,
        job=job,
        verdicts_by_status=verdict_counts(verdicts),
    )


def campaign_meta_eval(campaign, judge, *, level=agreement.DEFAULT_LEVEL, replicates=agreement.DEFAULT_REPLICATES,
                       seed=agreement.DEFAULT_SEED, inputs=None, inconsistent=None):
    """The human–judge report of `judge` (a JudgeConfig) on the campaign as one JSON-ready dict keyed by
    axis key (every axis of the rubric, in rubric order; an axis the humans did not score is
    {"axis": key, "reason": why}), plus "meta": the run's parameters and counts, and "reason" (why
    nothing could be computed, or None). Axes whose key starts with "safety" also get the useful-response
    and violation rates. Pass `inputs` (report_inputs) when already read.

    A pairwise campaign gets judging.ranking_selectors.campaign_pairwise_meta_eval instead (verdict agreement
    and position bias; `inconsistent` overrides the judge's setting for pairs judged differently in the two
    orders; level, replicates and seed do not apply)."""
    if campaign.rubric.kind == Rubric.Kind.PAIRWISE:
        from judging.ranking_selectors import campaign_pairwise_meta_eval  # that module imports this one

        return campaign_pairwise_meta_eval(campaign, judge, inconsistent=inconsistent)
    check_likert(campaign)
    inputs = inputs or report_inputs(campaign, judge)
    keys = rubric_axis_keys(campaign)
    report = meta_eval.meta_eval_report(
        inputs.human, inputs.judge, inputs.item_models, judge_name=judge.name, level=level,
        replicates=replicates, seed=seed, safety_axes=[key for key in keys if key.startswith("safety")],
    )
    computed = {axis.axis: dataclasses.asdict(axis) for axis in report.axes}
    meta = {
        "campaign": campaign.slug, "rubric": campaign.rubric.key, "judge": judge.name,
        "judge_external": judge.is_external, "job": inputs.job, "level": report.level,
        "replicates": report.replicates, "confidence": report.confidence, "seed": report.seed,
        "n_human_scores": len(inputs.human), "n_judge_scores": len(inputs.judge),
        "verdicts_by_status": inputs.verdicts_by_status,
        "reason": judge_reason(campaign, judge, inputs),
    }
    return {"meta": meta, **{key: computed.get(key) or {"axis": key, "reason": "no human scores on this axis"}
                             for key in keys}}


def judge_reason(campaign, judge, inputs):
    """Why the judge cannot be compared with the humans at all, or None."""
    if not len(inputs.human):
        return f"campaign {campaign.slug} has no ratings yet"
    if not len(inputs.judge):
        failed = sum(n for status, n in inputs.verdicts_by_status.items() if status not in SCORED_STATUSES)
        detail = f" ({failed} verdicts failed and have no scores)" if failed else ""
        return f"judge {judge.name} has no scores in campaign {campaign.slug}{detail}"
    if not inputs.judge["item"].isin(inputs.human["item"]).any():
        return f"judge {judge.name} scored none of the items the humans rated in campaign {campaign.slug}"
    return None
