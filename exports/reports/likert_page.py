"""The report page of a likert campaign: agreement among the annotators and a judge against the humans, as
tables and server-drawn charts, and the real number of raters per item. Reads through the same builders as the
`agreement` and `meta_eval` commands and the API (exports.reports.agreement, exports.reports.meta_eval), then
shapes them for templates/exports/report.html."""

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext as _

from annotation.agreement_selectors import campaign_item_models, campaign_ratings, turn_axis_label
from exports import svg_charts
from exports.reports.agreement import likert_agreement
from exports.reports.leaderboard import likert_leaderboard
from exports.reports.meta_eval import likert_meta_eval
from exports.reports.reasons import translated_reason
from exports.reports.page import (
    UNRELIABLE_ALPHA_RISE, UNRELIABLE_CORRELATION, ReportRequest, annotator_label, chosen_replicates,
)
from judging import leaderboard
from judging.leaderboard_selectors import leaderboard_inputs
from judging.meta_eval_selectors import report_inputs
from judging.verdict_selectors import campaign_judges, judge_for_report


@dataclass(frozen=True)
class AxisSection:
    key: str
    label: str
    min_score: int
    max_score: int
    agreement: dict
    turn_agreements: list[tuple[int, dict]]  # (turn, agreement) per turn, where ratings score each turn
    meta_eval: dict | None
    board: dict  # exports.reports.leaderboard: this axis's board over every turn
    turn_boards: list[dict]  # and its board per turn, where scores carry turns
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
class LikertReport:
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
    raters: dict | None = None  # exports.reports.agreement.raters_per_item: the real raters per item
    leaderboard: dict | None = None  # exports.reports.leaderboard.likert_leaderboard

    @property
    def leaderboard_groups(self):
        """The rater groups of the leaderboard, in column order: the humans, then every judge."""
        return [leaderboard.HUMANS, *self.leaderboard["meta"]["judges"]] if self.leaderboard else []

    @property
    def agreement_reasons(self):
        """Why alpha is undefined on some axes (or has no interval): "label: reason" lines."""
        reasons = []
        for section in self.sections:
            axes = [(section.label, section.agreement)] if section.agreement else []
            axes += [(f"{section.label} ({_('turn %(number)s') % {'number': number}})", axis)
                     for number, axis in section.turn_agreements]
            reasons += [f"{label}: {translated_reason(axis['alpha']['reason'])}" for label, axis in axes
                        if axis["alpha"]["reason"]]
        return reasons

    @property
    def meta_eval_reason(self):
        return self.meta_eval["meta"]["reason"] if self.meta_eval else None


@dataclass(frozen=True)
class LikertFigures:
    """What a likert report is drawn from: the human scores (campaign_ratings' columns), the items' models, the
    judges with scores and the one compared with the humans, and the figures in the forms of the JSON reports
    (exports.reports.agreement, meta_eval, leaderboard). The campaign's page reads and computes them
    (`likert_figures`); a release's report takes those its build computed for its files (exports.statistics)."""

    ratings: object
    item_models: object
    replicates: int
    judges: list[str]
    judge: str | None
    agreement: dict
    meta_eval: dict | None
    judge_scores: object | None  # the compared judge's scores (every sample), or None
    leaderboard: dict
    notices: list[str] = field(default_factory=list)


def likert_figures(campaign, request=ReportRequest()):
    """The figures of the campaign's report page, from one read of the ratings and of the judge's scores."""
    ratings = campaign_ratings(campaign)
    item_models = campaign_item_models(campaign)
    replicates, notices = chosen_replicates(request.replicates, len(ratings))
    judges = campaign_judges(campaign)
    judge = request.judge if request.judge in judges else (judges[0] if judges else None)
    agreement_json = likert_agreement(campaign, level=request.level, replicates=replicates, ratings=ratings)
    inputs = meta_eval_json = None
    if judge is not None:
        config = judge_for_report(judge)
        inputs = report_inputs(campaign, config, ratings=ratings, item_models=item_models)
        meta_eval_json = likert_meta_eval(campaign, config, level=request.level, replicates=replicates, inputs=inputs)
    board = likert_leaderboard(campaign, replicates=replicates,
                               inputs=leaderboard_inputs(campaign, ratings=ratings, item_models=item_models))
    return LikertFigures(
        ratings=ratings, item_models=item_models, replicates=replicates, judges=judges, judge=judge,
        agreement=agreement_json, meta_eval=meta_eval_json, judge_scores=inputs.judge if inputs is not None else None,
        leaderboard=board, notices=notices)


