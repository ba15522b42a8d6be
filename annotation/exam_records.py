"""Exam question records as the two source layouts give them, checked and normalised (no Django imports).

- The center-examination-jp layout: one JSON array per exam, the exam id being the file's name without
  ``.json``; every value a string but ``choices`` ({"choice1": ..., ...}) and ``image_files``; ``correct_answer``
  a 1-based choice number, or two: "5,3" (blanks, in order) or "3|5" ("choose two", in any order; the source
  also writes "2￨7" with a full-width bar), or empty (no answer: the question is kept, unscorable); ``score``
  the question's points (empty on the questions without an answer).
- The gakucho-benchmark layout (JSON Lines): ``main_text`` and ``sub_text`` make the question, the figures are
  ``main_image_files`` and ``sub_image_files``, the choices are named by ``choices_labels`` (ア, イ, ...), the
  correct answer is ``correct_answer_choice_id`` ("choice2") or its label (``correct_answer``), and
  ``answer_distribution`` gives the students' answers; the exam id is "<subject>-<year>".

The answer form of a question with several answers follows ``answer_form`` when the record gives one (it must
fit the correct answer: annotation.exam_answers.check_form), else what the answer as written and the question's
own words say (annotation.exam_answers.suggested_form): bars, or a question that says 「解答の順序は問わない」 or
「順不同」, make a set in any order ("2,3" in 2005's Biology Q24 is one: 「二つ選べ。ただし，解答の順序は問わない」);
otherwise the answers are blanks in order.

A bad value raises FieldError naming the field; the importer adds the file and line.
"""

import re
from dataclasses import dataclass, field

from annotation.errors import FieldError
from annotation.exam_answers import (
    ANSWER_SEPARATORS, SINGLE, check_form, choices_from_labels, named_choice, question_choices, same_answer,
    suggested_form,
)

# How the gakucho layout names the students' answers that are no choice.
OTHER_ANSWER, NO_ANSWER = "上記以外の解答", "無解答"


@dataclass(frozen=True)
class QuestionRecord:
    exam: str
    question_id: str
    source: str
    subject: str
    year: int | None
    text: str
    choices: tuple
    choice_labels: tuple = ()
    correct_answer: tuple = ()  # 1-based choice numbers; empty: unscorable
    answer_form: str | None = None  # as the record gives it; None: not given
    implied_form: str = SINGLE  # what the answer as written and the question's words say (suggested_form)
    points: int | None = None
    label: str = ""
    answer_type: str = ""
    knowledge_codes: tuple = ()
    needs_figure: bool = False
    figures: tuple = ()
    student_answers: tuple = field(default=())  # ({"answer", "choice", "share", "correct"}, ...)

    @property
    def student_correct_rate(self):
        """The share of students whose answer was correct, when the source gives their answers."""
        return student_correct_rate(self.student_answers)

    @property
    def form(self):
        return self.answer_form or self.implied_form


def center_record(exam, record):
    """A QuestionRecord from one element of a center-examination-jp file of exam ``exam``."""
    choices = _choices(_field(record, "choices", dict))
    figures = _figures(record, "image_files")
    need = _text(record, "need_image")
    if need not in ("yes", "no"):
        raise FieldError("need_image", f"expected \"yes\" or \"no\", got {need!r}")
    text, written = _required(record, "text"), _text(record, "correct_answer")
    correct = _numbers(written, len(choices), "correct_answer")
    return QuestionRecord(
        exam=exam, question_id=_required(record, "question_id"), source=_text(record, "source"),
        subject=_text(record, "subject"), year=_year(record), text=text, choices=choices, correct_answer=correct,
        answer_form=_answer_form(record, correct), implied_form=suggested_form(written, text),
        points=_points(record, "score"), label=_text(record, "label"), answer_type=_text(record, "answer_type"),
        knowledge_codes=_codes(_text(record, "knowledge_type")), needs_figure=need == "yes", figures=figures,
    )


def gakucho_record(record):
    """A QuestionRecord from one line of a gakucho-benchmark file."""
    choices = _choices(_field(record, "choices", dict))
    labels = tuple(_field(record, "choices_labels", list, default=[]))
    if labels and (len(labels) != len(choices) or not all(isinstance(label, str) and label for label in labels)):
        raise FieldError("choices_labels", f"expected {len(choices)} labels, one per choice")
    if labels:
        choices_from_labels(choices, labels, field="choices_labels")  # distinct, as the page and the prompt need
    figures = _figures(record, "main_image_files") + _figures(record, "sub_image_files")
    subject, year = _required(record, "subject"), _year(record)
    text = "\n\n".join(part for part in (_text(record, "main_text"), _text(record, "sub_text")) if part)
    if not text:
        raise FieldError("main_text", "the question has no text (main_text and sub_text are empty)")
    written = _text(record, "correct_answer_choice_id") or _text(record, "correct_answer")
    implied = suggested_form(written, text)
    correct = _gakucho_answer(record, labels, len(choices), _text(record, "answer_form") or implied)
    return QuestionRecord(
        exam=f"{subject}-{year}" if year else subject, question_id=_required(record, "question_id"),
        source=_text(record, "source"), subject=subject, year=year, text=text, choices=choices,
        choice_labels=labels, correct_answer=correct, answer_form=_answer_form(record, correct),
        implied_form=implied, points=_points(record, "score"), label=_text(record, "label"),
        answer_type=_text(record, "answer_style"), needs_figure=bool(figures), figures=figures,
        student_answers=with_choices(_distribution(record), question_choices(choices, labels)),
    )


