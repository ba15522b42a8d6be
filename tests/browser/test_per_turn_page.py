"""An annotator scores a two-turn item turn by turn with the keyboard alone, in real Chromium (a campaign that
scores each turn: every axis once for turn 1, then once for turn 2)."""

import pytest
from django.contrib.auth.models import Group, User

from annotation.models import Campaign, CampaignMembership, Rating, RatingScore
from annotation.services.workflow import (
    annotator_for_user, campaign_assign_batches, campaign_cut_batches, campaign_open,
)
from judging.testing.campaigns import campaign_for_judging

from .pages import sign_in, start_work
from .test_rating_page import PASSWORD, item_id_of, type_keys

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),  # keeps the built-in rubrics
]

AXES = ("relevance", "fluency", "accuracy", "detail", "overall")


@pytest.fixture
def campaign(db):
    """Two two-turn items scored per turn, assigned to alice and carol (k = 2), open."""
    campaign = campaign_for_judging(slug="mt-turns", items=2, models=2, turns=2)
    Campaign.objects.filter(pk=campaign.pk).update(per_turn_scores=True, overlap=2)
    group = Group.objects.get(name="annotator")
    people = []
    for name in ("alice", "carol"):
        user = User.objects.create_user(name, password=PASSWORD if name == "alice" else "x")
        user.groups.add(group)
        CampaignMembership.objects.create(campaign=campaign, user=user, role=CampaignMembership.Role.ANNOTATOR)
        people.append(annotator_for_user(user))
    campaign.refresh_from_db()
    campaign_cut_batches(campaign=campaign, size=2, order="prompt")
    campaign_assign_batches(campaign=campaign, annotators=people)
    return campaign_open(campaign=campaign, mode=Campaign.Mode.BATCHES)


def pressed(page, turn):
    return [page.locator(f"[data-axis={axis}][data-turn='{turn}'] [aria-pressed=true]").all_inner_texts()
            for axis in AXES]


def axis_in_focus(page):
    return page.evaluate("(() => { const axis = document.activeElement.closest('[data-axis]');"
                         " return [axis.dataset.axis, axis.dataset.turn]; })()")


def test_digits_score_turn_one_then_turn_two_and_the_rating_keeps_each_turn(live_server, browser_page, campaign,
                                                                             artifacts):
    page = browser_page
    sign_in(page, live_server, "alice")
    start_work(page, "[data-score]")
    first = item_id_of(page)
    assert axis_in_focus(page) == ["relevance", "1"]

    # Turn 1's five axes, then two of turn 2's; the draft (per turn) survives a reload.
    with page.expect_response(lambda r: r.url.endswith(f"/api/items/{first}/draft/") and r.status == 204):
        type_keys(page, ["4", "5", "3", "2", "4", "1", "2"])
    page.reload()
    page.wait_for_function("document.activeElement && document.activeElement.matches('[data-score]')")
    assert pressed(page, 1) == [["4"], ["5"], ["3"], ["2"], ["4"]]
    assert pressed(page, 2) == [["1"], ["2"], [], [], []]
    assert axis_in_focus(page) == ["accuracy", "2"]  # the first axis left unscored: turn 2's accuracy

    # Enter with turn 2's overall unscored: refused on the page, the focus on the missing axis.
    type_keys(page, ["3", "5"])
    page.keyboard.press("Enter")
    page.wait_for_function("document.querySelector('[data-status]').textContent.length > 0")
    assert axis_in_focus(page) == ["overall", "2"]
    assert not Rating.objects.exists()
    page.keyboard.press("4")
    page.screenshot(path=str(artifacts / "rating-page-per-turn.png"), full_page=True)
    before = page.url
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: url != before and "/items/" in url)

    scores = {(turn, axis): score for turn, axis, score in RatingScore.objects.filter(
        rating__item__public_id=first).values_list("turn", "axis__key", "score")}
    assert scores == {(1, "relevance"): 4, (1, "fluency"): 5, (1, "accuracy"): 3, (1, "detail"): 2, (1, "overall"): 4,
                      (2, "relevance"): 1, (2, "fluency"): 2, (2, "accuracy"): 3, (2, "detail"): 5, (2, "overall"): 4}
