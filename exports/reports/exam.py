"""An exam campaign's report as JSON: what `exam_report --json` prints, the API returns, the report page shows
and a release keeps (annotation.exam_figures computes it; annotation.exam_selectors reads its inputs).

{"meta": {"campaign", "text_only", "examinees": [{"name", "kind": "model" | "humans", "samples"}], counts,
"reason": why there is nothing to report, or null},
 "exams": per exam {"exam", "subject", "year", "scale", "student_average" (on the exam's scale),
"student_percent" (the same in %), "questions", "scorable", "text_only_questions", "points", "examinees": per
examinee {"examinee", "samples", "all": standing, "text_only": standing}},
 "questions": per question {"exam", "question_id", "correct" (labels), "form", "points", "needs_figure",
"scorable", "student_correct_rate", "students_common_wrong", "answers": {examinee: {"answers" (labels, null for
a parse failure, one per sample), "correct" (share of readable samples right), "parse_failures"}}},
 "tracking": per examinee {"examinee", "correlation", "p_value", "n", "reason", "wrong", "common_wrong",
"common_wrong_share"},
 "table": the working group's table, per exam {"subject", "year", "exam", "questions", "text_only_questions",
"scores": {examinee: {"score", "text_only_score", "coverage", "text_only_coverage"}}, "student_average" (%)}}

A standing is {"questions", "scorable", "points", "answered", "parse_failures", "accuracy", "score",
"accuracy_failures_wrong", "score_failures_wrong", "students", "scored_least", "scored_most", "complete"}; the
four figures are {"value", "samples", "sd", "low", "high"} in % (see annotation.exam_figures for every rule: the
score is normalised by the points of the scorable questions answered readably, parse failures are left out
except in the *_failures_wrong figures). A coverage is {"scored", "scored_most", "scorable", "complete"}: the
scorable questions a sample answered readably (the fewest, the most), of how many; a score that is not complete
covers part of the exam only, and every view of the table marks it ("answered x of y").
"""

import dataclasses

from annotation.errors import HyokaError
from annotation.exam_answers import Choice, format_answer
from annotation.exam_figures import exam_report, working_group_table
from annotation.exam_selectors import HUMANS, exam_inputs  # noqa: F401 (HUMANS: the page names the people)


def exam_campaign_report(campaign, *, text_only=False):
    """The report of an exam campaign, read from the database (annotation.exam_selectors); with ``text_only``
    every figure covers the questions that need no figure."""
    inputs = exam_inputs(campaign, text_only=text_only)
    return exam_report_json(campaign.slug, inputs.exams, inputs.questions, inputs.answers,
                            examinee_kinds=inputs.examinee_kinds, text_only=text_only)


def no_exam_report(kind):
    """The exam_report of a kind whose campaigns are not exams (exports.kinds): a refusal saying so."""
    def refuse(campaign, **options):
        raise HyokaError(f"campaign {campaign.slug} is a {kind} campaign, not an exam campaign: the exam report "
                         f"scores answers to exam questions (import_exam makes an exam campaign)")
    return refuse


def exam_report_json(campaign_slug, exams, questions, answers, *, examinee_kinds, text_only=False):
    """The report (module docstring) of the inputs annotation.exam_selectors reads; ``examinee_kinds`` maps
    each examinee, in the order shown, to "model" or "humans"."""
    report = exam_report(exams, questions, answers, text_only=text_only, examinees=list(examinee_kinds))
    exam_rows = [_exam(exam, [row for row in report.rows if row.exam == exam]) for exam in exams]
    return {
        "meta": _meta(campaign_slug, report, exam_rows, examinee_kinds),
        "exams": exam_rows,
        "questions": [_question(row) for row in report.questions],
        "tracking": [{**dataclasses.asdict(found), "common_wrong_share": found.common_wrong_share}
                     for found in report.tracking],
        "table": [_table_row(line) for line in working_group_table(report)],
    }


