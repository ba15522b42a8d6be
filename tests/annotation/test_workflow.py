import json
import re

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import override

from annotation.errors import FieldError, HyokaError
from annotation.models import (
    Assignment, Batch, Campaign, CampaignMembership, Draft, Item, ItemSlot, PairOrder, Rating, RatingCheck,
    RatingRevision, Skip,
)
from annotation.selectors import campaign_rater_counts
from annotation.services import ratings_import
from annotation.services.workflow import (
    Raters, assignment_reassign, batch_close, campaign_assign_batches, campaign_cut_batches, campaign_open,
    draft_save, item_next, item_skip, rating_submit,
)
from annotation.kinds.pairwise import pair_order, verdict_in_item_terms, verdict_in_screen_terms
from annotation.workflow_selectors import item_for_rating

from .pairwise_factories import a_side, give_checklist, order_for, pairwise_campaign
from .workflow_factories import FULL_SCORES, annotators, campaign_with_items, key, open_for_pull


@pytest.fixture
def campaign(db):
    return campaign_with_items(items=10)


def scores_of(rating):
    return dict(rating.scores.values_list("axis__key", "score"))


class TestBatches:
    def test_cutting_makes_batches_of_the_size_with_k_slots_per_item(self, campaign):
        batches = campaign_cut_batches(campaign=campaign, size=4, seed=42)
        assert [b.items.count() for b in batches] == [4, 4, 2]
        assert all(b.seed == 42 and b.order == Batch.Order.RANDOM for b in batches)
        assert ItemSlot.objects.filter(campaign=campaign).count() == 10 * campaign.overlap
        positions = list(Item.objects.filter(campaign=campaign).order_by("position").values_list("position", flat=True))
        assert positions == list(range(1, 11))

    def test_the_same_seed_gives_the_same_order_and_by_prompt_follows_prompts(self, db):
        orders = []
        for slug in ("a", "b"):
            campaign = campaign_with_items(slug=slug, items=12)
            campaign_cut_batches(campaign=campaign, size=5, seed=7)
            orders.append([i.response.prompt.external_id + i.response.model.name
                           for i in campaign.items.order_by("position").select_related("response__prompt", "response__model")])
        assert orders[0] == orders[1]
        by_prompt = campaign_with_items(slug="c", items=12)
        campaign_cut_batches(campaign=by_prompt, size=5, order=Batch.Order.PROMPT)
        prompts = [i.response.prompt.external_id for i in by_prompt.items.order_by("position").select_related("response__prompt")]
        assert prompts == sorted(prompts)

    def test_assigning_gives_every_item_exactly_k_distinct_annotators_with_balanced_load(self, campaign):
        campaign_cut_batches(campaign=campaign, size=2, seed=1)  # 5 batches
        people = annotators(4, campaign)
        campaign_assign_batches(campaign=campaign, annotators=people)
        for item in campaign.items.all():
            holders = list(item.slots.values_list("annotator", flat=True))
            assert len(holders) == 2 and len(set(holders)) == 2 and None not in holders
        loads = sorted(ItemSlot.objects.filter(annotator=a).count() for a in people)
        assert loads[-1] - loads[0] <= 2  # one batch of 2 items at most between the busiest and the idlest

    def test_assigning_needs_at_least_k_annotators(self, campaign):
        campaign_cut_batches(campaign=campaign, size=5, seed=1)
        with pytest.raises(HyokaError, match="overlap k=2 needs at least 2 annotators; 1 chosen"):
            campaign_assign_batches(campaign=campaign, annotators=annotators(1, campaign))

    def test_reassigning_a_stalled_assignment_moves_only_unrated_items(self, campaign):
        campaign_cut_batches(campaign=campaign, size=10, seed=1)
        alice, bob, carol = annotators(3, campaign)
        campaign_assign_batches(campaign=campaign, annotators=[alice, bob])
        campaign_open(campaign=campaign, mode=Campaign.Mode.BATCHES)
        first = item_next(annotator=alice, campaign=campaign)
        rating_submit(annotator=alice, item=first, scores=FULL_SCORES, idempotency_key=key())
        stalled = Assignment.objects.get(annotator=alice)
        assignment_reassign(assignment=stalled, annotator=carol)
        assert ItemSlot.objects.filter(annotator=alice).count() == 1  # the rated one stays hers
        assert ItemSlot.objects.filter(annotator=carol).count() == 9
        assert item_next(annotator=alice, campaign=campaign) is None
        assert item_next(annotator=carol, campaign=campaign) != first
        with pytest.raises(HyokaError, match="already reassigned"):
            assignment_reassign(assignment=stalled, annotator=carol)


