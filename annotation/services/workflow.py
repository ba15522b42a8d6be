"""The rating workflow: batches, assignments, handing out items, drafts, submits and skips.

Exactly k: every item has ``campaign.overlap`` ItemSlot rows, made when its batch
is cut. A slot is held by at most one annotator and filled by at most one
rating, an annotator holds at most one slot per item (database constraints), and
a claim locks the slot row it takes, so no interleaving of requests can give an
item more than k distinct annotators.
"""

import random
from dataclasses import dataclass
from datetime import timedelta
from types import ModuleType

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Max, TextChoices
from django.utils import timezone
from django.utils.translation import gettext_lazy

from annotation import kinds
from annotation.accepting import item_accepting_sql, refusal
from annotation.bulk import bulk_insert, bulk_update_columns
from annotation.errors import FieldError, HyokaError
from annotation.models import (
    Annotator, Assignment, Batch, Campaign, ChecklistItem, Draft, Item, ItemSlot, Rating, RatingCheck, RatingRevision,
    RatingScore, Skip,
)
from annotation.quality_gates import gold_standing
from annotation.records import score_value
from annotation.services.extra_raters import extra_rater_add_if_disagreeing
from annotation.rubric_axes import rubric_axes
from annotation.workflow_selectors import rating_checks, rating_scores, shown_order

from .quality import batches_with_checks

FLAGS = ("harmful", "broken", "wrong_language")
CLAIM_ATTEMPTS = 3


# Batches and assignments ---------------------------------------------------------------------------------

class Raters(TextChoices):
    """How many slots an item gets when batches are cut, when it already has raters: imported ratings (a
    vendor's, an earlier study's) hold no slots, so k slots would give it its imported raters plus k more."""

    UP_TO_K = "up_to_k", gettext_lazy("Up to k in all: raters an item already has count toward k")
    K_MORE = "k_more", gettext_lazy("k more: k new raters for every item, on top of those it already has")


@transaction.atomic
def campaign_cut_batches(*, campaign, size, order=Batch.Order.RANDOM, seed=None, raters=Raters.UP_TO_K):
    """Cut the campaign's unbatched items into batches of ``size`` and make their slots.

    ``order`` is seeded-random (the seed is recorded on each batch) or by prompt. ``raters``: with UP_TO_K
    (the default: k is how many distinct annotators rate each item), an item with j raters already gets
    max(0, k - j) slots; with K_MORE, k slots whatever it has. Returns the new batches.
    """
    if size < 1:
        raise HyokaError("batch size must be at least 1.")
    if raters not in Raters.values:
        raise FieldError("raters", f"choose one of {', '.join(Raters.values)}")
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    items = list(
        Item.objects.filter(campaign=campaign, batch__isnull=True, quality_role="")  # checks join them below
        .order_by("response__prompt__source", "response__prompt__external_id", "response__model__name", "id")
        .values_list("id", flat=True)
    )
    if not items:
        raise HyokaError(f"campaign {campaign.slug} has no items outside batches; import responses first.")
    if order == Batch.Order.RANDOM:
        seed = seed if seed is not None else random.SystemRandom().randrange(2**31)
        random.Random(seed).shuffle(items)
    chunks = [items[start:start + size] for start in range(0, len(items), size)]
    chunks = batches_with_checks(campaign, chunks, seed if seed is not None else campaign.pk)
    return _make_batches(campaign, chunks, order, seed, _slots_short_of_k(campaign, raters))


def _slots_short_of_k(campaign, raters):
    """{item id: slots} for the unbatched items that get fewer than k: with UP_TO_K, those with raters already
    (distinct annotators of their ratings, all imported: an unbatched item has no slot to rate on)."""
    if raters == Raters.K_MORE:
        return {}
    rated = (Rating.objects.filter(item__campaign=campaign, item__batch__isnull=True).values("item_id")
             .annotate(raters=Count("annotator_id", distinct=True)).values_list("item_id", "raters"))
    return {item_id: max(0, campaign.overlap - count) for item_id, count in rated}


