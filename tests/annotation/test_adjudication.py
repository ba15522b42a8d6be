"""Adjudication: the final-label rule and its provenance, how far ratings disagree, the queue against the
threshold, recording a final label, and extra annotators for items that disagree (one thread; the concurrent
case is in test_concurrency.py)."""

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from annotation.adjudication_selectors import adjudication_queue, campaign_final_labels
from annotation.errors import FieldError, HyokaError
from annotation.final_labels import (
    ADJUDICATED, MAJORITY, SINGLE, UNANIMOUS, UNRESOLVED, FinalLabel, disagrees, final_label,
)
from annotation.kinds import likert, pairwise
from annotation.models import Adjudication, Campaign, CampaignMembership, ItemSlot
from annotation.services.adjudication import adjudication_record, campaign_adjudication_set
from annotation.services.workflow import item_next, rating_submit

from .pairwise_factories import pairwise_campaign
from .workflow_factories import FULL_SCORES, annotators, campaign_with_items, key, open_for_pull

# The final-label rule ------------------------------------------------------------------------------------


def test_all_raters_giving_the_same_answer_is_unanimous():
    assert final_label([{"verdict": "A"}] * 3) == FinalLabel({"verdict": "A"}, UNANIMOUS, 3)


def test_more_than_half_giving_a_value_on_every_key_is_a_majority_label():
    answers = [{"fluency": 4, "detail": 2}, {"fluency": 4, "detail": 3}, {"fluency": 5, "detail": 2}]
    assert final_label(answers) == FinalLabel({"detail": 2, "fluency": 4}, MAJORITY, 3)


@pytest.mark.parametrize("answers", [
    [{"verdict": "A"}, {"verdict": "B"}],  # two raters who differ
    [{"verdict": "A"}, {"verdict": "A"}, {"verdict": "B"}, {"verdict": "B"}],  # half and half is no majority
    [{"verdict": "A"}, {"verdict": "B"}, {"verdict": "tie"}],  # three ways
    [{"fluency": 4, "detail": 2}, {"fluency": 4, "detail": 3}],  # one key tied is enough
], ids=["two-differ", "two-two", "three-ways", "one-key-tied"])
def test_a_tie_leaves_the_item_unresolved_without_a_label(answers):
    assert final_label(answers) == FinalLabel(None, UNRESOLVED, len(answers))


def test_an_adjudicated_label_wins_over_any_rating():
    unanimous = [{"verdict": "A"}] * 3
    assert final_label(unanimous, {"verdict": "B"}) == FinalLabel({"verdict": "B"}, ADJUDICATED, 3)


def test_one_rating_is_a_single_label_and_none_is_unresolved():
    assert final_label([{"verdict": "tie"}]) == FinalLabel({"verdict": "tie"}, SINGLE, 1)
    assert final_label([]) == FinalLabel(None, UNRESOLVED, 0)


def test_likert_disagreement_is_the_largest_range_on_one_axis():
    answers = [{"fluency": 1, "detail": 3}, {"fluency": 2, "detail": 5}, {"fluency": 2, "detail": 4}]
    assert likert.disagreement(answers) == 2
    assert likert.disagreement([{"fluency": 3}]) == 0


def test_pairwise_disagreement_counts_the_votes_against_the_most_common_verdict():
    votes = [{"verdict": v} for v in ("A", "A", "B", "tie")]
    assert pairwise.disagreement(votes) == 2
    assert pairwise.disagreement([{"verdict": "A"}] * 2) == 0


def test_beyond_the_threshold_means_above_it_and_no_threshold_means_never():
    assert (disagrees(2, 1), disagrees(1, 1), disagrees(1, 0), disagrees(9, None)) == (True, False, True, False)


# The queue against the threshold --------------------------------------------------------------------------


def rate_each_item(campaign, people, answers_by_rater):
    """Each person in turn takes items and rates them with their answer for the item's position, until none left."""
    for person in people:
        while (item := item_next(annotator=person, campaign=campaign)) is not None:
            rating_submit(annotator=person, item=item, idempotency_key=key(),
                          **answers_by_rater[person.handle](item.position))


