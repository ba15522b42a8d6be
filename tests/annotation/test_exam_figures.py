"""The exam report's arithmetic (pure), against figures computed by hand in the comments and against scipy."""

import pytest
from scipy import stats

from annotation.exam_answers import ORDERED, UNORDERED
from annotation.exam_figures import (
    Answer, Exam, Question, correlation_with_p, exam_marks, exam_report, measure, working_group_table,
)

CHEM = Exam("Center-1993--Main-Kagaku", "Chemistry", "1993", student_average=58.69)
SMALL = Exam("Center-2009--Main-ButsuriI", "Physics", "2009", student_average=26.5, scale=53)

QUESTIONS = (
    Question(CHEM.exam, "Q1", (3,), points=4, student_correct_rate=0.8,
             student_answers=(((3,), 0.8), ((2,), 0.15), ((1,), 0.05))),
    Question(CHEM.exam, "Q2", (5, 3), ORDERED, points=6, needs_figure=True, student_correct_rate=0.4),
    Question(CHEM.exam, "Q3", (2, 4), UNORDERED, points=5, student_correct_rate=0.3,
             student_answers=(((2, 4), 0.3), ((4, 1), 0.4), ((2, 3), 0.3))),
    Question(CHEM.exam, "Q4", (), points=None),  # no correct answer: unscorable
    Question(CHEM.exam, "Q5", (1,), points=3, needs_figure=True, student_correct_rate=0.6),
    Question(SMALL.exam, "Q1", (1,), points=50, needs_figure=True),
    Question(SMALL.exam, "Q2", (2,), points=3),
    Question(SMALL.exam, "Q3", ()),
)


def answers(examinee, sample, exam, given):
    return [Answer(exam.exam, question_id, examinee, answer, sample) for question_id, answer in given.items()]


ANSWERS = (
    # m1, sample 0: Q1 right, Q2 wrong (blanks swapped), Q3 right (a set in another order), Q4 unscorable,
    # Q5 unreadable (a parse failure); on the small exam Q1 wrong, Q2 right.
    answers("m1", 0, CHEM, {"Q1": (3,), "Q2": (3, 5), "Q3": (4, 2), "Q4": (1,), "Q5": None})
    + answers("m1", 0, SMALL, {"Q1": (2,), "Q2": (2,)})
    # m1, sample 1: Q1 wrong (not the students' usual wrong answer), Q2 right, Q3 wrong (the students' usual
    # wrong answer, (4, 1), in another order), Q5 right.
    + answers("m1", 1, CHEM, {"Q1": (1,), "Q2": (5, 3), "Q3": (1, 4), "Q5": (1,)})
    # m2: a text-only run, one sample.
    + answers("m2", 0, CHEM, {"Q1": (3,), "Q3": (2, 4), "Q4": (2,)})
)


@pytest.fixture
def report():
    return exam_report([CHEM, SMALL], QUESTIONS, ANSWERS)


def row(report, examinee, exam=CHEM):
    return next(r for r in report.rows if r.examinee == examinee and r.exam == exam)


def test_counts_per_exam_and_examinee(report):
    m1 = row(report, "m1")
    assert (m1.samples, m1.all.questions, m1.all.scorable, m1.all.points, m1.all.answered) == (2, 5, 4, 18, 4)
    assert (m1.text_only.questions, m1.text_only.scorable, m1.text_only.points) == (3, 2, 9)
    assert (m1.all.parse_failures, m1.text_only.parse_failures) == (1, 0)
    assert report.examinees == ("m1", "m2")


def test_accuracy_and_score_leave_parse_failures_out_and_average_over_samples(report):
    m1 = row(report, "m1").all
    # sample 0: 2 right of 3 readable = 66.67 %, points 9 of 15 = 60 %; sample 1: 2 of 4 = 50 %, 9 of 18 = 50 %
    assert m1.accuracy.value == pytest.approx((200 / 3 + 50) / 2)
    assert m1.accuracy.sd == pytest.approx((200 / 3 - 50) / 2 ** 0.5)
    assert (m1.accuracy.low, m1.accuracy.high, m1.accuracy.samples) == (pytest.approx(50), pytest.approx(200 / 3), 2)
    assert m1.score.value == pytest.approx(55)
    assert m1.score.sd == pytest.approx(10 / 2 ** 0.5)


def test_the_figures_that_count_parse_failures_as_wrong(report):
    m1 = row(report, "m1").all
    # sample 0: 2 right of 4 answered, 9 of 18 points; sample 1: the same
    assert (m1.accuracy_failures_wrong.value, m1.accuracy_failures_wrong.sd) == (pytest.approx(50), 0)
    assert m1.score_failures_wrong.value == pytest.approx(50)