def _make_batches(campaign, chunks, order, seed, short):
    last = campaign.batches.aggregate(number=Max("number"), position=Max("items__position"))
    number, position = (last["number"] or 0), (last["position"] or 0)
    batches, placed = [], []
    for chunk in chunks:
        number += 1
        batch = Batch.objects.create(campaign=campaign, number=number, order=order, seed=seed)
        placed.extend((item_id, batch.id, position + offset) for offset, item_id in enumerate(chunk, start=1))
        position += len(chunk)
        batches.append(batch)
    bulk_update_columns(Item, ["batch_id", "position"], placed)
    _make_slots(campaign, [(item_id, item_position) for item_id, _, item_position in placed], short)
    _refresh_planner_statistics()
    return batches


def _refresh_planner_statistics():
    """After a bulk load, the planner still believes the slot table is tiny and sorts all of it
    for every hand-out (hundreds of ms); fresh statistics make it walk the position index (under 1 ms)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE annotation_itemslot, annotation_item")
        else:  # SQLite plans the hand-out's statements by index names (CLAIM_SOURCE), the rest by statistics
            cursor.execute("ANALYZE annotation_itemslot")
            cursor.execute("ANALYZE annotation_item")


def _make_slots(campaign, positioned_items, short):
    """k slots per item, or fewer for the items in ``short`` ({item id: slots})."""
    bulk_insert(ItemSlot, [
        {"campaign_id": campaign.id, "item_id": item_id, "position": position}
        for item_id, position in positioned_items
        for _ in range(short.get(item_id, campaign.overlap))
    ])


@transaction.atomic
def campaign_assign_batches(*, campaign, annotators):
    """Give each unassigned batch to k distinct annotators, least loaded first.

    Every item of such a batch ends with its k slots held by k different
    annotators. Returns the new assignments.
    """
    annotators = list(dict.fromkeys(annotators))
    if len(annotators) < campaign.overlap:
        raise HyokaError(
            f"overlap k={campaign.overlap} needs at least {campaign.overlap} annotators; {len(annotators)} chosen."
        )
    load = _item_load(campaign, annotators)
    batches = campaign.batches.annotate(held=Count("assignments")).filter(held=0, closed_at__isnull=True)
    created = []
    for batch in batches.order_by("number"):
        size = batch.items.count()
        chosen = sorted(annotators, key=lambda annotator: (load[annotator.id], annotator.handle))[:campaign.overlap]
        for annotator in chosen:
            created.append(_assign(batch, annotator))
            load[annotator.id] += size
    return created


def _item_load(campaign, annotators):
    held = dict(
        ItemSlot.objects.filter(campaign=campaign, annotator__in=annotators)
        .values("annotator").annotate(n=Count("id")).values_list("annotator", "n")
    )
    return {annotator.id: held.get(annotator.id, 0) for annotator in annotators}


def _assign(batch, annotator):
    """Hold one open slot of every batch item the annotator does not hold yet."""
    assignment = Assignment.objects.create(batch=batch, annotator=annotator)
    taken = set(ItemSlot.objects.filter(item__batch=batch, annotator=annotator).values_list("item_id", flat=True))
    first_open = {}
    for slot_id, item_id in ItemSlot.objects.filter(item__batch=batch, annotator__isnull=True).values_list("id", "item_id"):
        if item_id not in taken:
            first_open.setdefault(item_id, slot_id)
    ItemSlot.objects.filter(id__in=list(first_open.values()), annotator__isnull=True).update(
        annotator=annotator, assignment=assignment, claimed_at=timezone.now(), lease_expires_at=None
    )
    return assignment


@transaction.atomic
def assignment_reassign(*, assignment, annotator):
    """Move a stalled assignment's unrated items to another annotator; their ratings stay where they are."""
    assignment = Assignment.objects.select_for_update().select_related("batch").get(pk=assignment.pk)
    if assignment.status != Assignment.Status.ACTIVE:
        raise HyokaError("this assignment was already reassigned.")
    if assignment.batch.closed_at:
        raise HyokaError(f"batch {assignment.batch} is closed.")
    if Assignment.objects.filter(batch=assignment.batch, annotator=annotator).exists():
        raise HyokaError(f"{annotator} already has batch {assignment.batch}; choose someone else.")
    ItemSlot.objects.select_for_update().filter(assignment=assignment, rating__isnull=True).update(
        annotator=None, assignment=None, claimed_at=None, lease_expires_at=None
    )
    assignment.status = Assignment.Status.REASSIGNED
    assignment.reassigned_at = timezone.now()
    assignment.save(update_fields=["status", "reassigned_at"])
    return _assign(assignment.batch, annotator)