class TestCuttingAfterImportedRatings:
    """k = 2; imported ratings (which hold no slots) before the cut: p0's model-0 answer has 1 rater, model-1's
    has 2 (k), p1's model-0 answer has 3 (more than k); the other three items have none."""

    IMPORTED = {("p0", "model-0"): 1, ("p0", "model-1"): 2, ("p1", "model-0"): 3}

    @pytest.fixture
    def imported(self, db, tmp_path):
        campaign = campaign_with_items(slug="imp", items=6)
        path = tmp_path / "vendor.jsonl"
        path.write_text("".join(
            json.dumps({"prompt_id": prompt, "model": model, "annotator": f"vendor-{n}", "scores": FULL_SCORES}) + "\n"
            for (prompt, model), raters in self.IMPORTED.items() for n in range(raters)))
        ratings_import(path=str(path), campaign_slug="imp")
        return campaign

    @staticmethod
    def slots_per_item(campaign):
        return {(item.response.prompt.external_id, item.response.model.name): item.slots.count()
                for item in Item.objects.filter(campaign=campaign).select_related("response__prompt",
                                                                                  "response__model")}

    @pytest.mark.parametrize("raters, slots", [
        (Raters.UP_TO_K, {("p0", "model-0"): 1, ("p0", "model-1"): 0, ("p1", "model-0"): 0}),
        (Raters.K_MORE, {("p0", "model-0"): 2, ("p0", "model-1"): 2, ("p1", "model-0"): 2}),
    ])
    def test_the_lead_chooses_whether_imported_raters_count_toward_k(self, imported, raters, slots):
        campaign_cut_batches(campaign=imported, size=4, seed=1, raters=raters)
        assert self.slots_per_item(imported) == {**{(f"p{p}", f"model-{m}"): 2 for p in range(3) for m in range(2)},
                                                 **slots}

    @pytest.mark.parametrize("raters, per_item", [
        (Raters.UP_TO_K, {2: 5, 3: 1}),  # every item at k, the one imported with 3 stays at 3
        (Raters.K_MORE, {2: 3, 3: 1, 4: 1, 5: 1}),  # imported raters plus k more
    ])
    def test_rating_everything_ends_with_the_raters_chosen(self, imported, raters, per_item):
        campaign_cut_batches(campaign=imported, size=4, seed=1, raters=raters)
        campaign = campaign_open(campaign=imported, mode=Campaign.Mode.PULL)
        for annotator in annotators(3, campaign):
            while (item := item_next(annotator=annotator, campaign=campaign)) is not None:
                rating_submit(annotator=annotator, item=item, scores=FULL_SCORES, idempotency_key=key())
        assert campaign_rater_counts([campaign.id]).histogram == per_item

    def test_up_to_k_is_what_a_lead_gets_unless_they_choose(self, imported):
        campaign_cut_batches(campaign=imported, size=4, seed=1)
        assert self.slots_per_item(imported)[("p1", "model-0")] == 0

    def test_the_batches_page_and_the_api_take_the_choice(self, imported, client, tmp_path):
        lead = User.objects.create_user("lena")
        CampaignMembership.objects.create(campaign=imported, user=lead, role=CampaignMembership.Role.LEAD)
        client.force_login(lead)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        page = client.get(reverse("campaign_manage", args=["imp"])).content.decode()
        assert re.search(r'<input[^>]*value="up_to_k"[^>]*checked', page)  # the default, chosen for the lead
        assert "k more: k new raters for every item" in page

        response = client.post(reverse("batches_cut", args=["imp"]), {"size": "4", "order": "prompt",
                                                                      "raters": "up_to_k"}, follow=True)
        assert "3 of their items already had raters from imported ratings" in response.content.decode()
        assert self.slots_per_item(imported)[("p0", "model-0")] == 1

        more = campaign_with_items(slug="more", items=2)
        CampaignMembership.objects.create(campaign=more, user=lead, role=CampaignMembership.Role.LEAD)
        ratings = tmp_path / "more.jsonl"
        ratings.write_text("".join(json.dumps({"prompt_id": "p0", "model": "model-0", "annotator": f"v{n}",
                                               "scores": FULL_SCORES}) + "\n" for n in range(3)))
        ratings_import(path=str(ratings), campaign_slug="more")
        made = client.post(reverse("api_batches", args=["more"]), {"size": 5, "raters": "k_more"},
                           content_type="application/json")
        assert made.status_code == 201 and ItemSlot.objects.filter(campaign=more).count() == 4
        refused = client.post(reverse("api_batches", args=["more"]), {"size": 5, "raters": "some"},
                              content_type="application/json")
        assert refused.status_code == 400 and "raters" in refused.json()