def test_text_only_figures(report):
    m1 = row(report, "m1").text_only
    # text-only scorable: Q1 (4 points), Q3 (5 points); sample 0 both right, sample 1 both wrong
    assert (m1.accuracy.value, m1.score.value) == (pytest.approx(50), pytest.approx(50))
    assert m1.score.sd == pytest.approx(100 / 2 ** 0.5)


def test_the_score_is_normalised_by_the_scorable_points_not_by_100(report):
    small = row(report, "m1", SMALL).all
    # 53 scorable points; right on the 3-point question only: 3 / 53, while accuracy is 1 of 2
    assert (small.points, small.score.value, small.accuracy.value) == (53, pytest.approx(300 / 53), 50)
    assert row(report, "m1", SMALL).samples == 1
    assert small.score.sd is None  # one sample: no spread


def test_a_text_only_run_is_scored_on_what_it_answered_and_says_how_much_that_was(report):
    m2 = row(report, "m2")
    assert (m2.all.answered, m2.all.scorable) == (2, 4)
    assert (m2.all.accuracy.value, m2.all.score.value, m2.text_only.score.value) == (100, 100, 100)
    nothing = row(report, "m2", SMALL)
    assert (nothing.samples, nothing.all.score.value, nothing.all.answered) == (0, None, 0)


def test_an_unscorable_question_is_counted_and_never_scored(report):
    q4 = next(r for r in report.questions if r.question.key == (CHEM.exam, "Q4"))
    assert q4.by_examinee["m1"].answers == ((1,),) and q4.by_examinee["m1"].correct is None
    assert q4.by_examinee["m2"].correct is None
    assert row(report, "m2").all.questions == 5 and row(report, "m2").all.scorable == 4


def test_student_averages(report):
    assert CHEM.student_percent == pytest.approx(58.69)
    assert SMALL.student_percent == pytest.approx(50)  # 26.5 of 53
    m1 = row(report, "m1")
    # (0.8·4 + 0.4·6 + 0.3·5 + 0.6·3) / 18 = 8.9 / 18; text-only (3.2 + 1.5) / 9
    assert m1.all.students == pytest.approx(100 * 8.9 / 18)
    assert m1.text_only.students == pytest.approx(100 * 4.7 / 9)
    assert row(report, "m1", SMALL).all.students is None  # no correct rates there


def test_per_question_answers_and_correctness(report):
    by_key = {r.question.key: r for r in report.questions}
    q2 = by_key[(CHEM.exam, "Q2")]
    assert q2.by_examinee["m1"].answers == ((3, 5), (5, 3)) and q2.by_examinee["m1"].correct == 0.5
    assert "m2" not in q2.by_examinee
    q5 = by_key[(CHEM.exam, "Q5")].by_examinee["m1"]
    assert (q5.answers, q5.correct, q5.parse_failures) == ((None, (1,)), 1.0, 1)  # the failure is left out
    assert by_key[(CHEM.exam, "Q3")].students_common_wrong == ((4, 1),)


def test_how_often_a_wrong_answer_is_the_students_most_common_wrong_answer(report):
    m1 = next(t for t in report.tracking if t.examinee == "m1")
    # wrong readable answers on questions with a distribution: Q1 (1,) (not usual: (2,)), Q3 (1, 4) (usual)
    assert (m1.wrong, m1.common_wrong, m1.common_wrong_share) == (2, 1, 0.5)
    m2 = next(t for t in report.tracking if t.examinee == "m2")
    assert (m2.wrong, m2.common_wrong_share) == (0, None)


def test_tied_most_common_wrong_answers_all_count():
    question = Question("E", "Q1", (1,), points=1, student_answers=(((1,), 0.4), ((2,), 0.3), ((3,), 0.3)))
    report = exam_report([Exam("E")], [question], [Answer("E", "Q1", "m", (3,))])
    assert report.questions[0].students_common_wrong == ((2,), (3,))
    assert report.tracking[0].common_wrong == 1


def test_the_correlation_with_the_students_is_the_point_biserial_with_one_sample():
    rates = [0.9, 0.8, 0.75, 0.6, 0.5, 0.45, 0.3, 0.2]
    right = [1, 1, 0, 1, 0, 1, 0, 0]
    questions = [Question("E", f"Q{n}", (1,), points=3, student_correct_rate=rate) for n, rate in enumerate(rates)]
    given = [Answer("E", f"Q{n}", "m", (1,) if ok else (2,)) for n, ok in enumerate(right)]
    tracking = exam_report([Exam("E")], questions, given).tracking[0]
    reference = stats.pointbiserialr(right, rates)
    assert tracking.n == 8
    assert tracking.correlation == pytest.approx(reference.statistic)
    assert tracking.p_value == pytest.approx(reference.pvalue)