def scores(overall):
    return {"scores": {**FULL_SCORES, "overall": overall}}


@pytest.fixture
def rated_likert(db, lead):
    """Four items, k = 2, led by lena; rater 0 gives overall 3 to each, rater 1 3, 4, 5 and 1 by position: ranges 0, 1, 2, 2."""
    campaign = open_for_pull(campaign_with_items(slug="adj", items=4, models=2), batch_size=10)
    Campaign.objects.filter(pk=campaign.pk).update(created_by=lead)
    campaign.created_by = lead
    alice, bob = annotators(2, campaign, prefix="rater_kiyoshi_")
    bob_gives = {1: 3, 2: 4, 3: 5, 4: 1}
    rate_each_item(campaign, [alice, bob], {alice.handle: lambda _: scores(3),
                                            bob.handle: lambda pos: scores(bob_gives[pos])})
    return campaign


def queued_positions(campaign):
    return [entry.item.position for entry in adjudication_queue(campaign)]


def test_the_queue_holds_the_items_beyond_the_threshold(rated_likert):
    campaign = rated_likert
    assert queued_positions(campaign) == []  # no threshold: no adjudication
    for threshold, expected in ((0, [2, 3, 4]), (1, [3, 4]), (2, []), (3, [])):
        campaign_adjudication_set(campaign=campaign, threshold=threshold)
        assert queued_positions(campaign) == expected, f"threshold {threshold}"


def test_an_adjudicated_item_leaves_the_queue_with_its_label_and_provenance(rated_likert, lead):
    campaign = campaign_adjudication_set(campaign=rated_likert, threshold=1)
    entry = adjudication_queue(campaign)[0]
    assert (entry.disagreement, entry.final.provenance) == (2, UNRESOLVED)

    adjudication_record(item=entry.item, adjudicator=lead, scores={**FULL_SCORES, "overall": 4}, note="3と5の間")

    assert queued_positions(campaign) == [4]
    labels = {item.position: labels for item, labels in zip(
        campaign.items.order_by("position"), [campaign_final_labels(campaign)[i.id] for i in
                                              campaign.items.order_by("position")])}
    assert labels[1] == FinalLabel({**FULL_SCORES, "overall": 3}, UNANIMOUS, 2)
    assert labels[2].provenance == UNRESOLVED
    assert labels[3] == FinalLabel({**FULL_SCORES, "overall": 4}, ADJUDICATED, 2)
    assert Adjudication.objects.get(item=entry.item).note == "3と5の間"


def test_an_item_with_a_place_still_to_rate_waits_outside_the_queue(db):
    campaign = open_for_pull(campaign_with_items(slug="wait", items=1, models=1, overlap=3), batch_size=10)
    campaign_adjudication_set(campaign=campaign, threshold=0)
    people = annotators(3, campaign, prefix="w")
    for person, overall in zip(people[:2], (1, 5)):
        item = item_next(annotator=person, campaign=campaign)
        rating_submit(annotator=person, item=item, idempotency_key=key(), **scores(overall))
    assert queued_positions(campaign) == []
    item = item_next(annotator=people[2], campaign=campaign)
    rating_submit(annotator=people[2], item=item, idempotency_key=key(), **scores(5))
    assert queued_positions(campaign) == [1]


def test_a_split_pair_goes_to_the_queue_and_its_verdict_is_read_with_a_on_the_left(db, lead):
    campaign = open_for_pull(pairwise_campaign(slug="adj-pair", prompts=2), batch_size=10)
    campaign_adjudication_set(campaign=campaign, threshold=0)
    alice, bob = annotators(2, campaign, prefix="v")
    for person in (alice, bob):
        while (item := item_next(annotator=person, campaign=campaign)) is not None:
            split = item.position == 1 and person == bob
            rating_submit(annotator=person, item=item, idempotency_key=key(), verdict="both" if split else "neither")
    entry, = adjudication_queue(campaign)
    assert entry.item.position == 1 and entry.disagreement == 1

    adjudication_record(item=entry.item, adjudicator=lead, verdict="left", note="")

    assert campaign_final_labels(campaign)[entry.item.id] == FinalLabel({"verdict": "A"}, ADJUDICATED, 2)


