"""An exam end to end: a model answers it twice (two samples) through a generation job against the fake server,
and an annotator sits it in real Chromium with the number keys (one choice, two blanks in order with a slip taken
back with Backspace, a set of two in any order beside its figure, a question without a correct answer) and by a
label typed in the label box (a question labelled ア, イ, ... with the students' answers); the answers stored are
the choices picked, a set's in ascending order, and `exam_report --json` gives the figures worked out by hand
below: scores and their spread over the samples, how much of the exam each covers, the students' average and
correct rates beside, how each examinee tracks the students (the correlation, point-biserial for the one person,
with its n and p) and how often a wrong answer is the students' most common one."""

import io
import json
import math
import re

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command

from annotation.exam_answers import answer_is_correct
from annotation.models import Campaign, CampaignMembership, ExamQuestion, Rating
from annotation.services.exam_imports import exam_import
from annotation.services.workflow import (
    annotator_for_user, campaign_assign_batches, campaign_cut_batches, campaign_open,
)
from judging.services import generation_job_create, generation_job_run, model_endpoint_save
from judging.testing.fake_server import FakeLLMServer, Reply
from tests.annotation.exam_factories import exam_campaign, gakucho_question, write_jsonl

from .pages import sign_in, start_work

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),  # keeps the built-in rubrics
]

PASSWORD = "alice-password"
CENTER, GAKUCHO = "Center-2001--Main-Test", "理科-2019"
# The exams. Center (exam_factories.center_exam): Q1 one choice, correct ①, 3 points; Q2 two blanks in order,
# correct ③, ①, 4 points; Q3 a set, correct ② / ④, 4 points, needs its figure; Q4 without a correct answer or
# points (unscorable): 11 scorable points. Gakucho (exam_factories.gakucho_question, 5 points): 1-1, choices ア–エ,
# correct イ; the students answered ア 20.5 %, イ 61 %, ウ 10 %, エ 6 %: their most common wrong answer is ア.
# The students' results (import_exam_stats): Center average 55.5 of 100, correct rates Q1 0.8, Q2 0.45, Q3 0.3;
# Gakucho average 6.1 of 10, and 1-1's correct rate 0.61 from its answers.
STATS = [{"exam": CENTER, "student_average": 55.5}, {"exam": GAKUCHO, "student_average": 6.1, "scale": 10},
         {"exam": CENTER, "question_id": "Q1", "correct_rate": 0.8},
         {"exam": CENTER, "question_id": "Q2", "correct_rate": 0.45},
         {"exam": CENTER, "question_id": "Q3", "correct_rate": 0.3}]
# What alice does on each question (by its id): number keys, or ("label", text) typed in the label box; and the
# answer that must be stored.
KEYS = {"Q1": (["2"], "2"), "Q2": (["3", "2", "Backspace", "1"], "3,1"), "Q3": (["4", "2"], "2,4"),
        "Q4": (["2"], "2"), "1-1": ([("label", "ア")], "1")}
# The model's replies, by a phrase of the question and its sample (told apart by the request's seed, 100 + sample).
REPLIES = {
    "水の化学式": ("水は H2O である。\n答え: 1", "答え: 3"),  # ✓, ✗
    "空欄ア・イ": ("アは3、イは1。\n答え: 3, 1", "答え: 3, 1"),  # ✓, ✓
    "図１の装置": ("図が見えないので、どれとも決められない。", "答え: ④, ②"),  # a parse failure, ✓ (any order)
    "問題文が欠けている": ("答え: 2", "答え: 2"),  # never scored
    "選びなさい": ("答え: ア", "答え: ウ"),  # ✗ the students' most common wrong answer, ✗ another
}


