"""The report page of an exam campaign: the working group's table (subject, year, questions (text-only), each
examinee's score (text-only score), the students' average), a chart of the scores by exam beside the
students', per exam each examinee's figures, how each examinee tracks the students, and per question every
answer. Built from the same JSON as `exam_report --json` and the API (exports.reports.exam), shaped for
templates/exports/report_exam.html."""

from dataclasses import dataclass, field

from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from exports import svg_charts
from exports.reports.exam import HUMANS, coverage, is_partial, scored_range

# The chart's colours: the students, then up to three examinees per chart.
EXAMINEES_PER_CHART = len(svg_charts.SERIES_COLOURS) - 1


@dataclass(frozen=True)
class ExamPage:
    campaign: object
    report: dict
    notices: list = field(default_factory=list)
    examinees: list = field(default_factory=list)  # (name, shown name), in the report's order
    table: list = field(default_factory=list)  # the working group's rows, a (score, text-only score) per examinee
    exams: list = field(default_factory=list)  # per exam, its examinees' figures
    questions: list = field(default_factory=list)  # per question, an answer cell per examinee
    score_charts: list = field(default_factory=list)
    text_only_charts: list = field(default_factory=list)

    @property
    def meta(self):
        return self.report["meta"]

    @property
    def tracking(self):
        """Per examinee how it tracks the students, with the name shown (``label``)."""
        labels = dict(self.examinees)
        return [{**found, "label": labels.get(found["examinee"], found["examinee"])}
                for found in self.report["tracking"]]


def exam_page(campaign, report):
    """The page's parts from the report's JSON (exports.reports.exam.exam_report_json)."""
    names = [examinee["name"] for examinee in report["meta"]["examinees"]]
    shown = [(name, _("people (the annotators)") if kind == HUMANS else name)
             for name, kind in ((e["name"], e["kind"]) for e in report["meta"]["examinees"])]
    return ExamPage(
        campaign=campaign, report=report, notices=page_notices(report), examinees=shown,
        table=[{**row, "cells": [_cell(row["scores"].get(name)) for name in names]} for row in report["table"]],
        exams=[{**exam, "examinees": [_examinee(found, dict(shown)) for found in exam["examinees"]]}
               for exam in report["exams"]],
        questions=[{**question, "cells": [question["answers"].get(name) for name in names]}
                   for question in report["questions"]],
        score_charts=score_charts(report, shown, "score", _("Score by exam (% of the scorable points)")),
        text_only_charts=score_charts(report, shown, "text_only_score",
                                      _("Text-only score by exam (% of the scorable points)")),
    )


def _examinee(found, shown):
    """An examinee's line of an exam: its name shown, the scorable questions its samples scored, and whether its
    score covers part of the exam only."""
    covered = coverage(found["all"])
    return {**found, "label": shown.get(found["examinee"], found["examinee"]), "scored": scored_range(covered),
            "partly": _partly(covered)}


def _cell(scores):
    """An examinee's cell of the table, with what each score covers when it is not the whole exam."""
    if not scores:
        return None
    return {**scores, "partly": _partly(scores["coverage"]), "text_only_partly": _partly(scores["text_only_coverage"])}


def _partly(found):
    """The coverage of a score over part of the exam in the page's words; None for the whole exam or no score."""
    if not is_partial(found):
        return None
    return _("answered %(scored)s of %(scorable)s") % {"scored": scored_range(found), "scorable": found["scorable"]}


def page_notices(report):
    meta, notices = report["meta"], []
    if meta["reason"]:
        notices.append(meta["reason"])
    if any(exam["student_percent"] is None for exam in report["exams"]):
        notices.append(_("Some exams have no students' average: import it with import_exam_stats."))
    if any(_partly(scores["coverage"]) for row in report["table"] for scores in row["scores"].values()):
        notices.append(_("Some scores cover part of an exam only (marked \"answered x of y\"): they divide by the "
                         "points of the questions answered readably, not by the exam's."))
    return notices


def score_charts(report, shown, key, title):
    """Per exam each examinee's score (the range over its samples as a whisker) beside the students' average;
    one chart per three examinees."""
    if not report["table"] or not shown:
        return []
    charts = []
    for start in range(0, len(shown), EXAMINEES_PER_CHART):
        group = shown[start:start + EXAMINEES_PER_CHART]
        rows = [(f"{row['subject']} {row['year']}".strip() or row["exam"],
                 [_students(row)] + [_score(row["scores"].get(name), key) for name, _label in group])
                for row in report["table"]]
        if any(point is not None for _label, points in rows for point in points):
            series = [_("students")] + [label for _name, label in group]
            charts.append(mark_safe(svg_charts.interval_chart(rows, series, scale=(0, 100), title=title)))
    return charts


def _students(row):
    value = row["student_average"]
    return None if value is None else svg_charts.Interval(value)


def _score(scores, key):
    figure = scores[key] if scores else None
    if figure is None or figure["value"] is None:
        return None
    return svg_charts.Interval(figure["value"], figure["low"], figure["high"])
