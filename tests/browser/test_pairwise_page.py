"""An annotator compares pairs of responses with the keyboard alone in real Chromium: verdicts, a two-turn prompt
with a context and a checklist answered for each response, a reload that brings the draft back, and the stored
verdicts and ticks in the item's terms."""

import re

import pytest
from django.contrib.auth.models import Group, User

from annotation.models import (
    Campaign, CampaignMembership, Draft, Item, PairOrder, Prompt, Rating, RatingCheck, Response,
)
from annotation.services.workflow import (
    annotator_for_user, campaign_assign_batches, campaign_cut_batches, campaign_open,
)
from tests.annotation.pairwise_factories import give_checklist, order_for, pairwise_campaign

from .pages import sign_in, start_work

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),  # keeps the built-in rubrics
]

PASSWORD = "alice-password"
CONTEXT = "敏感肌です。肌に刺激の少ない方法を知りたいです。"
TURNS = ["乾燥する季節におすすめのスキンケアの手順を教えてください。", "朝と夜で手順を変えたほうがいいですか？"]
ANSWER_A = [
    "敏感肌の方には、香料やアルコールを含まない低刺激の製品がおすすめです。洗顔はぬるま湯でやさしく行い、"
    "化粧水で水分を補ったあと、セラミド配合の乳液やクリームで潤いを閉じ込めましょう。新しい製品は、"
    "まず腕の内側などで試してから顔に使うと安心です。",
    "はい。朝は洗顔料を使わずぬるま湯で洗い、保湿と日焼け止めを中心にします。夜はメイクや汚れを落としてから、"
    "保湿をしっかり行いましょう。日焼け止めも、肌にやさしいノンケミカルのものを選ぶとよいでしょう。",
]
ANSWER_B = [
    "洗顔、化粧水、美容液、乳液、クリームの順に使うのが基本です。週に一度ピーリングやスクラブで古い角質を"
    "落とすと、化粧水がなじみやすくなります。",
    "朝は軽めに、夜はしっかりケアするのがおすすめです。夜はレチノール配合の美容液を使うと効果的です。",
]
CHECKLIST = ["低刺激の製品を選ぶよう勧めている", "保湿の手順を具体的に説明している", "スクラブなど刺激の強いケアを勧めていない"]
# What alice presses on each item in hand-out order, and the screen verdict it stands for.
KEYS = {"1": "left", "2": "right", "3": "both", "4": "neither"}


@pytest.fixture
def campaign(db):
    """Pairs of model-a and model-b answers, one batch for alice and carol (k = 2), open. The first item has a
    two-turn prompt with a context and a checklist; there are enough items for alice to see both orders."""
    campaign = pairwise_campaign(slug="jp-context-pair", prompts=4)
    Campaign.objects.filter(pk=campaign.pk).update(name="文脈の反映（ペア比較）")
    group = Group.objects.get(name="annotator")
    people = []
    for name in ("alice", "carol"):
        user = User.objects.create_user(name, password=PASSWORD if name == "alice" else "x")
        user.groups.add(group)
        CampaignMembership.objects.create(campaign=campaign, user=user, role=CampaignMembership.Role.ANNOTATOR)
        people.append(annotator_for_user(user))
    add_items_until_alice_sees_both_orders(campaign, people[0])
    give_the_first_item_a_real_text(campaign)
    campaign_cut_batches(campaign=campaign, size=100, order="prompt")
    campaign_assign_batches(campaign=campaign, annotators=people)
    return campaign_open(campaign=campaign, mode=Campaign.Mode.BATCHES)


def add_items_until_alice_sees_both_orders(campaign, alice):
    """The order is a hash of the item's and the annotator's ids; add pairs (at most a few) until both occur."""
    number = campaign.items.count()
    while len({order_for(item, alice) for item in campaign.items.all()}) < 2:
        extra = pairwise_campaign(slug=f"extra{number}", prompts=1)
        extra.items.update(campaign=campaign)
        Prompt.objects.filter(source=f"extra{number}").update(source=campaign.slug, external_id=f"p{number}")
        extra.delete()
        number += 1


def give_the_first_item_a_real_text(campaign):
    item = campaign.items.select_related("response__prompt").get(response__prompt__external_id="p0")
    prompt = item.response.prompt
    Prompt.objects.filter(pk=prompt.pk).update(turns=TURNS, context=CONTEXT)
    Response.objects.filter(pk=item.response_id).update(turns=ANSWER_A)
    Response.objects.filter(pk=item.response_b_id).update(turns=ANSWER_B)
    give_checklist(prompt, CHECKLIST)


