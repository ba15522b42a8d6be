"""The exam report as JSON, as the command's text and as the page's parts, from the pure figures (no database)."""

import json
import re
from types import SimpleNamespace

import pytest
from django.template.loader import render_to_string
from django.utils import translation

from annotation.exam_answers import ORDERED, UNORDERED
from annotation.exam_figures import Answer, Exam, Question, correlation_with_p
from exports.reports.exam import exam_report_json
from exports.reports.exam_page import exam_page
from exports.reports.reasons import translated_reason
from exports.reports.text import exam_report_text, json_text

CIRCLED = ("①", "②", "③", "④", "⑤")
CHEM = Exam("Center-1993--Main-Kagaku", "Chemistry", "1993", student_average=58.69)
PHYS = Exam("Center-2009--Main-ButsuriI", "Physics", "2009", student_average=26.5, scale=53)
QUESTIONS = (
    Question(CHEM.exam, "Q1", (3,), points=4, student_correct_rate=0.8, choice_labels=CIRCLED,
             student_answers=(((3,), 0.8), ((2,), 0.2))),
    Question(CHEM.exam, "Q2", (5, 3), ORDERED, points=6, needs_figure=True, choice_labels=CIRCLED),
    Question(CHEM.exam, "Q3", (2, 4), UNORDERED, points=5, choice_labels=CIRCLED),
    Question(CHEM.exam, "Q4", (), choice_labels=CIRCLED),
    Question(PHYS.exam, "Q1", (1,), points=50, choice_labels=("ア", "イ")),
    Question(PHYS.exam, "Q2", (2,), points=3, choice_labels=("ア", "イ")),
)
ANSWERS = (
    Answer(CHEM.exam, "Q1", "llm-jp-13b", (2,)), Answer(CHEM.exam, "Q2", "llm-jp-13b", (5, 3)),
    Answer(CHEM.exam, "Q3", "llm-jp-13b", (4, 2)), Answer(CHEM.exam, "Q4", "llm-jp-13b", None),
    Answer(PHYS.exam, "Q1", "llm-jp-13b", (2,)), Answer(PHYS.exam, "Q2", "llm-jp-13b", (2,)),
    Answer(CHEM.exam, "Q1", "humans", (3,), 0), Answer(CHEM.exam, "Q1", "humans", (3,), 1),
    Answer(CHEM.exam, "Q3", "humans", None, 0),
)
KINDS = {"llm-jp-13b": "model", "humans": "humans"}
CAMPAIGN = SimpleNamespace(name="Chemistry exams", slug="chem", get_absolute_url="/campaigns/chem/")


@pytest.fixture
def report():
    return exam_report_json("chem", [CHEM, PHYS], QUESTIONS, ANSWERS, examinee_kinds=KINDS)


def test_meta_counts_and_examinees(report):
    meta = report["meta"]
    assert (meta["n_exams"], meta["n_questions"], meta["n_scorable"], meta["n_text_only"]) == (2, 6, 5, 5)
    assert meta["examinees"] == [{"name": "llm-jp-13b", "kind": "model", "samples": 1},
                                 {"name": "humans", "kind": "humans", "samples": 2}]
    assert meta["reason"] is None


def test_the_report_is_plain_json(report):
    assert json.loads(json_text(report)) == report


def test_exam_figures(report):
    chem = report["exams"][0]
    assert (chem["questions"], chem["scorable"], chem["points"], chem["student_percent"]) == (4, 3, 15, 58.69)
    model = chem["examinees"][0]
    # Q1 wrong (4 points), Q2 right (6), Q3 right (5); Q4 unscorable: 11 of 15 points, 2 of 3
    assert model["all"]["score"]["value"] == pytest.approx(100 * 11 / 15)
    assert model["all"]["accuracy"]["value"] == pytest.approx(200 / 3)
    # text-only: Q1 (4 points) wrong, Q3 (5 points) right
    assert model["text_only"]["score"]["value"] == pytest.approx(100 * 5 / 9)
    phys = report["exams"][1]
    assert phys["examinees"][0]["all"]["score"]["value"] == pytest.approx(300 / 53)
    assert phys["student_percent"] == pytest.approx(50)