def test_a_final_label_must_be_complete_and_in_range(rated_likert, lead):
    item = rated_likert.items.get(position=3)
    with pytest.raises(FieldError, match="scores.overall"):
        adjudication_record(item=item, adjudicator=lead, scores={**FULL_SCORES, "overall": 6})
    with pytest.raises(FieldError, match="every axis needs a score"):
        adjudication_record(item=item, adjudicator=lead, scores={"overall": 4})
    assert not Adjudication.objects.exists()


def test_the_settings_are_checked(rated_likert):
    with pytest.raises(FieldError, match="set a threshold"):
        campaign_adjudication_set(campaign=rated_likert, threshold=None, extra_raters_max=1)
    with pytest.raises(FieldError, match="from 0 to 10"):
        campaign_adjudication_set(campaign=rated_likert, threshold=1, extra_raters_max=11)
    assert Campaign.objects.get(pk=rated_likert.pk).disagreement_threshold is None


def test_nobody_adjudicates_an_item_nobody_rated(db, lead):
    campaign = campaign_with_items(slug="unrated", items=1, models=1)
    with pytest.raises(HyokaError, match="nobody has rated"):
        adjudication_record(item=campaign.items.get(), adjudicator=lead, scores=FULL_SCORES)


# Extra annotators ------------------------------------------------------------------------------------------


def test_an_item_that_disagrees_gets_one_more_annotator_up_to_the_maximum(db):
    campaign = open_for_pull(campaign_with_items(slug="extra", items=1, models=1), batch_size=10)
    campaign_adjudication_set(campaign=campaign, threshold=1, extra_raters_max=2)
    people = annotators(5, campaign, prefix="x")
    given = []
    for person, overall in zip(people, (1, 5, 3, 5, 1)):
        item = item_next(annotator=person, campaign=campaign)
        if item is None:
            break
        rating_submit(annotator=person, item=item, idempotency_key=key(), **scores(overall))
        given.append(overall)
    # 1 and 5 disagree: a third annotator; 1, 5, 3 still do: a fourth; then the maximum (2 extra) is reached.
    assert given == [1, 5, 3, 5]
    assert sorted(ItemSlot.objects.filter(campaign=campaign).values_list("extra", flat=True)) == [0, 0, 1, 2]
    assert item_next(annotator=people[4], campaign=campaign) is None


def test_an_item_whose_ratings_agree_gets_no_extra_annotator(db):
    campaign = open_for_pull(campaign_with_items(slug="agree", items=1, models=1), batch_size=10)
    campaign_adjudication_set(campaign=campaign, threshold=1, extra_raters_max=2)
    people = annotators(3, campaign, prefix="g")
    for person, overall in zip(people[:2], (4, 5)):
        item = item_next(annotator=person, campaign=campaign)
        rating_submit(annotator=person, item=item, idempotency_key=key(), **scores(overall))
    assert ItemSlot.objects.filter(campaign=campaign).count() == 2
    assert item_next(annotator=people[2], campaign=campaign) is None


# The pages -------------------------------------------------------------------------------------------------


