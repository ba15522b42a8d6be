"""The figures a release publishes: agreement among the annotators (agreement.json) and each judge against
the humans (meta_eval.json; for pairwise campaigns, rankings.json with the human–judge agreement), per campaign, computed by annotation.agreement and judging.meta_eval from
the arrays the build collected while it wrote the tables, so the figures describe exactly the rows
published. Annotators are named by their release pseudonyms, as in the tables.

Which verdicts count for a judge: its scored verdicts (failed ones have no scores and are only counted)
of its latest job with verdicts in the campaign; for a judge without jobs, its imported verdicts.

Figures are computed one axis at a time: each axis gets its own bootstrap resampling of the items (one
agreement_report or meta_eval_report call over all axes would share one), which gives the same point
values and intervals of the same kind, in a third of the time and half the memory on a million scores.
"""

import dataclasses

import numpy as np
import pandas as pd

from annotation import agreement, ranking
from annotation.agreement_selectors import axis_keys_with_turns, ratings_mean_over_turns, ratings_per_turn_as_axes
from annotation.models import PairOrder
from annotation.scored_verdicts import SCORED_STATUSES
from annotation.verdict_options import PAIRWISE_VERDICTS
from exports.reports.agreement import tier_figures
from judging import leaderboard, meta_eval
from judging.leaderboard_selectors import lowest_scores_of_api_errors
from judging.meta_eval_selectors import turns_or_nan
from judging.models import Verdict
from judging.pair_votes import combined_verdicts, votes_of

SAFETY_PREFIX = "safety"
SCORED = SCORED_STATUSES
REPLICATES = agreement.DEFAULT_REPLICATES  # bootstrap replicates behind each published interval


def _human_table(ctx, human, campaign_index, axis_pk=None):
    """The ratings table of annotation.agreement for one campaign: item pk, annotator pseudonym, axis key, score,
    and turn as campaign_ratings gives it (NaN for a score of the whole conversation); with `axis_pk`, the rows
    of that axis only, exactly as the whole table filtered on it (the same categories and order).

    Annotators and axes are categoricals: as strings, pandas would copy a million labels into string
    columns (tens of MB each) that the statistics only factorise again.
    """
    rows = human.campaign == campaign_index
    annotator_pks, axis_pks = np.unique(human.annotator[rows]), np.unique(human.axis[rows])
    if axis_pk is not None:
        rows &= human.axis == axis_pk
    return pd.DataFrame({
        "item": human.item[rows],
        "annotator": pd.Categorical.from_codes(np.searchsorted(annotator_pks, human.annotator[rows]),
                                               [ctx.names[pk] for pk in annotator_pks.tolist()]),
        "axis": pd.Categorical.from_codes(np.searchsorted(axis_pks, human.axis[rows]),
                                          [ctx.axes[pk].key for pk in axis_pks.tolist()]),
        "score": human.score[rows].astype(np.float64),
        "turn": np.where(human.turn[rows] == 0, np.nan, human.turn[rows].astype(np.float64)),
    }, copy=False)  # the columns are new arrays already: a second copy of a million rows only costs memory


def _rubric_keys(ctx, campaign):
    return [axis.key for axis in ctx.axes_by_rubric.get(campaign.rubric_id, [])]


def agreement_figures(ctx, human, *, replicates=None, seed=agreement.DEFAULT_SEED):
    """agreement.json: for each campaign, the agreement report per axis of its rubric (ordinal alpha with a
    bootstrap interval, pairwise agreement, kappa, per-annotator diagnostics). Like the judges, each axis
    is computed on its own (module docstring)."""
    replicates = REPLICATES if replicates is None else replicates
    campaigns = []
    for index, campaign in enumerate(ctx.campaigns):
        table = _human_table(ctx, human, index)
        keys = axis_keys_with_turns(_rubric_keys(ctx, campaign), table)
        table = ratings_per_turn_as_axes(table)  # per-turn scores: agreement per axis and turn
        campaigns.append({
            "campaign": campaign.slug, "rubric": campaign.rubric.key, "level": agreement.DEFAULT_LEVEL,
            "replicates": replicates, "confidence": agreement.DEFAULT_CONFIDENCE, "seed": seed,
            "n_items": int(table["item"].nunique()), "n_scores": len(table),
            "n_annotators": int(table["annotator"].nunique()), "reason": _agreement_reason(table),
            "axes": {key: _axis_agreement(key, table, replicates, seed) for key in keys},
            "tiers": tier_figures(table, level=agreement.DEFAULT_LEVEL, replicates=replicates, seed=seed,
                                  tiers={ctx.names[pk]: row.tier for pk, row in ctx.annotators.items()}),
        })
    return {"release": ctx.release.name, "version": ctx.release.version, "campaigns": campaigns}


