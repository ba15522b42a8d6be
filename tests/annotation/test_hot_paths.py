"""The short way for the two hot calls (annotation.hot_paths): token clients get the same answers as the DRF views
give, on PostgreSQL in one statement per call and on SQLite in a few (annotation.hot_sqlite); everything out of the
ordinary reaches the DRF views; and the slot tally kept by triggers agrees with a count of the slots.

The suite runs on PostgreSQL; tests/test_embedded_default.py runs this module again on SQLite, the embedded
default's database."""

import json
import threading
import uuid
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.db import connection, connections, transaction
from django.db.models import Count, Q
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from annotation import api, hot_paths
from annotation.models import (
    Batch, Campaign, ChecklistItem, Draft, Item, ItemSlot, PairOrder, Rating, RatingScore, SlotTally,
)
from annotation.services import workflow
from annotation.kinds.pairwise import pair_order, pair_order_sql
from annotation.workflow_selectors import item_for_rating

from .pairwise_factories import give_checklist, pairwise_campaign
from .workflow_factories import FULL_SCORES, annotators, campaign_with_items, key, open_for_pull

postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's statements")


def token_client(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


@pytest.fixture
def no_drf(monkeypatch):
    """Fail the test if a call reaches the DRF views, so that passing means the short way answered."""
    def refuse(self, request, **kwargs):
        raise AssertionError(f"{type(self).__name__} was reached: the short way handed the call over")
    monkeypatch.setattr(api.NextItemApi, "post", refuse)
    monkeypatch.setattr(api.RatingApi, "post", refuse)


@pytest.fixture
def campaign(db):
    return open_for_pull(campaign_with_items(slug="hot", items=6))


@pytest.fixture
def alice(campaign):
    return annotators(1, campaign, prefix="alice")[0]


def normalised(payload):
    return json.loads(json.dumps(payload, default=str))


class TestShortWay:
    def test_next_item_is_what_the_rating_page_would_show(self, campaign, alice, no_drf):
        client = token_client(alice.user)
        claimed = client.post("/api/campaigns/hot/next/?lang=en")
        item = Item.objects.get(public_id=claimed.json()["id"])
        assert claimed.status_code == 200
        assert claimed.json() == normalised(item_for_rating(item, alice, "en"))
        assert claimed.json()["progress"] == {"done": 0, "total": 1} and claimed.json()["draft"] is None

        Draft.objects.create(item=item, annotator=alice, scores={"fluency": 2}, comment="途中", flags=["broken"],
                             seconds_spent=5)
        held = client.post("/api/campaigns/hot/next/")
        assert held.json() == normalised(item_for_rating(item, alice, "ja"))
        assert held.json()["draft"]["scores"] == {"fluency": 2} and held.json()["axes"][0]["label"] == "関連性"

    def test_next_item_carries_the_checklist_and_the_drafts_ticks(self, campaign, alice, no_drf):
        client = token_client(alice.user)
        item = Item.objects.get(public_id=client.post("/api/campaigns/hot/next/").json()["id"])
        second, first = (ChecklistItem.objects.create(prompt=item.response.prompt, position=n, text=text)
                         for n, text in ((1, "二つ目"), (0, "一つ目")))
        Draft.objects.create(item=item, annotator=alice, scores={}, checks={str(first.id): True})
        held = client.post("/api/campaigns/hot/next/")
        assert held.json() == normalised(item_for_rating(item, alice, "ja"))
        assert held.json()["checklist"] == [{"id": first.id, "text": "一つ目"}, {"id": second.id, "text": "二つ目"}]
        assert held.json()["draft"]["checks"] == {str(first.id): True}

    def test_the_held_item_comes_back_with_its_lease_renewed(self, campaign, alice, no_drf):
        client = token_client(alice.user)
        first = client.post("/api/campaigns/hot/next/").json()
        ItemSlot.objects.filter(annotator=alice).update(lease_expires_at=timezone.now() + timedelta(minutes=1))
        again = client.post("/api/campaigns/hot/next/").json()

        assert again["id"] == first["id"] and again["progress"] == {"done": 0, "total": 1}
        slot = ItemSlot.objects.get(annotator=alice)
        assert slot.lease_expires_at > timezone.now() + timedelta(minutes=29)

    def test_submit_stores_the_rating_fills_the_slot_and_drops_the_draft(self, campaign, alice, no_drf):
        client = token_client(alice.user)
        item = client.post("/api/campaigns/hot/next/").json()
        Draft.objects.create(item=Item.objects.get(public_id=item["id"]), annotator=alice, scores={"detail": 1})
        idempotency_key = key()
        response = client.post(f"/api/items/{item['id']}/rating/", {
            "scores": FULL_SCORES, "idempotency_key": str(idempotency_key), "comment": "良い", "flags": ["harmful"],
            "seconds_spent": 42}, format="json")

        assert response.status_code == 201
        rating = Rating.objects.get(public_id=response.json()["id"])
        assert response.json() == {"id": str(rating.public_id), "revision": 1, "created": True}
        assert dict(rating.scores.values_list("axis__key", "score")) == FULL_SCORES
        assert (rating.comment, rating.flags, rating.seconds_spent, rating.idempotency_key, rating.source) == (
            "良い", ["harmful"], 42, idempotency_key, Rating.Source.WEB)
        assert ItemSlot.objects.get(annotator=alice).rating == rating
        assert ItemSlot.objects.get(annotator=alice).lease_expires_at is None
        assert not Draft.objects.exists()
        following = client.post("/api/campaigns/hot/next/").json()
        assert following["id"] != item["id"] and following["progress"] == {"done": 1, "total": 2}


class TestHandedOver:
    """What the short way leaves to the DRF views: their answers, with nothing written by the short way."""

    def test_a_repeated_submit_returns_the_stored_rating(self, campaign, alice):
        client = token_client(alice.user)
        item = client.post("/api/campaigns/hot/next/").json()
        body = {"scores": FULL_SCORES, "idempotency_key": str(key())}
        first = client.post(f"/api/items/{item['id']}/rating/", body, format="json")
        again = client.post(f"/api/items/{item['id']}/rating/", body, format="json")
        assert (first.status_code, again.status_code) == (201, 200)
        assert again.json() == {"id": first.json()["id"], "revision": 1, "created": False}
        assert Rating.objects.count() == 1 and RatingScore.objects.count() == 5

    def test_a_new_key_on_a_rated_item_is_a_revision(self, campaign, alice):
        client = token_client(alice.user)
        item = client.post("/api/campaigns/hot/next/").json()
        client.post(f"/api/items/{item['id']}/rating/", {"scores": FULL_SCORES, "idempotency_key": str(key())},
                    format="json")
        revised = client.post(f"/api/items/{item['id']}/rating/",
                              {"scores": {**FULL_SCORES, "overall": 1}, "idempotency_key": str(key())}, format="json")
        assert revised.status_code == 201 and revised.json()["revision"] == 2
        assert Rating.objects.get().scores.get(axis__key="overall").score == 1

    @pytest.mark.parametrize("change, message", [
        ({"scores": {**FULL_SCORES, "overall": 9}}, "scores.overall: score 9 is outside the axis range 1..5"),
        ({"scores": {"relevance": 4}}, "scores.fluency: every axis needs a score before submitting"),
        ({"scores": {**FULL_SCORES, "style": 3}}, "scores.style: the rubric has no axis 'style'"),
    ])
    def test_bad_scores_get_the_services_400_and_nothing_is_written(self, campaign, alice, change, message):
        client = token_client(alice.user)
        item = client.post("/api/campaigns/hot/next/").json()
        response = client.post(f"/api/items/{item['id']}/rating/", {"idempotency_key": str(key()), **change},
                               format="json")
        assert (response.status_code, response.json()) == (400, {"detail": message})
        assert not Rating.objects.exists() and not RatingScore.objects.exists()
        assert ItemSlot.objects.get(annotator=alice).rating is None

    def test_a_wrong_token_is_refused_and_someone_elses_item_is_404(self, campaign, alice):
        bob = annotators(1, campaign, prefix="bob")[0]
        item = token_client(alice.user).post("/api/campaigns/hot/next/").json()
        stranger = APIClient()
        stranger.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567")
        refused = stranger.post("/api/campaigns/hot/next/", HTTP_ACCEPT_LANGUAGE="en")
        assert refused.status_code == 403 and refused.json()["detail"] == "トークンが正しくありません。"
        assert token_client(bob.user).post(f"/api/items/{item['id']}/rating/", {
            "scores": FULL_SCORES, "idempotency_key": str(key())}, format="json").status_code == 404
        outsider = annotators(1, prefix="olga")[0]
        assert token_client(outsider.user).post("/api/campaigns/hot/next/").status_code == 404
        assert not Rating.objects.exists()

    def test_a_session_request_goes_through_drf_with_its_csrf_check(self, campaign, alice):
        browser = APIClient(enforce_csrf_checks=True)
        browser.force_login(alice.user)
        response = browser.post("/api/campaigns/hot/next/")
        assert response.status_code == 403 and "CSRF" in response.json()["detail"]
        assert not ItemSlot.objects.filter(annotator=alice).exists()



class TestPairs:
    """Pairwise items take the short way too: the payload item_for_rating gives, in the order each annotator is
    shown, and the verdict and ticks stored in the item's terms as the service stores them."""

    @pytest.fixture
    def pairs(self, db):
        campaign = open_for_pull(pairwise_campaign(slug="pairs", prompts=12, verdicts=("A", "B", "tie")))
        for item in Item.objects.filter(campaign=campaign).select_related("response__prompt"):
            give_checklist(item.response.prompt, ["前提を守っている", "簡潔である"])
        return campaign

    @staticmethod
    def first_items(campaign, people, client_of, at_least=8):
        """Annotators' first items through the short way: `at_least` of them, and more until both orders have
        been shown. The order is a hash of the item's and the annotator's ids, which the database hands out, so a
        fixed number of annotators could all see one order (8 do, one time in 128)."""
        taken = []
        for annotator in people:
            payload = client_of(annotator).post(f"/api/campaigns/{campaign.slug}/next/?lang=en").json()
            item = Item.objects.get(public_id=payload["id"])
            taken.append((annotator, item, payload, pair_order(item.id, annotator.id)))
            if len(taken) >= at_least and {order for *_, order in taken} == {PairOrder.AB, PairOrder.BA}:
                return taken
        raise AssertionError(f"{len(people)} annotators' first items all came in one order")

    def test_next_item_is_what_the_rating_page_would_show_in_both_orders(self, pairs, no_drf):
        people = annotators(24, pairs, prefix="pw")
        for annotator, item, payload, order in self.first_items(pairs, people, lambda a: token_client(a.user)):
            assert payload == normalised(item_for_rating(item, annotator, "en"))
            assert payload["kind"] == "pairwise" and [v["value"] for v in payload["verdicts"]] == [
                "left", "right", "tie"]
            first, second = ChecklistItem.objects.filter(prompt=item.response.prompt).order_by("position")
            Draft.objects.create(item=item, annotator=annotator, verdict="A", comment="途中",
                                 checks={str(first.id): {"A": True, "B": False}, str(second.id): {"B": True}})
            held = token_client(annotator.user).post("/api/campaigns/pairs/next/").json()
            assert held == normalised(item_for_rating(item, annotator, "ja"))
            a_side = "left" if order == PairOrder.AB else "right"
            b_side = "right" if order == PairOrder.AB else "left"
            assert held["draft"]["verdict"] == a_side
            assert held["draft"]["checks"] == {str(first.id): {a_side: True, b_side: False},
                                               str(second.id): {b_side: True}}

    @pytest.mark.parametrize("verdict", ["left", "right", "tie"])
    def test_submit_stores_the_verdict_and_ticks_as_the_service_does(self, pairs, no_drf, verdict):
        people = annotators(24, pairs, prefix="pw")
        for annotator, item, _, order in self.first_items(pairs, people, lambda a: token_client(a.user)):
            first, second = ChecklistItem.objects.filter(prompt=item.response.prompt).order_by("position")
            body = {"verdict": verdict, "checks": {str(first.id): {"left": True, "right": False},
                                                   str(second.id): {"right": True}},
                    "comment": "左が良い", "flags": ["broken"], "seconds_spent": 9}
            with transaction.atomic():  # what the service would store, then rolled back
                by_service, _ = workflow.rating_submit(annotator=annotator, item=item, idempotency_key=key(), **body)
                expected = stored(by_service)
                transaction.set_rollback(True)

            response = token_client(annotator.user).post(f"/api/items/{item.public_id}/rating/",
                                                         {**body, "idempotency_key": str(key())}, format="json")

            assert response.status_code == 201
            rating = Rating.objects.get(public_id=response.json()["id"])
            assert stored(rating) == expected and rating.position == order
            assert ItemSlot.objects.get(item=item, annotator=annotator).rating == rating

    @pytest.mark.parametrize("change, field", [
        ({"verdict": "both"}, "verdict"),  # not offered by this rubric
        ({"verdict": "A"}, "verdict"),  # the item's terms, not the screen's
        ({"verdict": "left", "checks": {"999999": {"left": True}}}, "checks.999999"),
        ({"verdict": "left", "checks": "{PROMPT}"}, "checks."),  # a likert tick on a pair
    ])
    def test_a_submit_the_statement_does_not_take_gets_the_services_answer(self, pairs, change, field):
        alice, = annotators(1, pairs, prefix="pw")
        client = token_client(alice.user)
        item = Item.objects.get(public_id=client.post("/api/campaigns/pairs/next/").json()["id"])
        if change.get("checks") == "{PROMPT}":
            change = {**change, "checks": {str(item.response.prompt.checklist.first().id): True}}
        session = APIClient()
        session.force_login(alice.user)
        answers = [c.post(f"/api/items/{item.public_id}/rating/", {**change, "idempotency_key": str(key())},
                          format="json") for c in (client, session)]
        assert [a.status_code for a in answers] == [400, 400] and answers[0].json() == answers[1].json()
        assert answers[0].json()["detail"].startswith(field) and not Rating.objects.exists()

    def test_the_order_in_sql_is_the_order_in_python(self, db):
        pairs = ", ".join(f"({i}, {a})" for i in range(1, 61) for a in range(1, 61, 7))
        with connection.cursor() as cursor:
            cursor.execute(f"WITH pairs(i, a) AS (VALUES {pairs}) "
                           f"SELECT i, a, {pair_order_sql('i', 'a', connection.vendor)} FROM pairs")
            rows = cursor.fetchall()
        assert all(order == pair_order(item_id, annotator_id) for item_id, annotator_id, order in rows)
        assert 0.4 < sum(order == PairOrder.AB for *_, order in rows) / len(rows) < 0.6


@postgres_only
def test_the_statements_are_short_enough_for_psycopg_to_parse_them_once():
    """psycopg caches a statement's parsed text only up to 4,096 bytes; beyond, every call parses it again."""
    from psycopg._queries import MAX_CACHED_STATEMENT_LENGTH

    statements = [hot_paths.NEXT_SQL, *hot_paths.SUBMIT_SQL_BY_KIND.values()]
    assert max(len(sql.encode()) for sql in statements) <= MAX_CACHED_STATEMENT_LENGTH


def stored(rating):
    """What a submit stored, as the rating page and the exports read it."""
    return (rating.verdict, rating.position, rating.comment, rating.flags, rating.seconds_spent, rating.source,
            rating.revision, dict(rating.scores.values_list("axis__key", "score")),
            sorted(rating.checks.values_list("checklist_item_id", "side", "checked")))


STALE_KEY = uuid.UUID("00000000-0000-4000-8000-000000000001")


class TestRefusals:
    """The short way and the service refuse the same requests with the same answers (annotation.accepting holds
    the rule on whether an item takes ratings; the hot path's statements carry it in SQL).

    alice holds item 2 of batch 1 (three items) of an open batch-mode campaign; she rated item 1 with key K.
    Campaigns have no paused state: a closed batch is how a lead stops part of a campaign.
    """

    @pytest.fixture
    def world(self, db):
        campaign = campaign_with_items(slug="shut", items=6)
        alice, bob = annotators(2, campaign, prefix="shut")
        workflow.campaign_cut_batches(campaign=campaign, size=3, order=Batch.Order.PROMPT)
        workflow.campaign_assign_batches(campaign=campaign, annotators=[alice, bob])
        workflow.campaign_open(campaign=campaign, mode=Campaign.Mode.BATCHES)
        rated = workflow.item_next(annotator=alice, campaign=campaign)
        workflow.rating_submit(annotator=alice, item=rated, scores=FULL_SCORES, idempotency_key=STALE_KEY)
        held = workflow.item_next(annotator=alice, campaign=campaign)
        return campaign, alice, held

    STATES = {
        "campaign never opened": lambda campaign, alice, item: Campaign.objects.filter(pk=campaign.pk).update(
            status=Campaign.Status.DRAFT),
        "campaign closed": lambda campaign, alice, item: Campaign.objects.filter(pk=campaign.pk).update(
            status=Campaign.Status.CLOSED),
        "batch closed": lambda campaign, alice, item: workflow.batch_close(batch=item.batch),
        "not a member": lambda campaign, alice, item: campaign.memberships.filter(user=alice.user).delete(),
        "as it is": lambda campaign, alice, item: None,
    }

    @pytest.mark.parametrize("state, call, change, answer", [
        ("campaign never opened", "submit", {}, (400, {"detail": "This campaign is not open for rating yet: nothing "
                                                                 "can be saved until its lead opens it."})),
        ("campaign never opened", "next", {}, (204, None)),
        ("campaign closed", "submit", {}, (400, {"detail": "This campaign is closed: its ratings are final and can "
                                                           "no longer change."})),
        ("campaign closed", "next", {}, (204, None)),
        ("batch closed", "submit", {}, (400, {"detail": "This batch is closed: its ratings are final and can no "
                                                        "longer change."})),
        ("not a member", "submit", {}, (404, {"detail": "no such item among yours"})),
        ("not a member", "next", {}, (404, {"detail": "no such campaign among yours"})),
        ("as it is", "submit", {"scores": {**FULL_SCORES, "style": 3}},
         (400, {"detail": "scores.style: the rubric has no axis 'style'"})),
        ("as it is", "submit", {"scores": {**FULL_SCORES, "overall": 9}},
         (400, {"detail": "scores.overall: score 9 is outside the axis range 1..5"})),
        ("as it is", "submit", {"idempotency_key": str(STALE_KEY)},
         (400, {"detail": "idempotency_key: was already used for another submit; send a new key per rating"})),
    ])
    def test_the_short_way_and_the_service_give_the_same_refusal(self, world, monkeypatch, state, call, change,
                                                                  answer):
        campaign, alice, item = world
        self.STATES[state](campaign, alice, item)
        tried = []
        way = hot_paths.WAYS[connection.vendor]

        def noting(function):
            return lambda *arguments: tried.append(function.__name__) or function(*arguments)

        monkeypatch.setitem(hot_paths.WAYS, connection.vendor, SimpleNamespace(
            hold_or_claim=noting(way.hold_or_claim), submit=noting(way.submit)))
        before = workflow_state()

        session = APIClient()
        session.force_login(alice.user)
        answers = {}
        for way, client in (("short way", token_client(alice.user)), ("service", session)):
            client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the language switch, for readable answers
            answers[way] = self.ask(client, call, item, change)

        assert answers == {"short way": answer, "service": answer}
        assert tried, "the short way was not tried"
        assert workflow_state() == before

    @staticmethod
    def ask(client, call, item, change):
        if call == "next":
            response = client.post(f"/api/campaigns/{item.campaign.slug}/next/")
        else:
            body = {"scores": FULL_SCORES, "idempotency_key": str(key()), **change}
            response = client.post(f"/api/items/{item.public_id}/rating/", body, format="json")
        return response.status_code, (response.json() if response.content else None)


def workflow_state():
    """What a refused call must leave as it was."""
    return {
        "ratings": sorted(Rating.objects.values_list("id", "revision")),
        "scores": RatingScore.objects.count(),
        "slots": sorted(ItemSlot.objects.values_list("id", "annotator_id", "rating_id", "lease_expires_at")),
        "drafts": Draft.objects.count(),
    }


def tally_matches_counts():
    counted = {
        (row["annotator"], row["campaign"]): (row["slots"], row["rated"])
        for row in ItemSlot.objects.filter(annotator__isnull=False).values("annotator", "campaign").annotate(
            slots=Count("id"), rated=Count("id", filter=Q(rating__isnull=False)))
    }
    tallied = {(t.annotator_id, t.campaign_id): (t.slots, t.rated) for t in SlotTally.objects.filter(slots__gt=0)}
    assert tallied == counted
    assert not SlotTally.objects.filter(slots=0, rated__gt=0).exists()


class TestSlotTally:
    def test_follows_claims_submits_skips_assignments_reassignments_and_deletions(self, db):
        pulled = open_for_pull(campaign_with_items(slug="pulled", items=8))
        ann, bea, cid = annotators(3, pulled, prefix="t")
        for annotator in (ann, bea, ann):
            item = workflow.item_next(annotator=annotator, campaign=pulled)
            workflow.rating_submit(annotator=annotator, item=item, scores=FULL_SCORES, idempotency_key=key())
        held = workflow.item_next(annotator=cid, campaign=pulled)
        workflow.item_skip(annotator=cid, item=held, reason="cannot_judge")
        tally_matches_counts()
        # An expired lease claimed by someone else moves the slot between tallies.
        workflow.item_next(annotator=bea, campaign=pulled)
        ItemSlot.objects.filter(annotator=bea, rating__isnull=True).update(
            lease_expires_at=timezone.now() - timedelta(minutes=1))
        assert workflow.item_next(annotator=cid, campaign=pulled) is not None
        tally_matches_counts()

        batched = campaign_with_items(slug="batched", items=6)
        dan, eve, fay = annotators(3, batched, prefix="b")
        workflow.campaign_cut_batches(campaign=batched, size=3, seed=1)
        workflow.campaign_assign_batches(campaign=batched, annotators=[dan, eve])
        workflow.campaign_open(campaign=batched, mode=Campaign.Mode.BATCHES)
        item = workflow.item_next(annotator=dan, campaign=batched)
        workflow.rating_submit(annotator=dan, item=item, scores=FULL_SCORES, idempotency_key=key())
        workflow.assignment_reassign(assignment=eve.assignments.first(), annotator=fay)
        tally_matches_counts()
        assert SlotTally.objects.get(annotator=dan, campaign=batched).rated == 1

        pulled.delete()
        tally_matches_counts()
        assert not SlotTally.objects.filter(campaign_id=pulled.pk).exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("make_campaign, answer", [
    (lambda: campaign_with_items(slug="race", items=40, models=4), {"scores": FULL_SCORES}),
    (lambda: pairwise_campaign(slug="race", prompts=40), {"verdict": "left"}),
], ids=["likert", "pairwise"])
def test_twenty_token_clients_rate_a_campaign_through_the_short_way_and_k_holds(no_drf, make_campaign, answer):
    campaign = open_for_pull(make_campaign())
    people = annotators(20, campaign, prefix="racer")
    clients = {annotator.pk: token_client(annotator.user) for annotator in people}
    errors, start = [], threading.Barrier(len(people))

    def work(annotator):
        client = clients[annotator.pk]
        try:
            start.wait()
            while (response := client.post("/api/campaigns/race/next/")).status_code == 200:
                body = {**answer, "idempotency_key": str(uuid.uuid4())}
                stored = client.post(f"/api/items/{response.json()['id']}/rating/", body, format="json")
                assert stored.status_code == 201, stored.content
            assert response.status_code == 204, response.content
        except Exception as error:  # noqa: BLE001 - re-raised in the main thread
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(annotator,)) for annotator in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not errors, errors[0]
    per_item = ratings_per_item(campaign)
    assert set(per_item.values()) == {2} and len(per_item) == 40
    assert Rating.objects.values("item", "annotator").distinct().count() == 80
    tally_matches_counts()


def ratings_per_item(campaign):
    return dict(Item.objects.filter(campaign=campaign).annotate(n=Count("ratings")).values_list("id", "n"))
