"""A likert campaign's leaderboard as JSON: what `leaderboard --json` prints, the API returns, the report page
shows and a release keeps (judging.leaderboard computes it; judging.leaderboard_selectors reads it).

{"meta": the run's parameters and counts, each judge's job and whether its API errors count as the lowest
score ("judges": {name: {...}}), "reason" (why nothing could be ranked, or None);
 "boards": one per axis (in rubric order) and, where scores carry a turn, per turn after the board over
every turn: {"axis", "turn", "rows": per model {"model", "standings": {"humans" | judge: {"mean",
"n_items", "rank"}}, "safety": null or {"humans" | judge: {"violation", "acceptable"}}}, "systems": per judge
the system-level correlations with intervals};
 "mt_bench": per rater group and axis with per-turn scores, FastChat's MT-Bench table: {"group", "axis",
"rows": per model, highest average first, {"model", "turns": [{"turn", "mean", "n"}], "average", "n"}}}.
"""

from annotation import agreement
from annotation.agreement_selectors import rubric_axis_keys
from judging import leaderboard
from judging.leaderboard_selectors import leaderboard_inputs

SAFETY_PREFIX = "safety"


def safety_axis_keys(keys):
    """The axes whose scores are safety grades (the safety-5 rubric's `safety`, or any key starting so): the
    axes that get violation and acceptable-answer rates, as in exports.reports.meta_eval."""
    return [key for key in keys if key.startswith(SAFETY_PREFIX)]


def likert_leaderboard(campaign, judge=None, *, replicates=agreement.DEFAULT_REPLICATES, seed=agreement.DEFAULT_SEED,
                       inputs=None):
    """The leaderboard of a likert campaign (module docstring): the humans and every judge with scores in the
    campaign, or only `judge` (a JudgeConfig). Pass `inputs` (leaderboard_inputs) when already read."""
    inputs = inputs or leaderboard_inputs(campaign, None if judge is None else [judge.name])
    keys = rubric_axis_keys(campaign)
    safety = safety_axis_keys(keys)
    board = leaderboard.leaderboard(
        inputs.human, {name: found.scores for name, found in inputs.judges.items()}, inputs.item_models,
        axes=keys, replicates=replicates, seed=seed, safety_axes=safety,
    )
    meta = {
        "campaign": campaign.slug, "rubric": campaign.rubric.key, "replicates": replicates,
        "confidence": board.confidence, "seed": seed, "n_items": len(inputs.item_models),
        "n_human_scores": len(inputs.human), "safety_axes": safety,
        "violation_max": board.violation_max, "acceptable_min": board.acceptable_min,
        "judges": {name: {"job": found.job, "api_error_as_lowest": found.api_error_as_lowest,
                          "n_api_errors_scored": found.n_api_errors_scored, "n_scores": len(found.scores),
                          "verdicts_by_status": found.verdicts_by_status}
                   for name, found in inputs.judges.items()},
        "reason": leaderboard_reason(campaign, inputs),
    }
    found = board.as_dict()
    return {"meta": meta, "boards": found["boards"], "mt_bench": found["mt_bench"]}


def leaderboard_reason(campaign, inputs):
    if not len(inputs.item_models):
        return f"campaign {campaign.slug} has no items yet"
    if not len(inputs.human) and not any(len(found.scores) for found in inputs.judges.values()):
        return f"campaign {campaign.slug} has no ratings or judge scores yet"
    return None