# Handing out items ---------------------------------------------------------------------------------------

def item_next(*, annotator, campaign):
    """The item this annotator should rate next in the campaign, or None when there is nothing left.

    First an unrated slot they already hold (by assignment, or a lease, which is
    renewed); then, in pull mode, a free or expired slot claimed with one
    ``UPDATE ... WHERE id = (SELECT ... FOR UPDATE SKIP LOCKED)``. Nothing while the annotator is paused for
    missing gold items (annotation.quality_gates).
    """
    if refusal(campaign) is not None or gold_standing(campaign, annotator).paused:
        return None
    with connection.cursor() as cursor:
        cursor.execute(HELD_SQL.format(source=HELD_SOURCE[connection.vendor]),
                       {"me": annotator.id, "campaign": campaign.id})
        held = cursor.fetchone()
    if held:
        if held[2] is None:
            ItemSlot.objects.filter(pk=held[0]).update(lease_expires_at=_lease_end(campaign))
        return _item_with_content(held[1])
    if campaign.mode != Campaign.Mode.PULL:
        return None
    item_id = _claim_open_slot(annotator, campaign)
    return _item_with_content(item_id) if item_id else None


# The unrated slot an annotator holds first in hand-out order, on an item that takes ratings (e.g. not in a closed
# batch). SQLite's planner takes "rating_id IS NULL" on the slot table's unique rating index for a probe of one
# row and then sorts every unrated slot of the campaign; it is told the index that answers it (CLAIM_SOURCE too).
HELD_SOURCE = {"postgresql": "annotation_itemslot s", "sqlite": "annotation_itemslot s INDEXED BY slot_held_by_position"}
HELD_SQL = """
SELECT s.id, s.item_id, s.assignment_id FROM {source}
WHERE s.annotator_id = %(me)s AND s.campaign_id = %(campaign)s AND s.rating_id IS NULL AND """ + item_accepting_sql(
    "s.item_id") + """
ORDER BY s.position, s.id LIMIT 1
"""


def _item_with_content(item_id):
    return Item.objects.select_related("campaign__rubric", "batch", "response__prompt", "response__model").get(
        pk=item_id
    )


def _lease_end(campaign):
    return timezone.now() + timedelta(minutes=campaign.lease_minutes)


def claimable_conditions(me, vendor):
    """The SQL conditions (on slot ``s``) that let annotator ``me`` (an SQL expression) claim a slot: free, or
    leased (not assigned) and expired; not on an item they already hold, skipped or rated; on an item that
    takes ratings (annotation.accepting: not in a closed batch).

    On PostgreSQL ``OFFSET 0`` keeps each test a probe of one index per candidate slot: as an anti-join it may
    scan all of the annotator's slots for every candidate, which grows with each rating. SQLite knows no
    ``OFFSET`` without ``LIMIT`` and plans these as probes anyway (CLAIM_SOURCE fixes its walk over the slots).
    """
    fence = "OFFSET 0" if vendor == "postgresql" else ""
    return f"""(s.annotator_id IS NULL OR (s.assignment_id IS NULL AND s.lease_expires_at < %(now)s))
      AND NOT EXISTS (SELECT 1 FROM annotation_itemslot o WHERE o.item_id = s.item_id AND o.annotator_id = {me}
                      {fence})
      AND NOT EXISTS (SELECT 1 FROM annotation_skip k WHERE k.item_id = s.item_id AND k.annotator_id = {me} {fence})
      AND {item_accepting_sql("s.item_id", fence)}"""


