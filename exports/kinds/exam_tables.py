"""The tables of a release of exam campaigns (exports.kinds.exam), in the passes of exports.builders:

1. ``questions`` (one row per question: choices, the correct answer, form, points, the figure flag, the
   students' correct rate and the source's license) and ``answers`` (one row per answer: each model's, per
   sample, with the reply it was read from, and each person's current answer, with its correctness).
2. ``prompts`` and ``responses`` as in every release: a question's prompt holds its text; its response is the
   question's placeholder (the reserved model ``exam-question``, no text): the models' replies are in
   ``answers.response``. There are no preference pairs.
3. No judge verdicts: answers are scored against the correct answers.

``scores`` (per exam, examinee and set of questions, the report's standing) and ``exam_report.json`` (the
exam_report --json of each campaign) are written from the report once the passes are done.
"""

from dataclasses import dataclass

import numpy as np

from annotation import exam_selectors
from annotation.exam_answers import Choice, answer_is_correct, choice_label, format_answer
from exports import selectors
from exports.builders import (
    FINAL_PROVENANCE, INTS, MODELS, PROMPTS, RESPONSES, adjudication_note_columns, iso_utc, opted_in_columns,
    opted_in_values, write_table,
)
from exports.reports.exam import exam_campaign_report
from exports.tables import Column, TableSpec, columns

PREFERENCE_PAIRS = None  # exam answers make no preference pairs
MODEL, HUMANS = exam_selectors.MODEL, exam_selectors.HUMANS
QUESTION_SETS = (("all", "all"), ("text_only", "text_only"))  # (report key, scores.questions_set)

def questions_spec(release):
    return TableSpec("questions", "The exam questions, one row each.", QUESTION_COLUMNS + (
        Column("final_answer", INTS, "The question's final answer among the people (1-based choice numbers): "
                                           "see final_provenance; null when unresolved or nobody answered."),
        FINAL_PROVENANCE, *adjudication_note_columns(release)))


QUESTION_COLUMNS = (columns("""
    campaign              string    Slug of the campaign.
    exam                  string    The exam's id (a center-examination-jp file's name without .json).
    question_id           string    The question's id in its exam.
    item_id               string    Public id of the question's item (what people answered on the rating page).
    prompt_id             string    Public id of the question's prompt (prompts.prompt_id), what models were asked.
    subject               string    Subject, as the source names it.
    year                  int16     Year of the exam.
    label                 string    The exam's own number for the question (問1).
    question              string    The question's text.
    choices               string[]  The choices' texts, in order (choice 1 first).
    choice_labels         string[]  How the exam names each choice (①, ア, ...).
    correct_answer        int16[]   The correct answer as 1-based choice numbers; empty when the source gives
                                    none (the question is unscorable: counted, never scored).
    correct_label         string    The correct answer in the exam's labels ("⑤, ③"; "② / ④" for a set).
    answer_form           string    How several numbers compare: single, ordered (blanks in order) or unordered
                                    (a set, in any order).
    points                int16     Points of the question; null when the source gives none.
    scorable              bool      Whether it has a correct answer.
    needs_figure          bool      Whether it needs a figure (text-only runs leave it out).
    figures               string[]  File names of its figures (not part of the release).
    knowledge_codes       string[]  The source's knowledge codes.
    student_correct_rate  double    Share of the students who answered it right (0..1), when known.
    source_license        string    The license of the source, as recorded on its exam; null when unknown.
"""))


def answers_spec(release):
    return TableSpec("answers", "Every answer to a question: each model's (one row per sample) and each person's "
                     "(their current answer on the rating page), with its correctness.", columns("""
        campaign        string   Slug of the campaign.
        exam            string   The exam's id (questions.exam).
        question_id     string   The question's id in its exam (questions.question_id).
        examinee        string   The model's name, or humans for a person (the report pools the people as one
                                 examinee, each person one of its samples).
        examinee_kind   string   model or humans.
        sample          int16    The model's sample (0, 1, ...); null for a person.
        annotator       string   The person's pseudonym in this release (ann-…); null for a model.
        annotator_tier  string   The person's tier; null for a model.
        answer          int16[]  The answer as 1-based choice numbers, in the order given (a set in ascending
                                 order); null when no answer could be read from the model's reply.
        answer_label    string   The answer in the exam's labels.
        parsed          bool     Whether an answer could be read (a parse failure is never a guess).
        correct         bool     Exact match with the correct answer (the same choice, the same blanks in the
                                 same order, the same set); null for an unscorable question or an unread answer.
        figures_sent    bool     Whether the model was sent the figures; null for a person.
        response_id     string   Public id of the model's reply; null for a person.
        response        string   The model's reply the answer was read from; null for a person.
        submitted_at    string   When the person first answered (ISO 8601, UTC); null for a model.
        revision        int16    1 for a person's first answer, more when they revised it; null for a model.
    """) + tuple(opted_in_columns(release)))


