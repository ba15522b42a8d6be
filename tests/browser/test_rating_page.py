"""An annotator rates with the keyboard alone in real Chromium, against the app on a live server."""

import re

import pytest
from django.contrib.auth.models import Group, User

from annotation.models import Campaign, CampaignMembership, Draft, Item, Rating, RatingRevision, Skip
from annotation.services.workflow import (
    annotator_for_user, campaign_assign_batches, campaign_cut_batches, campaign_open,
)
from tests.annotation.pairwise_factories import give_checklist
from tests.annotation.workflow_factories import campaign_with_items

from .pages import sign_in, start_work

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),  # keeps the built-in rubrics
]

AXES = ("relevance", "fluency", "accuracy", "detail", "overall")
PASSWORD = "alice-password"


@pytest.fixture
def campaign(db):
    """Four items (two prompts, two models) in one batch, assigned to alice and carol (k = 2), open."""
    campaign = campaign_with_items(slug="jp-mtbench", items=4, models=2)
    Campaign.objects.filter(pk=campaign.pk).update(name="日本語 MT-Bench 品質評価")
    group = Group.objects.get(name="annotator")
    people = []
    for name in ("alice", "carol"):
        user = User.objects.create_user(name, password=PASSWORD if name == "alice" else "x")
        user.groups.add(group)
        CampaignMembership.objects.create(campaign=campaign, user=user, role=CampaignMembership.Role.ANNOTATOR)
        people.append(annotator_for_user(user))
    give_the_first_item_a_real_text()
    campaign_cut_batches(campaign=campaign, size=4, order="prompt")
    campaign_assign_batches(campaign=campaign, annotators=people)
    return campaign_open(campaign=campaign, mode=Campaign.Mode.BATCHES)


def give_the_first_item_a_real_text():
    """Something worth reading on the screenshot: a two-turn prompt and its answer."""
    item = Item.objects.select_related("response__prompt").order_by("response__prompt__external_id",
                                                                     "response__model__name").first()
    prompt, response = item.response.prompt, item.response
    prompt.turns = [
        "日本の四季について、小学生にも分かるように300字程度で説明してください。",
        "では、その中で一番おすすめの季節と、その理由を一つ教えてください。",
    ]
    response.turns = [
        "日本には春・夏・秋・冬の四つの季節があります。春は桜が咲き、新しい学年が始まります。"
        "夏は暑く、海や花火大会を楽しめます。秋は木の葉が赤や黄色に色づき、食べ物がおいしい季節です。"
        "冬は寒く、北の地方では雪がたくさん降ります。季節ごとに行事や食べ物が変わるのが日本の魅力です。",
        "おすすめは秋です。暑さが和らいで過ごしやすく、紅葉を見ながら散歩したり、"
        "さつまいもや栗などの旬の味覚を楽しんだりできるからです。",
    ]
    prompt.save(update_fields=["turns"])
    response.save(update_fields=["turns"])


def pressed_scores(page):
    return {axis: page.locator(f"[data-axis={axis}] [aria-pressed=true]").all_inner_texts() for axis in AXES}


def item_id_of(page):
    return re.search(r"/items/([0-9a-f-]{36})/", page.url)[1]


def type_keys(page, keys):
    for key in keys:
        page.keyboard.press(key)


def submit_and_wait_for_next(page):
    before = page.url
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")  # a double Enter must still store one rating
    page.wait_for_url(lambda url: url != before and "/items/" in url)
    page.wait_for_function("document.activeElement && document.activeElement.matches('[data-score]')")


