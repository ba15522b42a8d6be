"""The report page of a pairwise campaign: the models' rankings by the humans and by each judge, side by side,
agreement among the annotators on the verdicts, each judge's agreement with the humans and position bias, and
the real number of raters per item. Reads through the same builders as the `agreement` and `ranking` commands
and the API (exports.reports.agreement, exports.reports.ranking), then shapes them for
templates/exports/report_pairwise.html."""

import math
from dataclasses import dataclass, field

from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from annotation.agreement_selectors import campaign_verdict_votes
from annotation.errors import HyokaError
from exports import svg_charts
from exports.reports.agreement import verdict_agreement
from exports.reports.lengths import pairwise_lengths
from exports.reports.page import ReportRequest, annotator_label, chosen_replicates
from exports.reports.ranking import campaign_ranking
from judging.length_selectors import campaign_length_inputs
from judging.selectors import position_bias_rows
from judging.verdict_selectors import campaign_judges, judge_for_report


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
    raters: dict | None = None  # exports.reports.agreement.raters_per_item: the real raters per item
    lengths: dict | None = None  # exports.reports.lengths.pairwise_lengths
    length_chart: str = ""  # default (B) against context (A) answer lengths, by context category

    @property
    def verdict_agreement(self):
        return self.agreement["verdict"] if self.agreement else None

    @property
    def ranked_judges(self):
        return [judge for judge in self.judges if judge.report]


def pairwise_report(campaign, request=ReportRequest(), *, annotator_names=None):
    """Everything the report page of a pairwise campaign shows: the humans' ranking, agreement among the
    annotators on the verdicts, and each judge's ranking beside the humans' with its agreement with them.
    Annotators are named by handle, or by `annotator_names` ({handle: name}) when given."""
    votes = campaign_verdict_votes(campaign)
    replicates, notices = chosen_replicates(request.replicates, len(votes))
    agreement_json = with_annotator_labels(verdict_agreement(campaign, replicates=replicates, votes=votes),
                                           annotator_names)
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
    length_inputs = campaign_length_inputs(campaign)
    return PairwiseReport(
        campaign=campaign, replicates=replicates, notices=notices, n_items=n_items, n_votes=len(votes),
        n_annotators=agreement_json["meta"]["n_annotators"], agreement=agreement_json, humans=humans,
        judges=judges, standings=standings, rating_chart=rating_chart(standings, judges),
        rates_chart=rates_chart(humans, judges), raters=agreement_json["meta"]["raters_per_item"],
        lengths=pairwise_lengths(campaign, length_inputs), length_chart=length_chart(length_inputs[0]),
    )


def with_annotator_labels(agreement_json, annotator_names):
    """The agreement report with each annotator's row named as the page names them (annotator_label)."""
    verdict = agreement_json["verdict"]
    rows = [{**row, "annotator": annotator_label(row["annotator"], annotator_names)} for row in verdict["annotators"]]
    return {**agreement_json, "verdict": {**verdict, "annotators": rows}}


def length_chart(items):
    """Each context item's two answer lengths, B (across) against A (up), coloured by context category; no
    chart without context items."""
    with_context = items[items["category"].notna()]
    if with_context.empty:
        return ""
    categories = sorted(with_context["category"].unique())
    points = [svg_charts.Point(float(len_b), float(len_a), categories.index(category),
                               f"{category}: A {len_a}, B {len_b}")
              for category, len_a, len_b in with_context[["category", "len_a", "len_b"]].itertuples(index=False)]
    return mark_safe(svg_charts.scatter(
        points, categories, title=_("Answer lengths by context category: response A against response B"),
        x_title=_("Response B (characters)"), y_title=_("Response A (characters)")))


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