SCORES = TableSpec("scores", "Each examinee's standing per exam, on every question and on the text-only ones: "
                   "the exam report's figures (exam_report.json holds them all).", columns("""
    campaign                 string  Slug of the campaign.
    exam                     string  The exam's id.
    subject                  string  Subject.
    year                     string  Year.
    examinee                 string  A model's name, or humans (the people, each one a sample).
    examinee_kind            string  model or humans.
    questions_set            string  all, or text_only (the questions that need no figure).
    samples                  int16   Samples scored (a model's runs, or the people who answered).
    questions                int16   Questions of the set.
    scorable                 int16   Of them, those with a correct answer.
    points                   double  Points of the scorable questions.
    answered                 int16   Scorable questions the examinee answered at all.
    scored_least             int16   The fewest scorable questions a sample answered readably: what its accuracy
                                     and score divide by.
    scored_most              int16   The most.
    complete                 bool    Every sample answered every scorable question readably; false: the score
                                     covers part of the exam only (a text-only run, unreadable answers).
    parse_failures           int32   Unreadable answers to scorable questions, every sample.
    accuracy                 double  % of the scorable questions answered readably that were right: the mean over
                                     samples.
    accuracy_sd              double  Its standard deviation over samples (n − 1); null with one sample.
    score                    double  100 × points of the right answers ÷ points of the scorable questions answered
                                     readably: the points-weighted score normalised by the scorable points (an exam
                                     of 53 points is not read out of 100); the mean over samples.
    score_sd                 double  Its standard deviation over samples; null with one sample.
    score_low                double  The lowest sample's score; null with one sample.
    score_high               double  The highest sample's score; null with one sample.
    accuracy_failures_wrong  double  Accuracy with unreadable answers counted as wrong.
    score_failures_wrong     double  Score with unreadable answers counted as wrong.
    students                 double  The students' points-weighted correct rate (%) on the same questions, when
                                     every one has a rate.
    student_average          double  The students' average on the exam, in % of its scale.
"""))


def table_specs(ctx):
    """The tables of an exam release, in the card's order (the questions first)."""
    return [questions_spec(ctx.release), answers_spec(ctx.release), SCORES, PROMPTS, RESPONSES, MODELS]


def rows_to_read(campaign_ids):
    """Pass 2's rows, for the build's progress (the questions and answers are read in one go, quickly)."""
    return selectors.count_responses(campaign_ids)


# ---------------------------------------------------------------------------------------------------------
# Pass 1: questions and answers


@dataclass
class ExamAnswers:
    """What pass 1 keeps: the annotators of the people's answers (pks, one per answer) and the questions."""

    annotator: np.ndarray
    questions: int


def write_judgments(ctx):
    """Pass 1: the questions and answers tables."""
    questions = exam_selectors.release_questions(ctx.campaign_ids)
    by_pk = {question.pk: question for question in questions}
    people = exam_selectors.release_people_answers(ctx.campaign_ids)
    answered = {}
    for found in people:
        answered.setdefault(found[0], []).append(({}, found[2]))
    files = write_table(ctx, questions_spec(ctx.release),
                        [_question_row(ctx, question, answered.get(question.pk, [])) for question in questions])
    rows = [_model_answer_row(ctx, by_pk[answer.question_id], answer)
            for answer in exam_selectors.release_model_answers(ctx.campaign_ids)]
    rows += [_person_answer_row(ctx, by_pk[found[0]], *found[1:]) for found in people]
    files += write_table(ctx, answers_spec(ctx.release), rows)
    return files, ExamAnswers(np.array([found[1] for found in people], dtype=np.int64), len(questions))