def test_parse_failures_and_unscorable_questions_are_left_out_of_the_correlation():
    questions = [Question("E", "Q1", (1,), points=1, student_correct_rate=0.9),
                 Question("E", "Q2", (1,), points=1, student_correct_rate=0.1),
                 Question("E", "Q3", (), student_correct_rate=0.5),
                 Question("E", "Q4", (1,), points=1, student_correct_rate=0.5)]
    given = [Answer("E", "Q1", "m", (1,)), Answer("E", "Q2", "m", (2,)), Answer("E", "Q3", "m", (1,)),
             Answer("E", "Q4", "m", None)]
    tracking = exam_report([Exam("E")], questions, given).tracking[0]
    assert (tracking.correlation, tracking.n) == (None, 2)
    assert tracking.reason == "fewer than 3 questions (2): a correlation needs at least 3"


def test_no_correlation_without_variation():
    assert correlation_with_p([1, 1, 1], [0.2, 0.5, 0.9])[2] == (
        "the examinee's marks are all the same: the correlation is undefined")
    assert correlation_with_p([1, 0, 1], [0.5, 0.5, 0.5]) == (
        None, None, "the students' correct rates are all the same: the correlation is undefined")
    r, p, _ = correlation_with_p([0, 1, 1], [0.1, 0.5, 0.5])
    assert r == pytest.approx(1.0) and p == 0.0


def test_text_only_reports_drop_the_questions_that_need_a_figure(report):
    text_only = exam_report([CHEM, SMALL], QUESTIONS, ANSWERS, text_only=True)
    assert [r.question.question_id for r in text_only.questions if r.question.exam == CHEM.exam] == ["Q1", "Q3", "Q4"]
    m1 = row(text_only, "m1")
    assert m1.all == m1.text_only == row(report, "m1").text_only
    assert m1.all.parse_failures == 0  # the failure was on Q5, which needs a figure


def test_the_working_group_table(report):
    table = working_group_table(report)
    assert [(line.subject, line.year, line.questions, line.text_only_questions, line.student_average)
            for line in table] == [("Chemistry", "1993", 5, 3, pytest.approx(58.69)),
                                   ("Physics", "2009", 3, 2, pytest.approx(50))]
    chem = table[0]
    assert [(name, every.score.value, text.score.value) for name, every, text in chem.scores] == [
        ("m1", pytest.approx(55), pytest.approx(50)), ("m2", 100, 100)]


def test_bad_answers_are_refused():
    with pytest.raises(ValueError, match="unknown question"):
        exam_report([CHEM], QUESTIONS, [Answer(CHEM.exam, "Q9", "m", (1,))])
    with pytest.raises(ValueError, match="twice"):
        exam_report([CHEM], QUESTIONS, [Answer(CHEM.exam, "Q1", "m", (1,)), Answer(CHEM.exam, "Q1", "m", (2,))])


def test_measure():
    assert measure([]).value is None and measure([None]).value is None
    assert measure([40.0]) == measure([40.0, None])
    spread = measure([40.0, 50.0, 60.0])
    assert (spread.value, spread.sd, spread.low, spread.high, spread.samples) == (50, 10, 40, 60, 3)


def test_exam_marks_are_what_the_accuracy_counts_per_question_and_sample(report):
    marks = exam_marks(QUESTIONS, ANSWERS, examinees=["m1", "m2"])
    # Scorable questions only (Q4 has no correct answer), each sample apart, a parse failure None.
    assert marks[("m1", CHEM.exam)] == {("Q1", 0): True, ("Q1", 1): False, ("Q2", 0): False, ("Q2", 1): True,
                                        ("Q3", 0): True, ("Q3", 1): False, ("Q5", 0): None, ("Q5", 1): True}
    assert marks[("m1", SMALL.exam)] == {("Q1", 0): False, ("Q2", 0): True}
    assert marks[("m2", CHEM.exam)] == {("Q1", 0): True, ("Q3", 0): True}  # unanswered questions have none
    # The report's accuracy of sample 0 is right / readable of these: 2 of 3; with failures wrong 2 of 4.
    sample = [mark for (_, number), mark in marks[("m1", CHEM.exam)].items() if number == 0]
    assert sum(mark is True for mark in sample) / sum(mark is not None for mark in sample) == pytest.approx(2 / 3)
    assert row(report, "m1").all.accuracy.high == pytest.approx(100 * 2 / 3)  # sample 0's, the better one
