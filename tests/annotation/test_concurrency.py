"""Exactly k under concurrency: many annotators pull and submit at once, on PostgreSQL row locks; with extra
annotators for disagreement, exactly k plus those the rule added."""

import threading
from collections import Counter

import pytest
from django.db import connection, connections
from django.db.models import Count
from django.utils import timezone



from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from annotation import api, kinds
from annotation.adjudication_selectors import rating_answers
from annotation.final_labels import disagrees
from annotation.models import Campaign, Item, ItemSlot, PairOrder, Rating, RatingCheck, RatingScore
from annotation.services.workflow import item_next, rating_submit
from annotation.kinds.pairwise import pair_order

from .pairwise_factories import give_checklist, pairwise_campaign
from .workflow_factories import FULL_SCORES, annotators, campaign_with_items, key, open_for_pull

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),  # keeps the built-in rubrics
]


@pytest.fixture(autouse=True)
def needs_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("row locks (SELECT ... FOR UPDATE SKIP LOCKED) are a PostgreSQL guarantee; run bin/test with PostgreSQL")


def run_in_threads(workers, work):
    """Run ``work(worker)`` for every worker at once, each thread on its own connection; re-raise failures."""
    errors = []
    start = threading.Barrier(len(workers))

    def target(worker):
        try:
            start.wait()
            work(worker)
        except Exception as error:  # noqa: BLE001 - collected and re-raised in the main thread
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=target, args=(worker,)) for worker in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(thread.is_alive() for thread in threads), "a worker hung"
    if errors:
        raise errors[0]


def rate_until_done(campaign, double_submit=False):
    def work(annotator):
        while (item := item_next(annotator=annotator, campaign=campaign)) is not None:
            same = key()
            rating_submit(annotator=annotator, item=item, scores=FULL_SCORES, idempotency_key=same)
            if double_submit:  # a double click: the same key again
                rating_submit(annotator=annotator, item=item, scores=FULL_SCORES, idempotency_key=same)
    return work


def test_fifty_annotators_leave_every_item_with_exactly_k_ratings():
    campaign = open_for_pull(campaign_with_items(slug="race", items=300, models=3, overlap=3), batch_size=100)
    people = annotators(50, campaign)

    run_in_threads(people, rate_until_done(campaign, double_submit=True))

    per_item = Counter(dict(Item.objects.filter(campaign=campaign).annotate(n=Count("ratings")).values_list("id", "n")))
    assert len(per_item) == 300
    assert set(per_item.values()) == {3}, "an item ended with other than k ratings"
    distinct = Rating.objects.filter(item__campaign=campaign).values("item", "annotator").distinct().count()
    assert distinct == Rating.objects.filter(item__campaign=campaign).count() == 900
    assert RatingScore.objects.filter(rating__item__campaign=campaign).count() == 900 * len(FULL_SCORES)
    assert not ItemSlot.objects.filter(campaign=campaign, rating__isnull=True).exists()
    assert Rating.objects.filter(item__campaign=campaign).values("annotator").distinct().count() >= 10  # shared out


def test_expired_leases_return_items_to_the_pool_and_k_still_holds():
    campaign = open_for_pull(campaign_with_items(slug="lease", items=40, models=2, overlap=2), batch_size=40)
    quitters = annotators(10, campaign, prefix="quit")
    # Each quitter takes an item and walks away without submitting.
    run_in_threads(quitters, lambda annotator: item_next(annotator=annotator, campaign=campaign))
    abandoned = set(ItemSlot.objects.filter(annotator__in=quitters).values_list("item_id", flat=True))
    assert len(ItemSlot.objects.filter(annotator__in=quitters)) == 10

    ItemSlot.objects.filter(annotator__in=quitters).update(lease_expires_at=timezone.now() - timezone.timedelta(minutes=1))
    finishers = annotators(12, campaign, prefix="fin")
    run_in_threads(finishers, rate_until_done(campaign))

    counts = dict(Item.objects.filter(campaign=campaign).annotate(n=Count("ratings")).values_list("id", "n"))
    assert set(counts.values()) == {2}
    assert not Rating.objects.filter(annotator__in=quitters).exists()
    assert abandoned <= set(Rating.objects.filter(annotator__in=finishers).values_list("item_id", flat=True))


