"""An exam campaign answered by a model (two samples) and two annotators, with the students' results: the data
the exam report's tests compute their figures for by hand.

The exam (tests.annotation.exam_factories.center_exam): Q1 one choice, correct 1, 3 points; Q2 two blanks in
order, correct 3,1, 4 points; Q3 a set, correct 2|4, 4 points, needs a figure; Q4 no correct answer, no points.
The students: average 60 of 100; correct rates Q1 0.8, Q2 0.5, Q3 0.3.

Answers (right ✓, wrong ✗, parse failure ?):
    model m13b sample 0:  Q1 1 ✓   Q2 1,3 ✗ (the blanks swapped)   Q3 4,2 ✓ (a set: any order)   Q4 1
    model m13b sample 1:  Q1 2 ✗   Q2 3,1 ✓                         Q3 ?                          (no Q4)
    alice (humans #0):    Q1 1 ✓   Q2 3,1 ✓                         Q3 2,4 ✓
    bob (humans #1):      Q1 3 ✗                                                                  Q4 1
"""

from annotation.models import Annotator, ExamAnswer, ExamQuestion, LanguageModel, Rating, Response
from tests.annotation.exam_factories import exam_campaign
from tests.conftest import make_user

MODEL = "m13b"
MODEL_ANSWERS = {  # sample -> {question: answer, None a parse failure}
    0: {"Q1": [1], "Q2": [1, 3], "Q3": [4, 2], "Q4": [1]},
    1: {"Q1": [2], "Q2": [3, 1], "Q3": None},
}
PEOPLE_ANSWERS = {"alice": {"Q1": "1", "Q2": "3,1", "Q3": "2,4"}, "bob": {"Q1": "3", "Q4": "1"}}
CORRECT_RATES = {"Q1": 0.8, "Q2": 0.5, "Q3": 0.3}


def answered_exam_campaign(slug="exam", folder=None):
    campaign = exam_campaign(slug, folder)
    exam = campaign.exams.get()
    exam.student_average = 60
    exam.save(update_fields=["student_average"])
    questions = {question.question_id: question for question in ExamQuestion.objects.filter(exam=exam)}
    for question_id, rate in CORRECT_RATES.items():
        ExamQuestion.objects.filter(pk=questions[question_id].pk).update(student_correct_rate=rate)
    model_answers(questions)
    people_answers(questions)
    return campaign


def model_answers(questions):
    examinee, _ = LanguageModel.objects.get_or_create(name=MODEL)
    for sample, answers in MODEL_ANSWERS.items():
        stored_as, _ = LanguageModel.objects.get_or_create(name=MODEL if sample == 0 else f"{MODEL}#{sample + 1}")
        for question_id, answer in answers.items():
            question = questions[question_id]
            text = "答え: ?" if answer is None else f"答え: {','.join(map(str, answer))}"
            response = Response.objects.create(prompt=question.prompt, model=stored_as, turns=[text])
            ExamAnswer.objects.create(question=question, response=response, examinee=examinee, sample=sample,
                                      answer=answer or [], parsed=answer is not None)


def people_answers(questions):
    for handle, answers in PEOPLE_ANSWERS.items():
        annotator = Annotator.objects.filter(handle=handle).first() or make_user(handle, "annotator").annotator
        for question_id, verdict in answers.items():
            Rating.objects.create(item=questions[question_id].item, annotator=annotator, verdict=verdict)