def wait_for_the_verdict_buttons(page):
    page.wait_for_function("document.activeElement && document.activeElement.matches('[data-verdict]')")


def item_id_of(page):
    return re.search(r"/items/([0-9a-f-]{36})/", page.url)[1]


def order_shown(page, item):
    """AB when the page shows the item's A (item.response) on the left, read from the texts on the screen."""
    left = page.inner_text("[data-side=left][data-response-turn='1']").strip()
    right = page.inner_text("[data-side=right][data-response-turn='1']").strip()
    a_text, b_text = item.response.turns[0], item.response_b.turns[0]
    assert {left, right} == {a_text, b_text}
    return PairOrder.AB if left == a_text else PairOrder.BA


def pressed_verdict(page):
    return page.locator("[data-verdict][aria-pressed=true]").get_attribute("data-verdict")


def check_states(page):
    return page.locator("[data-check]").evaluate_all("buttons => buttons.map(b => b.dataset.state)")


def submit_and_wait_for_next(page):
    before = page.url
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")  # a double Enter must still store one rating
    page.wait_for_url(lambda url: url != before and "/items/" in url)
    wait_for_the_verdict_buttons(page)


def item_at(page):
    return Item.objects.select_related("response__prompt", "response_b").get(public_id=item_id_of(page))