@pytest.fixture
def campaign(db, tmp_path):
    """The center exam's four questions (Q3 with a figure) and the gakucho question, the students' results, one
    batch for alice and carol."""
    campaign = exam_campaign(slug="center-2001", folder=tmp_path)
    exam_import(paths=[write_jsonl(tmp_path / "gakucho.jsonl", [gakucho_question("1-1", score="5")])],
                campaign_slug=campaign.slug)
    call_command("import_exam_stats", write_jsonl(tmp_path / "stats.jsonl", STATS), campaign=campaign.slug,
                 stdout=io.StringIO())
    group = Group.objects.get(name="annotator")
    people = []
    for name in ("alice", "carol"):
        user = User.objects.create_user(name, password=PASSWORD if name == "alice" else "x")
        user.groups.add(group)
        CampaignMembership.objects.create(campaign=campaign, user=user, role=CampaignMembership.Role.ANNOTATOR)
        people.append(annotator_for_user(user))
    campaign_cut_batches(campaign=campaign, size=100, order="prompt")
    campaign_assign_batches(campaign=campaign, annotators=people)
    return campaign_open(campaign=campaign, mode=Campaign.Mode.BATCHES)


def question_at(page):
    public_id = re.search(r"/items/([0-9a-f-]{36})/", page.url)[1]
    return ExamQuestion.objects.select_related("item").get(item__public_id=public_id)


def wait_for_the_choices(page):
    page.wait_for_function("document.activeElement && document.activeElement.matches('[data-verdict]')")


def press(page, keys):
    for key in keys:
        if isinstance(key, tuple):  # ("label", text): L, the text as Japanese input commits it, Enter
            page.keyboard.press("l")
            page.wait_for_function("document.activeElement && document.activeElement.matches('[data-answer-typed]')")
            page.keyboard.insert_text(key[1])
            page.keyboard.press("Enter")
        else:
            page.keyboard.press(key)


def answer_in_chromium(page, live_server, artifacts):
    """alice signs in and answers every question she is given as KEYS says; the questions' ids, in order."""
    sign_in(page, live_server, "alice")
    start_work(page, "[data-verdict]")

    seen = []
    for _ in KEYS:
        wait_for_the_choices(page)
        question = question_at(page)
        seen.append(question.question_id)
        keys, stored = KEYS[question.question_id]
        shown = page.inner_text("[data-exam-question]")
        assert question.prompt.turns[0][:15] in shown
        assert page.locator("[data-exam-choices] li").count() == len(question.choices)
        assert page.locator("[data-verdicts] [data-verdict]").count() == len(question.choices)
        if question.question_id == "Q3":
            # The figure is served to the annotator and drawn; two answers are asked for, and one is not enough.
            page.locator("[data-exam-figures] img").scroll_into_view_if_needed()
            page.wait_for_function("document.querySelector('[data-exam-figures] img').naturalWidth > 0")
            assert "二つ" in page.inner_text("[data-verdicts] legend") or "2" in page.inner_text("[data-verdicts] legend")
            page.keyboard.press("4")
            page.keyboard.press("Enter")
            page.wait_for_function("document.querySelector('[data-status]').textContent.includes('2')")
            assert Rating.objects.filter(item=question.item).count() == 0
            keys = ["2"]
            page.screenshot(path=str(artifacts / "exam-page.png"), full_page=True)
        press(page, keys)
        pressed = page.locator("[data-verdict][aria-pressed=true]").evaluate_all(
            "buttons => buttons.map(b => b.dataset.verdict)")
        assert sorted(pressed) == sorted(stored.split(","))
        before = page.url
        page.keyboard.press("Enter")  # from the label box too, once it is empty
        if len(seen) < len(KEYS):
            page.wait_for_url(lambda url: url != before and "/items/" in url)
        else:
            page.wait_for_selector("[data-done]:not([hidden])")
    return seen


def generate_two_samples(campaign):
    """The model answers every question twice through a generation job against the fake server (REPLIES)."""
    def reply(request):
        asked = json.dumps(request, ensure_ascii=False)
        return Reply.text(next(replies[request["seed"] - 100] for phrase, replies in REPLIES.items() if phrase in asked))

    with FakeLLMServer() as server:
        server.responder = reply
        endpoint, _ = model_endpoint_save(name="fake-model", base_url=server.base_url, model="fake-model-at-endpoint",
                                          api_key_env="", concurrency=1, timeout_seconds=5, samples=2, seed=100)
        job = generation_job_create(campaign=campaign, endpoint=endpoint)
        generation_job_run(job_id=job.id, threads=1)