class TestRating:
    @pytest.fixture
    def pull(self, campaign):
        return open_for_pull(campaign)

    def test_next_item_follows_position_and_submit_moves_on(self, pull):
        alice, = annotators(1, pull)
        first = item_next(annotator=alice, campaign=pull)
        assert first.position == 1
        assert item_next(annotator=alice, campaign=pull) == first  # held until submitted
        rating, created = rating_submit(annotator=alice, item=first, scores=FULL_SCORES, idempotency_key=key(),
                                        comment="よい", flags=["wrong_language"], seconds_spent=42)
        assert created and scores_of(rating) == FULL_SCORES
        assert (rating.comment, rating.flags, rating.seconds_spent) == ("よい", ["wrong_language"], 42)
        assert item_next(annotator=alice, campaign=pull).position == 2

    def test_a_repeated_submit_stores_one_rating(self, pull):
        alice, = annotators(1, pull)
        item = item_next(annotator=alice, campaign=pull)
        same = key()
        first, created = rating_submit(annotator=alice, item=item, scores=FULL_SCORES, idempotency_key=same)
        again, created_again = rating_submit(annotator=alice, item=item, scores={**FULL_SCORES, "overall": 1},
                                             idempotency_key=same)
        assert created and not created_again and first == again
        assert Rating.objects.count() == 1 and scores_of(again)["overall"] == 4

    def test_a_revision_keeps_the_earlier_version(self, pull):
        alice, = annotators(1, pull)
        item = item_next(annotator=alice, campaign=pull)
        first_key = key()
        rating_submit(annotator=alice, item=item, scores=FULL_SCORES, idempotency_key=first_key, comment="初回")
        rating, _ = rating_submit(annotator=alice, item=item, scores={**FULL_SCORES, "overall": 2},
                                  idempotency_key=key(), comment="見直し")
        assert rating.revision == 2 and scores_of(rating)["overall"] == 2 and rating.comment == "見直し"
        earlier = RatingRevision.objects.get(rating=rating)
        assert earlier.revision == 1 and earlier.scores == FULL_SCORES and earlier.comment == "初回"
        # A late retry of the first submit changes nothing.
        assert rating_submit(annotator=alice, item=item, scores=FULL_SCORES, idempotency_key=first_key)[1] is False
        assert Rating.objects.get().revision == 2

    def test_no_revision_after_the_batch_is_closed(self, pull):
        alice, = annotators(1, pull)
        item = item_next(annotator=alice, campaign=pull)
        rating_submit(annotator=alice, item=item, scores=FULL_SCORES, idempotency_key=key())
        batch_close(batch=item.batch)
        with override("en"), pytest.raises(HyokaError, match="This batch is closed: its ratings are final"):
            rating_submit(annotator=alice, item=Item.objects.get(pk=item.pk), scores=FULL_SCORES, idempotency_key=key())

    @pytest.mark.parametrize("state, message", [
        ("never opened", "This campaign is not open for rating yet"),
        ("closed", "This campaign is closed: its ratings are final"),
        ("batch closed", "This batch is closed: its ratings are final"),
    ])
    def test_an_item_that_takes_nothing_refuses_drafts_ratings_and_skips(self, campaign, state, message):
        alice, bob = annotators(2, campaign)
        campaign_cut_batches(campaign=campaign, size=5, seed=1)
        campaign_assign_batches(campaign=campaign, annotators=[alice, bob])  # alice holds her items already
        item = Item.objects.filter(slots__annotator=alice).order_by("position").first()
        if state != "never opened":
            campaign_open(campaign=campaign, mode=Campaign.Mode.BATCHES)
        if state == "closed":
            Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.CLOSED)
        if state == "batch closed":
            batch_close(batch=item.batch)
        item = Item.objects.select_related("campaign", "batch").get(pk=item.pk)

        for write in (lambda: draft_save(annotator=alice, item=item, scores={"relevance": 3}),
                      lambda: rating_submit(annotator=alice, item=item, scores=FULL_SCORES, idempotency_key=key()),
                      lambda: item_skip(annotator=alice, item=item, reason="cannot_judge")):
            with override("en"), pytest.raises(HyokaError, match=message):
                write()
        assert item_next(annotator=alice, campaign=campaign) != item
        assert not Draft.objects.exists() and not Rating.objects.exists() and not Skip.objects.exists()
        assert ItemSlot.objects.filter(item=item, annotator=alice).exists()

    @pytest.mark.parametrize("scores, field", [
        ({**FULL_SCORES, "overall": 6}, "scores.overall"),
        ({k: v for k, v in FULL_SCORES.items() if k != "detail"}, "scores.detail"),
        ({**FULL_SCORES, "style": 3}, "scores.style"),
    ])
    def test_incomplete_or_out_of_range_scores_are_refused(self, pull, scores, field):
        alice, = annotators(1, pull)
        item = item_next(annotator=alice, campaign=pull)
        with pytest.raises(FieldError) as caught:
            rating_submit(annotator=alice, item=item, scores=scores, idempotency_key=key())
        assert caught.value.field == field and not Rating.objects.exists()

    def test_drafts_are_kept_until_submit(self, pull):
        alice, = annotators(1, pull)
        item = item_next(annotator=alice, campaign=pull)
        draft_save(annotator=alice, item=item, scores={"relevance": 3}, comment="途中", seconds_spent=12)
        draft_save(annotator=alice, item=item, scores={"relevance": 3, "fluency": 4}, comment="途中", seconds_spent=20)
        draft = Draft.objects.get()
        assert draft.scores == {"relevance": 3, "fluency": 4} and draft.seconds_spent == 20
        rating_submit(annotator=alice, item=item, scores=FULL_SCORES, idempotency_key=key())
        assert not Draft.objects.exists()

    def test_nobody_can_write_a_draft_or_rating_on_an_item_they_do_not_hold(self, pull):
        alice, bob, carol = annotators(3, pull)
        item = item_next(annotator=alice, campaign=pull)
        item_next(annotator=bob, campaign=pull)  # bob holds item 1's second slot
        assert item_next(annotator=bob, campaign=pull) == item
        with pytest.raises(HyokaError, match="not yours"):
            draft_save(annotator=carol, item=item, scores={})
        with pytest.raises(HyokaError, match="already has all its annotators"):
            rating_submit(annotator=carol, item=item, scores=FULL_SCORES, idempotency_key=key())

    def test_a_skip_frees_the_slot_for_someone_else_and_records_the_reason(self, pull):
        alice, bob, carol = annotators(3, pull)
        item = item_next(annotator=alice, campaign=pull)
        item_next(annotator=bob, campaign=pull)
        item_skip(annotator=alice, item=item, reason="cannot_judge", note="専門外")
        assert Skip.objects.get().note == "専門外"
        assert item_next(annotator=carol, campaign=pull) == item
        assert item_next(annotator=alice, campaign=pull) != item  # never handed back to the one who skipped
        with pytest.raises(FieldError, match="choose one of"):
            item_skip(annotator=bob, item=item, reason="bored")

    def test_nothing_is_handed_out_before_opening_or_in_batch_mode_without_assignment(self, campaign):
        alice, = annotators(1, campaign)
        campaign_cut_batches(campaign=campaign, size=5, seed=1)
        assert item_next(annotator=alice, campaign=campaign) is None
        campaign_open(campaign=campaign, mode=Campaign.Mode.BATCHES)
        assert item_next(annotator=alice, campaign=campaign) is None

    def test_an_expired_lease_returns_the_item_and_the_late_submit_is_refused(self, db):
        campaign = open_for_pull(campaign_with_items(items=1, overlap=2))
        alice, bob, carol = annotators(3, campaign)
        item = item_next(annotator=alice, campaign=campaign)
        assert item_next(annotator=bob, campaign=campaign) == item
        assert item_next(annotator=carol, campaign=campaign) is None
        ItemSlot.objects.filter(annotator=alice).update(lease_expires_at=timezone.now() - timezone.timedelta(seconds=1))
        assert item_next(annotator=carol, campaign=campaign) == item
        with pytest.raises(HyokaError, match="already has all its annotators"):
            rating_submit(annotator=alice, item=item, scores=FULL_SCORES, idempotency_key=key())