def _field(record, name, kind, default=None):
    value = record.get(name, default)
    if value is None or not isinstance(value, kind):
        raise FieldError(name, f"expected {'an object' if kind is dict else 'a list'}, got {value!r:.60}")
    return value


def _text(record, name):
    value = record.get(name, "")
    if value is None:
        return ""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise FieldError(name, f"expected text, got {value!r:.60}")
    return value.strip() if name != "text" else value


def _required(record, name):
    value = _text(record, name)
    if not value.strip():
        raise FieldError(name, "is required")
    return value


def _year(record):
    text = _text(record, "year")
    if not text:
        return None
    if not text.isdigit() or not 1000 <= int(text) <= 9999:
        raise FieldError("year", f"expected a year such as 2009, got {text!r}")
    return int(text)


def _choices(choices):
    """The choices' texts in order: choice1, choice2, ... each once, numbered from 1 without a gap."""
    numbers = {}
    for key, text in choices.items():
        found = re.fullmatch(r"choice([1-9][0-9]*)", key)
        if not found:
            raise FieldError(f"choices.{key}", "choices are named choice1, choice2, ...")
        if not isinstance(text, str):
            raise FieldError(f"choices.{key}", f"expected text, got {text!r:.60}")
        numbers[int(found.group(1))] = text
    if len(numbers) < 2 or sorted(numbers) != list(range(1, len(numbers) + 1)):
        raise FieldError("choices", f"expected choice1 to choiceN (at least two), got {', '.join(choices) or 'none'}")
    return tuple(numbers[number] for number in sorted(numbers))


def _numbers(text, count, name):
    """Choice numbers written "3" or "5,3" (1-based, each a choice of the question); "" is none."""
    if not text:
        return ()
    parts = [part.strip() for part in re.split(ANSWER_SEPARATORS, text)]
    if not all(part.isdigit() for part in parts):
        raise FieldError(name, f"expected choice numbers such as 3 or 5,3, got {text!r}")
    numbers = tuple(int(part) for part in parts)
    for number in numbers:
        if not 1 <= number <= count:
            raise FieldError(name, f"{number} is not a choice of this question (1–{count})")
    if len(set(numbers)) != len(numbers):
        raise FieldError(name, f"{text!r} names a choice twice")
    return numbers


def _gakucho_answer(record, labels, count, form):
    """The correct choices from correct_answer_choice_id ("choice2", or several with commas) and from
    correct_answer (labels, or numbers when the choices have no labels): either, or both when they name the
    same answer in the question's ``form`` (a set's choices in any order)."""
    ids = _text(record, "correct_answer_choice_id")
    by_id = None
    if ids:
        numbers = ",".join(part.strip().removeprefix("choice") for part in ids.split(","))
        by_id = _numbers(numbers, count, "correct_answer_choice_id")
    given = _text(record, "correct_answer")
    if not given:
        return by_id or ()
    by_label = _labelled_answer(given, labels, count)
    if by_id is not None and not same_answer(by_label, by_id, form):
        raise FieldError("correct_answer", f"{given!r} (choice {', '.join(map(str, by_label))}) disagrees with "
                                           f"correct_answer_choice_id {ids!r}: give one, or make them agree")
    return by_label


def _labelled_answer(given, labels, count):
    """correct_answer as choice numbers: labels ("イ", "イ,エ"), or numbers when the choices have no labels."""
    if not labels:
        return _numbers(given, count, "correct_answer")
    numbers = []
    for part in re.split(ANSWER_SEPARATORS, given):
        if part.strip() not in labels:
            raise FieldError("correct_answer", f"{part.strip()!r} is not one of the labels {', '.join(labels)}")
        numbers.append(labels.index(part.strip()) + 1)
    return tuple(numbers)


def _answer_form(record, correct):
    """The record's own answer_form, checked against its correct answer; None when it gives none."""
    form = _text(record, "answer_form")
    return check_form(form, correct) if form else None


