"""The campaign report page: agreement among the annotators and a judge against the humans, as tables and
server-drawn charts; for a pairwise campaign, the models' rankings by the humans and by each judge, side by
side, with agreement on the verdicts (pairwise_report). Reads through the annotation and judging selectors (the same numbers as the
`agreement` and `meta_eval` commands and the API), then shapes them for the template.

Nothing is cached: 1,000 replicates on a campaign of a few thousand ratings take well under a second. For
large campaigns the page uses fewer replicates by default and says so; ?replicates= asks for more, up to
MAX_REPLICATES.
"""

import math
from dataclasses import dataclass, field

import numpy as np
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext as _, gettext_lazy

from annotation import agreement
from annotation.agreement_selectors import (
    campaign_agreement, campaign_item_models, campaign_ratings, campaign_verdict_agreement, campaign_verdict_votes,
)
from annotation.errors import HyokaError
from annotation.models import Rubric
from exports import svg_charts
from exports.checklists import checklist_report
from judging.meta_eval_selectors import campaign_judges, campaign_meta_eval, judge_for_report, report_inputs
from judging.ranking_selectors import campaign_ranking
from judging.selectors import position_bias_rows

DEFAULT_REPLICATES = agreement.DEFAULT_REPLICATES
MAX_REPLICATES = 2000
LARGE_CAMPAIGN_SCORES = 200_000
LARGE_CAMPAIGN_REPLICATES = 200
# An annotator is flagged when alpha rises this much without them, or their scores correlate this weakly
# with the others' mean.
UNRELIABLE_ALPHA_RISE = 0.05
CHECKLIST_ROWS = 300
UNRELIABLE_CORRELATION = 0.3
LEVEL_NAMES = {
    "ordinal": gettext_lazy("Ordinal"), "interval": gettext_lazy("Interval"),
    "nominal": gettext_lazy("Nominal"), "ratio": gettext_lazy("Ratio"),
}


@dataclass(frozen=True)
class ReportRequest:
    """What the page was asked for: `replicates` None means the default for the campaign's size."""

    judge: str | None = None
    level: str = agreement.DEFAULT_LEVEL
    replicates: int | None = None


@dataclass(frozen=True)
class LeaderboardRow:
    model: str
    human: agreement.Estimate | None
    n_human_items: int
    judge: agreement.Estimate | None
    n_judge_items: int


@dataclass(frozen=True)
class AxisSection:
    key: str
    label: str
    min_score: int
    max_score: int
    agreement: dict
    meta_eval: dict | None
    leaderboard: list[LeaderboardRow]
    distribution_chart: str
    leaderboard_chart: str
    heatmap_chart: str | None


@dataclass(frozen=True)
class AnnotatorCell:
    n_ratings: int
    alpha_without: dict
    correlation_with_others: dict
    unreliable: bool


@dataclass(frozen=True)
class AnnotatorRow:
    annotator: str
    cells: list[AnnotatorCell | None]

    @property
    def unreliable(self):
        return any(cell is not None and cell.unreliable for cell in self.cells)


@dataclass(frozen=True)
class CampaignReport:
    campaign: object
    level: str
    replicates: int
    judges: list[str] = field(default_factory=list)
    judge: str | None = None
    notices: list[str] = field(default_factory=list)
    n_items: int = 0
    n_scores: int = 0
    n_annotators: int = 0
    n_judge_scores: int = 0
    agreement: dict | None = None
    meta_eval: dict | None = None
    sections: list[AxisSection] = field(default_factory=list)
    annotators: list[AnnotatorRow] = field(default_factory=list)
    checklist: dict | None = None

    pairwise = False

    @property
    def has_ratings(self):
        return self.n_scores > 0

    @property
    def agreement_reasons(self):
        """Why alpha is undefined on some axes (or has no interval): "label: reason" lines."""
        return [f"{section.label}: {section.agreement['alpha']['reason']}" for section in self.sections
                if section.agreement["alpha"]["reason"]]

    @property
    def meta_eval_reason(self):
        return self.meta_eval["meta"]["reason"] if self.meta_eval else None