def test_pairs_get_exactly_k_verdicts_each_in_the_terms_of_the_order_its_annotator_saw():
    campaign = open_for_pull(pairwise_campaign(slug="pair-race", prompts=60, overlap=3), batch_size=60)
    with_checklist = {item.response.prompt_id: give_checklist(item.response.prompt, ["条件を守っている"])[0]
                      for item in campaign.items.select_related("response__prompt")[:20]}
    people = annotators(20, campaign)

    def work(annotator):
        while (item := item_next(annotator=annotator, campaign=campaign)) is not None:
            check = with_checklist.get(item.response.prompt_id)
            same = key()
            for _ in range(2):  # a double click: the same key again
                rating_submit(annotator=annotator, item=item, verdict="left", idempotency_key=same,
                              checks={str(check.id): {"left": True}} if check else {})

    run_in_threads(people, work)

    ratings = list(Rating.objects.filter(item__campaign=campaign).select_related("item"))
    per_item = Counter(rating.item_id for rating in ratings)
    assert len(per_item) == 60 and set(per_item.values()) == {3}
    for rating in ratings:
        order = pair_order(rating.item_id, rating.annotator_id)
        assert rating.position == order and rating.verdict == ("A" if order == PairOrder.AB else "B")
    assert {rating.position for rating in ratings} == {PairOrder.AB, PairOrder.BA}
    ticked = RatingCheck.objects.filter(rating__item__campaign=campaign)
    assert ticked.count() == 20 * 3 and set(ticked.values_list("checked", flat=True)) == {True}
    assert all(side == verdict for side, verdict in ticked.values_list("side", "rating__verdict"))  # both the left one


def test_the_same_submit_arriving_twice_at_once_stores_one_verdict_and_one_set_of_ticks():
    campaign = open_for_pull(pairwise_campaign(slug="pair-twice", prompts=1), batch_size=1)
    alice, = annotators(1, campaign)
    item = item_next(annotator=alice, campaign=campaign)
    check, = give_checklist(item.response.prompt, ["簡潔である"])
    same = key()
    outcomes = []

    def submit(_):
        outcomes.append(rating_submit(annotator=alice, item=item, verdict="right", idempotency_key=same,
                                      checks={str(check.id): {"right": False}})[1])

    run_in_threads([1, 2], submit)

    assert sorted(outcomes) == [False, True]
    assert Rating.objects.count() == 1 and RatingCheck.objects.count() == 1


def test_two_leads_creating_the_same_slug_at_once_get_one_campaign_and_one_clear_refusal():
    from annotation.errors import FieldError
    from annotation.services.campaigns import campaign_create

    refusals = []

    def create(name):
        try:
            campaign_create(slug="same-slug", name=name, rubric_key="quality-5x5")
        except FieldError as error:
            refusals.append(str(error))

    for _ in range(5):  # the race window is narrow: try it a few times
        run_in_threads(["first", "second"], create)
        assert Campaign.objects.filter(slug="same-slug").count() == 1
        Campaign.objects.filter(slug="same-slug").delete()
    assert len(refusals) == 5
    assert all("a campaign same-slug exists already" in message for message in refusals)


# Extra annotators for disagreement: k plus what the rule added, never more ----------------------------------

def likert_answer(index):
    return {"scores": {**FULL_SCORES, "overall": 1 + index % 5}}  # annotators disagree often, not always


def pairwise_answer(index):
    return {"verdict": ("left", "right", "both")[index % 3]}