# Pairwise items and checklists ------------------------------------------------------------------------------

class TestPairOrder:
    def test_the_order_is_the_same_every_time_and_each_order_comes_up_for_about_half(self):
        pairs = [(item, annotator) for item in range(1, 401) for annotator in range(1, 6)]
        orders = [pair_order(item, annotator) for item, annotator in pairs]
        assert orders == [pair_order(item, annotator) for item, annotator in pairs]
        assert set(orders) == {PairOrder.AB, PairOrder.BA}
        assert 0.45 < orders.count(PairOrder.AB) / len(orders) < 0.55
        for annotator in range(1, 6):  # every annotator sees both orders, not one side always first
            theirs = [order for (_, who), order in zip(pairs, orders) if who == annotator]
            assert 0.4 < theirs.count(PairOrder.AB) / len(theirs) < 0.6
        # Two annotators of the same item do not always get the same order.
        assert any(pair_order(item, 1) != pair_order(item, 2) for item in range(1, 401))

    @pytest.mark.parametrize("screen, order, stored", [
        ("left", PairOrder.AB, "A"), ("right", PairOrder.AB, "B"),
        ("left", PairOrder.BA, "B"), ("right", PairOrder.BA, "A"),
        ("both", PairOrder.AB, "both"), ("neither", PairOrder.BA, "neither"), ("tie", PairOrder.BA, "tie"),
    ])
    def test_screen_verdicts_and_item_verdicts_translate_both_ways(self, screen, order, stored):
        assert verdict_in_item_terms(screen, order) == stored
        assert verdict_in_screen_terms(stored, order) == screen