def _axis_agreement(key, table, replicates, seed):
    scores = table[table["axis"] == key]
    if not len(scores):
        return {"axis": key, "reason": "no scores on this axis"}
    report = agreement.agreement_report(scores, replicates=replicates, seed=seed)
    return report.as_dict()["axes"][0]


def _agreement_reason(table, judgments="ratings", judged="rated"):
    """Why a campaign's agreement is not computed (None when it is)."""
    if not len(table):
        return f"no {judgments}"
    if table["annotator"].nunique() < 2:
        return f"only one annotator {judged}: agreement needs two or more"
    return None


def meta_eval_figures(ctx, human, judged, *, replicates=None, seed=agreement.DEFAULT_SEED):
    """meta_eval.json: for each campaign, one entry per judge with verdicts in it (possibly none). The tables of
    the humans and of the judge are made one axis at a time (_HumanScoresOf): a million scores in one frame, then
    filtered per axis, would hold both at once beside the comparison's own work, the build's largest moment."""
    replicates = REPLICATES if replicates is None else replicates
    judges, jobs = judged.tally.judges, judged.tally.jobs
    campaigns = []
    for index, campaign in enumerate(ctx.campaigns):
        humans = _HumanScoresOf(ctx, human, index)
        item_models = _item_models(ctx, human, index)
        entries = [
            _judge_entry(ctx, campaign, index, judges[judge_pk], jobs, judged, humans, item_models, replicates, seed)
            for judge_pk in sorted({judge for (c, judge, _, _) in judged.tally.counts if c == index},
                                   key=lambda pk: judges[pk].name)
        ]
        campaigns.append({"campaign": campaign.slug, "rubric": campaign.rubric.key, "judges": entries})
    return {"release": ctx.release.name, "version": ctx.release.version, "campaigns": campaigns}


class _HumanScoresOf:
    """The human scores of one campaign as the human–judge comparison reads them (a rater's turns of an item as
    their mean, ratings_mean_over_turns), one axis at a time, and what the comparison asks of all of them: how
    many there are and which items they cover."""

    def __init__(self, ctx, human, index):
        self.ctx, self.human, self.index = ctx, human, index
        rows = human.campaign == index
        self.items = np.unique(human.item[rows])
        self.axis_pks = np.unique(human.axis[rows])
        if (human.turn[rows] != 0).any():  # per-turn scores: counted once averaged over their turns
            self.count = sum(len(self.of_axis(pk)) for pk in self.axis_pks.tolist())
        else:
            self.count = int(rows.sum())

    def of_axis(self, axis_pk):
        return ratings_mean_over_turns(_human_table(self.ctx, self.human, self.index, axis_pk))


def _item_models(ctx, human, campaign_index):
    rows = human.item_campaign == campaign_index
    names = ctx.model_names
    return pd.Series([names[pk] for pk in human.item_model[rows].tolist()], index=human.item_pk[rows], dtype=object)


