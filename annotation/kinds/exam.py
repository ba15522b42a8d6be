"""Exam campaigns: an item is one multiple-choice question (annotation.models.ExamQuestion), answered with the
choices picked; answers are scored against the question's correct answer, by models and people alike.

The item's ``response`` is the question's placeholder response (annotation.services.exam_imports): a Response
of the reserved model QUESTION_MODEL to the question's prompt, with no text. It is what ties the item to its
prompt, as every item is tied, so the rating workflow, its hot path, progress and exports read an exam item as
they read any other; nobody rates it, and it answers for no model (RESPONSE_FIELDS is empty). Models answer the
question's prompt through generation jobs (judging.kinds.exam), or their answers are imported with
import_responses; either way their replies are read into ExamAnswer rows (annotation.services.exam_answers).

A person's answer is their rating's verdict: the choice numbers picked, in the order given, comma-separated
("3", "5,3"; annotation.models.EXAM_ANSWER_PATTERN). The page shows choices with the exam's labels (①, ア, ...)
and sends numbers.
"""

NAME = "exam"
QUESTION_MODEL = "exam-question"  # the reserved LanguageModel of the questions' placeholder responses

import re  # noqa: E402
from collections import Counter  # noqa: E402

from django.utils.translation import gettext_lazy as _  # noqa: E402

from annotation.errors import FieldError, HyokaError  # noqa: E402
from annotation.exam_answers import answer_token, choice_label, question_choices  # noqa: E402
from annotation.models import EXAM_ANSWER_PATTERN, ExamQuestion, Prompt  # noqa: E402
from annotation.rubric_definitions import no_verdicts_part  # noqa: E402

# ---------------------------------------------------------------------------------------------------------
# The item and its pages, what a rating carries, the rubric's part, imports
#
# One question is shown, in one order: screen terms and the item's terms are the same.


def shown_order(item, annotator, rating=None):
    """The order recorded on Rating.position: none, for a question."""
    return ""


def item_payload(item, order, language):
    """The question's part of item_for_rating: ``exam``, its choices, labels, figures and how many to pick."""
    question = ExamQuestion.objects.get(item=item)
    return {"response": None, "left": None, "right": None, "verdicts": [],
            "exam": question_shown(question.label, question.choices, question.choice_labels, question.figures,
                                   len(question.correct_answer), question.answer_form)}


def question_shown(label, choices, labels, figures, answers, form):
    """What the rating page shows of a question besides its text (the prompt's turn). The figures are file
    names, served at /campaigns/<slug>/figures/<name> (annotation.exam_views). Each choice is shown as the
    prompt shows it to a model (annotation.exam_answers.question_choices): its ``label`` (the exam's own, or
    the mark-sheet label ①–⑨, 0, a, b, ...) and its ``text`` without the label the source wrote into it;
    ``token`` is what typing the label means (① → 1, ア, a), and ``key`` the number key that picks it: 1–9,
    0 for the tenth, none beyond (those are picked by typing their label)."""
    shown = [{"number": number, "label": choice.label, "text": choice.text, "token": answer_token(choice),
              "key": str(number % 10) if number <= 10 else ""}
             for number, choice in enumerate(question_choices(choices, labels), start=1)]
    return {
        "label": label,
        "choices": shown,
        "figures": list(figures),
        "answers": max(1, answers),  # how many choices to pick; one for a question without a correct answer
        "form": form,  # single, ordered (blanks in order) or unordered (a set)
    }


def page_turns(payload):
    """The question's text: [(1, text)]."""
    turns = payload["prompt"]["turns"]
    return [(1, turns[0] if turns else "")]


def answer_label(rating, language):
    """The answer as the annotator picked it, in the exam's labels ("my ratings"). The item's question comes with
    the rating (annotation.selectors.my_ratings selects it), so a long list costs no query per row."""
    question = getattr(rating.item, "exam_question", None)
    return answer_text(rating.verdict, question.choice_labels if question else [])


def answer_text(verdict, labels):
    """A stored answer ("5,3") in the exam's labels ("⑤, ③"); "" for none."""
    if not verdict:
        return ""
    return ", ".join(choice_label(labels, int(number)) for number in verdict.split(","))


RATE_TEMPLATE = "annotation/kinds/exam/rate.html"
MY_RATINGS_TEMPLATE = "annotation/kinds/exam/my_ratings.html"
RUBRIC_TEMPLATE = "annotation/kinds/exam/rubric.html"
RUBRIC_SUMMARY_TEMPLATE = "annotation/kinds/exam/rubric_summary.html"
MODEL_COUNTS_NOTE = ""
# What the kind means, on the new-campaign form.
CREATE_NOTE = _("An item is one multiple-choice exam question, answered by choosing among its choices and scored "
                "against its correct answer. Import the questions (import_exam, or upload the exam files); models "
                "answer them through generation jobs.")