def test_questions_show_answers_with_the_choices_labels(report):
    by_id = {(q["exam"], q["question_id"]): q for q in report["questions"]}
    q2 = by_id[(CHEM.exam, "Q2")]
    assert (q2["correct"], q2["form"], q2["answers"]["llm-jp-13b"]["answers"]) == ("⑤, ③", "ordered", ["⑤, ③"])
    assert by_id[(CHEM.exam, "Q3")]["correct"] == "② / ④"
    q4 = by_id[(CHEM.exam, "Q4")]
    assert (q4["correct"], q4["scorable"], q4["answers"]["llm-jp-13b"]) == (
        None, False, {"answers": [None], "correct": None, "parse_failures": 1})
    assert by_id[(PHYS.exam, "Q1")]["answers"]["llm-jp-13b"]["answers"] == ["イ"]
    assert by_id[(CHEM.exam, "Q1")]["students_common_wrong"] == ["②"]
    assert by_id[(CHEM.exam, "Q1")]["answers"]["humans"] == {"answers": ["③", "③"], "correct": 1.0,
                                                            "parse_failures": 0}


def test_the_working_group_table(report):
    first = report["table"][0]
    assert (first["subject"], first["year"], first["questions"], first["text_only_questions"]) == (
        "Chemistry", "1993", 4, 3)
    assert first["scores"]["llm-jp-13b"]["score"]["value"] == pytest.approx(100 * 11 / 15)
    assert first["student_average"] == pytest.approx(58.69)


def test_text_only(report):
    text_only = exam_report_json("chem", [CHEM, PHYS], QUESTIONS, ANSWERS, examinee_kinds=KINDS, text_only=True)
    assert text_only["meta"]["text_only"] is True
    assert [q["question_id"] for q in text_only["questions"] if q["exam"] == CHEM.exam] == ["Q1", "Q3", "Q4"]
    assert text_only["exams"][0]["examinees"][0]["all"] == report["exams"][0]["examinees"][0]["text_only"]


def test_nothing_to_report_says_why():
    empty = exam_report_json("empty", [], [], [], examinee_kinds={})
    assert empty["meta"]["reason"] == "campaign empty has no exam questions yet"
    unanswered = exam_report_json("new", [CHEM], QUESTIONS[:4], [], examinee_kinds={})
    assert "no answers yet" in unanswered["meta"]["reason"]


def test_the_command_text(report):
    text = exam_report_text(report)
    lines = text.splitlines()
    header = next(line for line in lines if line.startswith("subject"))
    assert "questions (text-only)" in header and "llm-jp-13b" in header and header.rstrip().endswith("students")
    chem = next(line for line in lines if line.startswith("Chemistry"))
    # 11/15 = 73.33 %, text-only 5/9 = 55.56 %; the students 58.69
    assert "4 (3)" in chem and "73.33 (55.56)" in chem and chem.endswith("58.69")
    assert "5.66 (5.66)" in next(line for line in lines if line.startswith("Physics"))
    assert "Center-2009--Main-ButsuriI: 2 questions, 2 scorable (53 points), 2 text-only" in text
    assert any(line.startswith("humans:") and "n/a" in line for line in lines)


def test_the_page_parts_and_chart(report):
    with translation.override("en"):
        page = exam_page(CAMPAIGN, report)
    assert page.examinees == [("llm-jp-13b", "llm-jp-13b"), ("humans", "people (the annotators)")]
    assert [cell["score"]["value"] if cell else None for cell in page.table[1]["cells"]] == [
        pytest.approx(300 / 53), None]
    chart = page.score_charts[0]
    assert chart.startswith("<svg") and "students" in chart and "llm-jp-13b" in chart
    # the students' average and the model's score as points on the 0–100 scale
    assert 'data-value="58.69"' in chart and 'data-value="73.3333"' in chart
    assert len(page.text_only_charts) == 1


def test_one_chart_per_three_examinees():
    answers = [Answer(CHEM.exam, "Q1", f"model-{n}", (3,)) for n in range(4)]
    report = exam_report_json("chem", [CHEM], QUESTIONS[:4], answers,
                              examinee_kinds={f"model-{n}": "model" for n in range(4)})
    assert len(exam_page(CAMPAIGN, report).score_charts) == 2


def test_the_page_renders_the_working_group_table(report):
    with translation.override("en"):
        html = render_to_string("exports/report_exam.html",
                                {"campaign": CAMPAIGN, "report": exam_page(CAMPAIGN, report)})
    table = html[html.index('data-table="exam-scores"'):html.index("</table>", html.index('data-table="exam-scores"'))]
    assert 'data-exam="Center-1993--Main-Kagaku"' in table and "Chemistry" in table and "4 (3)" in table
    assert 'data-value="73.333333"' in table and "58.69" in table
    assert 'data-table="exam-questions"' in html and "⑤, ③" in html and "✗" in html
    assert "unscorable" in html