# Where a claim of any item looks for a slot (a claim of one item looks among that item's slots), by vendor: the open slots of the campaign in hand-out order (slot_open_by_position),
# the first that passes claimable_conditions' probes being taken. PostgreSQL's planner walks that index once the
# slot table's statistics are fresh (_refresh_planner_statistics); SQLite's, without statistics or with stale ones,
# may instead collect every unrated slot through the rating index and sort them, a cost that grows with the
# campaign (50 ms at 10,000 items), so it is told the index.
CLAIM_SOURCE = {"postgresql": "annotation_itemslot s", "sqlite": "annotation_itemslot s INDEXED BY slot_open_by_position"}

CLAIM_SQL = """
UPDATE annotation_itemslot SET annotator_id = %(me)s, lease_expires_at = %(lease_end)s, claimed_at = %(now)s
WHERE id = (
    SELECT s.id FROM {source}
    WHERE s.campaign_id = %(campaign)s AND s.rating_id IS NULL {item_filter}
      AND {claimable}
    ORDER BY s.position, s.id
    LIMIT 1 {lock}
)
RETURNING item_id
"""


def _claim_open_slot(annotator, campaign, item=None):
    lock = "FOR UPDATE SKIP LOCKED" if connection.vendor == "postgresql" else ""
    sql = CLAIM_SQL.format(lock=lock, item_filter="AND s.item_id = %(item)s" if item else "",
                           source="annotation_itemslot s" if item else CLAIM_SOURCE[connection.vendor],
                           claimable=claimable_conditions("%(me)s", connection.vendor))
    now = timezone.now()
    params = {"me": annotator.id, "campaign": campaign.id, "now": now, "lease_end": _lease_end(campaign),
              "item": item.id if item else None}
    for _ in range(CLAIM_ATTEMPTS):
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(sql, params)
                row = cursor.fetchone()
            return row[0] if row else None
        except IntegrityError:
            continue  # the same annotator claimed this item in a parallel request; look again
    return None


# Drafts, submits and skips -------------------------------------------------------------------------------

def clean_scores(axes, scores, complete, turns=None):
    """Check the scores against the rubric's ``axes``; with ``complete``, every axis must be scored.

    ``turns`` None: axis → score, for the whole conversation. A number (a campaign that scores each turn,
    Campaign.scored_turns): turn → {axis → score}, turns numbered from "1" to ``turns``, and with ``complete``
    every axis of every turn scored."""
    if turns is None:
        return _axis_scores(axes, scores, complete, "scores")
    if not isinstance(scores, dict):
        raise FieldError("scores", "this campaign scores each turn: expected an object of turn → {axis → score}")
    numbers = [str(turn) for turn in range(1, turns + 1)]
    for key in scores:
        if str(key) not in numbers:
            raise FieldError(f"scores.{key}", f"the conversation has {turns} turn(s): expected turn numbers "
                                              f"{', '.join(numbers)}, got {key!r}")
    cleaned = {number: _axis_scores(axes, scores.get(number) or {}, complete, f"scores.{number}")
               for number in numbers}
    return {number: given for number, given in cleaned.items() if given}


def _axis_scores(axes, scores, complete, field):
    """Axis → score checked against ``axes``; ``field`` names where the scores are, in errors."""
    if not isinstance(scores, dict):
        raise FieldError(field, "expected an object of axis → score")
    axes = {axis.key: axis for axis in axes}
    cleaned = {}
    for key, value in scores.items():
        if key not in axes:
            raise FieldError(f"{field}.{key}", f"the rubric has no axis {key!r}")
        if value is None:
            continue
        cleaned[key] = score_value(value, f"{field}.{key}", (axes[key].min_score, axes[key].max_score))
    missing = [key for key in axes if key not in cleaned]
    if complete and missing:
        turn = field.partition(".")[2]
        raise FieldError(f"{field}.{missing[0]}", f"every axis of turn {turn} needs a score before submitting"
                         if turn else "every axis needs a score before submitting")
    return cleaned


def clean_flags(flags):
    if flags is None:
        return []
    if not isinstance(flags, list) or any(flag not in FLAGS for flag in flags):
        raise FieldError("flags", f"flags must be a list drawn from {', '.join(FLAGS)}")
    return sorted(set(flags))


