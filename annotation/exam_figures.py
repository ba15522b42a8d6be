"""The figures of an exam campaign's report: per exam and examinee (a model, or the human examinees), per
question, and how an examinee's correctness tracks the students'. Pure: frozen dataclasses in and out, no
Django (a selector builds the inputs).

Inputs
- ``Exam``: an exam (its id, subject, year) with the students' average on the exam's scale (100 by default).
- ``Question``: its exam, id, points, whether it needs a figure, its correct answer (choice positions, () when
  the source gives none) and form, and where the source has them the students' correct rate (0..1) and their
  answer distribution (answers that are choices only, with their shares; "other answer" and "no answer" left
  out).
- ``Answer``: one examinee's answer to one question in one sample: choice positions, or None when it could not
  be read (a parse failure). A model that answered k times has samples 0..k-1; the selector may give the human
  examinees one examinee with each person as a sample.

Rules
- A question without a correct answer is unscorable: it is counted (questions) and never scored.
  "Text-only" questions are those that need no figure.
- Per sample, over the scorable questions the examinee answered readably: accuracy = right / answered;
  score = 100 × (points of the right ones) / (points of those questions): the points-weighted score normalised
  by the scorable questions' points, so an exam of 53 points is not read "out of 100". A parse failure is left
  out of both, and counted (``parse_failures``); the ``*_failures_wrong`` figures count it as wrong instead
  (in the denominators, never right). Scorable questions an examinee did not answer at all (a text-only run
  leaves out those that need a figure) are in neither: ``answered`` says how many were.
  A scorable question without points counts in accuracy and weighs nothing in the score.
- Coverage: ``scored_least`` and ``scored_most`` are the fewest and the most scorable questions a sample answered
  readably (what its accuracy and score divide by); ``complete`` is true when every sample answered every
  scorable question readably. A score that is not complete covers part of the exam only (a text-only run, parse
  failures, a person given part of the questions): the report says so wherever it shows the score.
- Over samples: the mean of the per-sample figures, with their standard deviation (n − 1), minimum and
  maximum; the spread is None with a single sample.
- Student average beside: the exam's average as a percentage of its scale; and, for any set of questions
  (e.g. the text-only ones), the students' points-weighted correct rate when every scorable question of the
  set has a correct rate.
- Per question: each examinee's answers (one per sample) and its correctness, the share of its readable
  samples that are right (1 or 0 with one sample).
- Tracking, per examinee, over the scorable questions with a students' correct rate and a readable answer:
  the Pearson correlation of the examinee's per-question correctness with the students' correct rate, with
  its two-sided p-value and n. With one sample correctness is 0/1 and this is the point-biserial
  correlation. None (with annotation.agreement's reason) when n < 3 or either side does not vary.
  Common wrong answers: of the examinee's wrong readable answers (every sample) on questions with an answer
  distribution, the share that are the students' most common wrong answer (every wrong answer tied for the
  largest share counts).
"""

import math
import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from annotation import agreement
from annotation.exam_answers import SINGLE, answer_is_correct, same_answer


@dataclass(frozen=True)
class Exam:
    exam: str
    subject: str = ""
    year: str = ""
    student_average: float | None = None  # on the exam's scale
    scale: float = 100.0

    @property
    def student_percent(self):
        if self.student_average is None or not self.scale:
            return None
        return 100.0 * self.student_average / self.scale


@dataclass(frozen=True)
class Question:
    exam: str
    question_id: str
    correct: tuple = ()  # choice positions; () = unscorable
    form: str = SINGLE
    points: float | None = None
    needs_figure: bool = False
    student_correct_rate: float | None = None  # 0..1
    student_answers: tuple = ()  # ((answer, share), ...): the students' choice answers
    choice_labels: tuple = ()  # how answers are shown ("①", "ア"); positions when empty

    @property
    def scorable(self):
        return bool(self.correct)

    @property
    def key(self):
        return self.exam, self.question_id


@dataclass(frozen=True)
class Answer:
    exam: str
    question_id: str
    examinee: str
    answer: tuple | None  # None: a parse failure
    sample: int = 0