def shown_choices(question):
    return [Choice(choice_label(question.choice_labels, number), text)
            for number, text in enumerate(question.choices, start=1)]


def _question_row(ctx, question, answers):
    """A question's row; ``answers`` are the people's, [({}, verdict)], for its final label."""
    exam, correct = question.exam, tuple(question.correct_answer)
    final = ctx.final_labels.of(question.item_id, ctx.slugs[exam.campaign_id], answers)
    final_answer = (final.label or {}).get("answer")
    return (ctx.slugs[exam.campaign_id], exam.key, question.question_id, str(question.item.public_id),
            str(question.prompt.public_id), exam.subject, exam.year, question.label, question.text,
            list(question.choices), [choice.label for choice in shown_choices(question)], list(correct),
            format_answer(correct, shown_choices(question), question.answer_form) or None, question.answer_form,
            question.points, bool(correct), question.needs_figure, list(question.figures),
            [str(code) for code in question.knowledge_codes], question.student_correct_rate, exam.license or None,
            [int(number) for number in final_answer.split(",")] if final_answer else None, final.provenance,
            *ctx.final_labels.note_values(ctx.release, question.item_id))


def _answer_head(ctx, question, answer):
    correct = answer_is_correct(answer, tuple(question.correct_answer), question.answer_form)
    label = format_answer(answer, shown_choices(question), question.answer_form) if answer else None
    return (ctx.slugs[question.exam.campaign_id], question.exam.key, question.question_id), (
        list(answer) if answer is not None else None, label, answer is not None, correct)


def _model_answer_row(ctx, question, found):
    answer = tuple(found.answer) if found.parsed else None
    head, marks = _answer_head(ctx, question, answer)
    reply = "\n\n".join(str(turn) for turn in found.response.turns or [])
    return (*head, found.examinee.name, MODEL, found.sample, None, None, *marks, found.figures_sent,
            str(found.response.public_id), reply, None, None) + _no_opted_in(ctx.release)


def _person_answer_row(ctx, question, annotator_pk, verdict, submitted, revised, revision, comment):
    head, marks = _answer_head(ctx, question, tuple(int(number) for number in verdict.split(",")))
    annotator = ctx.annotators[annotator_pk]
    return (*head, HUMANS, HUMANS, None, ctx.names[annotator_pk], annotator.tier, *marks, None, None, None,
            iso_utc(submitted), revision) + opted_in_values(ctx.release, annotator, comment)


def _no_opted_in(release):
    return (None,) * len(opted_in_columns(release))


def preference_pairs(ctx, answers):
    """None are made: pass 2 writes prompts and responses only."""
    return lambda prompts: ()


# ---------------------------------------------------------------------------------------------------------
# Pass 3: no verdicts; then the figures


def write_verdicts(ctx):
    return [], None


def write_figures(ctx, answers, judged):
    """exam_report.json (each campaign's report, as exam_report --json prints it) and the scores table."""
    reports = [exam_campaign_report(campaign) for campaign in ctx.campaigns]
    rows = [row for report in reports for row in _score_rows(report)]
    return {"exam_report.json": {"campaigns": reports}}, write_table(ctx, SCORES, rows)


def _score_rows(report):
    kinds = {examinee["name"]: examinee["kind"] for examinee in report["meta"]["examinees"]}
    for exam in report["exams"]:
        for found in exam["examinees"]:
            for key, name in QUESTION_SETS:
                part = found[key]
                yield (report["meta"]["campaign"], exam["exam"], exam["subject"], exam["year"], found["examinee"],
                       kinds[found["examinee"]], name, found["samples"], part["questions"], part["scorable"],
                       part["points"], part["answered"], part["scored_least"], part["scored_most"],
                       part["complete"], part["parse_failures"], part["accuracy"]["value"],
                       part["accuracy"]["sd"], part["score"]["value"], part["score"]["sd"], part["score"]["low"],
                       part["score"]["high"], part["accuracy_failures_wrong"]["value"],
                       part["score_failures_wrong"]["value"], part["students"], exam["student_percent"])