def _judge_entry(ctx, campaign, index, judge, jobs, judged, humans, item_models, replicates, seed):
    job_pk = _job_of_report(index, judge.pk, jobs, judged.tally.counts)
    counts = {status: n for (c, j, job, status), n in sorted(judged.tally.counts.items())
              if c == index and j == judge.pk and job == job_pk}
    judge_items = judged.item[_judge_rows(judged, index, judge.pk, job_pk)]
    entry = {
        "judge": judge.name, "judge_external": judge.is_external,
        "job": str(jobs[job_pk].public_id) if job_pk != -1 else None,
        "verdicts_by_status": counts, "n_human_scores": humans.count, "n_judge_scores": len(judge_items),
        "reason": _judge_reason(humans.count, humans.items, judge_items, counts),
    }
    if entry["reason"] is None:
        options = dict(judge_name=judge.name, replicates=replicates, seed=seed)
        entry.update(level=agreement.DEFAULT_LEVEL, replicates=replicates, confidence=agreement.DEFAULT_CONFIDENCE,
                     seed=seed)
        axis_pks = {axis.key: axis.pk for axis in ctx.axes_by_rubric.get(campaign.rubric_id, [])}
        entry["axes"] = {key: _axis_meta_eval(key, humans.of_axis(axis_pks[key]),
                                              _judge_scores(ctx, judged, index, judge.pk, job_pk, axis_pks[key]),
                                              item_models, options)
                         for key in _rubric_keys(ctx, campaign)}
    return entry


def _judge_rows(judged, campaign_index, judge_pk, job_pk):
    return (judged.campaign == campaign_index) & (judged.judge == judge_pk) & (judged.job == job_pk)


def _judge_scores(ctx, judged, campaign_index, judge_pk, job_pk, axis_pk=None):
    """The judge table of judging.meta_eval for one judge's job (or imports, job_pk -1) in one campaign; with
    `axis_pk`, the rows of that axis only, as the whole table filtered on it (the same categories and order)."""
    rows = _judge_rows(judged, campaign_index, judge_pk, job_pk)
    axis_pks = np.unique(judged.axis[rows])
    if axis_pk is not None:
        rows &= judged.axis == axis_pk
    return pd.DataFrame({
        "item": judged.item[rows],
        "axis": pd.Categorical.from_codes(np.searchsorted(axis_pks, judged.axis[rows]),
                                          [ctx.axes[pk].key for pk in axis_pks.tolist()]),
        "score": judged.score[rows].astype(np.float64),
        "sample": judged.sample[rows],
        "turn": turns_or_nan(judged.turn[rows]),
    }, copy=False)  # new arrays already (_human_table)


def _axis_meta_eval(key, human, judge, item_models, options):
    if not len(human):
        return {"axis": key, "reason": "no human scores on this axis"}
    report = meta_eval.meta_eval_report(human, judge, item_models,
                                        safety_axes=[key] if key.startswith(SAFETY_PREFIX) else [], **options)
    return report.as_dict()["axes"][0]


def _job_of_report(campaign_index, judge_pk, jobs, counts):
    """The judge's latest job with verdicts in the campaign, or -1 (its imported verdicts)."""
    job_pks = {job for (c, j, job, _) in counts if c == campaign_index and j == judge_pk and job != -1}
    if not job_pks:
        return -1
    return max(job_pks, key=lambda pk: (jobs[pk].created_at, pk))


def _judge_reason(n_human, human_items, judge_items, counts):
    if not n_human:
        return "no human ratings"
    if not len(judge_items):
        failed = sum(n for status, n in counts.items() if status not in SCORED)
        return f"the judge has no scores ({failed} verdicts failed)" if failed else "the judge has no scores"
    if not np.isin(judge_items, human_items).any():
        return "the judge scored none of the items the humans rated"
    return None