def report_request(query):
    """A ReportRequest from the page's query string; values that make no sense fall back to the defaults."""
    level = query.get("level") if query.get("level") in agreement.LEVELS else agreement.DEFAULT_LEVEL
    try:
        replicates = max(0, int(query["replicates"]))
    except (KeyError, ValueError):
        replicates = None
    return ReportRequest(judge=query.get("judge") or None, level=level, replicates=replicates)


def campaign_report(campaign, request=ReportRequest()):
    """Everything the report page shows, computed from one read of the ratings and of the judge's scores."""
    if campaign.rubric.kind == Rubric.Kind.PAIRWISE:
        return pairwise_report(campaign, request)
    ratings = campaign_ratings(campaign)
    item_models = campaign_item_models(campaign)
    replicates, notices = chosen_replicates(request.replicates, len(ratings))
    judges = campaign_judges(campaign)
    judge = request.judge if request.judge in judges else (judges[0] if judges else None)
    agreement_json = campaign_agreement(campaign, level=request.level, replicates=replicates, ratings=ratings)
    inputs = meta_eval_json = None
    if judge is not None:
        config = judge_for_report(judge)
        inputs = report_inputs(campaign, config, ratings=ratings, item_models=item_models)
        meta_eval_json = campaign_meta_eval(campaign, config, level=request.level, replicates=replicates,
                                            inputs=inputs)
    judge_scores = inputs.judge if inputs is not None else None
    return CampaignReport(
        campaign=campaign, level=request.level, replicates=replicates, judges=judges, judge=judge,
        notices=notices + data_notices(len(item_models), agreement_json, request.judge, judge, judges, meta_eval_json),
        n_items=len(item_models), n_scores=len(ratings), n_annotators=agreement_json["meta"]["n_annotators"],
        n_judge_scores=0 if judge_scores is None else len(judge_scores),
        agreement=agreement_json, meta_eval=meta_eval_json,
        sections=axis_sections(campaign, ratings, judge_scores, item_models, agreement_json, meta_eval_json,
                               judge, replicates),
        annotators=annotator_rows(agreement_json), checklist=campaign_checklist(campaign),
    )


def chosen_replicates(requested, n_scores):
    """The replicates to use, and notices about the choice."""
    if requested is None:
        if n_scores > LARGE_CAMPAIGN_SCORES:
            return LARGE_CAMPAIGN_REPLICATES, [_(
                "This campaign is large: the intervals rest on %(replicates)s bootstrap replicates. "
                "Ask for more with ?replicates= (at most %(cap)s), or run the agreement command."
            ) % {"replicates": LARGE_CAMPAIGN_REPLICATES, "cap": MAX_REPLICATES}]
        return DEFAULT_REPLICATES, []
    if requested > MAX_REPLICATES:
        return MAX_REPLICATES, [_(
            "This page uses at most %(cap)s bootstrap replicates; run the agreement or meta_eval command for more."
        ) % {"cap": MAX_REPLICATES}]
    return requested, []


def data_notices(n_items, agreement_json, requested_judge, judge, judges, meta_eval_json):
    """Why parts of the report are empty, in words a lead can act on."""
    meta = agreement_json["meta"]
    axes = [value for key, value in agreement_json.items() if key != "meta"]
    notices = []
    if not n_items:
        notices.append(_("This campaign has no items yet: import responses first."))
    elif meta["n_scores"] == 0:
        notices.append(_("No ratings yet: agreement and the comparison with judges need human ratings."))
    elif meta["n_annotators"] < 2:
        notices.append(_("Only one annotator has rated so far: agreement needs two or more annotators on the "
                         "same items."))
    elif not any(axis["n_pairable_items"] for axis in axes):
        notices.append(_("No item has been rated by two annotators yet: agreement rests on the items rated by "
                         "two or more."))
    if requested_judge and requested_judge != judge:
        notices.append(_("Judge %(name)s has no scores in this campaign.") % {"name": requested_judge})
    if not judges:
        notices.append(_("No judge has scored this campaign yet: run a judge job or import verdicts to compare "
                         "a judge with the humans."))
    elif meta_eval_json and meta_eval_json["meta"]["reason"] and meta["n_scores"]:
        notices.append(_("The judge cannot be compared with the humans: %(reason)s.")
                       % {"reason": meta_eval_json["meta"]["reason"]})
    return notices


# ---------------------------------------------------------------------------------------------------------
# Per axis: distributions, leaderboard, heatmap


