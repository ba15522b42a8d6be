"""What a likert campaign's leaderboard is computed from (judging.leaderboard), read from the database:
the human ratings, the model behind each item, and each judge's scores (judging.meta_eval_selectors:
the verdicts a report rests on, judging.verdict_selectors).

A judge job may count its API errors as the lowest score (JudgeJob.api_error_as_lowest, llm-jp-judge's
convention: a guardrail may have refused); then each verdict that failed with an API error adds, on every
axis, a score of the axis's lowest point to the judge's scores. Off by default: a failure is never a score.
"""

import dataclasses

import pandas as pd

from annotation.agreement_selectors import campaign_item_models, campaign_ratings
from judging.meta_eval_selectors import judge_scores
from judging.models import JudgeJob, Verdict
from judging.verdict_selectors import campaign_judges, judge_for_report, judge_verdicts, verdict_counts


@dataclasses.dataclass(frozen=True)
class JudgeInputs:
    scores: pd.DataFrame
    job: str | None
    api_error_as_lowest: bool
    n_api_errors_scored: int
    verdicts_by_status: dict


@dataclasses.dataclass(frozen=True)
class LeaderboardInputs:
    human: pd.DataFrame
    item_models: pd.Series
    judges: dict  # judge name -> JudgeInputs, in name order


def leaderboard_inputs(campaign, judge_names=None, *, ratings=None, item_models=None):
    """Read what the leaderboard needs; `judge_names` None means every judge with scores in the campaign;
    `ratings` (campaign_ratings) and `item_models` (campaign_item_models) when given are used as they are."""
    names = campaign_judges(campaign) if judge_names is None else list(judge_names)
    return LeaderboardInputs(
        human=campaign_ratings(campaign) if ratings is None else ratings,
        item_models=campaign_item_models(campaign) if item_models is None else item_models,
        judges={name: judge_inputs(campaign, judge_for_report(name)) for name in names},
    )


def judge_inputs(campaign, judge):
    verdicts, job = judge_verdicts(campaign, judge)
    scores = judge_scores(verdicts, campaign)
    as_lowest = job is not None and JudgeJob.objects.filter(public_id=job, api_error_as_lowest=True).exists()
    errors = lowest_scores_of_api_errors(verdicts, campaign) if as_lowest else scores.iloc[:0]
    return JudgeInputs(
        scores=pd.concat([scores, errors], ignore_index=True) if len(errors) else scores, job=job,
        api_error_as_lowest=as_lowest, n_api_errors_scored=int(errors["item"].nunique()) if len(errors) else 0,
        verdicts_by_status=verdict_counts(verdicts),
    )


def lowest_scores_of_api_errors(verdicts, campaign):
    """A score of each axis's lowest point, on every axis, for each verdict that failed with an API error."""
    failed = list(verdicts.filter(parse_status=Verdict.ParseStatus.API_ERROR).values_list("item_id", "sample", "turn"))
    axes = list(campaign.rubric.axes.order_by("position", "id").values_list("key", "min_score"))
    rows = [(item, key, lowest, sample, turn) for item, sample, turn in failed for key, lowest in axes]
    frame = pd.DataFrame(rows, columns=["item", "axis", "score", "sample", "turn"])
    return frame.astype({"item": "int64", "score": "int16", "sample": "int16", "turn": "float64"})