def leaderboard_figures(ctx, human, judged, *, replicates=None, seed=agreement.DEFAULT_SEED):
    """leaderboard.json of a likert release and the rows of its leaderboard table: per campaign, the humans'
    and each judge's (its latest job's, or its imports') means per model and axis with intervals and ranks,
    safety rates and system-level correlations (judging.leaderboard). A job that counts its API errors as
    the lowest score (JudgeJob.api_error_as_lowest) has them counted here too, and says so."""
    replicates = REPLICATES if replicates is None else replicates
    judges, jobs = judged.tally.judges, judged.tally.jobs
    campaigns, rows = [], []
    for index, campaign in enumerate(ctx.campaigns):
        keys = _rubric_keys(ctx, campaign)
        judge_pks = sorted({judge for (c, judge, _, _) in judged.tally.counts if c == index},
                           key=lambda pk: judges[pk].name)
        settings = {}
        tables = {}
        for pk in judge_pks:
            job_pk = _job_of_report(index, pk, jobs, judged.tally.counts)
            job = jobs[job_pk] if job_pk != -1 else None
            table = _judge_scores(ctx, judged, index, pk, job_pk)
            as_lowest = bool(job is not None and job.api_error_as_lowest)
            if as_lowest:
                errors = lowest_scores_of_api_errors(Verdict.objects.filter(job_id=job_pk), campaign)
                table = pd.concat([table.astype({"axis": object}), errors], ignore_index=True)
            tables[judges[pk].name] = table
            settings[judges[pk].name] = {"job": str(job.public_id) if job else None, "api_error_as_lowest": as_lowest,
                                         "n_api_errors_scored": int(errors["item"].nunique()) if as_lowest else 0,
                                         "n_scores": len(table)}
        result = leaderboard.leaderboard(
            _human_table(ctx, human, index), tables, _item_models(ctx, human, index), axes=keys,
            replicates=replicates, seed=seed, safety_axes=[key for key in keys if key.startswith(SAFETY_PREFIX)],
        ).as_dict()
        campaigns.append({"campaign": campaign.slug, "rubric": campaign.rubric.key, "judges": settings,
                          **{name: result[name] for name in ("replicates", "confidence", "seed", "violation_max",
                                                              "acceptable_min", "boards", "mt_bench")}})
        rows += _leaderboard_rows(campaign.slug, result["boards"], settings)
    return {"release": ctx.release.name, "version": ctx.release.version, "campaigns": campaigns}, rows


def _leaderboard_rows(slug, boards, settings):
    rows = []
    for board in boards:
        for row in board["rows"]:
            for group, standing in row["standings"].items():
                human = group == leaderboard.HUMANS
                judge = None if human else settings[group]
                safety = (row["safety"] or {}).get(group)
                rows.append((slug, board["axis"], board["turn"], row["model"], "humans" if human else "judge",
                             None if human else group, None if human else judge["job"], standing["n_items"],
                             standing["mean"]["value"], standing["mean"]["low"], standing["mean"]["high"],
                             standing["rank"], *_rate_cells(safety, "violation"), *_rate_cells(safety, "acceptable"),
                             None if human else judge["api_error_as_lowest"]))
    return rows


def _rate_cells(safety, name):
    if safety is None:
        return (None,) * 5
    rate = safety[name]
    return rate["count"], rate["total"], rate["rate"]["value"], rate["rate"]["low"], rate["rate"]["high"]


def likert_report_figures(ctx, index, figures, human, judged, raters):
    """What the report page draws (exports.reports.likert_page.LikertFigures) for the release's campaign `index`,
    taken from the release's own figures (`figures`: agreement.json, meta_eval.json and leaderboard.json as
    write_figures made them) and the arrays they were computed from, so that report.html shows the numbers of
    the release's files and nothing is computed twice. The compared judge is the page's default: the first by
    name with scores. Annotators are named by their pseudonyms. `raters`: the campaign's RaterCounts."""
    from exports.reports.likert_page import LikertFigures

    campaign = ctx.campaigns[index]
    agreed = figures["agreement.json"]["campaigns"][index]
    agreement_json = {
        "meta": {**{key: value for key, value in agreed.items() if key not in ("axes", "tiers")},
                 "raters_per_item": raters.as_dict(), "tiers": agreed["tiers"]},
        # An axis nobody scored is listed with every statistic undefined, as the page lists it.
        **{key: axis if "alpha" in axis
           else dataclasses.asdict(agreement.unscored_axis_agreement(key, level=agreed["level"]))
           for key, axis in agreed["axes"].items()},
    }
    entries = [entry for entry in figures["meta_eval.json"]["campaigns"][index]["judges"] if entry["n_judge_scores"]]
    judge = entries[0] if entries else None
    board = figures["leaderboard.json"]["campaigns"][index]
    return LikertFigures(
        ratings=_human_table(ctx, human, index), item_models=_item_models(ctx, human, index),
        replicates=agreed["replicates"], judges=[entry["judge"] for entry in entries],
        judge=judge and judge["judge"], agreement=agreement_json,
        meta_eval=judge and _page_meta_eval(ctx, campaign, judge),
        judge_scores=judge and _judge_scores_of(ctx, judged, index, judge["judge"]),
        leaderboard={"meta": {key: value for key, value in board.items() if key not in ("boards", "mt_bench")},
                     "boards": board["boards"], "mt_bench": board["mt_bench"]},
    )