def axis_sections(campaign, ratings, judge_scores, item_models, agreement_json, meta_eval_json, judge, replicates):
    human_counts = score_counts(ratings, item_models)
    judge_counts = score_counts(judge_scores, item_models) if judge_scores is not None else None
    human_means = item_scores(ratings, "mean")
    judge_medians = item_scores(judge_scores, "median") if judge_scores is not None else None
    models = sorted(set(item_models))
    sections = []
    for index, axis in enumerate(campaign.rubric.axes.order_by("position", "id")):
        label = axis_label(axis)
        leaderboard = leaderboard_rows(models, item_models, human_means.get(axis.key),
                                       judge_medians.get(axis.key) if judge_medians is not None else None,
                                       replicates, seed=[index])
        axis_meta = meta_eval_json[axis.key] if meta_eval_json and "instance" in meta_eval_json[axis.key] else None
        sections.append(AxisSection(
            key=axis.key, label=label, min_score=axis.min_score, max_score=axis.max_score,
            agreement=agreement_json[axis.key], meta_eval=axis_meta, leaderboard=leaderboard,
            distribution_chart=distribution_chart(label, axis, models, human_counts, judge_counts, judge),
            leaderboard_chart=leaderboard_chart(label, axis, leaderboard, judge),
            heatmap_chart=heatmap_chart(label, axis_meta, judge),
        ))
    return sections


def axis_label(axis):
    return axis.label_en if (get_language() or "ja").startswith("en") else axis.label_ja


def score_counts(scores, item_models):
    """{(axis key, model): {score: count}} over every score row (every sample of a judge)."""
    if scores is None or not len(scores):
        return {}
    models = item_models.reindex(scores["item"].to_numpy()).to_numpy()
    counted = scores.assign(model=models).groupby(["axis", "model", "score"], sort=False).size()
    found = {}
    for (axis, model, score), count in counted.items():
        found.setdefault((axis, model), {})[int(score)] = int(count)
    return found


def item_scores(scores, how):
    """{axis key: Series item → the mean (humans) or median (judge samples) of the item's scores}."""
    if scores is None or not len(scores):
        return {}
    grouped = scores.groupby(["axis", "item"], sort=True)["score"].agg(how)
    return {axis: grouped.loc[axis] for axis in grouped.index.get_level_values(0).unique()}


def leaderboard_rows(models, item_models, human, judge, replicates, seed):
    """Per model, the mean over its items of the humans' mean score and of the judge's median score, each
    with a bootstrap interval over the model's items; by human mean, best first."""
    rows = []
    for index, model in enumerate(models):
        human_values = _model_values(human, item_models, model)
        judge_values = _model_values(judge, item_models, model)
        rows.append(LeaderboardRow(
            model=model,
            human=_mean(human_values, replicates, [*seed, index, 0]), n_human_items=len(human_values),
            judge=_mean(judge_values, replicates, [*seed, index, 1]) if judge is not None else None,
            n_judge_items=len(judge_values),
        ))
    return sorted(rows, key=lambda row: (row.human is None, -(row.human.value if row.human else 0), row.model))


def _model_values(item_values, item_models, model):
    if item_values is None:
        return np.zeros(0)
    models = item_models.reindex(item_values.index).to_numpy()
    return item_values.to_numpy(dtype=float)[models == model]


def _mean(values, replicates, seed):
    return agreement.mean_with_interval(values, replicates=replicates, seed=seed) if len(values) else None


def distribution_chart(label, axis, models, human_counts, judge_counts, judge):
    categories = list(range(axis.min_score, axis.max_score + 1))
    rows = []
    for model in models:
        rows.append((f"{model} · {_('humans')}", _counts(human_counts.get((axis.key, model)), categories)))
        if judge_counts is not None:
            rows.append((f"{model} · {judge}", _counts(judge_counts.get((axis.key, model)), categories)))
    title = _("%(axis)s: share of each score, by model") % {"axis": label}
    return mark_safe(svg_charts.stacked_bars(rows, categories, title=title))


def _counts(found, categories):
    found = found or {}
    return [found.get(category, 0) for category in categories]