def _editable_slot_or_rating(annotator, item):
    """The annotator's slot on the item; raise if the item takes nothing now (annotation.accepting)."""
    reason = refusal(item.campaign, item.batch)
    if reason is not None:
        raise HyokaError(reason)
    return ItemSlot.objects.select_for_update().filter(item=item, annotator=annotator).first()


def clean_checks(prompt_id, checks, kind):
    """The annotator's checklist answers, for items of the checklist of prompt ``prompt_id``, keys as strings in
    checklist order.

    Each answer is as the campaign's ``kind`` cleans it (annotation.kinds): likert, id → true or false; pairwise,
    id → {"left": ..., "right": ...}, an answer for each response as shown on screen (still in screen terms).
    None, or leaving an item or a side out, means unanswered, and an item with no side answered is dropped.
    """
    if not checks:
        return {}
    if not isinstance(checks, dict):
        raise FieldError("checks", f"expected an object of checklist item id → {kind.CHECK_SHAPE}")
    on_list = {str(pk): position for pk, position in
               ChecklistItem.objects.filter(prompt_id=prompt_id).values_list("id", "position")}
    cleaned = {}
    for key, value in checks.items():
        if str(key) not in on_list:
            raise FieldError(f"checks.{key}", f"{key} is not an item of this prompt's checklist")
        answer = kind.clean_check(value, f"checks.{key}")
        if answer is not None and answer != {}:
            cleaned[str(key)] = answer
    return dict(sorted(cleaned.items(), key=lambda pair: on_list[pair[0]]))


@dataclass(frozen=True)
class Entry:
    """What an annotator entered on an item, checked against the rubric and the prompt's checklist.

    ``verdict`` and, on a pair, ``checks`` are still in screen terms (left / right); ``verdict_for`` and
    ``checks_for`` turn them into the item's terms (a pair's A / B) once the order the annotator was shown is known.
    """

    kind: ModuleType  # the campaign's kind (annotation.kinds), which knows the screen's terms
    scores: dict
    verdict: str
    checks: dict

    def verdict_for(self, order):
        return self.kind.verdict_in_item_terms(self.verdict, order) if self.verdict else ""

    def checks_for(self, order):
        return self.kind.checks_in_item_terms(self.checks, order)


def clean_entry(rubric, prompt_id, *, scores, verdict, checks, complete, item_id=None, turns=None):
    """What was entered on item ``item_id`` of ``rubric`` showing prompt ``prompt_id``, checked (FieldError if not);
    ``turns``: the turns scored one by one (Campaign.scored_turns), None for the whole conversation."""
    kind = kinds.for_rubric(rubric)
    return Entry(
        kind=kind,
        scores=clean_scores(rubric_axes(rubric), scores or {}, complete=complete, turns=turns),
        verdict=kind.clean_verdict(rubric, verdict or "", complete=complete, item_id=item_id),
        checks=clean_checks(prompt_id, checks, kind),
    )


def _entry_of(item, **entered):
    return clean_entry(item.campaign.rubric, item.response.prompt_id, item_id=item.pk,
                       turns=item.campaign.scored_turns(item.response), **entered)


@transaction.atomic
def draft_save(*, annotator, item, scores=None, verdict="", checks=None, comment="", flags=None, seconds_spent=0):
    """Keep what the annotator has entered so far, so a reload or an expired session loses nothing.

    ``verdict`` and ``checks`` are in screen terms (left, right, tie, ...) and stored in the item's terms, like a
    rating's.
    """
    entry = _entry_of(item, scores=scores, verdict=verdict, checks=checks, complete=False)
    flags = clean_flags(flags)
    slot = _editable_slot_or_rating(annotator, item)
    if slot is None:
        raise HyokaError("this item is not yours to rate; ask for the next item.")
    order = shown_order(item, annotator, slot.rating if slot.rating_id else None)
    draft, _ = Draft.objects.update_or_create(
        item=item, annotator=annotator,
        defaults={"scores": entry.scores, "verdict": entry.verdict_for(order), "checks": entry.checks_for(order),
                  "comment": comment or "", "flags": flags, "seconds_spent": max(0, int(seconds_spent or 0))},
    )
    return draft