def _points(record, name):
    text = _text(record, name)
    if not text:
        return None
    if not text.isdigit() or not 0 < int(text) < 1000:
        raise FieldError(name, f"expected the question's points (a whole number), got {text!r}")
    return int(text)


def _codes(text):
    return tuple(code.strip() for code in text.split(",") if code.strip())


def _figures(record, name):
    figures = record.get(name) or []
    if not isinstance(figures, list) or not all(isinstance(figure, str) and figure for figure in figures):
        raise FieldError(name, "expected a list of file names")
    return tuple(figures)


def with_choices(answers, choices):
    """The students' answers (_distribution's) with the choice each names ("choice": its number, or None for an
    answer that is no choice: 上記以外の解答, 無解答), ``choices`` being the question's (exam_answers.Choice)."""
    return tuple({"answer": found["answer"], "choice": named_choice(found["answer"], choices),
                  "share": found["share"], "correct": found["correct"]} for found in answers)


def student_correct_rate(answers):
    """The share of the students whose answer was correct, from their answers; None without them."""
    if not answers:
        return None
    return round(sum(found["share"] for found in answers if found["correct"]), 6)


def _distribution(record):
    """The students' answers as the gakucho layout gives them (``answer_distribution``): ({"answer": as given,
    "share": 0..1, "correct"}, ...)."""
    rows = record.get("answer_distribution") or []
    if not isinstance(rows, list):
        raise FieldError("answer_distribution", "expected a list")
    answers = []
    for index, row in enumerate(rows):
        where = f"answer_distribution[{index}]"
        if not isinstance(row, dict) or not isinstance(row.get("answer_type"), str):
            raise FieldError(where, "expected {type_id, answer_type, response_rate_percent, correct}")
        rate = row.get("response_rate_percent")
        try:
            share = float(rate) / 100
        except (TypeError, ValueError):
            raise FieldError(f"{where}.response_rate_percent", f"expected a percentage, got {rate!r}") from None
        if not 0 <= share <= 1:
            raise FieldError(f"{where}.response_rate_percent", f"{rate} is not between 0 and 100")
        answers.append({"answer": row["answer_type"].strip(), "share": share, "correct": _correct(row, where)})
    return tuple(answers)


def _correct(row, where):
    value = row.get("correct")
    if isinstance(value, bool):
        return value
    if value in (0, 1, "0", "1", "true", "false", "True", "False", "○", "×"):
        return str(value) in ("1", "true", "True", "○")
    raise FieldError(f"{where}.correct", f"expected true or false, got {value!r}")


@dataclass(frozen=True)
class ExamStatsRecord:
    exam: str
    student_average: float | None = None
    scale: float | None = None  # None: the exam's stored scale (100 unless set)
    question_id: str = ""
    correct_rate: float | None = None
    answers: tuple = ()  # the students' answers (_distribution's rows), to be named by the question's choices


def exam_stats_record(record):
    """{"exam", "student_average", "scale"?} for an exam, or {"exam", "question_id", "correct_rate"?,
    "answer_distribution"?} for one of its questions: a correct rate (a share between 0 and 1), the students'
    answers as the gakucho layout gives them, or both when they agree. The average is checked against the exam's
    scale where it is stored (annotation.services.exam_imports), the record's scale or the exam's."""
    exam = _required(record, "exam")
    if record.get("question_id") not in (None, ""):
        return _question_stats(exam, record)
    average, scale = _number(record, "student_average", required=True), _number(record, "scale")
    if scale is not None and scale <= 0:
        raise FieldError("scale", f"expected the score of a perfect paper, got {scale}")
    if average < 0:
        raise FieldError("student_average", f"{average} is not on the exam's scale (it is below 0)")
    return ExamStatsRecord(exam=exam, student_average=average, scale=scale)


def _question_stats(exam, record):
    answers = _distribution(record)
    rate = _number(record, "correct_rate", required=not answers)
    if rate is not None and not 0 <= rate <= 1:
        raise FieldError("correct_rate", f"{rate} is not a share between 0 and 1 (55% is 0.55)")
    counted = student_correct_rate(answers)
    if rate is not None and counted is not None and abs(rate - counted) > 0.005:
        raise FieldError("correct_rate", f"{rate:g} disagrees with the answer distribution's correct share "
                                         f"{counted:g}: give one, or make them agree")
    return ExamStatsRecord(exam=exam, question_id=_required(record, "question_id"),
                           correct_rate=rate if rate is not None else counted, answers=answers)


def _number(record, name, required=False):
    value = record.get(name)
    if value in (None, ""):
        if required:
            raise FieldError(name, "is required")
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise FieldError(name, f"expected a number, got {value!r:.60}") from None
    if number != number:
        raise FieldError(name, "expected a number, got NaN")
    return number
