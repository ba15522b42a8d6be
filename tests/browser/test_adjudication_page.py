"""A lead adjudicates in real Chromium with the keyboard alone: the queue of a likert campaign with a disagreement
threshold, the first item with every rating under its pseudonym and with its comment, a final label given axis by
axis with digits, a note, Ctrl+Enter, and the next item of the queue; the label is stored as adjudicated."""

import re

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse

from annotation.adjudication_selectors import campaign_final_labels
from annotation.models import Adjudication, Campaign, CampaignMembership, Item, Prompt, Rating, RatingScore, Response
from annotation.services.adjudication import campaign_adjudication_set
from tests.annotation.workflow_factories import annotators, campaign_with_items

from .pages import sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),  # keeps the built-in rubrics
]

PASSWORD = "lena-password"
AXES = ("relevance", "fluency", "accuracy", "detail", "overall")
PROMPT = "日本の四季について、小学生にもわかるように説明してください。"
ANSWER = ("日本には春、夏、秋、冬の四つの季節があります。春は桜が咲き、夏は暑くて海で泳げます。秋は木の葉が赤や黄色に"
          "なり、冬は雪が降る地方もあります。")
# Per item in queue position order: each rater's scores and comment. Threshold 1: item 1 (overall 2 vs 5) and
# item 3 (fluency 2 vs 4) disagree beyond it; item 2 (ranges of 1 at most) does not.
RATINGS = {
    1: [((4, 4, 3, 4, 2), "説明が簡単すぎる"), ((5, 5, 4, 4, 5), "小学生向けとして十分"), ((4, 5, 3, 3, 3), "冬の説明が短い")],
    2: [((3, 3, 3, 3, 3), "普通"), ((4, 3, 3, 4, 3), "")],
    3: [((3, 2, 3, 3, 3), "不自然な表現がある"), ((3, 4, 3, 3, 3), "自然")],
}
FINAL = (5, 4, 4, 4, 4)  # the digits the lead presses, axis by axis
NOTE = "対象読者を考えると総合4が妥当"


@pytest.fixture
def campaign(db):
    """Three rated items of a likert campaign led by lena, threshold 1; the first with a real prompt and answer."""
    campaign = campaign_with_items(slug="jp-adjudicate", items=3, models=1)
    Campaign.objects.filter(pk=campaign.pk).update(name="日本語品質の裁定")
    lena = User.objects.create_user("lena", password=PASSWORD)
    lena.groups.add(Group.objects.get(name="lead"))
    CampaignMembership.objects.create(campaign=campaign, user=lena, role=CampaignMembership.Role.LEAD)
    campaign_adjudication_set(campaign=campaign, threshold=1)
    raters = annotators(3, campaign=campaign, prefix="rater")
    axes = {axis.key: axis for axis in campaign.rubric.axes.all()}
    for position, item in enumerate(campaign.items.order_by("id"), start=1):
        Item.objects.filter(pk=item.pk).update(position=position)
        for rater, (values, comment) in zip(raters, RATINGS[position]):
            rating = Rating.objects.create(item=item, annotator=rater, comment=comment)
            RatingScore.objects.bulk_create(RatingScore(rating=rating, axis=axes[key], score=value)
                                            for key, value in zip(AXES, values))
    first = campaign.items.get(position=1)
    Prompt.objects.filter(pk=first.response.prompt_id).update(turns=[PROMPT])
    Response.objects.filter(pk=first.response_id).update(turns=[ANSWER])
    return Campaign.objects.get(pk=campaign.pk)


def adjudicate_url(campaign, item):
    return reverse("item_adjudicate", args=[campaign.slug, item.public_id])


def test_a_lead_adjudicates_the_first_item_of_the_queue_with_the_keyboard_alone(
        live_server, browser_page, campaign, artifacts):
    page = browser_page
    items = {item.position: item for item in campaign.items.all()}
    sign_in(page, live_server, "lena", reverse("adjudication_queue", args=[campaign.slug]))
    queued = page.locator("[data-queue-item]").evaluate_all("rows => rows.map(row => row.dataset.queueItem)")
    assert queued == [str(items[1].public_id), str(items[3].public_id)]  # item 2 is within the threshold
    assert page.locator("[data-queue-item] [data-disagreement]").all_inner_texts() == ["3", "2"]

    page.keyboard.press("Enter")  # the first item's link has the focus
    page.wait_for_url(f"{live_server.url}{adjudicate_url(campaign, items[1])}")
    assert PROMPT in page.inner_text("main") and ANSWER[:20] in page.inner_text("main")
    rows = page.locator("[data-table=ratings] tbody tr")
    assert rows.count() == 3
    names = [rows.nth(n).locator("th").inner_text().strip() for n in range(3)]
    assert all(re.fullmatch(r"ann-[0-9a-f]{8}", name) for name in names) and len(set(names)) == 3
    for n, (values, comment) in enumerate(RATINGS[1]):
        assert rows.nth(n).locator("[data-score]").all_inner_texts() == [str(value) for value in values]
        assert rows.nth(n).locator("[data-comment]").inner_text().strip() == comment
    html = page.content()
    assert not any(f"rater{n}" in html for n in range(3))  # pseudonyms only, never the annotators' names
    assert page.locator("[data-provenance]").get_attribute("data-provenance") == "unresolved"

    for digit in FINAL:
        page.keyboard.press(str(digit))
    assert page.evaluate("document.activeElement.matches('[data-note]')")
    page.keyboard.type(NOTE)
    chosen = [page.locator(f"input[name=score-{key}]:checked").get_attribute("value") for key in AXES]
    assert chosen == [str(value) for value in FINAL]
    page.screenshot(path=str(artifacts / "adjudication-page.png"), full_page=True)
    page.keyboard.press("Control+Enter")

    page.wait_for_url(f"{live_server.url}{adjudicate_url(campaign, items[3])}")
    adjudication = Adjudication.objects.get()
    assert (adjudication.item_id, adjudication.adjudicator.username, adjudication.note) == (items[1].id, "lena", NOTE)
    assert {score.axis.key: score.score for score in adjudication.scores.select_related("axis")} == dict(
        zip(AXES, FINAL))
    final = campaign_final_labels(campaign)[items[1].id]
    assert (final.provenance, final.label, final.n_ratings) == ("adjudicated", dict(zip(AXES, FINAL)), 3)
    page.goto(f"{live_server.url}{reverse('adjudication_queue', args=[campaign.slug])}")
    assert page.locator("[data-queue-item]").evaluate_all("rows => rows.map(row => row.dataset.queueItem)") == [
        str(items[3].public_id)]
