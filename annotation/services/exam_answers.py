"""Models' answers to exam questions as ExamAnswer rows: the one place where a model's reply to a question is read
into an answer, whether a generation job asked for it (judging.kinds.exam) or import_responses brought it
(annotation.kinds.exam).

A response is a model's answer to a question of the campaign when it answers the question's prompt and is not
the question's placeholder (annotation.kinds.exam.QUESTION_MODEL). Its first turn is read by
annotation.exam_answers.read_reply in the output format its metadata names (``"output_format": "json_schema"``
for JSON-schema output, text otherwise); ``"figures_sent": true`` in its metadata says that the question's figures
went with it. A model's samples share one examinee: MODEL#2 is MODEL's sample 1 (annotation.models.model_and_sample).

No readable answer is a parse failure (``parsed`` False, no answer): counted, never guessed. A response is read
once: its ExamAnswer is never rewritten.
"""

from dataclasses import dataclass

from annotation.exam_answers import question_choices, read_reply
from annotation.kinds.exam import QUESTION_MODEL
from annotation.models import ExamAnswer, ExamQuestion, LanguageModel, Response, model_and_sample


@dataclass(frozen=True)
class QuestionReading:
    """How a question's answers are asked for and read: its choices, how many answers it takes, their form."""

    choices: tuple
    count: int
    form: str


def question_reading(question):
    """The reading of an ExamQuestion. A question without a correct answer is asked for one answer."""
    return QuestionReading(question_choices(question.choices, question.choice_labels),
                           max(1, len(question.correct_answer)), question.answer_form)


@dataclass(frozen=True)
class RecordedAnswers:
    created: int = 0
    parse_failures: int = 0


def exam_answers_record(*, campaign, prompt_ids=None, response_ids=None):
    """Read every model's response to a question of ``campaign`` that has no ExamAnswer yet into one, among the
    responses to ``prompt_ids`` and/or those of ``response_ids`` (None: no limit). Returns RecordedAnswers."""
    questions = ExamQuestion.objects.filter(exam__campaign=campaign)
    if prompt_ids is not None:
        questions = questions.filter(prompt_id__in=set(prompt_ids))
    by_prompt = {question.prompt_id: question for question in questions}
    responses = Response.objects.filter(prompt_id__in=by_prompt).exclude(model__name=QUESTION_MODEL)
    if response_ids is not None:
        responses = responses.filter(pk__in=set(response_ids))
    read = set(ExamAnswer.objects.filter(question__in=by_prompt.values(), response__in=responses)
               .values_list("response_id", flat=True))
    rows = [(by_prompt[prompt_id], pk, name, turns, metadata) for pk, prompt_id, name, turns, metadata
            in responses.values_list("id", "prompt_id", "model__name", "turns", "metadata") if pk not in read]
    examinees = _examinees({model_and_sample(name)[0] for _, _, name, _, _ in rows})
    answers = [_answer(question, pk, name, turns, metadata, examinees) for question, pk, name, turns, metadata in rows]
    ExamAnswer.objects.bulk_create(answers)
    return RecordedAnswers(len(answers), sum(not answer.parsed for answer in answers))


def _examinees(names):
    """{name: LanguageModel id}, making the base model of a sample when only its samples were stored."""
    found = dict(LanguageModel.objects.filter(name__in=names).values_list("name", "id"))
    for name in sorted(names - found.keys()):
        found[name] = LanguageModel.objects.get_or_create(name=name)[0].pk
    return found


def _answer(question, response_id, model_name, turns, metadata, examinees):
    reading = question_reading(question)
    metadata = metadata if isinstance(metadata, dict) else {}
    extraction = read_reply(turns[0] if turns else "", reading.choices, reading.count,
                            metadata.get("output_format", "text"))
    examinee, sample = model_and_sample(model_name)
    return ExamAnswer(question=question, response_id=response_id, examinee_id=examinees[examinee], sample=sample,
                      answer=list(extraction.answer or []), parsed=extraction.parsed,
                      figures_sent=metadata.get("figures_sent") is True)