def verdict_in_item_terms(verdict, order):
    return verdict


def verdict_in_screen_terms(verdict, order):
    return verdict


def checks_in_item_terms(checks, order):
    return dict(checks)


def checks_in_screen_terms(checks, order):
    return dict(checks)


def clean_verdict(rubric, verdict, complete, item_id=None):
    """The choices picked, as numbers in the order given ("3", "5,3", spaces allowed): each a choice of the
    question, each once, as many as the question asks for."""
    text = re.sub(r"\s", "", verdict or "")
    if not text:
        if complete:
            raise FieldError("verdict", "choose an answer before submitting (the number of a choice)")
        return ""
    if not re.match(EXAM_ANSWER_PATTERN, text):
        raise FieldError("verdict", f"{verdict!r} is not an answer: give choice numbers, e.g. 3 or 5,3")
    numbers = [int(number) for number in text.split(",")]
    if item_id is not None:
        numbers = _check_against_question(item_id, numbers, complete)
    return ",".join(str(number) for number in numbers)


def _check_against_question(item_id, numbers, complete):
    """The numbers, checked against the question; in ascending order when the question's answer is a set, so
    that one answer is stored one way ("3,5" whichever was picked first)."""
    question = ExamQuestion.objects.filter(item_id=item_id).values("choices", "correct_answer", "answer_form").first()
    if question is None:
        return numbers
    count, wanted = len(question["choices"]), max(1, len(question["correct_answer"]))
    for number in numbers:
        if not 1 <= number <= count:
            raise FieldError("verdict", f"{number} is not a choice of this question (1–{count})")
    if len(set(numbers)) != len(numbers):
        raise FieldError("verdict", "each choice may be given once")
    if len(numbers) > wanted or (complete and len(numbers) != wanted):
        raise FieldError("verdict", f"this question takes {wanted} answer{'s' if wanted > 1 else ''}")
    return sorted(numbers) if question["answer_form"] == ExamQuestion.AnswerForm.UNORDERED else numbers


CHECK_SHAPE = "true or false"


def clean_check(value, field):
    from annotation.checklists import tick_value

    return tick_value(value, field)


TURN_SCORES = False  # a campaign may ask for scores per turn (Campaign.per_turn_scores)
RUBRIC_PART = "verdicts"  # an exam rubric holds none: each question carries its correct answer


def parse_rubric_part(verdicts):
    return no_verdicts_part(verdicts)


RESPONSE_FIELDS = ()  # the item's response is the question's placeholder: it answers for no model
# The questions (and their figures, a zip uploaded first), and models' answers made elsewhere.
UPLOAD_KINDS = ("exam", "exam_figures", "responses")
# The Manage page's section: each exam's source license, and the form that records it (annotation.views.exam_license).
MANAGE_TEMPLATE = "annotation/kinds/exam/manage.html"


def manage_context(campaign):
    """The exams with their source's license ("" when unknown), and the form that records it."""
    from annotation.forms import ExamLicenseForm  # the forms import the kinds

    return {"exams": list(campaign.exams.order_by("key")), "license_form": ExamLicenseForm(campaign=campaign)}
ITEM_PER_RESPONSE = False  # questions come from import_exam; import_responses brings models' answers


def check_pair_option(campaign, pair):
    if pair:
        raise HyokaError(f"--pair makes pairwise items, but campaign {campaign.slug} is an exam campaign")


def score_importer(campaign, path, summary, annotators):
    """None: an exam question takes choices, not scores."""
    return None


def items_after_import(*, campaign, prompt_ids, pair, path, summary):
    """No items (an exam campaign's items are its questions, from import_exam): the imported responses are
    models' answers, read into ExamAnswer rows (annotation.services.exam_answers). Every imported prompt must be
    a question of the campaign (its prompt_id EXAM/QUESTION_ID, its source and text as imported)."""
    from annotation.services.exam_answers import exam_answers_record  # the services import the kinds

    questions = set(ExamQuestion.objects.filter(exam__campaign=campaign).values_list("prompt_id", flat=True))
    strangers = sorted(Prompt.objects.filter(pk__in=set(prompt_ids) - questions).values_list("external_id", flat=True))
    if strangers:
        raise HyokaError(f"{path}: {len(strangers)} prompts are no questions of exam campaign {campaign.slug} "
                         f"({', '.join(strangers[:5])}); name a question by prompt_id EXAM/QUESTION_ID with the "
                         f"exam's source and the question's text")
    recorded = exam_answers_record(campaign=campaign, prompt_ids=prompt_ids)
    summary.created["exam answers"] += recorded.created
    summary.created["exam answers without a readable answer (parse failures)"] += recorded.parse_failures


