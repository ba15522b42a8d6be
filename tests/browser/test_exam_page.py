"""An exam end to end: a model answers it through a generation job against the fake server, and an annotator
sits it in real Chromium with the number keys (one choice, two blanks in order with a slip taken back with
Backspace, a set of two in any order beside its figure, a question without a correct answer); the answers stored
are the choices picked, a set's in ascending order, and `exam_report --json` gives the figures worked out by hand
below."""

import io
import json
import re

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command

from annotation.exam_answers import answer_is_correct
from annotation.models import Campaign, CampaignMembership, ExamQuestion, Rating
from annotation.services.workflow import (
    annotator_for_user, campaign_assign_batches, campaign_cut_batches, campaign_open,
)
from judging.services import generation_job_create, generation_job_run, model_endpoint_save
from judging.testing.fake_server import FakeLLMServer, Reply
from tests.annotation.exam_factories import exam_campaign

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),  # keeps the built-in rubrics
]

PASSWORD = "alice-password"
# What alice types on each question (by its id), and the answer that must be stored. The exam (exam_factories):
# Q1 one choice, correct 1, 3 points; Q2 two blanks in order, correct 3,1, 4 points; Q3 a set, correct 2|4,
# 4 points, needs its figure; Q4 without a correct answer or points (unscorable).
KEYS = {"Q1": (["2"], "2"), "Q2": (["3", "2", "Backspace", "1"], "3,1"), "Q3": (["4", "2"], "2,4"),
        "Q4": (["2"], "2")}
# The model's replies: Q1 and Q2 right, Q3 nothing readable (a parse failure), Q4 an answer (never scored).
REPLIES = {"水の化学式": "水は H2O である。\n答え: 1", "空欄ア・イ": "アは3、イは1。\n答え: 3, 1",
           "図１の装置": "図が見えないので、どれとも決められない。", "問題文が欠けている": "答え: 2"}
# By hand, on the 11 scorable points (Q1–Q3):
#   alice (the people): Q1 wrong, Q2 and Q3 right: accuracy 2/3, score 8/11; text-only (Q1, Q2: 7 points):
#   accuracy 1/2, score 4/7.
#   the model: Q1 and Q2 right, Q3 a parse failure, left out: accuracy 2/2, score 7/7; counted as wrong (the
#   figures that say so): accuracy 2/3, score 7/11; text-only: accuracy 1, score 7/7, no parse failure.
EXPECTED = {
    "humans": {"all": (200 / 3, 800 / 11), "text_only": (50.0, 400 / 7)},
    "fake-model": {"all": (100.0, 100.0), "text_only": (100.0, 100.0)},
}


@pytest.fixture
def campaign(db, tmp_path):
    """The four questions of exam_factories.center_exam (Q3 with a figure), one batch for alice and carol."""
    campaign = exam_campaign(slug="center-2001", folder=tmp_path)
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


def test_an_exam_answered_by_a_model_and_by_an_annotator_in_chromium_gives_the_report_worked_out_by_hand(live_server, browser_page, campaign, artifacts):
    page = browser_page
    page.goto(f"{live_server.url}/accounts/login/?next=/my-work/")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/my-work/")
    page.locator("form[action$='/next/'] button").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/items/[0-9a-f-]{36}/$"))

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
            figure = page.locator("[data-exam-figures] img")
            figure.scroll_into_view_if_needed()
            page.wait_for_function("document.querySelector('[data-exam-figures] img').naturalWidth > 0")
            assert "二つ" in page.inner_text("[data-verdicts] legend") or "2" in page.inner_text("[data-verdicts] legend")
            page.keyboard.press("4")
            page.keyboard.press("Enter")
            page.wait_for_function("document.querySelector('[data-status]').textContent.includes('2')")
            assert Rating.objects.filter(item=question.item).count() == 0
            keys = ["2"]
            page.screenshot(path=str(artifacts / "exam-page.png"), full_page=True)
        for key in keys:
            page.keyboard.press(key)
        pressed = page.locator("[data-verdict][aria-pressed=true]").evaluate_all(
            "buttons => buttons.map(b => b.dataset.verdict)")
        assert sorted(pressed) == sorted(stored.split(","))
        before = page.url
        page.keyboard.press("Enter")
        if len(seen) < len(KEYS):
            page.wait_for_url(lambda url: url != before and "/items/" in url)
        else:
            page.wait_for_selector("[data-done]:not([hidden])")

    assert sorted(seen) == sorted(KEYS)
    stored = {rating.item.exam_question.question_id: rating.verdict
              for rating in Rating.objects.filter(annotator__handle="alice").select_related("item__exam_question")}
    assert stored == {question_id: answer for question_id, (_, answer) in KEYS.items()}
    # Scored as the questions say: Q1 wrong, Q2's blanks in order right, Q3's set right in any order; Q4 has no
    # correct answer, so it is never scored.
    questions = {question.question_id: question for question in ExamQuestion.objects.all()}
    assert {question_id: answer_is_correct([int(n) for n in stored[question_id].split(",")],
                                           questions[question_id].correct_answer, questions[question_id].answer_form)
            for question_id in ("Q1", "Q2", "Q3")} == {"Q1": False, "Q2": True, "Q3": True}
    assert questions["Q4"].correct_answer == []

    # The model answers through a generation job against the fake server; then the report.
    with FakeLLMServer() as server:
        server.responder = lambda request: Reply.text(next(
            reply for phrase, reply in REPLIES.items() if phrase in json.dumps(request, ensure_ascii=False)))
        endpoint, _ = model_endpoint_save(name="fake-model", base_url=server.base_url, model="fake-model-at-endpoint",
                                          api_key_env="", concurrency=1, timeout_seconds=5)
        job = generation_job_create(campaign=campaign, endpoint=endpoint)
        generation_job_run(job_id=job.id, threads=1)
    out = io.StringIO()
    call_command("exam_report", "--campaign", campaign.slug, "--json", stdout=out)
    report = json.loads(out.getvalue())

    (exam,) = report["exams"]
    assert (exam["questions"], exam["scorable"], exam["text_only_questions"], exam["points"]) == (4, 3, 3, 11)
    figures = {row["examinee"]: {part: (row[part]["accuracy"]["value"], row[part]["score"]["value"])
                                 for part in ("all", "text_only")} for row in exam["examinees"]}
    assert figures.keys() == EXPECTED.keys()
    for examinee, parts in EXPECTED.items():
        for part, (accuracy, score) in parts.items():
            assert figures[examinee][part] == (pytest.approx(accuracy), pytest.approx(score)), (examinee, part)
    model_row = next(row for row in exam["examinees"] if row["examinee"] == "fake-model")
    assert (model_row["all"]["parse_failures"], model_row["text_only"]["parse_failures"]) == (1, 0)
    assert (model_row["all"]["accuracy_failures_wrong"]["value"], model_row["all"]["score_failures_wrong"]["value"]) \
        == (pytest.approx(200 / 3), pytest.approx(700 / 11))