def assert_extra_raters_follow_the_rule(campaign):
    """Every slot rated, by distinct annotators; extra slots numbered 1..n with n at most the maximum; an item
    stopped short of the maximum only when its ratings agree, and got its last extra only when the ratings
    before it disagreed."""
    kind = kinds.for_campaign(campaign)
    answers = {rating: answer for rated in rating_answers(kind, item__campaign=campaign).values()
               for rating, answer in rated}
    threshold, most = campaign.disagreement_threshold, campaign.extra_raters_max
    added = Counter()
    for item in Item.objects.filter(campaign=campaign):
        slots = list(ItemSlot.objects.filter(item=item).order_by("extra", "id"))
        assert all(slot.rating_id for slot in slots), "a place to rate left open"
        assert len({slot.annotator_id for slot in slots}) == len(slots)
        extras = [slot.extra for slot in slots if slot.extra]
        assert extras == list(range(1, len(extras) + 1)) and len(extras) <= most, extras
        given = [answers[slot.rating_id] for slot in slots]
        if len(extras) < most:
            assert not disagrees(kind.disagreement(given), threshold), "an item that disagrees got no extra rater"
        if extras:
            assert disagrees(kind.disagreement(given[:-1]), threshold), "an extra rater for an item that agreed"
        added[len(extras)] += 1
    assert Rating.objects.filter(item__campaign=campaign).count() == ItemSlot.objects.filter(campaign=campaign).count()
    return added


def extra_raters_campaign(campaign):
    Campaign.objects.filter(pk=campaign.pk).update(disagreement_threshold=0, extra_raters_max=2)
    return Campaign.objects.get(pk=campaign.pk)


@pytest.mark.parametrize("make_campaign, answer", [
    (lambda: campaign_with_items(slug="extra", items=60, models=3), likert_answer),
    (lambda: pairwise_campaign(slug="extra", prompts=60), pairwise_answer),
], ids=["likert", "pairwise"])
def test_thirty_annotators_at_once_never_give_an_item_more_raters_than_k_plus_the_extra_ones(make_campaign, answer):
    campaign = extra_raters_campaign(open_for_pull(make_campaign(), batch_size=100))
    people = annotators(30, campaign)
    index = {person.pk: number for number, person in enumerate(people)}

    def work(annotator):
        while (item := item_next(annotator=annotator, campaign=campaign)) is not None:
            rating_submit(annotator=annotator, item=item, idempotency_key=key(), **answer(index[annotator.pk]))

    run_in_threads(people, work)

    added = assert_extra_raters_follow_the_rule(campaign)
    assert added[0] and added[2], f"the answers should leave some items agreeing and some not: {dict(added)}"
    assert max(per_item_count(campaign).values()) == campaign.overlap + campaign.extra_raters_max


def test_token_clients_on_the_short_way_add_extra_raters_by_the_same_rule(monkeypatch):
    def refuse(self, request, **kwargs):
        raise AssertionError("the DRF view was reached: the short way handed the submit over")
    monkeypatch.setattr(api.RatingApi, "post", refuse)
    campaign = extra_raters_campaign(open_for_pull(campaign_with_items(slug="extra", items=60, models=3)))
    people = annotators(30, campaign)
    clients = {person.pk: token_client(person.user) for person in people}
    index = {person.pk: number for number, person in enumerate(people)}

    def work(annotator):
        client = clients[annotator.pk]
        while (response := client.post("/api/campaigns/extra/next/")).status_code == 200:
            body = {**likert_answer(index[annotator.pk]), "idempotency_key": str(key())}
            stored = client.post(f"/api/items/{response.json()['id']}/rating/", body, format="json")
            assert stored.status_code == 201, stored.content
        assert response.status_code == 204, response.content

    run_in_threads(people, work)

    added = assert_extra_raters_follow_the_rule(campaign)
    assert added[0] and added[2], dict(added)


def per_item_count(campaign):
    return dict(Item.objects.filter(campaign=campaign).annotate(n=Count("ratings")).values_list("id", "n"))


def token_client(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client