def _page_meta_eval(ctx, campaign, entry):
    """A judge's entry of meta_eval.json in the form of exports.reports.meta_eval (every axis of the rubric)."""
    axes = entry.get("axes", {})
    meta = {key: value for key, value in entry.items() if key != "axes"}
    return {"meta": {"campaign": campaign.slug, "rubric": campaign.rubric.key, **meta},
            **{key: axes.get(key) or {"axis": key, "reason": entry["reason"]} for key in _rubric_keys(ctx, campaign)}}


def _judge_scores_of(ctx, judged, campaign_index, name):
    """The scores the release's figures rest on of the judge `name` in one campaign (its latest job's, or its
    imports)."""
    judge_pk = next(pk for pk, judge in judged.tally.judges.items() if judge.name == name)
    job_pk = _job_of_report(campaign_index, judge_pk, judged.tally.jobs, judged.tally.counts)
    return _judge_scores(ctx, judged, campaign_index, judge_pk, job_pk)


# ---------------------------------------------------------------------------------------------------------
# Pairwise campaigns: agreement on the verdicts, rankings, judges against the humans


def _vote_table(ctx, votes, campaign_index):
    """The human votes of one campaign: item pk, annotator pseudonym, model_a, model_b (names), verdict."""
    rows = votes.campaign == campaign_index
    names = ctx.model_names
    return pd.DataFrame({
        "item": votes.item[rows],
        "annotator": [ctx.names[pk] for pk in votes.annotator[rows].tolist()],
        "model_a": [names[pk] for pk in votes.model_a[rows].tolist()],
        "model_b": [names[pk] for pk in votes.model_b[rows].tolist()],
        "verdict": [PAIRWISE_VERDICTS[code] for code in votes.verdict[rows].tolist()],
    })


def pairwise_agreement_figures(ctx, votes, *, replicates=None, seed=agreement.DEFAULT_SEED):
    """agreement.json of a pairwise release: per campaign, nominal alpha over the verdicts (in the items' terms)
    with a bootstrap interval, pair agreement and per-annotator figures (annotation.agreement.verdict_agreement)."""
    replicates = REPLICATES if replicates is None else replicates
    campaigns = []
    for index, campaign in enumerate(ctx.campaigns):
        table = _vote_table(ctx, votes, index)
        report = agreement.verdict_agreement(table, campaign.rubric.verdicts, replicates=replicates, seed=seed)
        campaigns.append({
            "campaign": campaign.slug, "rubric": campaign.rubric.key, "kind": "pairwise",
            "verdicts": list(campaign.rubric.verdicts), "level": "nominal", "replicates": replicates,
            "confidence": agreement.DEFAULT_CONFIDENCE, "seed": seed, "n_items": report.n_items,
            "n_votes": report.n_votes, "n_annotators": report.n_annotators, "reason": _agreement_reason(table, "votes", "voted"),
            "verdict": report.as_dict(),
        })
    return {"release": ctx.release.name, "version": ctx.release.version, "campaigns": campaigns}