@dataclass(frozen=True)
class Measure:
    """A figure over samples: the mean of the per-sample values, with their spread (None with one sample)."""

    value: float | None
    samples: int = 0
    sd: float | None = None
    low: float | None = None
    high: float | None = None


@dataclass(frozen=True)
class Standing:
    """One examinee on one set of questions of one exam (all of them, or the text-only ones)."""

    questions: int
    scorable: int
    points: float  # of the scorable questions
    answered: int  # scorable questions with at least one answer
    parse_failures: int  # unreadable answers to scorable questions, every sample
    accuracy: Measure
    score: Measure
    accuracy_failures_wrong: Measure
    score_failures_wrong: Measure
    students: float | None  # the students' points-weighted correct rate (%) on these questions, when known
    scored_least: int = 0  # the fewest scorable questions a sample answered readably (its score's denominator)
    scored_most: int = 0  # the most
    complete: bool = False  # every sample answered every scorable question readably


@dataclass(frozen=True)
class ExamRow:
    exam: Exam
    examinee: str
    samples: int
    all: Standing
    text_only: Standing


@dataclass(frozen=True)
class ExamineeAnswers:
    answers: tuple  # one per sample, in sample order: choice positions or None
    correct: float | None  # share of the readable samples that are right; None: unscorable or none readable

    @property
    def parse_failures(self):
        return sum(answer is None for answer in self.answers)


@dataclass(frozen=True)
class QuestionRow:
    question: Question
    by_examinee: dict = field(default_factory=dict)  # examinee -> ExamineeAnswers
    students_common_wrong: tuple = ()  # the students' most common wrong answers (ties), where known


@dataclass(frozen=True)
class Tracking:
    examinee: str
    correlation: float | None
    p_value: float | None
    n: int
    reason: str  # why correlation is None, else ""
    wrong: int  # wrong readable answers on questions with a distribution
    common_wrong: int  # of them, the students' most common wrong answer

    @property
    def common_wrong_share(self):
        return self.common_wrong / self.wrong if self.wrong else None


@dataclass(frozen=True)
class ExamReport:
    text_only: bool  # every figure covers the text-only questions only (rows' ``all`` is then ``text_only``)
    examinees: tuple
    rows: tuple  # ExamRow per exam and examinee
    questions: tuple  # QuestionRow
    tracking: tuple  # Tracking per examinee


@dataclass(frozen=True)
class TableRow:
    """A line of the working group's table: the exam, its questions, each examinee's standing (its score, the
    text-only score, how much of the exam each covers) and the students' average."""

    subject: str
    year: str
    exam: str
    questions: int
    text_only_questions: int
    scores: tuple  # (examinee, all Standing, text-only Standing), in the report's examinee order
    student_average: float | None  # %


# The report ----------------------------------------------------------------------------------------------

def exam_report(exams: Sequence[Exam], questions: Sequence[Question], answers: Sequence[Answer], *,
                text_only=False, examinees=None):
    """Every figure of the report. ``examinees`` orders the examinees (default: as they first answer).
    Raises ValueError for an answer to an unknown question or a repeated (examinee, question, sample)."""
    answers_by = _answers_by(answers, {question.key for question in questions})
    order = tuple(examinees) if examinees is not None else tuple(dict.fromkeys(a.examinee for a in answers))
    shown = [question for question in questions if not (text_only and question.needs_figure)]
    rows = tuple(_exam_row(exam, [q for q in shown if q.exam == exam.exam], examinee, answers_by)
                 for exam in exams for examinee in order)
    question_rows = tuple(_question_row(question, order, answers_by) for question in shown)
    tracking = tuple(_tracking(examinee, question_rows) for examinee in order)
    return ExamReport(text_only, order, rows, question_rows, tracking)


def _answers_by(answers, keys):
    """(examinee, exam, question id) -> {sample: answer}."""
    found = defaultdict(dict)
    for answer in answers:
        key = (answer.exam, answer.question_id)
        if key not in keys:
            raise ValueError(f"an answer of {answer.examinee} to an unknown question: {answer.exam} "
                             f"{answer.question_id}")
        samples = found[(answer.examinee, *key)]
        if answer.sample in samples:
            raise ValueError(f"{answer.examinee} answered {answer.exam} {answer.question_id} twice in sample "
                             f"{answer.sample}")
        samples[answer.sample] = answer.answer
    return found