# A text-only run: the model answers Chemistry's text-only questions (Q1, Q3; Q2 needs a figure) and Physics' two,
# one of them unreadably. Every score it gets is right, and covers part of its exam only.
TEXT_RUN = (Answer(CHEM.exam, "Q1", "text-run", (3,)), Answer(CHEM.exam, "Q3", "text-run", (2, 4)),
            Answer(PHYS.exam, "Q1", "text-run", None), Answer(PHYS.exam, "Q2", "text-run", (2,)))


def test_a_score_over_part_of_an_exam_is_marked_with_what_it_covers():
    report = exam_report_json("chem", [CHEM, PHYS], QUESTIONS, TEXT_RUN, examinee_kinds={"text-run": "model"})
    chem, phys = (row["scores"]["text-run"] for row in report["table"])
    assert chem["score"]["value"] == 100 and chem["coverage"] == {
        "scored": 2, "scored_most": 2, "scorable": 3, "complete": False}
    assert chem["text_only_coverage"]["complete"] is True  # Q1 and Q3: every text-only question
    assert phys["coverage"] == phys["text_only_coverage"] == {"scored": 1, "scored_most": 1, "scorable": 2,
                                                              "complete": False}
    standing = report["exams"][0]["examinees"][0]["all"]
    assert (standing["answered"], standing["scored_least"], standing["complete"]) == (2, 2, False)

    text = exam_report_text(report)
    assert "100.00 [answered 2 of 3] (100.00)" in text
    assert "100.00 [answered 1 of 2] (100.00 [answered 1 of 2])" in text
    assert "a score over x of the y scorable questions only" in text

    with translation.override("en"):
        html = render_to_string("exports/report_exam.html", {"campaign": CAMPAIGN, "report": exam_page(CAMPAIGN, report)})
    table = html[html.index('data-table="exam-scores"'):html.index("</table>", html.index('data-table="exam-scores"'))]
    assert '<span class="partial partial--line" data-coverage>answered 2 of 3</span>' in table
    assert '<span class="partial partial--line" data-coverage="text-only">(answered 1 of 2)</span>' in table
    assert "Some scores cover part of an exam only" in html  # the notice at the top
    assert "A score divides by the points of the questions the examinee answered readably, not by the exam" in html
    examinees = html[html.index('data-table="exam-examinees"'):]
    assert re.search(r'data-stat="scored">2 / 3 <span class="partial" data-coverage>partial</span>', examinees)
    with translation.override("ja"):
        japanese = render_to_string("exports/report_exam.html",
                                    {"campaign": CAMPAIGN, "report": exam_page(CAMPAIGN, report)})
    assert "3 問中 2 問に解答" in japanese


def test_a_complete_score_carries_no_mark(report):
    assert report["table"][0]["scores"]["llm-jp-13b"]["coverage"]["complete"] is True
    assert "answered" not in next(line for line in exam_report_text(report).splitlines()
                                  if line.startswith("Chemistry")).split("73.33")[1].split("(")[0]


@pytest.mark.parametrize("reason", [
    correlation_with_p([1, 0], [0.5, 0.2])[2],
    correlation_with_p([1, 1, 1], [0.2, 0.5, 0.9])[2],
    correlation_with_p([1, 0, 1], [0.5, 0.5, 0.5])[2],
    exam_report_json("chem-1", [], [], [], examinee_kinds={})["meta"]["reason"],
    exam_report_json("chem-1", [CHEM], QUESTIONS[:1], [], examinee_kinds={})["meta"]["reason"],
])
def test_every_reason_of_the_exam_report_is_said_in_japanese(reason):
    with translation.override("ja"):
        said = translated_reason(reason)
    assert not said.isascii(), f"no Japanese for {reason!r}"
    assert all(part in said for part in re.findall(r"\d+|chem-1", reason))


def test_the_page_in_japanese(report):
    with translation.override("ja"):
        html = render_to_string("exports/report_exam.html", {"campaign": CAMPAIGN,
                                                             "report": exam_page(CAMPAIGN, report)})
    assert "科目" in html and "問題数（図なし）" in html and "受験生の平均" in html and "人（アノテーター）" in html