def test_an_annotator_compares_pairs_with_the_keyboard_alone(live_server, browser_page, campaign, artifacts):
    page = browser_page
    sign_in(page, live_server, "alice")
    start_work(page, "[data-verdict]")
    first = item_at(page)
    assert first.response.prompt.context == CONTEXT
    shown = {first.public_id: order_shown(page, first)}
    html = page.content()
    assert "model-a" not in html and "model-b" not in html  # the campaign does not show model names
    assert "どちらの応答が文脈をよりよく反映していますか" in page.inner_text("[data-verdicts] legend")
    assert [" ".join(text.split()) for text in page.locator("[data-verdict]").all_inner_texts()] == [
        "1 左の方が良い", "2 右の方が良い", "3 どちらも良い", "4 どちらも良くない"]
    # Turn by turn: user turn 1, the two answers to it, user turn 2, the two answers to it.
    texts = page.locator("[data-prompt-turn], [data-response-turn]").all_inner_texts()
    assert [text[:12] for text in texts] == [text[:12] for text in (
        TURNS[0], *order_answers(shown[first.public_id], 0), TURNS[1], *order_answers(shown[first.public_id], 1))]
    left_box = page.locator("[data-side=left][data-response-turn='1']").bounding_box()
    right_box = page.locator("[data-side=right][data-response-turn='1']").bounding_box()
    assert left_box["x"] < right_box["x"] and abs(left_box["y"] - right_box["y"]) < 2  # side by side

    # The checklist asks about each response, not about "the better one".
    ticks = [" ".join(text.split()) for text in page.locator("[data-check]").all_inner_texts()]
    assert ticks == ["左の応答 未回答", "右の応答 未回答"] * len(CHECKLIST)
    assert "良いと判断した" not in page.inner_text("[data-checklist]")

    # The right answer is better; the checklist, answered for each response with the keys: the first point yes
    # on the left and no on the right; the second yes on the right, the left one answered and taken back; the
    # third yes on the right, reached with Tab.
    with page.expect_response(lambda r: r.url.endswith(f"/api/items/{first.public_id}/draft/") and r.status == 204):
        page.keyboard.press("2")
        page.keyboard.press("k")  # to the first open answer: the first point, left
        page.keyboard.press(" ")
        page.keyboard.press("ArrowRight")
        page.keyboard.press(" ")
        page.keyboard.press(" ")
        page.keyboard.press("ArrowDown")  # the second point, still on the right
        page.keyboard.press(" ")
        page.keyboard.press("ArrowLeft")
        page.keyboard.press(" ")
        page.keyboard.press("Backspace")
        page.keyboard.press("ArrowDown")
        page.keyboard.press("Tab")  # from the third point's left tick to its right one
        page.keyboard.press(" ")
    page.wait_for_function("!document.querySelector('[data-status]').textContent.includes('…')")
    draft = Draft.objects.get()
    assert draft.verdict == ("B" if shown[first.public_id] == PairOrder.AB else "A")
    expected_states = ["yes", "no", "unset", "yes", "unset", "yes"]  # left, right of each point in turn
    assert check_states(page) == expected_states

    page.reload()
    wait_for_the_verdict_buttons(page)
    assert order_shown(page, first) == shown[first.public_id]  # the same sides after a reload
    assert pressed_verdict(page) == "right" and check_states(page) == expected_states
    page.screenshot(path=str(artifacts / "pairwise-page.png"), full_page=True)
    page.set_viewport_size({"width": 420, "height": 900})
    left_box = page.locator("[data-side=left][data-response-turn='1']").bounding_box()
    right_box = page.locator("[data-side=right][data-response-turn='1']").bounding_box()
    assert right_box["y"] > left_box["y"] + left_box["height"] - 1  # stacked on a narrow screen
    assert "上の方が良い" in page.inner_text("[data-verdicts]")
    upper_tick = page.locator("[data-check-side=left]").first.bounding_box()
    lower_tick = page.locator("[data-check-side=right]").first.bounding_box()
    assert lower_tick["y"] > upper_tick["y"] + upper_tick["height"] - 1  # the two ticks stacked too
    assert "上の応答" in page.inner_text("[data-checklist]") and "下の応答" in page.inner_text("[data-checklist]")
    page.screenshot(path=str(artifacts / "pairwise-page-narrow.png"), full_page=True)
    page.set_viewport_size({"width": 1440, "height": 960})
    submit_and_wait_for_next(page)

    # The other items: one key each, then Enter; until nothing is left.
    pressed = {first.public_id: "right"}
    keys = iter("1423" * 10)
    while True:
        item = item_at(page)
        shown[item.public_id] = order_shown(page, item)
        if len(pressed) == 1:  # the second item: a comment and a flag, with their keys, before the verdict
            page.keyboard.press("c")
            page.keyboard.type("2つ目も3つ目も読みやすい")  # digits typed in the comment choose nothing
            page.keyboard.press("Escape")
            page.keyboard.press("f")
            page.keyboard.press("2")  # broken
            page.keyboard.press("Enter")
            second = item.public_id
        key = next(keys)
        page.keyboard.press(key)
        pressed[item.public_id] = KEYS[key]
        page.keyboard.press("Enter")
        page.keyboard.press("Enter")
        page.wait_for_function("document.querySelector('[data-done]:not([hidden])') || "
                               f"!location.pathname.includes('{item.public_id}')")
        if page.locator("[data-done]").is_visible():
            break
        page.wait_for_url(lambda url: "/items/" in url)
        wait_for_the_verdict_buttons(page)

    ratings = {r.item.public_id: r for r in Rating.objects.select_related("item")}
    assert set(ratings) == set(pressed) == set(campaign.items.values_list("public_id", flat=True))
    assert set(shown.values()) == {PairOrder.AB, PairOrder.BA}
    for public_id, rating in ratings.items():
        assert rating.position == shown[public_id]
        assert rating.verdict == in_item_terms(pressed[public_id], shown[public_id])
        assert rating.annotator.handle == "alice" and rating.revision == 1
    assert (ratings[second].comment, ratings[second].flags) == ("2つ目も3つ目も読みやすい", ["broken"])
    # Each tick names the response that was on its side of the screen, in the item's terms.
    left, right = in_item_terms("left", shown[first.public_id]), in_item_terms("right", shown[first.public_id])
    checks = RatingCheck.objects.filter(rating=ratings[first.public_id])
    assert {(c.checklist_item.text, c.side, c.checked) for c in checks} == {
        (CHECKLIST[0], left, True), (CHECKLIST[0], right, False), (CHECKLIST[1], right, True),
        (CHECKLIST[2], right, True)}
    assert not Draft.objects.exists()


def order_answers(order, turn):
    a, b = ANSWER_A[turn], ANSWER_B[turn]
    return (a, b) if order == PairOrder.AB else (b, a)


def in_item_terms(screen, order):
    """Written out case by case, apart from the code under test."""
    table = {
        ("left", PairOrder.AB): "A", ("right", PairOrder.AB): "B",
        ("left", PairOrder.BA): "B", ("right", PairOrder.BA): "A",
    }
    return table.get((screen, order), screen)
