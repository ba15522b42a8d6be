"""An LLM answer with hostile HTML, links and a Markdown table, and an empty answer, on the rating page in real
Chromium: nothing in the answer runs, the table is a table, the raw view shows the text exactly, the keys still
work and the empty answer is said to be empty."""

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse

from annotation.models import Campaign, CampaignMembership, Draft, Prompt, Response
from annotation.services.workflow import (
    annotator_for_user, campaign_assign_batches, campaign_cut_batches, campaign_open, item_next,
)
from tests.annotation.workflow_factories import campaign_with_items

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),  # keeps the built-in rubrics
]

PASSWORD = "alice-password"
PROMPT = "日本の四季を表にしてください。\n\n**短く**お願いします。"
HOSTILE = (
    "<script>window.pwned = 'script'; document.title = 'pwned'</script>\n\n"
    "<img src=x onerror=\"window.pwned = 'img'; document.title = 'pwned'\">\n\n"
    "[押してください](javascript:window.pwned='link';document.title='pwned') と [公式](https://example.org/)\n\n"
    "| 季節 | 気温 |\n|---|---:|\n| **春** | 15 |\n| 夏 | 30 |\n\n"
    "  字下げと\r\n改行と末尾の空白  \n"
)

from .pages import sign_in


@pytest.fixture
def alices_item(db):
    """One open campaign whose answers are HOSTILE then an empty second turn; alice's first item."""
    campaign = campaign_with_items(slug="texts", items=2, models=2)
    Prompt.objects.filter(source="texts").update(turns=[PROMPT, "二つ目の質問"])
    Response.objects.filter(prompt__source="texts").update(turns=[HOSTILE, ""])
    group = Group.objects.get(name="annotator")
    people = []
    for name in ("alice", "carol"):
        user = User.objects.create_user(name, password=PASSWORD if name == "alice" else "x")
        user.groups.add(group)
        CampaignMembership.objects.create(campaign=campaign, user=user, role=CampaignMembership.Role.ANNOTATOR)
        people.append(annotator_for_user(user))
    campaign_cut_batches(campaign=campaign, size=2, order="prompt")
    campaign_assign_batches(campaign=campaign, annotators=people)
    campaign = campaign_open(campaign=campaign, mode=Campaign.Mode.BATCHES)
    return item_next(annotator=people[0], campaign=campaign)


def open_item(page, live_server, item):
    path = reverse("item_rate", args=[item.public_id])
    sign_in(page, live_server, "alice", path)
    page.wait_for_function("document.activeElement && document.activeElement.matches('[data-score]')")


def text_content(page, selector):
    return page.locator(selector).evaluate("element => element.textContent")


def test_an_answer_runs_nothing_shows_its_table_and_its_raw_text_exactly(live_server, browser_page, alices_item,
                                                                         artifacts):
    page = browser_page
    open_item(page, live_server, alices_item)
    answer = page.locator("[data-response-turn='1']")
    page.wait_for_timeout(300)  # time for an image's error handler, were there an image

    assert page.evaluate("window.pwned") is None and page.title() != "pwned"
    assert answer.locator("script, img, iframe, [onerror]").count() == 0
    table = answer.locator("table")
    assert table.count() == 1 and table.locator("tbody tr").count() == 2
    assert table.locator("tbody tr").first.locator("td").all_inner_texts() == ["春", "15"]
    assert table.locator("strong").inner_text() == "春"
    assert "押してください" in answer.inner_text() and answer.locator("a[href^='javascript']").count() == 0
    safe = answer.locator("a", has_text="公式")
    assert safe.get_attribute("href") == "https://example.org/" and safe.get_attribute("target") == "_blank"
    assert "noopener" in safe.get_attribute("rel").split()
    assert page.locator("[data-prompt-turn='1'] strong").inner_text() == "短く"
    page.screenshot(path=str(artifacts / "texts-formatted.png"), full_page=True)

    # The empty second answer is said to be empty, not an empty box.
    marker = page.locator("[data-response-turn='2'] [data-empty-text]")
    assert marker.is_visible() and marker.inner_text() == "（空の回答）"
    assert marker.get_attribute("aria-label") == "空の回答：モデルは何も出力していません"

    # R shows the texts exactly as stored, and the keys still score.
    assert answer.locator("[data-raw-text]").is_hidden()
    page.keyboard.press("r")
    raw = answer.locator("[data-raw-text]")
    assert raw.is_visible() and answer.locator("[data-rendered-text]").is_hidden()
    assert text_content(page, "[data-response-turn='1'] [data-raw-text]") == HOSTILE
    assert text_content(page, "[data-prompt-turn='1'] [data-raw-text]") == PROMPT
    assert text_content(page, "[data-response-turn='2'] [data-raw-text]") == "" and marker.is_visible()
    assert page.evaluate("window.pwned") is None and page.locator("[data-toggle-raw]").get_attribute(
        "aria-pressed") == "true"
    page.screenshot(path=str(artifacts / "texts-raw.png"), full_page=True)
    with page.expect_response(lambda r: r.url.endswith("/draft/") and r.status == 204):
        page.keyboard.press("4")
    assert page.locator("[data-axis=relevance] [aria-pressed=true]").inner_text() == "4"

    # Remembered for the tab: still raw after a reload; the button turns it back, from the keyboard too.
    page.reload()
    page.wait_for_function("document.activeElement && document.activeElement.matches('[data-score]')")
    assert page.locator("[data-response-turn='1'] [data-raw-text]").is_visible()
    toggle = page.locator("[data-toggle-raw]")
    toggle.focus()
    page.keyboard.press("Enter")
    assert toggle.get_attribute("aria-pressed") == "false"
    assert page.locator("[data-response-turn='1'] [data-rendered-text]").is_visible()
    with page.expect_response(lambda r: r.url.endswith("/draft/") and r.status == 204):
        page.keyboard.press("5")  # focus on the toggle: digits still score
    assert page.locator("[data-axis=fluency] [aria-pressed=true]").inner_text() == "5"
    assert Draft.objects.get().scores == {"relevance": 4, "fluency": 5}
    assert "テキストを書かれたまま" in page.locator("#keyboard-help-keys").inner_text()