@transaction.atomic
def rating_submit(*, annotator, item, idempotency_key, scores=None, verdict="", checks=None, comment="", flags=None,
                  seconds_spent=None):
    """Store the annotator's rating of the item (or a revision of it); return (rating, created).

    Likert items take ``scores`` (every axis); pairwise items take ``verdict`` in screen terms (left, right,
    or the rubric's tie / both / neither), stored in the item's terms with the order shown (Rating.position).
    ``checks`` answers the prompt's checklist (optional, item by item; on a pair, for each side, in screen terms,
    stored one row per response in the item's terms). Idempotent on ``idempotency_key``:
    a repeated submit returns the stored rating unchanged. A first submit fills the annotator's slot; if
    their lease expired, a free slot of the item is claimed, and if none is left the submit is refused (the
    item already has its k annotators) and the draft is kept. A submit that leaves the item's ratings disagreeing
    beyond the threshold may open a place for one more annotator (annotation.services.extra_raters).
    """
    if idempotency_key is None:
        raise FieldError("idempotency_key", "is required, so that a repeated submit stores one rating")
    entry = _entry_of(item, scores=scores, verdict=verdict, checks=checks, complete=True)
    flags = clean_flags(flags)
    slot = _editable_slot_or_rating(annotator, item)  # locked: a parallel retry waits here
    if slot is None and item.campaign.mode == Campaign.Mode.PULL and _claim_open_slot(annotator, item.campaign, item):
        slot = ItemSlot.objects.select_for_update().get(item=item, annotator=annotator)
    if slot is None:
        raise HyokaError("this item already has all its annotators (your lease had expired); your draft is kept.")
    fields = {"comment": comment or "", "flags": flags, "seconds_spent": seconds_spent,
              "idempotency_key": idempotency_key}
    axes = rubric_axes(item.campaign.rubric)
    if slot.rating_id:
        if _submitted_with_key(slot.rating, idempotency_key):
            return slot.rating, False
        order = shown_order(item, annotator, slot.rating)
        rating = _revise(slot.rating, entry, order, fields, axes)
    else:
        rating = _create_rating(slot, item, annotator, entry, shown_order(item, annotator), fields, axes)
    Draft.objects.filter(item=item, annotator=annotator).delete()
    extra_rater_add_if_disagreeing(item_lookup={"pk": item.pk})
    return rating, True


def _submitted_with_key(rating, key):
    """True if this rating, now or in an earlier version, came from a submit with ``key``."""
    return rating.idempotency_key == key or rating.revisions.filter(idempotency_key=key).exists()


def _create_rating(slot, item, annotator, entry, order, fields, axes):
    if Rating.objects.filter(annotator=annotator, idempotency_key=fields["idempotency_key"]).exists():
        raise FieldError("idempotency_key", "was already used for another submit; send a new key per rating")
    rating = Rating.objects.create(item=item, annotator=annotator, source=Rating.Source.WEB,
                                   verdict=entry.verdict_for(order), position=order, **fields)
    _write_answers(rating, entry, order, axes)
    slot.rating = rating
    slot.lease_expires_at = None
    slot.save(update_fields=["rating", "lease_expires_at"])
    return rating


def _revise(rating, entry, order, fields, axes):
    """Keep the rating as it was (scores, verdict, ticks, comment, ...) as a RatingRevision, then change it.
    ``order`` is the one shown (shown_order): the annotator sees the pair as when they first rated it."""
    RatingRevision.objects.create(
        rating=rating, revision=rating.revision, scores=rating_scores(rating),
        verdict=rating.verdict, checks=rating_checks(rating), comment=rating.comment, flags=rating.flags,
        seconds_spent=rating.seconds_spent, idempotency_key=rating.idempotency_key,
        submitted_at=rating.revised_at or rating.submitted_at,
    )
    rating.scores.all().delete()
    rating.checks.all().delete()
    _write_answers(rating, entry, order, axes)
    for name, value in fields.items():
        setattr(rating, name, value)
    rating.verdict, rating.position = entry.verdict_for(order), order
    rating.revision += 1
    rating.revised_at = timezone.now()
    rating.save()
    return rating