@pytest.fixture
def pairs(db):
    return open_for_pull(pairwise_campaign(prompts=24))


class TestPairwiseRating:
    def test_the_verdict_pressed_on_screen_is_stored_in_the_items_terms_with_the_order_shown(self, pairs):
        alice, = annotators(1, pairs)
        seen = {PairOrder.AB: 0, PairOrder.BA: 0}
        while (item := item_next(annotator=alice, campaign=pairs)) is not None:
            order = order_for(item, alice)
            shown = item_for_rating(item, alice)
            a_text, b_text = item.response.turns, item.response_b.turns
            assert (shown["left"]["turns"], shown["right"]["turns"]) == (
                (a_text, b_text) if order == PairOrder.AB else (b_text, a_text))
            screen = "left" if item.position % 2 else "right"
            rating, created = rating_submit(annotator=alice, item=item, verdict=screen, idempotency_key=key())
            rating.refresh_from_db()
            assert created and rating.position == order
            # The response shown on the pressed side is the one the stored verdict names.
            pressed_text = shown[screen]["turns"]
            assert pressed_text == (a_text if rating.verdict == "A" else b_text)
            seen[order] += 1
        assert seen[PairOrder.AB] > 0 and seen[PairOrder.BA] > 0 and sum(seen.values()) == 24

    def test_the_order_is_stable_across_reloads_drafts_and_revisions(self, pairs):
        alice, = annotators(1, pairs)
        item = item_next(annotator=alice, campaign=pairs)
        first_look = item_for_rating(item, alice)
        draft_save(annotator=alice, item=item, verdict="left")
        assert item_for_rating(item, alice)["left"] == first_look["left"]
        assert item_for_rating(item, alice)["draft"]["verdict"] == "left"
        rating_submit(annotator=alice, item=item, verdict="left", idempotency_key=key())
        revised, _ = rating_submit(annotator=alice, item=item, verdict="right", idempotency_key=key())
        after = item_for_rating(item, alice)
        assert after["left"] == first_look["left"] and after["rating"]["verdict"] == "right"
        assert revised.position == order_for(item, alice)

    def test_a_draft_keeps_the_verdict_in_the_items_terms(self, pairs):
        alice, = annotators(1, pairs)
        item = item_next(annotator=alice, campaign=pairs)
        draft_save(annotator=alice, item=item, verdict="right", comment="迷う", seconds_spent=5)
        draft = Draft.objects.get()
        assert draft.verdict == ("B" if order_for(item, alice) == PairOrder.AB else "A")
        assert (draft.comment, draft.seconds_spent) == ("迷う", 5)
        rating_submit(annotator=alice, item=item, verdict="right", idempotency_key=key())
        assert not Draft.objects.exists()

    def test_a_revision_keeps_the_earlier_verdict_and_ticks_and_a_retry_stores_nothing(self, pairs):
        alice, = annotators(1, pairs)
        item = item_next(annotator=alice, campaign=pairs)
        first, second = give_checklist(item.response.prompt, ["条件に触れている", "簡潔である"])
        a_side_now = a_side(order_for(item, alice))
        b_side_now = "right" if a_side_now == "left" else "left"
        first_key = key()
        rating, _ = rating_submit(annotator=alice, item=item, verdict=a_side_now, idempotency_key=first_key,
                                  checks={str(first.id): {a_side_now: True, b_side_now: False}}, comment="初回")
        assert rating.verdict == "A"
        again, created = rating_submit(annotator=alice, item=item, verdict="neither", idempotency_key=first_key)
        assert not created and again.verdict == "A" and Rating.objects.count() == 1
        revised, created = rating_submit(annotator=alice, item=item, verdict="neither", idempotency_key=key(),
                                         comment="見直し", checks={str(first.id): {a_side_now: False},
                                                                  str(second.id): {b_side_now: True}})
        assert created and revised.revision == 2 and revised.verdict == "neither"
        assert set(revised.checks.values_list("checklist_item_id", "side", "checked")) == {
            (first.id, "A", False), (second.id, "B", True)}
        earlier = RatingRevision.objects.get(rating=revised)
        assert (earlier.verdict, earlier.comment) == ("A", "初回")
        assert earlier.checks == {str(first.id): {"A": True, "B": False}}
        assert rating_submit(annotator=alice, item=item, verdict="left", idempotency_key=first_key)[1] is False
        assert Rating.objects.get().verdict == "neither"

    @pytest.mark.parametrize("fields, field, words", [
        ({}, "verdict", "choose a verdict before submitting: one of left, right, both, neither"),
        ({"verdict": "A"}, "verdict", "'A' is not a verdict here"),
        ({"verdict": "tie"}, "verdict", "choose one of left, right, both, neither"),
        ({"verdict": "left", "scores": {"overall": 3}}, "scores.overall", "the rubric has no axis 'overall'"),
    ])
    def test_a_pairwise_submit_needs_one_of_the_rubrics_verdicts_and_no_scores(self, pairs, fields, field, words):
        alice, = annotators(1, pairs)
        item = item_next(annotator=alice, campaign=pairs)
        with pytest.raises(FieldError) as caught:
            rating_submit(annotator=alice, item=item, idempotency_key=key(), **fields)
        assert caught.value.field == field and words in str(caught.value)
        assert not Rating.objects.exists()

    def test_a_rubric_with_a_tie_offers_it_third(self, db):
        campaign = open_for_pull(pairwise_campaign(slug="abt", prompts=2, verdicts=("A", "B", "tie")))
        alice, = annotators(1, campaign)
        item = item_next(annotator=alice, campaign=campaign)
        assert [v["value"] for v in item_for_rating(item, alice)["verdicts"]] == ["left", "right", "tie"]
        assert rating_submit(annotator=alice, item=item, verdict="tie", idempotency_key=key())[0].verdict == "tie"

    def test_a_likert_submit_refuses_a_verdict(self, campaign):
        pull = open_for_pull(campaign)
        alice, = annotators(1, pull)
        item = item_next(annotator=alice, campaign=pull)
        with pytest.raises(FieldError, match="verdict: this campaign rates single responses on axes"):
            rating_submit(annotator=alice, item=item, scores=FULL_SCORES, verdict="left", idempotency_key=key())