def items_for_generated(*, campaign, responses):
    """No items: a model's answer to a question (``responses``: (response id, prompt id, model name) tuples, from
    a generation job) is read into an ExamAnswer (annotation.services.exam_answers), as an imported one is."""
    from annotation.services.exam_answers import exam_answers_record  # the services import the kinds

    exam_answers_record(campaign=campaign, response_ids={response_id for response_id, _, _ in responses})


def rating_importer(campaign, path, summary, annotators):
    raise HyokaError(f"campaign {campaign.slug} is an exam campaign: people answer its questions on the rating "
                     f"page; there are no ratings to import")


def check_exam_import(campaign):
    """Exam questions and their statistics are this kind's to import."""


# ---------------------------------------------------------------------------------------------------------
# Reports


def check_rankable(campaign):
    raise HyokaError(f"campaign {campaign.slug} is an exam campaign: its answers are scored, not ranked (see "
                     f"exam_report)")


# ---------------------------------------------------------------------------------------------------------
# The rating hot path (annotation.hot_paths)
#
# The next item is served here (the question's choices, labels, figures and answer count come with it). A
# submit is left to the service (hot_answer gives None), which checks the answer against the question.

HOT_ITEM_JOINS = """
LEFT JOIN annotation_examquestion q ON q.item_id=i.id"""
HOT_ITEM_COLUMNS = {  # the question's row (PostgreSQL: whole, so the statement stays under psycopg's cache limit)
    "postgresql": ("to_json(q)",),
    "sqlite": ("json_object('label', q.label, 'choices', json(q.choices), 'choice_labels', json(q.choice_labels), "
               "'figures', json(q.figures), 'correct_answer', json(q.correct_answer), "
               "'answer_form', q.answer_form)",),
}
SQLITE_FUNCTIONS = {}


def hot_item_shown(values, show_model_names, language):
    """(order shown, the item's kind-specific part of the payload) from HOT_ITEM_COLUMNS' values (as JSON)."""
    (row,) = values
    return "", {"response": None, "left": None, "right": None, "verdicts": [], "exam": question_shown(
        row["label"], row["choices"], row["choice_labels"], row["figures"], len(row["correct_answer"]),
        row["answer_form"])}


HOT_ANSWER_FIELDS = ("verdict",)


def hot_answer(data):
    """None: an answer is checked against its question by the service (rating_submit)."""
    return None


HOT_ANSWER_SQL = {"order": "''", "ctes": "", "answered": "false", "verdict": "''", "store": "", "tick_side": "''"}


# ---------------------------------------------------------------------------------------------------------
# Adjudication (annotation.final_labels, annotation.adjudication_selectors): an answer is {"answer": "5,3"}, as
# clean_verdict stores it (a set's numbers in ascending order), so equal answers compare equal.

ADJUDICATE_TEMPLATE = "annotation/kinds/exam/adjudicate.html"


def final_answer(scores, verdict):
    """A rating's or an adjudication's answer, for annotation.final_labels: the choices picked."""
    return {"answer": verdict}


def disagreement(answers):
    """How many answers differ from the most common one (0 when all agree)."""
    votes = Counter(answer["answer"] for answer in answers)
    return sum(votes.values()) - max(votes.values(), default=0)


def final_label_text(label, axes):
    """A final label in words: the choice numbers, as the adjudication page lists and takes them ("5, 3")."""
    return ", ".join(label["answer"].split(","))


# ---------------------------------------------------------------------------------------------------------
# The quick export (exports.rating_export): the question and the answer given.
EXPORT_LOOKUPS = ("item__exam_question__exam__key", "item__exam_question__question_id", "verdict")


def export_columns(campaign):
    return ["exam", "question_id", "answer"]


def export_records(campaign, records, rows):
    for record, row in zip(records, rows):
        record.update(exam=row[-3], question_id=row[-2], answer=row[-1])
    return records


def export_sql(campaign):
    """export_records' fields in PostgreSQL's terms (the export's SQL path; r is the rating, i its item)."""
    joins = ("LEFT JOIN annotation_examquestion eq ON eq.item_id = i.id "
             "LEFT JOIN annotation_exam ex ON ex.id = eq.exam_id")
    return joins, [("exam", "ex.key"), ("question_id", "eq.question_id"), ("answer", "r.verdict")]