def test_an_exam_answered_by_a_model_and_by_an_annotator_in_chromium_gives_the_report_worked_out_by_hand(live_server, browser_page, campaign, artifacts):
    seen = answer_in_chromium(browser_page, live_server, artifacts)

    assert sorted(seen) == sorted(KEYS)
    stored = {rating.item.exam_question.question_id: rating.verdict
              for rating in Rating.objects.filter(annotator__handle="alice").select_related("item__exam_question")}
    assert stored == {question_id: answer for question_id, (_, answer) in KEYS.items()}
    # Scored as the questions say: Q1 wrong, Q2's blanks in order right, Q3's set right in any order, 1-1 wrong (ア,
    # typed by its label); Q4 has no correct answer, so it is never scored.
    questions = {question.question_id: question for question in ExamQuestion.objects.all()}
    assert {question_id: answer_is_correct([int(n) for n in stored[question_id].split(",")],
                                           questions[question_id].correct_answer, questions[question_id].answer_form)
            for question_id in ("Q1", "Q2", "Q3", "1-1")} == {"Q1": False, "Q2": True, "Q3": True, "1-1": False}
    assert questions["Q4"].correct_answer == []

    generate_two_samples(campaign)
    out = io.StringIO()
    call_command("exam_report", "--campaign", campaign.slug, "--json", stdout=out)
    report = json.loads(out.getvalue())
    center, gakucho = report["exams"]
    assert [center["exam"], gakucho["exam"]] == [CENTER, GAKUCHO]
    assert (center["questions"], center["scorable"], center["text_only_questions"], center["points"]) == (4, 3, 3, 11)
    assert report["meta"]["examinees"] == [{"name": "fake-model", "kind": "model", "samples": 2},
                                           {"name": "humans", "kind": "humans", "samples": 1}]
    check_the_scores(center, gakucho)
    check_the_students_beside(report, center, gakucho)
    check_the_tracking(report)


def rows(exam):
    return {row["examinee"]: row for row in exam["examinees"]}


def check_the_scores(center, gakucho):
    """Per sample, on the center exam's 11 scorable points (text-only: Q1 and Q2, 7 points):
      the model, sample 0: Q1 ✓ Q2 ✓, Q3 unreadable (left out): accuracy 2/2, score 7/7; failures as wrong 2/3,
        7/11; text-only 2/2, 7/7. Sample 1: Q1 ✗ Q2 ✓ Q3 ✓: accuracy 2/3, score 8/11; text-only 1/2, 4/7.
        Over the two samples: accuracy (100 + 66.67)/2 = 83.33, score (100 + 72.73)/2 = 86.36 with sd
        (100 − 72.73)/√2 = 19.28, lowest 72.73, highest 100; failures as wrong (63.64 + 72.73)/2 = 68.18; text-only
        accuracy 75, score (100 + 57.14)/2 = 78.57. Its samples scored 2 and 3 of the 3 scorable questions.
      alice (the people's one sample): Q1 ✗ Q2 ✓ Q3 ✓: accuracy 2/3, score 8/11, every question scored;
        text-only 1/2, 4/7.
      The gakucho exam (5 points): every answer wrong, 0 for both."""
    model, people = rows(center)["fake-model"], rows(center)["humans"]
    assert model["samples"] == 2 and model["all"]["parse_failures"] == 1
    assert model["all"]["accuracy"]["value"] == pytest.approx(250 / 3)
    score = model["all"]["score"]
    assert (score["value"], score["sd"], score["low"], score["high"], score["samples"]) == (
        pytest.approx(950 / 11), pytest.approx((100 - 800 / 11) / math.sqrt(2)), pytest.approx(800 / 11), 100, 2)
    assert model["all"]["score_failures_wrong"]["value"] == pytest.approx(750 / 11)
    assert (model["all"]["scored_least"], model["all"]["scored_most"], model["all"]["complete"]) == (2, 3, False)
    assert (model["text_only"]["accuracy"]["value"], model["text_only"]["score"]["value"]) == (
        pytest.approx(75), pytest.approx(550 / 7))
    assert (people["all"]["accuracy"]["value"], people["all"]["score"]["value"], people["all"]["complete"]) == (
        pytest.approx(200 / 3), pytest.approx(800 / 11), True)
    assert people["all"]["score"]["sd"] is None  # one sample: no spread
    assert (people["text_only"]["accuracy"]["value"], people["text_only"]["score"]["value"]) == (
        50, pytest.approx(400 / 7))
    assert {name: (row["all"]["score"]["value"], row["all"]["score"]["sd"]) for name, row in rows(gakucho).items()} \
        == {"fake-model": (0, 0), "humans": (0, None)}