def test_an_adjudicator_records_a_final_label_on_the_page_and_goes_to_the_next_item(client, rated_likert, lead):
    campaign = campaign_adjudication_set(campaign=rated_likert, threshold=1)
    judge = User.objects.create_user("judy", password="x")
    CampaignMembership.objects.create(campaign=campaign, user=judge, role=CampaignMembership.Role.ADJUDICATOR)
    client.force_login(judge)
    first, second = (entry.item for entry in adjudication_queue(campaign))

    queue = client.get(reverse("adjudication_queue", args=[campaign.slug])).content.decode()
    page = client.get(reverse("item_adjudicate", args=[campaign.slug, first.public_id])).content.decode()
    assert str(first.public_id) in queue and str(second.public_id) in queue
    # pseudonyms, never usernames (long enough not to occur by chance, as "r0" did in a CSRF token)
    assert page.count("data-rating=") == 2 and "ann-" in page and "rater_kiyoshi_" not in page
    posted = client.post(reverse("item_adjudicate", args=[campaign.slug, first.public_id]),
                         {**{f"score-{axis}": value for axis, value in FULL_SCORES.items()}, "note": "中間をとる"})

    assert posted.status_code == 302
    assert posted.url == reverse("item_adjudicate", args=[campaign.slug, second.public_id])
    assert Adjudication.objects.get(item=first).adjudicator == judge
    refused = client.post(reverse("adjudication_settings", args=[campaign.slug]), {"threshold": 3})
    assert refused.status_code == 403 and Campaign.objects.get(pk=campaign.pk).disagreement_threshold == 1


def test_an_incomplete_final_label_is_shown_back_with_the_reason(client, rated_likert, lead):
    campaign = campaign_adjudication_set(campaign=rated_likert, threshold=1)
    item = adjudication_queue(campaign)[0].item
    client.force_login(lead)
    page = client.post(reverse("item_adjudicate", args=[campaign.slug, item.public_id]), {"score-overall": 4})
    assert page.status_code == 200 and "every axis needs a score" in page.content.decode()
    assert not Adjudication.objects.exists()


def test_a_lead_sets_the_threshold_and_extra_annotators_on_the_queue_page(client, rated_likert, lead):
    client.force_login(lead)
    response = client.post(reverse("adjudication_settings", args=[rated_likert.slug]),
                           {"threshold": 1, "extra_raters_max": 2})
    assert response.status_code == 302
    campaign = Campaign.objects.get(pk=rated_likert.pk)
    assert (campaign.disagreement_threshold, campaign.extra_raters_max) == (1, 2)
    page = client.get(reverse("adjudication_queue", args=[campaign.slug])).content.decode()
    assert page.count("data-queue-item=") == 2


def test_an_exam_question_whose_people_split_is_adjudicated_on_its_page(client, db, lead, tmp_path):
    """Two annotators answer the exam's questions; on Q1 one says ① and the other ③: the question goes to the
    queue, its page shows the question, its choices and both answers, and the lead records ③ (a choice the
    question has; ⑨ is refused with the reason)."""
    from .exam_factories import exam_campaign

    campaign = open_for_pull(exam_campaign(slug="adj-exam", folder=tmp_path), batch_size=10)
    Campaign.objects.filter(pk=campaign.pk).update(created_by=lead)
    campaign_adjudication_set(campaign=campaign, threshold=0)
    answers = {"Q1": ("1", "3"), "Q2": ("3,1", "3,1"), "Q3": ("4,2", "2,4"), "Q4": ("2", "2")}
    for index, person in enumerate(annotators(2, campaign, prefix="x")):
        while (item := item_next(annotator=person, campaign=campaign)) is not None:
            rating_submit(annotator=person, item=item, idempotency_key=key(),
                          verdict=answers[item.exam_question.question_id][index])
    entry, = adjudication_queue(campaign)  # Q3's "4,2" is the set 2,4: the same answer
    assert entry.item.exam_question.question_id == "Q1" and entry.disagreement == 1
    client.force_login(lead)
    url = reverse("item_adjudicate", args=[campaign.slug, entry.item.public_id])

    page = client.get(url).content.decode()
    refused = client.post(url, {"verdict": "9", "note": ""})
    posted = client.post(url, {"verdict": "3", "note": "③ が正しい"})

    assert "水の化学式" in page and page.count("data-choice=") == 4 and page.count("data-rating=") == 2
    assert refused.status_code == 200 and "9 is not a choice of this question" in refused.content.decode()
    assert posted.status_code == 302 and posted.url == reverse("adjudication_queue", args=[campaign.slug])
    assert campaign_final_labels(campaign)[entry.item.id] == FinalLabel({"answer": "3"}, ADJUDICATED, 2)