class TestChecklistTicks:
    @pytest.fixture
    def alice_and_item(self, campaign):
        pull = open_for_pull(campaign)
        alice, = annotators(1, pull)
        return alice, item_next(annotator=alice, campaign=pull)

    def test_ticks_go_into_the_draft_and_on_submit_into_one_row_per_answered_point(self, alice_and_item):
        alice, item = alice_and_item
        yes, no, untouched = give_checklist(item.response.prompt, ["一つ目", "二つ目", "三つ目"])
        draft_save(annotator=alice, item=item, scores={"relevance": 4},
                   checks={str(no.id): False, str(yes.id): True, str(untouched.id): None})
        assert Draft.objects.get().checks == {str(yes.id): True, str(no.id): False}
        rating, _ = rating_submit(annotator=alice, item=item, scores=FULL_SCORES, idempotency_key=key(),
                                  checks={str(yes.id): True, str(no.id): False})
        rows = RatingCheck.objects.filter(rating=rating).order_by("checklist_item__position")
        assert [(row.checklist_item.text, row.checked) for row in rows] == [("一つ目", True), ("二つ目", False)]
        assert item_for_rating(item, alice)["rating"]["checks"] == {str(yes.id): True, str(no.id): False}

    def test_a_tick_for_a_point_off_this_prompts_checklist_is_refused_naming_it(self, alice_and_item):
        alice, item = alice_and_item
        give_checklist(item.response.prompt, ["この質問の項目"])
        other_prompt = Item.objects.exclude(response__prompt=item.response.prompt).first().response.prompt
        elsewhere, = give_checklist(other_prompt, ["別の質問の項目"])
        for checks in ({str(elsewhere.id): True}, {"999999": False}, {"abc": True}):
            name = next(iter(checks))
            with pytest.raises(FieldError) as caught:
                rating_submit(annotator=alice, item=item, scores=FULL_SCORES, idempotency_key=key(), checks=checks)
            assert caught.value.field == f"checks.{name}"
            assert str(caught.value) == f"checks.{name}: {name} is not an item of this prompt's checklist"
            with pytest.raises(FieldError, match=f"checks.{name}"):
                draft_save(annotator=alice, item=item, checks=checks)
        assert not Rating.objects.exists() and not RatingCheck.objects.exists() and not Draft.objects.exists()

    def test_a_prompt_without_a_checklist_takes_no_ticks_and_stores_none(self, alice_and_item):
        alice, item = alice_and_item
        rating, _ = rating_submit(annotator=alice, item=item, scores=FULL_SCORES, idempotency_key=key())
        assert not rating.checks.exists() and item_for_rating(item, alice)["checklist"] == []
        with pytest.raises(FieldError, match="checks.1: 1 is not an item"):
            rating_submit(annotator=alice, item=item, scores=FULL_SCORES, idempotency_key=key(), checks={"1": True})


