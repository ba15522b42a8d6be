"""An exam campaign's report inputs read from the database: its exams, questions and answers as the frozen
dataclasses annotation.exam_figures computes with (exports.reports.exam shapes the report from them).

Examinees
- Each model that answered (ExamAnswer rows, through generation jobs or imports) is an examinee under its
  name, its samples as they were stored (0, 1, ...). A parse failure is an answer of None.
- The people are one examinee, ``HUMANS``: each annotator who answered is one of its samples (numbered in the
  order of their handles), so the report's mean over samples is the mean over the annotators and its spread
  their spread. A person's answer is their current rating's verdict (a revision replaces it; drafts are not
  ratings); an annotator answers only the questions they were given, which the figures allow for (a sample
  is scored over the questions it answered).
- Gold and attention items never count (annotation.quality_items.counted).

Models come first, in name order, then the people.

``text_only`` leaves out the questions that need a figure, and their answers, at the source.
"""

from dataclasses import dataclass

from annotation.errors import HyokaError
from annotation.exam_answers import choice_label
from annotation.exam_figures import Answer, Exam, Question
from annotation.models import Campaign, ExamAnswer, ExamQuestion, Rating
from annotation.models import Exam as ExamRow
from annotation.quality_items import counted

HUMANS = "humans"  # the people's examinee
MODEL, PEOPLE = "model", "humans"  # the kinds of examinee the report names


@dataclass(frozen=True)
class ExamInputs:
    exams: list  # exam_figures.Exam, in key order
    questions: list  # exam_figures.Question, by exam and position
    answers: list  # exam_figures.Answer
    examinee_kinds: dict  # examinee name -> MODEL or PEOPLE, in the order shown


def campaign_for_exam_report(slug):
    """The campaign named ``slug`` with its rubric, of any kind; a HyokaError for an unknown one (whether its
    kind has an exam report is its exports kind's to say)."""
    campaign = Campaign.objects.select_related("rubric").filter(slug=slug).first()
    if campaign is None:
        raise HyokaError(f"no campaign {slug!r}")
    return campaign


def exam_inputs(campaign, *, text_only=False):
    """Everything the report of ``campaign`` is computed from (module docstring)."""
    questions = _questions(campaign, text_only)
    models = _model_answers(campaign, text_only)
    people = _people_answers(campaign, text_only)
    kinds = {name: MODEL for name in sorted({answer.examinee for answer in models})}
    if people:
        kinds[HUMANS] = PEOPLE
    return ExamInputs(_exams(campaign), questions, models + people, kinds)


def _exams(campaign):
    return [Exam(exam.key, exam.subject, "" if exam.year is None else str(exam.year), exam.student_average,
                 exam.scale)
            for exam in ExamRow.objects.filter(campaign=campaign).order_by("key")]


def _question_rows(campaign, text_only):
    rows = ExamQuestion.objects.filter(counted("item__"), exam__campaign=campaign)
    return rows.filter(needs_figure=False) if text_only else rows


def _questions(campaign, text_only):
    rows = _question_rows(campaign, text_only).select_related("exam").order_by("exam__key", "position", "pk")
    return [Question(
        exam=row.exam.key, question_id=row.question_id, correct=tuple(row.correct_answer), form=row.answer_form,
        points=row.points, needs_figure=row.needs_figure,
        student_correct_rate=row.student_correct_rate, student_answers=_student_answers(row.student_answers),
        choice_labels=tuple(choice_label(row.choice_labels, number) for number in range(1, len(row.choices) + 1)),
    ) for row in rows]


def _student_answers(stored):
    """The students' answers that are choices, as ((choice,), share); "other" and "no answer" left out."""
    return tuple(((answer["choice"],), answer["share"]) for answer in stored if answer.get("choice") is not None)


def _model_answers(campaign, text_only):
    questions = _question_rows(campaign, text_only)
    rows = (ExamAnswer.objects.filter(question__in=questions)
            .values_list("question__exam__key", "question__question_id", "examinee__name", "sample", "answer",
                         "parsed"))
    return [Answer(exam, question_id, examinee, tuple(answer) if parsed else None, sample)
            for exam, question_id, examinee, sample, answer, parsed in rows]


def _people_answers(campaign, text_only):
    questions = _question_rows(campaign, text_only)
    rows = (Rating.objects.filter(item__exam_question__in=questions).exclude(verdict="")
            .values_list("item__exam_question__exam__key", "item__exam_question__question_id", "annotator__handle",
                         "verdict"))
    rows = list(rows)
    samples = {handle: sample for sample, handle in enumerate(sorted({row[2] for row in rows}))}
    return [Answer(exam, question_id, HUMANS, tuple(int(number) for number in verdict.split(",")), samples[handle])
            for exam, question_id, handle, verdict in rows]


# A release's rows (exports.kinds.exam_tables) ---------------------------------------------------------------

def release_questions(campaign_ids):
    """The counted questions of the campaigns with their exam, item and prompt, by campaign, exam and position."""
    return list(ExamQuestion.objects.filter(counted("item__"), exam__campaign_id__in=campaign_ids)
                .select_related("exam", "item", "prompt").order_by("exam__campaign_id", "exam__key", "position", "pk"))


def release_model_answers(campaign_ids):
    """The models' answers to the campaigns' counted questions, with the reply each was read from."""
    return list(ExamAnswer.objects.filter(counted("question__item__"), question__exam__campaign_id__in=campaign_ids)
                .select_related("examinee", "response").order_by("question_id", "examinee__name", "sample"))


def release_people_answers(campaign_ids):
    """(question pk, annotator pk, verdict, submitted_at, revised_at, revision, comment) of the current ratings
    of the campaigns' counted questions."""
    return list(Rating.objects.filter(counted("item__"), item__campaign_id__in=campaign_ids).exclude(verdict="")
                .order_by("item__exam_question", "annotator__handle")
                .values_list("item__exam_question", "annotator_id", "verdict", "submitted_at", "revised_at",
                             "revision", "comment"))


def campaign_exam_licenses(campaign):
    """The source licenses recorded on the campaign's exams, each once, "" standing for unknown."""
    return sorted(set(ExamRow.objects.filter(campaign=campaign).values_list("license", flat=True)))


def campaign_exams_without_license(campaign):
    """The keys of the campaign's exams whose source's license is unknown (none was recorded)."""
    return list(ExamRow.objects.filter(campaign=campaign, license="").order_by("key").values_list("key", flat=True))