def test_an_annotator_rates_three_items_and_skips_one_with_the_keyboard_alone(
        live_server, browser_page, campaign, artifacts):
    page = browser_page
    sign_in(page, live_server, "alice")
    start_work(page, "[data-score]")
    first = item_id_of(page)

    # Item 1: three axes, then a reload; the draft saved on the server comes back.
    with page.expect_response(lambda r: r.url.endswith(f"/api/items/{first}/draft/") and r.status == 204):
        type_keys(page, ["4", "5", "3"])
    page.wait_for_timeout(1100)  # a second on screen, so the time on the item is measurable
    page.reload()
    page.wait_for_function("document.activeElement && document.activeElement.matches('[data-score]')")
    assert pressed_scores(page) == {"relevance": ["4"], "fluency": ["5"], "accuracy": ["3"], "detail": [], "overall": []}
    assert page.evaluate("document.activeElement.closest('[data-axis]').dataset.axis") == "detail"
    type_keys(page, ["2", "4"])
    page.keyboard.press("c")
    page.keyboard.type("具体的でよい。1と2は押しても点にならない")  # digits typed in the comment are text
    page.keyboard.press("Escape")
    page.keyboard.press("f")
    page.keyboard.press("3")  # wrong language
    page.keyboard.press("Enter")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowLeft")  # detail: 2 -> 1
    page.screenshot(path=str(artifacts / "rating-page.png"), full_page=True)
    submit_and_wait_for_next(page)

    # Item 2: the answer to the first submit is lost on the way back; Enter again repeats the same key.
    second = item_id_of(page)
    lost = []

    def lose_the_answer(route):
        route.fetch()  # the server stores the rating
        lost.append(route.request.post_data_json["idempotency_key"])
        route.abort()

    page.route(f"**/api/items/{second}/rating/", lose_the_answer)
    type_keys(page, ["3", "3", "3", "3", "3"])
    page.keyboard.press("Enter")
    page.wait_for_function("document.querySelector('[data-status]').textContent.includes('Enter')")
    page.unroute(f"**/api/items/{second}/rating/")
    with page.expect_request(f"**/api/items/{second}/rating/") as retry:
        submit_and_wait_for_next(page)
    assert retry.value.post_data_json["idempotency_key"] == lost[0]

    # Item 3: arrows and Tab between axes, arrows to change a score.
    third = item_id_of(page)
    type_keys(page, ["5", "5", "5"])
    page.keyboard.press("Shift+Tab")  # back to accuracy
    page.keyboard.press("ArrowLeft")  # accuracy: 5 -> 4
    page.keyboard.press("Tab")
    type_keys(page, ["1", "2"])
    submit_and_wait_for_next(page)

    # Item 4: skipped with a reason chosen in the dialog; then nothing is left.
    fourth = item_id_of(page)
    page.keyboard.press("s")
    page.keyboard.press("2")  # the item is broken
    page.keyboard.press("Enter")
    page.locator("[data-done]").wait_for(state="visible")
    assert "評価する項目はもうありません" in page.inner_text("[data-done]")

    ratings = {str(r.item.public_id): r for r in Rating.objects.select_related("item").prefetch_related("scores__axis")}
    assert set(ratings) == {first, second, third}

    def scores(item):
        return {score.axis.key: score.score for score in ratings[item].scores.all()}

    assert scores(first) == {"relevance": 4, "fluency": 5, "accuracy": 3, "detail": 1, "overall": 4}
    assert ratings[first].comment == "具体的でよい。1と2は押しても点にならない"
    assert ratings[first].flags == ["wrong_language"]
    assert ratings[first].seconds_spent >= 1
    assert scores(second) == dict.fromkeys(AXES, 3)
    assert scores(third) == {"relevance": 5, "fluency": 5, "accuracy": 4, "detail": 1, "overall": 2}
    assert all(rating.revision == 1 for rating in ratings.values()) and not RatingRevision.objects.exists()
    skip = Skip.objects.get()
    assert (str(skip.item.public_id), skip.reason, skip.annotator.handle) == (fourth, "broken", "alice")
    assert not Draft.objects.exists()


def test_a_draft_typed_after_the_session_ended_is_kept_and_saved_after_signing_in_again(
        live_server, browser_page, campaign):
    page = browser_page
    sign_in(page, live_server, "alice")
    start_work(page, "[data-score]")
    item = item_id_of(page)

    page.context.clear_cookies(name="sessionid")  # the session ends (expired, or signed out elsewhere)
    with page.expect_response(lambda r: r.url.endswith(f"/api/items/{item}/draft/") and r.status == 403):
        type_keys(page, ["2", "4"])
    page.locator("[data-session-expired]").wait_for(state="visible")
    assert not Draft.objects.exists()

    other_tab = page.context.new_page()
    sign_in(other_tab, live_server, "alice")
    other_tab.close()
    with page.expect_response(lambda r: r.url.endswith(f"/api/items/{item}/draft/") and r.status == 204):
        page.reload()  # the copy kept in this tab is restored and saved

    assert pressed_scores(page)["relevance"] == ["2"] and pressed_scores(page)["fluency"] == ["4"]
    assert Draft.objects.get().scores == {"relevance": 2, "fluency": 4}


def test_after_the_last_axis_the_checklist_takes_the_keys_and_its_ticks_are_stored(live_server, browser_page, campaign):
    page = browser_page
    first = Item.objects.filter(campaign=campaign).order_by("position").first()
    yes, no, untouched = give_checklist(first.response.prompt, ["四季をすべて挙げている", "300字を超えていない",
                                                                 "季節ごとの行事に触れている"])
    sign_in(page, live_server, "alice")
    start_work(page, "[data-score]")
    assert item_id_of(page) == str(first.public_id)

    type_keys(page, ["4", "4", "4", "4", "4"])  # after the last axis, on to the checklist
    page.wait_for_function("document.activeElement && document.activeElement.matches('[data-check]')")
    with page.expect_response(lambda r: r.url.endswith(f"/api/items/{first.public_id}/draft/") and r.status == 204):
        type_keys(page, [" ", "ArrowDown", " ", " ", "ArrowDown", " ", "Backspace"])
    assert page.locator("[data-check]").evaluate_all("bs => bs.map(b => b.dataset.state)") == ["yes", "no", "unset"]
    page.keyboard.press("k")  # back to the axes, where a digit scores again
    page.keyboard.press("ArrowLeft")
    assert pressed_scores(page)["overall"] == ["3"]
    submit_and_wait_for_next(page)

    rating = Rating.objects.get(item=first)
    assert dict(rating.checks.values_list("checklist_item_id", "checked")) == {yes.id: True, no.id: False}
    assert rating.scores.get(axis__key="overall").score == 3
