"""Every choice of an exam question from the keyboard, in real Chromium: a center question of 12 choices named as
its source names them (①–⑨, 0, a, b: the prompt's names too), the 11th picked by typing its label; and a question
labelled ア, イ, ... answered by typing its label (half-width, or in hiragana as Japanese input first gives it),
with a label no choice has refused in words, and the number keys still working."""

import re

import pytest
from django.contrib.auth.models import Group, User

from annotation.exam_answers import question_choices
from annotation.models import Campaign, CampaignMembership, ExamQuestion, Rating
from annotation.services.exam_imports import exam_import
from annotation.services.workflow import (
    annotator_for_user, campaign_assign_batches, campaign_cut_batches, campaign_open,
)
from judging.exam_prompt import user_text
from tests.annotation.exam_factories import center_question, gakucho_question, write_json_array, write_jsonl

from .pages import sign_in, start_work

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),  # keeps the built-in rubrics
]

PASSWORD = "alice-password"
# 1993 Biology's Q9 names its choices so: ①–⑨, then ０, ａ, ｂ (texts made up here).
TWELVE = [f"{chr(0x2460 + n)}語{n + 1}" for n in range(9)] + ["０マグネシウム", "ａアドレナリン", "ｂアセチルコリン"]


@pytest.fixture
def campaign(db, tmp_path):
    center = write_json_array(tmp_path / "Center-1993--Main-Test.json", [
        center_question("Q1", "空欄に入る語として最も適当なものを，次の①～ｂのうちから一つ選べ。", TWELVE, "11")])
    gakucho = write_jsonl(tmp_path / "gakucho.jsonl", [gakucho_question("1-1", answer_label="ウ")])
    exam_import(paths=[center, gakucho], campaign_slug="labels")
    return opened_to_alice(Campaign.objects.get(slug="labels"))


@pytest.fixture
def blanks(db, tmp_path):
    """A campaign of one question of two blanks in order (answer ③ then ④), which alice answers."""
    path = write_json_array(tmp_path / "Center-2001--Main-Test.json", [
        center_question("Q2", "空欄ア・イに入る数値を，次の①～⑤のうちからそれぞれ一つずつ選べ。",
                        ["①1", "②2", "③3", "④4", "⑤5"], "3,4", score="4")])
    exam_import(paths=[path], campaign_slug="blanks")
    return opened_to_alice(Campaign.objects.get(slug="blanks"))


def opened_to_alice(campaign):
    """The campaign opened, its items in batches for alice and carol (k = 2)."""
    people = []
    for name in ("alice", "carol"):
        user = User.objects.create_user(name, password=PASSWORD if name == "alice" else "x")
        user.groups.add(Group.objects.get(name="annotator"))
        CampaignMembership.objects.create(campaign=campaign, user=user, role=CampaignMembership.Role.ANNOTATOR)
        people.append(annotator_for_user(user))
    campaign_cut_batches(campaign=campaign, size=100, order="prompt")
    campaign_assign_batches(campaign=campaign, annotators=people)
    return campaign_open(campaign=campaign, mode=Campaign.Mode.BATCHES)


def first_item(page, live_server):
    """Alice signs in and opens her first item; the keys are on its choices."""
    sign_in(page, live_server, "alice")
    start_work(page, "[data-verdict]")


def question_at(page):
    public_id = re.search(r"/items/([0-9a-f-]{36})/", page.url)[1]
    return ExamQuestion.objects.get(item__public_id=public_id)


def pressed(page):
    return page.locator("[data-verdict][aria-pressed=true]").evaluate_all("bs => bs.map(b => b.dataset.verdict)")


def type_label(page, text):
    page.keyboard.press("l")
    page.wait_for_function("document.activeElement && document.activeElement.matches('[data-answer-typed]')")
    page.keyboard.insert_text(text)  # as Japanese input commits it
    page.keyboard.press("Enter")