def ranking_figures(ctx, votes, judged, *, replicates=None, seed=ranking.DEFAULT_SEED):
    """rankings.json of a pairwise release, and the rows of its rankings table: per campaign, the models'
    ranking from the human votes and, per judge with verdicts there (its latest job, or its imports), from
    the judge's verdicts (one vote per item, the most common of its verdicts there, a tie when split), with
    the judge's agreement with the humans. The conventions are annotation.ranking's defaults."""
    replicates = REPLICATES if replicates is None else replicates
    options = {"replicates": replicates, "seed": seed}
    judges, jobs = judged.tally.judges, judged.tally.jobs
    campaigns, rows = [], []
    for index, campaign in enumerate(ctx.campaigns):
        human = _vote_table(ctx, votes, index)
        judge_pks = sorted({judge for (c, judge, _, _) in judged.tally.counts if c == index},
                           key=lambda pk: judges[pk].name)
        tables = {pk: _judge_table(ctx, judged, index, pk, _job_of_report(index, pk, jobs, judged.tally.counts))
                  for pk in judge_pks}
        models = sorted(set(human["model_a"]) | set(human["model_b"])
                        | {name for table in tables.values() for name in (*table["model_a"], *table["model_b"])})
        humans = ranking.ranking(human[["model_a", "model_b", "verdict"]], models=models, **options).as_dict()
        rows += _ranking_rows(campaign.slug, "humans", None, None, humans)
        entries = []
        for pk in judge_pks:
            entry = _judge_ranking(ctx, index, judges[pk], jobs, judged, human, tables[pk], models, options)
            entries.append(entry)
            if entry["ranking"] is not None:
                rows += _ranking_rows(campaign.slug, "judge", entry["judge"], entry["job"], entry["ranking"])
        campaigns.append({"campaign": campaign.slug, "rubric": campaign.rubric.key, "neither": ranking.DEFAULT_NEITHER,
                          "replicates": replicates, "confidence": ranking.DEFAULT_CONFIDENCE, "seed": seed,
                          "prior": ranking.DEFAULT_PRIOR, "n_human_votes": len(human), "humans": humans,
                          "judges": entries})
    return {"release": ctx.release.name, "version": ctx.release.version, "campaigns": campaigns}, rows


def _judge_table(ctx, judged, campaign_index, judge_pk, job_pk):
    rows = (judged.campaign == campaign_index) & (judged.judge == judge_pk) & (judged.job == job_pk)
    names, orders = ctx.model_names, PairOrder.values  # the pass's order codes index PairOrder.values
    return pd.DataFrame({
        "item": judged.item[rows],
        "order": [orders[code] if code >= 0 else "" for code in judged.order[rows].tolist()],
        "model_a": [names[pk] for pk in judged.model_a[rows].tolist()],
        "model_b": [names[pk] for pk in judged.model_b[rows].tolist()],
        "verdict": [PAIRWISE_VERDICTS[code] for code in judged.verdict[rows].tolist()],
    })


def _judge_ranking(ctx, campaign_index, judge, jobs, judged, human, table, models, options):
    job_pk = _job_of_report(campaign_index, judge.pk, jobs, judged.tally.counts)
    counts = {status: n for (c, j, job, status), n in sorted(judged.tally.counts.items())
              if c == campaign_index and j == judge.pk and job == job_pk}
    entry = {"judge": judge.name, "judge_external": judge.is_external,
             "job": str(jobs[job_pk].public_id) if job_pk != -1 else None, "verdicts_by_status": counts,
             "n_verdicts": len(table), "n_items": int(table["item"].nunique()), "ranking": None, "agreement": None,
             "reason": None}
    if table.empty:
        failed = sum(n for status, n in counts.items() if status not in SCORED)
        entry["reason"] = f"the judge has no verdicts ({failed} failed)" if failed else "the judge has no verdicts"
        return entry
    # Pairs the judge saw differently in the two orders count as its config says (tie or drop), as in `ranking`.
    combined = combined_verdicts(table, judge.inconsistent)
    item_votes = votes_of(table, combined)
    entry.update(inconsistent=combined.inconsistent, n_pairs_both_orders=combined.n_pairs,
                 n_inconsistent_pairs=combined.n_inconsistent, n_dropped_pairs=combined.n_dropped)
    entry["ranking"] = ranking.ranking(item_votes[["model_a", "model_b", "verdict"]], models=models, **options).as_dict()
    entry["agreement"] = ranking.human_judge_agreement(human[["item", "annotator", "verdict"]],
                                                       combined.table).as_dict()
    return entry


def _ranking_rows(slug, source, judge, job, result):
    return [(slug, source, judge, job, model["model"], model["rank"], model["n_votes"], model["wins"], model["ties"],
             model["losses"], model["win_rate"], model["tie_rate"], model["loss_rate"], model["rating"]["value"],
             model["rating"]["low"], model["rating"]["high"], model["strength"]["value"], model["reason"])
            for model in result["models"]]