def leaderboard_chart(label, axis, leaderboard, judge):
    def point(estimate):
        return None if estimate is None or estimate.value is None else svg_charts.Interval(
            estimate.value, estimate.low, estimate.high)

    series = [_("humans")] + ([judge] if judge else [])
    rows = [(row.model, [point(row.human)] + ([point(row.judge)] if judge else [])) for row in leaderboard]
    title = _("%(axis)s: mean score by model, with 95%% intervals") % {"axis": label}
    return mark_safe(svg_charts.interval_chart(rows, series, scale=(axis.min_score, axis.max_score), title=title))


def heatmap_chart(label, axis_meta, judge):
    if axis_meta is None or not axis_meta["instance"]["confusion"]["labels"]:
        return None
    confusion = axis_meta["instance"]["confusion"]
    title = _("%(axis)s: humans (mean, rounded) against %(judge)s, items per cell") % {"axis": label, "judge": judge}
    return mark_safe(svg_charts.heatmap(confusion["counts"], confusion["labels"], confusion["labels"], title=title,
                                        row_title=_("humans"), column_title=judge))


# ---------------------------------------------------------------------------------------------------------
# Annotators


def annotator_rows(agreement_json):
    """One row per annotator (in order of appearance), one cell per axis (None where they scored nothing)."""
    axes = [value for key, value in agreement_json.items() if key != "meta"]
    by_axis = [{row["annotator"]: row for row in axis["annotators"]} for axis in axes]
    names = list(dict.fromkeys(name for found in by_axis for name in found))
    return [AnnotatorRow(str(name), [_annotator_cell(found.get(name), axis["alpha"]) for axis, found in
                                     zip(axes, by_axis)]) for name in names]


def _annotator_cell(row, alpha):
    if row is None:
        return None
    without, correlation = row["alpha_without"]["value"], row["correlation_with_others"]["value"]
    unreliable = ((without is not None and alpha["value"] is not None and without - alpha["value"] >= UNRELIABLE_ALPHA_RISE)
                  or (correlation is not None and correlation < UNRELIABLE_CORRELATION))
    return AnnotatorCell(row["n_ratings"], row["alpha_without"], row["correlation_with_others"], unreliable)


# ---------------------------------------------------------------------------------------------------------
# Checklists


def campaign_checklist(campaign):
    """The checklist report (exports.checklists) when raters answered checklist items, else None; the page
    lists at most CHECKLIST_ROWS items (the API and the release have them all)."""
    report = checklist_report(campaign)
    if not report["items"]:
        return None
    report["shown"] = report["items"][:CHECKLIST_ROWS]
    return report


# ---------------------------------------------------------------------------------------------------------
# Pairwise campaigns: rankings, agreement on the verdicts, judges side by side


@dataclass(frozen=True)
class JudgeRanking:
    """One judge's part of a pairwise report: judging.ranking_selectors.campaign_ranking with that judge
    (its "judge" ranking, "agreement" with the humans and "meta"), or why there is none."""

    name: str
    report: dict | None = None
    reason: str | None = None

    @property
    def meta(self):
        return self.report["meta"] if self.report else None

    @property
    def ranking(self):
        return self.report["judge"] if self.report else None

    @property
    def agreement(self):
        return self.report["agreement"] if self.report else None

    @property
    def position_bias_rows(self):
        return position_bias_rows(self.report.get("position_bias")) if self.report else []


@dataclass(frozen=True)
class StandingRow:
    """A model's row of the side-by-side table: the humans' standing and each judge's (None: no votes)."""

    model: str
    human: dict | None
    judges: list


@dataclass(frozen=True)
class PairwiseReport:
    campaign: object
    replicates: int
    notices: list[str] = field(default_factory=list)
    n_items: int = 0
    n_votes: int = 0
    n_annotators: int = 0
    agreement: dict | None = None
    humans: dict | None = None
    judges: list[JudgeRanking] = field(default_factory=list)
    standings: list[StandingRow] = field(default_factory=list)
    rating_chart: str = ""
    rates_chart: str = ""
    checklist: dict | None = None

    pairwise = True

    @property
    def verdict_agreement(self):
        return self.agreement["verdict"] if self.agreement else None

    @property
    def ranked_judges(self):
        return [judge for judge in self.judges if judge.report]