class TestPairwiseTicks:
    """On a pair the annotator answers each checklist point for each response, as left and right on screen;
    the answers are kept per response in the item's terms (A is item.response)."""

    @pytest.fixture
    def alice(self, pairs):
        alice, = annotators(1, pairs)
        return alice

    def test_a_tick_on_the_left_names_whichever_response_was_shown_there_in_both_orders(self, pairs, alice):
        seen = set()  # the orders tried: A on the left (True) and B on the left, found by looking at the page
        while len(seen) < 2 and (item := item_next(annotator=alice, campaign=pairs)) is not None:
            left_is_a = item_for_rating(item, alice)["left"]["turns"] == item.response.turns
            if left_is_a in seen:
                rating_submit(annotator=alice, item=item, verdict="both", idempotency_key=key())
                continue
            seen.add(left_is_a)
            point, = give_checklist(item.response.prompt, ["二つの山の名前を挙げている"])
            shown = item_for_rating(item, alice)
            draft_save(annotator=alice, item=item, verdict="left",
                       checks={str(point.id): {"left": True, "right": False}})
            stored = Draft.objects.get(item=item).checks[str(point.id)]
            left_side = "A" if left_is_a else "B"
            right_side = {"A": "B", "B": "A"}[left_side]
            assert stored == {left_side: True, right_side: False}
            assert item_for_rating(item, alice)["draft"]["checks"] == {str(point.id): {"left": True, "right": False}}
            rating, _ = rating_submit(annotator=alice, item=item, verdict="left", idempotency_key=key(),
                                      checks={str(point.id): {"left": True, "right": False}})
            rows = {row.side: row.checked for row in RatingCheck.objects.filter(rating=rating)}
            responses = {"A": item.response, "B": item.response_b}
            ticked = [side for side, checked in rows.items() if checked]
            assert len(rows) == 2 and [responses[side].turns for side in ticked] == [shown["left"]["turns"]]
            assert item_for_rating(item, alice)["rating"]["checks"] == {str(point.id): {"left": True, "right": False}}
        assert seen == {True, False}

    def test_a_side_left_unanswered_stores_no_row_and_a_point_with_neither_side_none(self, pairs, alice):
        item = item_next(annotator=alice, campaign=pairs)
        one, two, three = give_checklist(item.response.prompt, ["一つ目", "二つ目", "三つ目"])
        checks = {str(three.id): {"right": True, "left": None}, str(two.id): {}, str(one.id): {"left": None}}
        draft_save(annotator=alice, item=item, checks=checks)
        right = "B" if order_for(item, alice) == PairOrder.AB else "A"
        assert Draft.objects.get().checks == {str(three.id): {right: True}}
        rating, _ = rating_submit(annotator=alice, item=item, verdict="both", idempotency_key=key(), checks=checks)
        assert list(rating.checks.values_list("checklist_item_id", "side", "checked")) == [(three.id, right, True)]

    @pytest.mark.parametrize("answer, where, words", [
        (True, "", 'on a pair, answer for each response: expected {"left": true|false|null'),
        ({"middle": True}, ".middle", "'middle' is not a side; answer for left or right"),
        ({"A": True}, ".A", "'A' is not a side"),
        ({"left": True, "right": "yes"}, ".right", "expected true, false or null"),
    ])
    def test_a_pairwise_answer_of_the_wrong_shape_is_refused_naming_the_field(self, pairs, alice, answer, where,
                                                                               words):
        item = item_next(annotator=alice, campaign=pairs)
        point, = give_checklist(item.response.prompt, ["簡潔である"])
        for call in (lambda checks: draft_save(annotator=alice, item=item, checks=checks),
                     lambda checks: rating_submit(annotator=alice, item=item, verdict="left", idempotency_key=key(),
                                                  checks=checks)):
            with pytest.raises(FieldError) as caught:
                call({str(point.id): answer})
            assert caught.value.field == f"checks.{point.id}{where}" and words in str(caught.value)
        assert not Rating.objects.exists() and not RatingCheck.objects.exists() and not Draft.objects.exists()

    def test_a_tick_from_before_per_side_answers_is_kept_in_the_revision_and_not_shown_on_a_side(self, pairs, alice):
        item = item_next(annotator=alice, campaign=pairs)
        point, = give_checklist(item.response.prompt, ["簡潔である"])
        rating, _ = rating_submit(annotator=alice, item=item, verdict="left", idempotency_key=key())
        RatingCheck.objects.create(rating=rating, checklist_item=point, checked=True)  # as written before sides
        assert item_for_rating(item, alice)["rating"]["checks"] == {}
        rating_submit(annotator=alice, item=item, verdict="right", idempotency_key=key(),
                      checks={str(point.id): {"left": False}})
        assert RatingRevision.objects.get().checks == {str(point.id): True}
        assert [(row.side != "", row.checked) for row in RatingCheck.objects.all()] == [(True, False)]

    def test_a_likert_tick_keeps_its_plain_shape_and_has_no_side(self, campaign):
        pull = open_for_pull(campaign)
        alice, = annotators(1, pull)
        item = item_next(annotator=alice, campaign=pull)
        point, = give_checklist(item.response.prompt, ["一つ目"])
        with pytest.raises(FieldError, match=f"checks.{point.id}: expected true, false or null"):
            draft_save(annotator=alice, item=item, checks={str(point.id): {"left": True}})
        rating, _ = rating_submit(annotator=alice, item=item, scores=FULL_SCORES, idempotency_key=key(),
                                  checks={str(point.id): True})
        assert list(rating.checks.values_list("side", "checked")) == [("", True)]
