import pytest
from django.utils import timezone

from annotation.errors import FieldError, HyokaError
from annotation.models import Assignment, Batch, Campaign, Draft, Item, ItemSlot, Rating, RatingRevision, Skip
from annotation.services.workflow import (
    assignment_reassign, batch_close, campaign_assign_batches, campaign_cut_batches, campaign_open, draft_save,
    item_next, item_skip, rating_submit,
)

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
        with pytest.raises(HyokaError, match="this batch is closed"):
            rating_submit(annotator=alice, item=Item.objects.get(pk=item.pk), scores=FULL_SCORES, idempotency_key=key())

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
