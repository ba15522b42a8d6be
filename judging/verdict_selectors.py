"""Which of a judge's verdicts a report rests on, read from the database; shared by the human–judge reports
of every campaign kind (judging.meta_eval_selectors for scores, judging.ranking_selectors for pairs).

For a judge run by jobs, the verdicts of its latest job that has verdicts in the campaign; for imported
verdicts (no job), those. Of them only the scored ones count (annotation.scored_verdicts); failed ones are
only counted.
"""

from django.db.models import Count

from annotation.errors import HyokaError
from annotation.scored_verdicts import SCORED_STATUSES
from annotation.quality_items import counted
from judging.models import JudgeConfig, Verdict


def judge_for_report(name):
    judge = JudgeConfig.objects.filter(name=name).first()
    if judge is None:
        raise HyokaError(f"no judge {name!r}: give the name of a judge config or of imported verdicts")
    return judge


def campaign_judges(campaign):
    """Names of the judges with scored verdicts in the campaign, in name order."""
    return list(
        Verdict.objects.filter(counted("item__"), item__campaign=campaign, parse_status__in=SCORED_STATUSES)
        .order_by("judge__name").values_list("judge__name", flat=True).distinct()
    )


def judge_verdicts(campaign, judge):
    """The verdicts of `judge` in `campaign` that a report rests on (module docstring), and the public id of
    their job (None for imported verdicts)."""
    verdicts = Verdict.objects.filter(counted("item__"), judge=judge, item__campaign=campaign)
    latest = (verdicts.exclude(job=None).order_by("-job__created_at", "-job_id")
              .values_list("job_id", "job__public_id").first())
    if latest is None:
        return verdicts.filter(job=None), None
    return verdicts.filter(job_id=latest[0]), str(latest[1])


def verdict_counts(verdicts):
    """How many verdicts there are by parse status ({"ok": 120, "parse_error": 3, ...})."""
    rows = verdicts.order_by().values("parse_status").annotate(n=Count("id")).values_list("parse_status", "n")
    return dict(sorted(rows))