def test_every_choice_is_picked_from_the_keyboard_by_the_names_the_prompt_gives_them(live_server, browser_page, campaign):
    page = browser_page
    first_item(page, live_server)

    for round in range(2):
        page.wait_for_url(re.compile(r"/items/[0-9a-f-]{36}/$"))
        page.wait_for_function("document.activeElement && document.activeElement.matches('[data-verdict]')")
        question = question_at(page)
        labels = page.locator("[data-exam-choices] [data-choice-label]").all_inner_texts()
        prompt = user_text(question.prompt.turns[0], question_choices(question.choices, question.choice_labels),
                           1, "single", "text")
        if question.question_id == "Q1":
            # The page names the choices as the source and the prompt do: 0 the tenth, then a, b (never ⑩, ⑪).
            assert labels == ["①", "②", "③", "④", "⑤", "⑥", "⑦", "⑧", "⑨", "0", "a", "b"]
            assert "0 マグネシウム" in prompt and "a アドレナリン" in prompt and "b アセチルコリン" in prompt
            assert page.inner_text("[data-choice='11']").split() == ["a", "アドレナリン"]  # the source's ａ shown once
            keys = page.locator("[data-verdict] kbd").all_inner_texts()
            assert keys == ["1", "2", "3", "4", "5", "6", "7", "8", "9", "0"]  # the 11th and 12th: typed
            page.keyboard.press("0")
            assert pressed(page) == ["10"]
            type_label(page, "Ａ")  # full-width, as the source writes it
            assert pressed(page) == ["11"]
            expected = "11"
        else:
            assert labels == ["ア", "イ", "ウ", "エ"]
            assert all(f"{label} " in prompt for label in labels)
            assert page.inner_text("[data-choice='2'] kbd") == "2"  # the key that picks イ
            page.keyboard.press("2")  # the number keys still pick by position
            assert pressed(page) == ["2"]
            type_label(page, "オ")
            page.wait_for_function("document.querySelector('[data-status]').textContent.includes('オ')")
            assert "ア イ ウ エ" in page.inner_text("[data-status]") and pressed(page) == ["2"]
            page.fill("[data-answer-typed]", "")
            page.keyboard.insert_text("う")  # hiragana, before conversion: ウ
            page.keyboard.press("Enter")
            assert pressed(page) == ["3"]
            page.keyboard.press("Escape")
            page.wait_for_function("document.activeElement && document.activeElement.matches('[data-verdict]')")
            expected = "3"
        before = page.url
        page.keyboard.press("Enter")  # from the label box too, once it is empty
        if round == 0:
            page.wait_for_url(lambda url: url != before and "/items/" in url)
        else:
            page.wait_for_selector("[data-done]:not([hidden])")
        assert Rating.objects.get(item=question.item_id).verdict == expected


def status_says(page, words):
    page.wait_for_function("words => document.querySelector('[data-status]').textContent.includes(words)", arg=words)


def test_the_label_box_takes_the_whole_answer_of_a_question_of_two_blanks(live_server, browser_page, blanks):
    """Typed choices are the answer as typed, not keys pressed one after another: with ① picked by its key, "3,4"
    answers ③ then ④ (not ④ alone, as the second key would start the answer again); one choice, or one
    twice, is refused in words and leaves the answer as it was."""
    page = browser_page
    first_item(page, live_server)
    page.keyboard.press("1")
    assert pressed(page) == ["1"]

    type_label(page, "4")
    status_says(page, "この設問の解答は 2 つですが、入力されたのは 1 つです")
    assert pressed(page) == ["1"]
    page.fill("[data-answer-typed]", "")
    page.keyboard.insert_text("3,③")
    page.keyboard.press("Enter")
    status_says(page, "③ が二度入力されています")
    assert pressed(page) == ["1"]

    page.fill("[data-answer-typed]", "")
    page.keyboard.insert_text("3,4")
    page.keyboard.press("Enter")
    assert pressed(page) == ["3", "4"]
    assert page.input_value("[data-answer-typed]") == ""
    page.keyboard.press("Enter")  # the box is empty: Enter submits
    page.wait_for_selector("[data-done]:not([hidden])")
    assert Rating.objects.get(item__campaign=blanks).verdict == "3,4"


def label_box_focused(page):
    page.wait_for_function("document.activeElement && document.activeElement.matches('[data-answer-typed]')")


def key_as_chromium_gets_it(session, key, code, key_code, text=None):
    """One key press as the keyboard gives it to Chromium (Playwright's own press knows no full-width key)."""
    down = {"key": key, "code": code, "windowsVirtualKeyCode": key_code, "nativeVirtualKeyCode": key_code}
    session.send("Input.dispatchKeyEvent", {"type": "keyDown" if text else "rawKeyDown", **down,
                                            **({"text": text} if text else {})})
    session.send("Input.dispatchKeyEvent", {"type": "keyUp", **down})


def test_l_reaches_the_label_box_with_japanese_input_on(live_server, browser_page, blanks):
    """Japanese input in full-width mode types ｌ for L (as it types ３ for 3, which picks ③), and a key it takes
    for itself comes as keyCode 229 with no character: either way L goes to the label box, and nothing is typed
    in it."""
    page = browser_page
    first_item(page, live_server)
    session = page.context.new_cdp_session(page)
    key_as_chromium_gets_it(session, "３", "Digit3", 51, text="３")
    assert pressed(page) == ["3"]
    key_as_chromium_gets_it(session, "ｌ", "KeyL", 76, text="ｌ")
    label_box_focused(page)
    assert page.input_value("[data-answer-typed]") == ""

    page.keyboard.press("Escape")
    page.wait_for_function("document.activeElement && document.activeElement.matches('[data-verdict]')")
    key_as_chromium_gets_it(session, "Process", "KeyL", 229)
    label_box_focused(page)
    page.keyboard.insert_text("3,4")
    page.keyboard.press("Enter")
    assert pressed(page) == ["3", "4"]