def _write_answers(rating, entry, order, axes):
    scores, checks = answer_rows(entry, order, axes)
    RatingScore.objects.bulk_create(RatingScore(rating=rating, axis_id=axis, turn=turn, score=score)
                                    for axis, turn, score in scores)
    RatingCheck.objects.bulk_create(
        RatingCheck(rating=rating, checklist_item_id=point, side=side, checked=checked)
        for point, side, checked in checks
    )


def answer_rows(entry, order, axes):
    """The rows a rating's answers are stored as, in the item's terms given the ``order`` shown: scores as
    [(axis id, turn, score)] (``axes``: the rubric's; turn None for the whole conversation), ticks as
    [(checklist item id, side, ticked)]."""
    axis_ids = {axis.key: axis.id for axis in axes}
    scores = [(axis_ids[key], turn, score) for turn, given in _scores_by_turn(entry.scores)
              for key, score in given.items()]
    checks = [(int(key), side, checked) for key, answer in entry.checks_for(order).items()
              for side, checked in (answer.items() if isinstance(answer, dict) else [("", answer)])]
    return scores, checks


def _scores_by_turn(scores):
    """[(turn, {axis: score})] of cleaned scores: one (None, scores) for the whole conversation, else per turn."""
    if all(isinstance(value, dict) for value in scores.values()) and scores:
        return [(int(turn), given) for turn, given in scores.items()]
    return [(None, scores)]


@transaction.atomic
def item_skip(*, annotator, item, reason, note=""):
    """Give the item up with a reason; its slot becomes free for another annotator."""
    if reason not in Skip.Reason.values:
        raise FieldError("reason", f"choose one of {', '.join(Skip.Reason.values)}")
    slot = _editable_slot_or_rating(annotator, item)
    if slot is None:
        raise HyokaError("this item is not yours to skip.")
    if slot.rating_id:
        raise HyokaError("you already rated this item; revise the rating instead of skipping it.")
    slot.annotator, slot.assignment, slot.lease_expires_at, slot.claimed_at = None, None, None, None
    slot.save(update_fields=["annotator", "assignment", "lease_expires_at", "claimed_at"])
    Draft.objects.filter(item=item, annotator=annotator).delete()
    return Skip.objects.create(item=item, annotator=annotator, reason=reason, note=note or "")


# Opening and closing -------------------------------------------------------------------------------------

PULL_BATCH_SIZE = 10_000


@transaction.atomic
def campaign_open(*, campaign, mode):
    """Start rating: in batch mode annotators rate what they were assigned, in pull mode they take the next item.

    Pull mode needs no batches from the lead: items outside batches are cut into batches of PULL_BATCH_SIZE in
    prompt order (their places to rate being what pull hands out), so a campaign opens in pull mode straight
    after its import. Returns the campaign; ``campaign.batches_cut`` says how many batches this made."""
    if mode not in Campaign.Mode.values:
        raise FieldError("mode", f"choose one of {', '.join(Campaign.Mode.values)}")
    campaign.batches_cut = 0
    if mode == Campaign.Mode.PULL and Item.objects.filter(campaign=campaign, batch__isnull=True,
                                                          quality_role="").exists():
        campaign.batches_cut = len(campaign_cut_batches(campaign=campaign, size=PULL_BATCH_SIZE,
                                                        order=Batch.Order.PROMPT))
    if not ItemSlot.objects.filter(campaign=campaign).exists():
        raise HyokaError("cut the items into batches before opening the campaign (or open it in pull mode).")
    Campaign.objects.filter(pk=campaign.pk).update(mode=mode, status=Campaign.Status.ACTIVE)
    campaign.refresh_from_db(fields=["mode", "status"])
    return campaign


def batch_close(*, batch):
    """Close a batch: its ratings become final and no longer revisable."""
    Batch.objects.filter(pk=batch.pk, closed_at__isnull=True).update(closed_at=timezone.now())
    batch.refresh_from_db()
    return batch


def annotator_for_user(user):
    """The Annotator profile of a platform user (created on first use)."""
    annotator, _ = Annotator.objects.get_or_create(
        user=user, defaults={"handle": user.get_username(), "tier": Annotator.Tier.PROFESSIONAL}
    )
    return annotator