def working_group_table(report):
    """The report's rows as the working group tabulates them: one line per exam."""
    lines = []
    for exam in dict.fromkeys(row.exam for row in report.rows):
        rows = [row for row in report.rows if row.exam == exam]
        first = rows[0]
        lines.append(TableRow(exam.subject, exam.year, exam.exam, first.all.questions, first.text_only.questions,
                              tuple((row.examinee, row.all, row.text_only) for row in rows),
                              exam.student_percent))
    return tuple(lines)


# Per exam and examinee -----------------------------------------------------------------------------------

def _exam_row(exam, questions, examinee, answers_by):
    sheets = {q.key: answers_by.get((examinee, *q.key), {}) for q in questions}
    samples = sorted({sample for sheet in sheets.values() for sample in sheet})
    text_only = [question for question in questions if not question.needs_figure]
    return ExamRow(exam, examinee, len(samples), standing(questions, sheets, samples),
                   standing(text_only, sheets, samples))


def standing(questions, sheets, samples):
    """One examinee's standing on ``questions``; ``sheets`` maps a question's key to {sample: answer}."""
    scorable = [question for question in questions if question.scorable]
    per_sample = [_sample_figures(scorable, sheets, sample) for sample in samples]
    scored = [figures[4] for figures in per_sample]
    return Standing(
        questions=len(questions), scorable=len(scorable), points=sum(_points(q) for q in scorable),
        answered=sum(bool(sheets.get(q.key)) for q in scorable),
        parse_failures=sum(answer is None for q in scorable for answer in sheets.get(q.key, {}).values()),
        accuracy=measure([figures[0] for figures in per_sample]),
        score=measure([figures[1] for figures in per_sample]),
        accuracy_failures_wrong=measure([figures[2] for figures in per_sample]),
        score_failures_wrong=measure([figures[3] for figures in per_sample]),
        students=students_score(scorable),
        scored_least=min(scored, default=0), scored_most=max(scored, default=0),
        complete=bool(scored) and min(scored) == len(scorable),
    )


def _points(question):
    return question.points or 0.0


def _sample_figures(scorable, sheets, sample):
    """(accuracy, score, accuracy with failures wrong, score with failures wrong) of one sample, in %, and the
    number of scorable questions it answered readably."""
    answered = sample_marks(scorable, sheets, sample)
    readable = [q for q, mark in answered if mark is not None]
    right = [q for q, mark in answered if mark]
    right_points = sum(map(_points, right))
    return (_percent(len(right), len(readable)), _percent(right_points, sum(map(_points, readable))),
            _percent(len(right), len(answered)), _percent(right_points, sum(_points(q) for q, _ in answered)),
            len(readable))


def sample_marks(scorable, sheets, sample):
    """(question, mark) of each of the ``scorable`` questions answered in ``sample``: True right, False wrong,
    None a parse failure. What every accuracy of the report counts: right / readable, or with parse failures
    wrong, right / answered."""
    return [(q, answer_is_correct(sheets[q.key][sample], q.correct, q.form))
            for q in scorable if sample in sheets.get(q.key, {})]


def exam_marks(questions, answers, *, examinees):
    """{(examinee, exam): {(question id, sample): mark}}: each sample's answer to each scorable question the
    examinee answered, marked as the report's accuracy counts it (``sample_marks``), in question order. A
    model series' exam trajectory reads them as per-example outcomes (exports.trajectory_selectors)."""
    answers_by = _answers_by(answers, {question.key for question in questions})
    scorable = [question for question in questions if question.scorable]
    found = defaultdict(dict)
    for examinee in examinees:
        sheets = {q.key: answers_by.get((examinee, *q.key), {}) for q in scorable}
        for sample in sorted({sample for sheet in sheets.values() for sample in sheet}):
            for question, mark in sample_marks(scorable, sheets, sample):
                found[(examinee, question.exam)][(question.question_id, sample)] = mark
    position = {question.key: index for index, question in enumerate(scorable)}
    return {(examinee, exam): dict(sorted(marks.items(), key=lambda pair: (position[(exam, pair[0][0])], pair[0][1])))
            for (examinee, exam), marks in found.items()}