def likert_report(campaign, request=ReportRequest(), *, annotator_names=None, figures=None):
    """Everything the report page of a likert campaign shows, drawn from `figures` (LikertFigures; by default
    `likert_figures` computes them); annotators are named as the figures name them, or by `annotator_names`
    ({name in the figures: name shown}) when given."""
    figures = figures or likert_figures(campaign, request)
    agreement_json, meta_eval_json, judge, judges = figures.agreement, figures.meta_eval, figures.judge, figures.judges
    n_items = len(figures.item_models)
    return LikertReport(
        campaign=campaign, level=request.level, replicates=figures.replicates, judges=judges, judge=judge,
        notices=figures.notices + data_notices(n_items, agreement_json, request.judge, judge, judges, meta_eval_json),
        n_items=n_items, n_scores=len(figures.ratings), n_annotators=agreement_json["meta"]["n_annotators"],
        n_judge_scores=0 if figures.judge_scores is None else len(figures.judge_scores),
        agreement=agreement_json, meta_eval=meta_eval_json,
        sections=axis_sections(campaign, figures.ratings, figures.judge_scores, figures.item_models, agreement_json,
                               meta_eval_json, judge, figures.leaderboard),
        annotators=annotator_rows(agreement_json, annotator_names), raters=agreement_json["meta"]["raters_per_item"],
        leaderboard=figures.leaderboard,
    )


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
                       % {"reason": translated_reason(meta_eval_json["meta"]["reason"])})
    return notices


# ---------------------------------------------------------------------------------------------------------
# Per axis: distributions, leaderboard, heatmap


def axis_sections(campaign, ratings, judge_scores, item_models, agreement_json, meta_eval_json, judge, board):
    human_counts = score_counts(ratings, item_models)
    judge_counts = score_counts(judge_scores, item_models) if judge_scores is not None else None
    models = sorted(set(item_models))
    groups = [leaderboard.HUMANS, *board["meta"]["judges"]]
    sections = []
    for axis in campaign.rubric.axes.order_by("position", "id"):
        label = axis_label(axis)
        boards = [found for found in board["boards"] if found["axis"] == axis.key]
        axis_meta = meta_eval_json[axis.key] if meta_eval_json and "instance" in meta_eval_json[axis.key] else None
        sections.append(AxisSection(
            key=axis.key, label=label, min_score=axis.min_score, max_score=axis.max_score,
            agreement=agreement_json.get(axis.key), meta_eval=axis_meta, board=boards[0], turn_boards=boards[1:],
            turn_agreements=[(found["turn"], agreement_json[turn_axis_label(axis.key, found["turn"])])
                             for found in boards[1:] if turn_axis_label(axis.key, found["turn"]) in agreement_json],
            distribution_chart=distribution_chart(label, axis, models, human_counts, judge_counts, judge),
            leaderboard_chart=leaderboard_chart(label, axis, boards[0], groups),
            heatmap_chart=heatmap_chart(label, axis_meta, judge),
        ))
    return sections


def axis_label(axis):
    return axis.label_en if (get_language() or "ja").startswith("en") else axis.label_ja


def score_counts(scores, item_models):
    """{(axis key, model): {score: count}} over every score row (every sample of a judge); rows of items without
    a model are left out. Counted on integer codes: a release's table holds a million scores, whose labels
    hashed as Python objects would cost more memory than the table."""
    if scores is None or not len(scores):
        return {}
    axis_codes, axes = pd.factorize(scores["axis"])
    score_codes, values = pd.factorize(scores["score"])
    model_of_item, models = pd.factorize(item_models)
    found_at = item_models.index.get_indexer(scores["item"].to_numpy())
    model_codes = np.where(found_at >= 0, model_of_item[found_at], -1)
    known = (model_codes >= 0) & (axis_codes >= 0) & (score_codes >= 0)
    sizes = (len(axes), len(models), len(values))
    counts = np.bincount(np.ravel_multi_index((axis_codes[known], model_codes[known], score_codes[known]), sizes),
                         minlength=int(np.prod(sizes))).reshape(sizes)
    found = {}
    for a, m, v in zip(*np.nonzero(counts)):
        found.setdefault((axes[a], models[m]), {})[int(values[v])] = int(counts[a, m, v])
    return found


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


def leaderboard_chart(label, axis, board, groups):
    def point(standing):
        estimate = standing["mean"]
        return None if estimate["value"] is None else svg_charts.Interval(
            estimate["value"], estimate["low"], estimate["high"])

    series = [_("humans") if group == leaderboard.HUMANS else group for group in groups]
    rows = [(row["model"], [point(row["standings"][group]) for group in groups]) for row in board["rows"]]
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


def annotator_rows(agreement_json, annotator_names=None):
    """One row per annotator (in order of appearance), one cell per axis (None where they scored nothing)."""
    axes = [value for key, value in agreement_json.items() if key != "meta"]
    by_axis = [{row["annotator"]: row for row in axis["annotators"]} for axis in axes]
    names = list(dict.fromkeys(name for found in by_axis for name in found))
    return [AnnotatorRow(annotator_label(name, annotator_names),
                         [_annotator_cell(found.get(name), axis["alpha"]) for axis, found in zip(axes, by_axis)])
            for name in names]


def _annotator_cell(row, alpha):
    if row is None:
        return None
    without, correlation = row["alpha_without"]["value"], row["correlation_with_others"]["value"]
    unreliable = ((without is not None and alpha["value"] is not None and without - alpha["value"] >= UNRELIABLE_ALPHA_RISE)
                  or (correlation is not None and correlation < UNRELIABLE_CORRELATION))
    return AnnotatorCell(row["n_ratings"], row["alpha_without"], row["correlation_with_others"], unreliable)