def check_the_students_beside(report, center, gakucho):
    """The students' average beside, in % of each exam's scale: 55.5 of 100, 6.1 of 10 = 61. Their
    points-weighted correct rate on the center exam's questions: (0.8 × 3 + 0.45 × 4 + 0.3 × 4) / 11 = 49.09 %,
    on its text-only ones (0.8 × 3 + 0.45 × 4) / 7 = 60 %; per question, their correct rates."""
    assert (center["student_percent"], gakucho["student_percent"]) == (55.5, pytest.approx(61))
    assert [row["student_average"] for row in report["table"]] == [55.5, pytest.approx(61)]
    assert rows(center)["fake-model"]["all"]["students"] == pytest.approx(540 / 11)
    assert rows(center)["fake-model"]["text_only"]["students"] == pytest.approx(60)
    by_id = {question["question_id"]: question for question in report["questions"]}
    assert {key: by_id[key]["student_correct_rate"] for key in ("Q1", "Q2", "Q3", "Q4", "1-1")} == {
        "Q1": 0.8, "Q2": 0.45, "Q3": 0.3, "Q4": None, "1-1": pytest.approx(0.61)}
    assert by_id["1-1"]["students_common_wrong"] == ["ア"]
    assert by_id["Q3"]["answers"]["fake-model"] == {"answers": [None, "④ / ②"], "correct": 1.0, "parse_failures": 1}
    assert report["table"][0]["scores"]["fake-model"]["coverage"] == {
        "scored": 2, "scored_most": 3, "scorable": 3, "complete": False}


def check_the_tracking(report):
    """Over the four scorable questions with a students' correct rate (y = 0.8, 0.45, 0.3, 0.61; mean 0.54):
      alice, one sample, right (x) 0, 1, 1, 0: the point-biserial correlation r = Σdxdy / √(Σdx² Σdy²)
        = −0.33 / √(1 × 0.1382) = −0.8877, n 4; with n − 2 = 2 degrees of freedom p = 1 − |t| / √(2 + t²) = 1 − |r|
        = 0.1123. Her one wrong answer on the question with the students' answers, ア, is their most common: 1 of 1.
      the model, the share of its readable samples right 0.5, 1, 1, 0: r = −0.2 / √(0.6875 × 0.1382) = −0.6488,
        n 4, p 0.3512. Of its two wrong answers to 1-1 (ア, ウ), one is the students' most common: 1 of 2."""
    tracking = {found["examinee"]: found for found in report["tracking"]}
    people, model = tracking["humans"], tracking["fake-model"]
    assert (people["correlation"], people["n"], people["p_value"]) == (
        pytest.approx(-0.33 / math.sqrt(0.1382)), 4, pytest.approx(1 - 0.33 / math.sqrt(0.1382)))
    assert (people["wrong"], people["common_wrong"], people["common_wrong_share"]) == (1, 1, 1.0)
    assert (model["correlation"], model["n"], model["p_value"]) == (
        pytest.approx(-0.2 / math.sqrt(0.6875 * 0.1382)), 4, pytest.approx(1 - 0.2 / math.sqrt(0.6875 * 0.1382)))
    assert (model["wrong"], model["common_wrong"], model["common_wrong_share"]) == (2, 1, 0.5)