def _percent(part, whole):
    return 100.0 * part / whole if whole else None


def measure(values):
    """The mean of the defined values with their sample standard deviation, minimum and maximum."""
    values = [value for value in values if value is not None]
    if not values:
        return Measure(None)
    if len(values) == 1:
        return Measure(values[0], 1)
    return Measure(statistics.fmean(values), len(values), statistics.stdev(values), min(values), max(values))


def students_score(scorable):
    """The students' points-weighted correct rate (%) on these questions, when every one has a rate."""
    points = sum(_points(question) for question in scorable)
    if not scorable or not points or any(question.student_correct_rate is None for question in scorable):
        return None
    return 100.0 * sum(question.student_correct_rate * _points(question) for question in scorable) / points


# Per question --------------------------------------------------------------------------------------------

def _question_row(question, examinees, answers_by):
    by_examinee = {}
    for examinee in examinees:
        sheet = answers_by.get((examinee, *question.key))
        if sheet:
            answers = tuple(sheet[sample] for sample in sorted(sheet))
            by_examinee[examinee] = ExamineeAnswers(answers, _share_right(question, answers))
    return QuestionRow(question, by_examinee, common_wrong_answers(question))


def _share_right(question, answers):
    marks = [answer_is_correct(answer, question.correct, question.form) for answer in answers]
    marks = [mark for mark in marks if mark is not None]
    return sum(marks) / len(marks) if marks else None


def common_wrong_answers(question):
    """The students' most common wrong answers (every one tied for the largest share); () when unknown."""
    if not question.scorable:
        return ()
    wrong = [(answer, share) for answer, share in question.student_answers
             if not same_answer(tuple(answer), question.correct, question.form)]
    if not wrong:
        return ()
    top = max(share for _, share in wrong)
    return tuple(tuple(answer) for answer, share in wrong if share == top)


# Tracking the students -----------------------------------------------------------------------------------

def _tracking(examinee, question_rows):
    pairs = [(row.by_examinee[examinee].correct, row.question.student_correct_rate) for row in question_rows
             if examinee in row.by_examinee and row.by_examinee[examinee].correct is not None
             and row.question.student_correct_rate is not None]
    correlation, p_value, reason = correlation_with_p([x for x, _ in pairs], [y for _, y in pairs])
    wrong = common = 0
    for row in question_rows:
        if not row.students_common_wrong or examinee not in row.by_examinee:
            continue
        for answer in row.by_examinee[examinee].answers:
            if answer is not None and not answer_is_correct(answer, row.question.correct, row.question.form):
                wrong += 1
                common += any(same_answer(answer, usual, row.question.form) for usual in row.students_common_wrong)
    return Tracking(examinee, correlation, p_value, len(pairs), reason, wrong, common)


def correlation_with_p(xs, ys):
    """Pearson's r of two equally long sequences with its two-sided p-value (t with n − 2 degrees of freedom):
    (r, p, "") or (None, None, reason)."""
    n = len(xs)
    reason = agreement.constant_input_reason(np.asarray(xs, dtype=float), np.asarray(ys, dtype=float),
                                             "the examinee's marks", "the students' correct rates", unit="questions")
    if reason:
        return None, None, reason
    mean_x, mean_y = statistics.fmean(xs), statistics.fmean(ys)
    sxx = sum((x - mean_x) ** 2 for x in xs)
    syy = sum((y - mean_y) ** 2 for y in ys)
    r = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys)) / math.sqrt(sxx * syy)
    r = max(-1.0, min(1.0, r))
    if abs(r) == 1.0:
        return r, 0.0, ""
    t = r * math.sqrt((n - 2) / (1 - r * r))
    return r, float(2 * stats.t.sf(abs(t), n - 2)), ""
