"""import_exam and import_exam_stats: both source layouts, figures, FILE:LINE errors, all or nothing."""

import json
import os
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.core.management.base import CommandError

from annotation.exam_selectors import exam_inputs
from annotation.models import Campaign, Exam, ExamQuestion, Item, Prompt
from tests.annotation.exam_factories import (
    PNG, center_exam, center_question, gakucho_question, write_center_exam, write_json_array, write_jsonl,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def figure_dir(settings, tmp_path):
    settings.HYOKA_EXAM_FIGURES_DIR = tmp_path / "figures"
    return settings.HYOKA_EXAM_FIGURES_DIR


@pytest.fixture(autouse=True)
def committed(django_capture_on_commit_callbacks, monkeypatch):
    """Each import's on-commit work (moving its figures in) runs when the command returns, as it would outside
    the test's transaction."""
    command = call_command

    def call_and_commit(*args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return command(*args, **kwargs)

    monkeypatch.setitem(globals(), "call_command", call_and_commit)


@pytest.fixture
def source(tmp_path):
    folder = tmp_path / "source"
    folder.mkdir()
    return folder


def questions(slug="chem"):
    return {question.question_id: question for question in
            ExamQuestion.objects.filter(exam__campaign__slug=slug).select_related("exam", "prompt", "item")}


def test_the_center_layout_makes_an_exam_campaign_with_every_question_kept(source, figure_dir, capsys):
    path = write_center_exam(source)
    call_command("import_exam", path, "--campaign", "chem")

    campaign = Campaign.objects.get(slug="chem")
    assert campaign.rubric.kind == "exam"
    exam = Exam.objects.get(campaign=campaign)
    assert (exam.key, exam.subject, exam.year, exam.source) == (
        "Center-2001--Main-Test", "KagakuIB(main exam)", 2001, "Test Center")
    found = questions()
    assert [found[key].correct_answer for key in ("Q1", "Q2", "Q3", "Q4")] == [[1], [3, 1], [2, 4], []]
    assert [found[key].answer_form for key in ("Q1", "Q2", "Q3")] == ["single", "ordered", "unordered"]
    assert [found[key].points for key in ("Q1", "Q2", "Q3", "Q4")] == [3, 4, 4, None]
    assert not found["Q4"].is_scorable
    assert found["Q1"].choices == ["①H2O", "②CO2", "③H2O2", "④O2"]
    assert found["Q1"].text.startswith("水の化学式")
    assert found["Q1"].knowledge_codes == ["KS", "DM_C1"] and found["Q1"].label == "問1"
    assert (found["Q3"].needs_figure, found["Q3"].figures) == (True, ["Center-2001--Main-Test-001.png"])
    assert (figure_dir / "chem" / "Center-2001--Main-Test-001.png").read_bytes() == PNG
    # Each question is an item of the campaign, tied to its prompt, in the file's order.
    assert Item.objects.filter(campaign=campaign).count() == 4
    assert [found[key].item.position for key in ("Q1", "Q2", "Q3", "Q4")] == [1, 2, 3, 4]
    assert [found[key].position for key in ("Q1", "Q2", "Q3", "Q4")] == [1, 2, 3, 4]  # their order in the exam
    assert found["Q1"].item.response.prompt == found["Q1"].prompt
    assert "created 1 exams, 4 questions, 1 questions without a correct answer (unscorable)" in capsys.readouterr().out


def test_importing_again_changes_nothing_and_keeps_a_form_set_since(source, capsys):
    path = write_center_exam(source)
    call_command("import_exam", path, "--campaign", "chem")
    ExamQuestion.objects.filter(question_id="Q2").update(answer_form="unordered")
    call_command("import_exam", path, "--campaign", "chem")

    assert "created nothing new; 4 already present" in capsys.readouterr().out
    assert ExamQuestion.objects.count() == 4 and Prompt.objects.filter(source="Test Center").count() == 4
    assert questions()["Q2"].answer_form == "unordered"


def test_the_answer_form_follows_the_question_where_it_says_the_order_does_not_matter(tmp_path):
    """Commas are blanks in order unless the question says 「解答の順序は問わない」 or 「順不同」; bars are a set."""
    path = write_json_array(tmp_path / "Center-2005--Main-Test.json", [
        center_question("Q1", "誤っているものを，次の①～⑥のうちから二つ選べ。ただし，解答の順序は問わない。",
                        ["①a", "②b", "③c", "④d", "⑤e", "⑥f"], "2,3"),
        center_question("Q2", "空欄ア・イに入るものを，次の①～⑤のうちから一つずつ選べ。", ["①a", "②b", "③c", "④d", "⑤e"],
                        "5,3"),
        center_question("Q3", "正しいものを二つ選べ。", ["①a", "②b", "③c"], "1|3"),
        center_question("Q4", "二つ選べ。ただし，解答の順序は問わない。", ["①a", "②b", "③c"], "1,3",
                        answer_form="ordered"),  # the record's own form wins
    ])
    gakucho = write_jsonl(tmp_path / "gakucho.jsonl", [
        gakucho_question("2-1", sub_text="正しいものを二つ選びなさい（順不同）。", correct_answer="イ,エ",
                         correct_answer_choice_id="choice2,choice4", distribution=[]),
    ])
    call_command("import_exam", path, gakucho, "--campaign", "chem")

    found = questions()
    assert [found[key].answer_form for key in ("Q1", "Q2", "Q3", "Q4", "2-1")] == [
        "unordered", "ordered", "unordered", "ordered", "unordered"]
    assert (found["Q1"].correct_answer, found["2-1"].correct_answer) == ([2, 3], [2, 4])


SET_WRITTEN_WITH_A_COMMA = center_question(  # as 2005 Biology Q24: 「二つ選べ。ただし，解答の順序は問わない」, "2,3"
    "Q24", "誤っているものを，次の①～⑥のうちから二つ選べ。ただし，解答の順序は問わない。",
    ["①a", "②b", "③c", "④d", "⑤e", "⑥f"], "2,3")


def test_importing_again_warns_of_a_question_kept_in_another_form_than_its_wording_says(tmp_path, capsys):
    """A question imported before its wording was read keeps its form (blanks in order, marking "3, 2" wrong);
    importing its file again says so, naming the question and how to settle it, and changes nothing."""
    path = write_json_array(tmp_path / "Center-2005--Main-SeibutsuIB.json", [SET_WRITTEN_WITH_A_COMMA])
    call_command("import_exam", path, "--campaign", "bio")
    assert "Warning" not in capsys.readouterr().out
    ExamQuestion.objects.filter(question_id="Q24").update(answer_form="ordered")  # as the earlier import stored it

    call_command("import_exam", path, "--campaign", "bio")

    out = capsys.readouterr().out
    assert "created nothing new; 1 already present\nWarning: question Q24 of exam Center-2005--Main-SeibutsuIB is " \
           "kept as ordered, but its wording implies unordered, and answers are scored as ordered. If unordered is " \
           "right, set the question's answer form in the admin (Exam questions); if ordered is, give " \
           "\"answer_form\": \"ordered\" in its record." in out
    assert questions("bio")["Q24"].answer_form == "ordered"
    # The record that states the stored form is not warned of.
    stated = write_json_array(tmp_path / "Center-2005--Main-SeibutsuIB.json",
                              [{**SET_WRITTEN_WITH_A_COMMA, "answer_form": "ordered"}])
    call_command("import_exam", stated, "--campaign", "bio")
    assert "Warning" not in capsys.readouterr().out


def test_the_gakucho_layout_reads_labels_and_the_students_answers(tmp_path):
    path = write_jsonl(tmp_path / "gakucho.jsonl", [
        gakucho_question("1-1"),
        gakucho_question("1-2", answer_label="エ", main_image_files=["1-2.png"]),
    ])
    (tmp_path / "1-2.png").write_bytes(PNG)
    call_command("import_exam", path, "--campaign", "gakucho")

    exam = Exam.objects.get(campaign__slug="gakucho")
    assert (exam.key, exam.subject, exam.year) == ("理科-2019", "理科", 2019)
    found = questions("gakucho")
    first = found["1-1"]
    assert first.text == "次の文を読んで答えなさい。\n\n正しいものを一つ選びなさい。"
    assert (first.choice_labels, first.correct_answer, first.points) == (["ア", "イ", "ウ", "エ"], [2], None)
    assert first.student_correct_rate == pytest.approx(0.61)
    assert first.student_answers[0] == {"answer": "ア", "choice": 1, "share": 0.205, "correct": False}
    assert first.student_answers[-2:] == [
        {"answer": "上記以外の解答", "choice": None, "share": 0.015, "correct": False},
        {"answer": "無解答", "choice": None, "share": 0.01, "correct": False}]
    assert (found["1-2"].correct_answer, found["1-2"].needs_figure, first.needs_figure) == ([4], True, False)


@pytest.mark.parametrize("bad, message", [
    ({"correct_answer": "7"}, "correct_answer: 7 is not a choice of this question (1–5)"),
    ({"correct_answer": "2|2"}, "correct_answer: '2|2' names a choice twice"),
    ({"choices": {"choice1": "a", "choice3": "c"}}, "choices: expected choice1 to choiceN"),
    ({"need_image": "maybe"}, "need_image: expected \"yes\" or \"no\""),
    ({"score": "three"}, "score: expected the question's points"),
    ({"answer_form": "any"}, "answer_form: 'any' is not one of single, ordered, unordered"),
    ({"correct_answer": "1,3", "answer_form": "single"},
     "answer_form: single does not fit a correct answer of 2 choices"),
    ({"image_files": ["missing.png"]}, "image_files: figure missing.png is not in"),
    ({"image_files": ["../secret.png"]}, "image_files: '../secret.png' is not a plain file name"),
    ({"image_files": ["notes.txt"]}, "image_files: notes.txt is not an image file name"),
    ({"image_files": ["fake.png"]}, "image_files: fake.png is not a PNG image"),
])
def test_a_bad_record_is_named_by_file_and_line_and_nothing_is_written(source, figure_dir, bad, message):
    (source / "fake.png").write_text("not an image")
    (source / "Center-2001--Main-Test-001.png").write_bytes(PNG)
    records = center_exam()
    records[2] = {**records[2], **bad}
    path = write_json_array(source / "Center-2001--Main-Test.json", records)
    line = next(number for number, text in enumerate(Path(path).read_text().splitlines(), start=1)
                if '"question_id": "Q3"' in text) - 4  # the record's opening brace: then source, subject, year, the id

    with pytest.raises(CommandError) as raised:
        call_command("import_exam", path, "--campaign", "chem")

    assert str(raised.value).startswith(f"{path}:{line}: ")
    assert message in str(raised.value)
    assert not Campaign.objects.filter(slug="chem").exists()
    assert not ExamQuestion.objects.exists() and not Prompt.objects.exists()
    assert not (figure_dir / "chem").exists()


@pytest.mark.parametrize("bad, message", [
    ({"choices_labels": ["ア", "イ", "イ", "エ"]}, "gakucho.jsonl:2: choices_labels: labels must be distinct"),
    ({"correct_answer": "ウ", "correct_answer_choice_id": "choice2"},
     "gakucho.jsonl:2: correct_answer: 'ウ' (choice 3) disagrees with correct_answer_choice_id 'choice2'"),
])
def test_a_bad_gakucho_record_is_named_by_file_and_line_and_nothing_is_written(tmp_path, bad, message):
    path = write_jsonl(tmp_path / "gakucho.jsonl", [gakucho_question("1-1"), gakucho_question("1-2", **bad)])
    with pytest.raises(CommandError) as raised:
        call_command("import_exam", path, "--campaign", "gakucho")
    assert message in str(raised.value)
    assert not ExamQuestion.objects.exists()


def test_a_second_file_that_fails_leaves_the_first_one_unwritten_too(source, figure_dir):
    good = write_center_exam(source)
    bad = write_jsonl(source / "bad.jsonl", [gakucho_question("1-1", correct_answer_choice_id="choice9")])

    with pytest.raises(CommandError, match=r"bad.jsonl:1: correct_answer_choice_id: 9 is not a choice"):
        call_command("import_exam", good, bad, "--campaign", "chem")
    assert not ExamQuestion.objects.exists()
    assert not (figure_dir / "chem").exists()
    assert not [path for path in figure_dir.parent.iterdir() if path.name.startswith(".staging")] if \
        figure_dir.parent.exists() else True


def test_a_changed_question_or_a_changed_figure_is_refused(source):
    path = write_center_exam(source)
    call_command("import_exam", path, "--campaign", "chem")
    records = center_exam()
    records[0]["correct_answer"] = "2"
    write_json_array(Path(path), records)
    with pytest.raises(CommandError, match="correct_answer: question Q1 of exam Center-2001--Main-Test is stored "
                                           "with another correct_answer"):
        call_command("import_exam", path, "--campaign", "chem")

    write_center_exam(source)
    (source / "Center-2001--Main-Test-001.png").write_bytes(PNG + b"changed")
    with pytest.raises(CommandError, match="figure Center-2001--Main-Test-001.png differs from the campaign's"):
        call_command("import_exam", path, "--campaign", "chem")
    call_command("import_exam", path, "--campaign", "chem-2")  # another campaign has a folder of its own


def test_figures_come_from_the_images_folder_when_given(tmp_path, figure_dir):
    images = tmp_path / "images"
    images.mkdir()
    (images / "Center-2001--Main-Test-001.png").write_bytes(PNG)
    path = write_json_array(tmp_path / "Center-2001--Main-Test.json", center_exam())
    call_command("import_exam", path, "--campaign", "chem", "--images", str(images))
    assert (figure_dir / "chem" / "Center-2001--Main-Test-001.png").exists()


def test_exam_questions_need_an_exam_campaign(source, campaign):
    path = write_center_exam(source)
    with pytest.raises(CommandError, match="campaign jp-quality uses the likert rubric quality-5x5; exam questions"):
        call_command("import_exam", path, "--campaign", campaign.slug)


def test_student_statistics_are_read_per_exam_and_question(source, tmp_path, capsys):
    call_command("import_exam", write_center_exam(source), "--campaign", "chem")
    stats = write_jsonl(tmp_path / "stats.jsonl", [
        {"exam": "Center-2001--Main-Test", "student_average": 41.5, "scale": 53},
        {"exam": "Center-2001--Main-Test", "question_id": "Q2", "correct_rate": 0.38},
    ])
    call_command("import_exam_stats", stats, "--campaign", "chem")

    exam = Exam.objects.get(key="Center-2001--Main-Test")
    assert (exam.student_average, exam.scale) == (41.5, 53)
    assert questions()["Q2"].student_correct_rate == 0.38
    assert "created 1 exam averages, 1 question correct rates" in capsys.readouterr().out


def test_importing_again_after_the_students_results_keeps_them_and_may_record_the_license(source, tmp_path):
    """The center layout carries no students' results: importing its files again (to record the source's license,
    say) neither refuses the question for the correct rate import_exam_stats gave it nor drops that rate."""
    path = write_center_exam(source)
    call_command("import_exam", path, "--campaign", "chem")
    call_command("import_exam_stats", write_jsonl(tmp_path / "stats.jsonl", [
        {"exam": "Center-2001--Main-Test", "question_id": "Q2", "correct_rate": 0.38}]), "--campaign", "chem")

    call_command("import_exam", path, "--campaign", "chem", "--license", "cc-by-nc-4.0")

    assert questions()["Q2"].student_correct_rate == 0.38
    assert Exam.objects.get().license == "cc-by-nc-4.0"


@pytest.mark.parametrize("record, message", [
    ({"exam": "Center-1999", "student_average": 50}, "stats.jsonl:2: exam: the campaign has no exam 'Center-1999'"),
    ({"exam": "Center-2001--Main-Test", "question_id": "Q2", "correct_rate": 38},
     "stats.jsonl:2: correct_rate: 38.0 is not a share between 0 and 1 (55% is 0.55)"),
    ({"exam": "Center-2001--Main-Test", "question_id": "Q9", "correct_rate": 0.5},
     "stats.jsonl:2: question_id: exam Center-2001--Main-Test has no question 'Q9'"),
    ({"exam": "Center-2001--Main-Test", "student_average": 120},
     "stats.jsonl:2: student_average: 120 is not on the exam's scale (0–100"),
    ({"exam": "Center-2001--Main-Test", "question_id": "Q1", "correct_rate": 0.5,
      "answer_distribution": [{"type_id": 1, "answer_type": "①", "response_rate_percent": 70, "correct": True}]},
     "stats.jsonl:2: correct_rate: 0.5 disagrees with the answer distribution's correct share 0.7"),
    ({"exam": "Center-2001--Main-Test", "question_id": "Q1"}, "stats.jsonl:2: correct_rate: is required"),
])
def test_bad_student_statistics_write_nothing(source, tmp_path, record, message):
    call_command("import_exam", write_center_exam(source), "--campaign", "chem")
    stats = write_jsonl(tmp_path / "stats.jsonl", [{"exam": "Center-2001--Main-Test", "student_average": 60}, record])
    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(")", r"\)")):
        call_command("import_exam_stats", stats, "--campaign", "chem")
    assert Exam.objects.get().student_average is None


def test_gakucho_questions_keep_their_order_across_files_of_one_exam(tmp_path):
    first = write_jsonl(tmp_path / "first.jsonl", [gakucho_question("2-1"), gakucho_question("1-1")])
    later = write_jsonl(tmp_path / "later.jsonl", [gakucho_question("3-1")])
    call_command("import_exam", first, "--campaign", "gakucho")
    call_command("import_exam", later, "--campaign", "gakucho")
    assert list(ExamQuestion.objects.order_by("position").values_list("question_id", "position")) == [
        ("2-1", 1), ("1-1", 2), ("3-1", 3)]


def test_a_gakucho_set_given_twice_agrees_in_any_order_and_blanks_in_order_only(tmp_path):
    """A set's correct_answer and correct_answer_choice_id may list its choices in another order; blanks may not."""
    in_any_order = write_jsonl(tmp_path / "set.jsonl", [
        gakucho_question("2-1", sub_text="正しいものを二つ選びなさい（順不同）。", correct_answer="エ,イ",
                         correct_answer_choice_id="choice2,choice4", distribution=[]),
        gakucho_question("2-2", sub_text="正しいものを二つ選びなさい。", correct_answer="エ,イ",
                         correct_answer_choice_id="choice2,choice4", answer_form="unordered", distribution=[])])
    call_command("import_exam", in_any_order, "--campaign", "gakucho")
    found = questions("gakucho")
    assert [(found[key].answer_form, sorted(found[key].correct_answer)) for key in ("2-1", "2-2")] == [
        ("unordered", [2, 4]), ("unordered", [2, 4])]

    in_order = write_jsonl(tmp_path / "blanks.jsonl", [
        gakucho_question("2-3", sub_text="空欄A、Bに入るものを選びなさい。", correct_answer="エ,イ",
                         correct_answer_choice_id="choice2,choice4", distribution=[])])
    with pytest.raises(CommandError, match=r"blanks.jsonl:1: correct_answer: 'エ,イ' \(choice 4, 2\) disagrees with "
                                           r"correct_answer_choice_id 'choice2,choice4'"):
        call_command("import_exam", in_order, "--campaign", "gakucho")


def test_the_students_answer_distribution_is_read_per_question_by_the_questions_labels(source, tmp_path, capsys):
    """The same rows as the gakucho layout's answer_distribution, naming choices as the question does (①, or
    its number) or no choice at all; the correct rate is the correct rows' share."""
    call_command("import_exam", write_center_exam(source), "--campaign", "chem")
    stats = write_jsonl(tmp_path / "stats.jsonl", [{"exam": "Center-2001--Main-Test", "question_id": "Q1",
                                                    "answer_distribution": [
        {"type_id": 1, "answer_type": "①", "response_rate_percent": 70, "correct": True},
        {"type_id": 3, "answer_type": "3", "response_rate_percent": 20, "correct": False},
        {"type_id": 0, "answer_type": "無解答", "response_rate_percent": 10, "correct": False}]}])
    call_command("import_exam_stats", stats, "--campaign", "chem")

    q1 = questions()["Q1"]
    assert q1.student_correct_rate == pytest.approx(0.7)
    assert [(found["answer"], found["choice"], found["share"]) for found in q1.student_answers] == [
        ("①", 1, 0.7), ("3", 3, 0.2), ("無解答", None, 0.1)]
    assert "1 question answer distributions, 1 question correct rates" in capsys.readouterr().out
    (first,) = [question for question in exam_inputs(q1.exam.campaign).questions if question.question_id == "Q1"]
    assert first.student_answers == (((1,), 0.7), ((3,), 0.2))  # what the report's common wrong answer reads


def test_an_average_left_without_its_scale_is_on_the_exams_stored_scale(source, tmp_path):
    call_command("import_exam", write_center_exam(source), "--campaign", "chem")
    exam = "Center-2001--Main-Test"
    call_command("import_exam_stats", write_jsonl(tmp_path / "a.jsonl", [
        {"exam": exam, "student_average": 150, "scale": 200}, {"exam": exam, "student_average": 160}]),
        "--campaign", "chem")
    assert (Exam.objects.get().student_average, Exam.objects.get().scale) == (160, 200)  # not refused as over 100

    with pytest.raises(CommandError, match=r"b.jsonl:1: student_average: 210 is not on the exam's scale \(0–200"):
        call_command("import_exam_stats", write_jsonl(tmp_path / "b.jsonl", [{"exam": exam, "student_average": 210}]),
                     "--campaign", "chem")


# The real data set, beside the repository in CI (its license keeps it out of the repository) ---------------

SHARED_DATA = Path(os.environ.get("HYOKA_CENTER_EXAM_DIR")
                   or Path(django_settings.BASE_DIR).parent / "shared" / "data" / "center_examination_jp")


def test_every_center_examination_file_imports_with_the_counts_its_source_states():
    if not SHARED_DATA.is_dir():
        if os.environ.get("HYOKA_REQUIRE_SHARED_DATA") == "1":
            pytest.fail(f"HYOKA_REQUIRE_SHARED_DATA=1 but the center-examination-jp data is not at {SHARED_DATA} "
                        f"(set HYOKA_CENTER_EXAM_DIR)")
        pytest.skip(f"the center-examination-jp data is not at {SHARED_DATA} (set HYOKA_CENTER_EXAM_DIR)")
    files = sorted(SHARED_DATA.glob("*/*.json"))
    assert len(files) == 15
    for subject_folder in sorted({path.parent for path in files}):
        call_command("import_exam", *map(str, sorted(subject_folder.glob("*.json"))), "--campaign", "center")

    found = ExamQuestion.objects.filter(exam__campaign__slug="center")
    assert found.count() == 352
    assert found.filter(needs_figure=False).count() == 86
    assert sum(1 for answer in found.values_list("correct_answer", flat=True) if not answer) == 4
    assert Exam.objects.filter(campaign__slug="center").count() == 15
    assert {path.name for path in (Path(django_settings.HYOKA_EXAM_FIGURES_DIR) / "center").iterdir()} == {
        name for figures in found.values_list("figures", flat=True) for name in figures}
    by_subject = {subject: found.filter(exam__key__contains=subject).count()
                  for subject in ("Butsuri", "Kagaku", "Seibutsu")}
    assert by_subject == {"Butsuri": 95, "Kagaku": 133, "Seibutsu": 124}
    # Twelve questions take two answers (SOURCE.md counts only the three written with a comma): ten are sets, nine
    # written with a bar and 2005's Biology Q24 ("2,3") whose text says 「解答の順序は問わない」; two are blanks in
    # order (2005's Biology Q18, 2009's Physics Q1), their texts saying nothing of the order.
    forms = {(question.exam.key, question.question_id): question.answer_form
             for question in found.select_related("exam") if len(question.correct_answer) > 1}
    assert sorted(key for key, form in forms.items() if form == "ordered") == [
        ("Center-2005--Main-SeibutsuIB", "Q18"), ("Center-2009--Main-ButsuriI", "Q1")]
    assert sum(form == "unordered" for form in forms.values()) == 10 and len(forms) == 12
    assert forms[("Center-2005--Main-SeibutsuIB", "Q24")] == "unordered"