def _meta(campaign_slug, report, exam_rows, examinee_kinds):
    questions = [row.question for row in report.questions]
    samples = {name: max([row.samples for row in report.rows if row.examinee == name] or [0])
               for name in examinee_kinds}
    return {
        "campaign": campaign_slug, "text_only": report.text_only,
        "examinees": [{"name": name, "kind": kind, "samples": samples[name]} for name, kind in examinee_kinds.items()],
        "n_exams": len(exam_rows), "n_questions": len(questions),
        "n_scorable": sum(question.scorable for question in questions),
        "n_text_only": sum(not question.needs_figure for question in questions),
        "reason": _reason(campaign_slug, questions, examinee_kinds),
    }


def _reason(campaign_slug, questions, examinee_kinds):
    if not questions:
        return f"campaign {campaign_slug} has no exam questions yet"
    if not examinee_kinds:
        return f"campaign {campaign_slug} has no answers yet: run a generation job or have annotators answer"
    return None


def _exam(exam, rows):
    first = rows[0] if rows else None
    return {
        "exam": exam.exam, "subject": exam.subject, "year": exam.year, "scale": exam.scale,
        "student_average": exam.student_average, "student_percent": exam.student_percent,
        "questions": first.all.questions if first else 0, "scorable": first.all.scorable if first else 0,
        "text_only_questions": first.text_only.questions if first else 0, "points": first.all.points if first else 0,
        "examinees": [{"examinee": row.examinee, "samples": row.samples, "all": dataclasses.asdict(row.all),
                       "text_only": dataclasses.asdict(row.text_only)} for row in rows],
    }


def _question(row):
    question = row.question
    shown = _labels(question)
    return {
        "exam": question.exam, "question_id": question.question_id,
        "correct": format_answer(question.correct, shown, question.form) or None, "form": question.form,
        "points": question.points, "needs_figure": question.needs_figure, "scorable": question.scorable,
        "student_correct_rate": question.student_correct_rate,
        "students_common_wrong": [format_answer(answer, shown, question.form) for answer in row.students_common_wrong],
        "answers": {examinee: {"answers": [format_answer(answer, shown, question.form) if answer is not None else None
                                           for answer in found.answers],
                               "correct": found.correct, "parse_failures": found.parse_failures}
                    for examinee, found in row.by_examinee.items()},
    }


def _labels(question):
    """Choices to format answers with (an answer beyond them shows as its number)."""
    return [Choice(label, "") for label in question.choice_labels]


def _table_row(line):
    return {"subject": line.subject, "year": line.year, "exam": line.exam, "questions": line.questions,
            "text_only_questions": line.text_only_questions,
            "scores": {name: {"score": dataclasses.asdict(every.score),
                              "text_only_score": dataclasses.asdict(text.score),
                              "coverage": coverage(every), "text_only_coverage": coverage(text)}
                       for name, every, text in line.scores},
            "student_average": line.student_average}


def coverage(standing):
    """How much of the exam a standing's score covers: the scorable questions a sample answered readably. The
    standing is an annotation.exam_figures.Standing or its JSON."""
    found = standing if isinstance(standing, dict) else dataclasses.asdict(standing)
    return {"scored": found["scored_least"], "scored_most": found["scored_most"], "scorable": found["scorable"],
            "complete": found["complete"]}


def is_partial(found):
    """Whether a coverage is that of a score over part of the exam (a score of nothing scored is no score)."""
    return bool(found) and bool(found["scored_most"]) and not found["complete"]


def scored_range(found):
    """The questions a coverage's samples scored: "2", or "2–3" when the samples differ."""
    if found["scored"] == found["scored_most"]:
        return str(found["scored"])
    return f"{found['scored']}–{found['scored_most']}"


def coverage_words(found):
    """"answered x of y" for a score over part of the exam (what the table shows beside it), else ""."""
    return f"answered {scored_range(found)} of {found['scorable']}" if is_partial(found) else ""


def score_cell_text(scores, missing):
    """One examinee's cell of the working group's table as text (the command's table, the card): the score and,
    in brackets, the text-only score, each followed by "[answered x of y]" when it covers part of the exam;
    `missing` for a score that is not there."""
    if not scores:
        return missing

    def scored(estimate, found):
        value = missing if estimate["value"] is None else f"{estimate['value']:.2f}"
        words = coverage_words(found)
        return f"{value} [{words}]" if words else value

    return (f"{scored(scores['score'], scores['coverage'])} "
            f"({scored(scores['text_only_score'], scores['text_only_coverage'])})")