def pairwise_report(campaign, request=ReportRequest()):
    """Everything the report page of a pairwise campaign shows: the humans' ranking, agreement among the
    annotators on the verdicts, and each judge's ranking beside the humans' with its agreement with them."""
    votes = campaign_verdict_votes(campaign)
    replicates, notices = chosen_replicates(request.replicates, len(votes))
    agreement_json = campaign_verdict_agreement(campaign, replicates=replicates, votes=votes)
    n_items = campaign.items.count()
    if not n_items:
        notices.append(_("This campaign has no items yet: import responses first."))
    elif votes.empty:
        notices.append(_("No votes yet: the ranking and agreement need human votes."))
    elif agreement_json["meta"]["n_annotators"] < 2:
        notices.append(_("Only one annotator has voted so far: agreement needs two or more annotators on the "
                         "same items."))
    humans = campaign_ranking(campaign, replicates=replicates)["humans"] if not votes.empty else None
    judges = [_judge_ranking(campaign, name, replicates) for name in campaign_judges(campaign)]
    if not judges:
        notices.append(_("No judge has judged this campaign yet: import pairwise verdicts or run a judge job to "
                         "compare a judge with the humans."))
    standings = standing_rows(humans, [judge for judge in judges if judge.report])
    return PairwiseReport(
        campaign=campaign, replicates=replicates, notices=notices, n_items=n_items, n_votes=len(votes),
        n_annotators=agreement_json["meta"]["n_annotators"], agreement=agreement_json, humans=humans,
        judges=judges, standings=standings, rating_chart=rating_chart(standings, judges),
        rates_chart=rates_chart(humans, judges), checklist=campaign_checklist(campaign),
    )


def _judge_ranking(campaign, name, replicates):
    try:
        return JudgeRanking(name, report=campaign_ranking(campaign, judge_for_report(name), replicates=replicates))
    except HyokaError as error:
        return JudgeRanking(name, reason=str(error))


def standing_rows(humans, judges):
    """One row per model, in the humans' order (models only judges compared come after, by name), with a
    cell per judge of `judges` (those with a ranking)."""
    human_models = {model["model"]: model for model in humans["models"]} if humans else {}
    judge_models = [{model["model"]: model for model in judge.ranking["models"]} for judge in judges]
    names = list(human_models) + sorted({name for found in judge_models for name in found} - set(human_models))
    return [StandingRow(name, human_models.get(name), [found.get(name) for found in judge_models]) for name in names]


def rating_chart(standings, judges):
    """Bradley–Terry ratings with intervals: one row per model, the humans and each judge (as many as the
    chart has colours) as series."""
    ranked = [judge for judge in judges if judge.report]
    shown = list(range(len(ranked)))[: len(svg_charts.SERIES_COLOURS) - 1]
    if not standings:
        return ""

    def point(model):
        rating = model["rating"] if model else None
        if rating is None or rating["value"] is None:
            return None
        return svg_charts.Interval(rating["value"], rating["low"], rating["high"])

    rows = [(row.model, [point(row.human)] + [point(row.judges[index]) for index in shown]) for row in standings]
    values = [value for _, points in rows for p in points if p is not None
              for value in (p.value, p.low, p.high) if value is not None]
    if not values:
        return ""
    scale = (math.floor(min(values) / 50) * 50, math.ceil(max(values) / 50) * 50 or 50)
    if scale[0] == scale[1]:
        scale = (scale[0] - 50, scale[1] + 50)
    title = _("Bradley–Terry rating by model (Elo scale), with 95 percent intervals")
    series = [_("humans")] + [ranked[index].name for index in shown]
    return mark_safe(svg_charts.interval_chart(rows, series, scale=scale, title=title))


def rates_chart(humans, judges):
    """Win, tie and loss shares per model: the humans', then each judge's."""
    sources = [(_("humans"), humans)] + [(judge.name, judge.ranking) for judge in judges if judge.report]
    rows = [(f"{model['model']} · {name}", [model["wins"], model["ties"], model["losses"]])
            for name, result in sources if result for model in result["models"] if model["n_votes"]]
    if not rows:
        return ""
    categories = [_("win"), _("tie"), _("loss")]
    title = _("Wins, ties and losses by model")
    return mark_safe(svg_charts.stacked_bars(rows, categories, title=title,
                                             colours=list(reversed(svg_charts.score_colours(3)))))
