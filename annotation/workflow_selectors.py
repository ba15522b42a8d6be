"""Reads of the rating workflow that pages and the API share: what an annotator sees, and progress."""

import hashlib
import statistics
from collections import defaultdict

from django.db.models import Count
from django.utils.translation import gettext_lazy as _
from django.utils.translation import override

from annotation.models import (
    Assignment, ChecklistItem, Draft, ItemSlot, PairOrder, PairwiseVerdict, Rating, RatingCheck, Response, Rubric,
    Skip, SlotTally,
)
from annotation.rubric_axes import rubric_axes

# Pairwise items as an annotator sees them --------------------------------------------------------------------
#
# An annotator never learns which response of a pair is the item's A: the page and the API speak of the left
# and the right response, and the annotator's verdict comes back as "left", "right" or one of the rubric's
# other verdicts (tie, both, neither). The order is decided per (item, annotator) and recorded on the rating
# (Rating.position); verdicts are stored in the item's terms (A is item.response).

SIDES = ("left", "right")
SIDE_LABELS = {  # the verdict a side stands for, as the page words it on wide and on narrow (stacked) screens
    "left": (_("Left is better"), _("Upper is better")),
    "right": (_("Right is better"), _("Lower is better")),
}


def pair_order(item_id, annotator_id):
    """The order the pair of item ``item_id`` is shown to annotator ``annotator_id``: AB puts item.response on
    the left, BA on the right.

    A hash of the two ids: the same on every load, draft and revision, nothing to store, and each order for
    about half of the (item, annotator) pairs, independently of how items are handed out. MD5 (not for security:
    any even spread would do) because PostgreSQL computes it too: pair_order_sql is the same function in SQL,
    for the rating hot path (tests/annotation/test_hot_paths.py holds the two together).
    """
    digest = hashlib.md5(f"{item_id}:{annotator_id}".encode(), usedforsecurity=False).digest()
    return PairOrder.AB if digest[0] & 1 == 0 else PairOrder.BA


def pair_order_sql(item_id, annotator_id):
    """pair_order as a PostgreSQL expression of two integer SQL expressions: 'AB' or 'BA'."""
    return (f"(CASE WHEN get_byte(decode(md5({item_id}::text || ':' || {annotator_id}::text), 'hex'), 0) & 1 = 0 "
            f"THEN '{PairOrder.AB}' ELSE '{PairOrder.BA}' END)")


def shown_order(item, annotator, rating=None):
    """The order this annotator sees the item in: the one recorded on their rating, else pair_order.
    Empty for likert items."""
    if item.response_b_id is None:
        return ""
    if rating is not None and rating.position:
        return rating.position
    return pair_order(item.id, annotator.id)


def verdict_in_item_terms(screen_verdict, order):
    """left / right as the item's A / B, given the order shown; tie, both and neither stay."""
    return side_in_item_terms(screen_verdict, order) if screen_verdict in SIDES else screen_verdict


def verdict_in_screen_terms(verdict, order):
    """The item's A / B as the side it was shown on, given the order; tie, both and neither stay."""
    if verdict not in (PairwiseVerdict.A, PairwiseVerdict.B):
        return verdict
    return side_in_screen_terms(verdict, order)


def side_in_item_terms(screen_side, order):
    """left / right as the item's A / B, given the order shown."""
    return PairwiseVerdict.A if (screen_side == "left") == (order == PairOrder.AB) else PairwiseVerdict.B


def side_in_screen_terms(side, order):
    """The item's A / B as the side of the page it was shown on, given the order."""
    return "left" if (side == PairwiseVerdict.A) == (order == PairOrder.AB) else "right"


def checks_in_item_terms(checks, order):
    """Checklist answers as given on screen, in the item's terms: on a pair, {id: {"left": t, "right": t}} becomes
    {id: {"A": t, "B": t}} (a side left out stays out); likert answers ({id: t}, order "") stay as they are."""
    if not order:
        return dict(checks)
    item_terms = {}
    for key, sides in checks.items():
        by_side = {side_in_item_terms(side, order): tick for side, tick in sides.items()}
        item_terms[key] = {side: by_side[side] for side in (PairwiseVerdict.A, PairwiseVerdict.B) if side in by_side}
    return item_terms


def checks_in_screen_terms(checks, order):
    """Stored checklist answers (item's terms) as their annotator gave them on screen: the inverse of
    checks_in_item_terms. A pair's answer with no side (a tick from before pairwise ticks were per response)
    cannot be placed on either side and is left out."""
    if not order:
        return dict(checks)
    screen = {}
    for key, sides in checks.items():
        if not isinstance(sides, dict):
            continue
        by_side = {side_in_screen_terms(side, order): tick for side, tick in sides.items()}
        screen[key] = {side: by_side[side] for side in SIDES if side in by_side}
    return screen


def screen_verdicts(rubric):
    """The verdicts an annotator chooses from, in key order: left, right, then the rubric's other verdicts
    (tie, both, neither) in the rubric's order."""
    others = [v for v in rubric.verdicts if v in PairwiseVerdict.values and v not in (PairwiseVerdict.A, PairwiseVerdict.B)]
    return (*SIDES, *others)


def verdict_options(rubric, language):
    """[{"value", "label", "label_narrow"}] for the rubric's screen verdicts, labelled in ``language``."""
    with override("en" if language == "en" else "ja"):
        options = []
        for value in screen_verdicts(rubric):
            wide, narrow = SIDE_LABELS.get(value) or (PairwiseVerdict(value).label,) * 2
            options.append({"value": value, "label": str(wide), "label_narrow": str(narrow)})
        return options


def verdict_label(verdict, order, language="ja"):
    """A stored verdict (item terms) as its annotator chose it on screen, in words."""
    screen = verdict_in_screen_terms(verdict, order)
    with override("en" if language == "en" else "ja"):
        return str(SIDE_LABELS[screen][0] if screen in SIDES else PairwiseVerdict(screen).label)


def axes_for_display(rubric, language):
    """The rubric's axes with labels, criteria and point descriptors in ``language`` (ja or en)."""
    pick = "en" if language == "en" else "ja"
    return [
        {
            "key": axis.key,
            "label": axis.label_en if pick == "en" else axis.label_ja,
            "criterion": axis.criterion_en if pick == "en" else axis.criterion_ja,
            "min": axis.min_score,
            "max": axis.max_score,
            "points": {score: text[pick] for score, text in axis.points.items()},
        }
        for axis in rubric_axes(rubric)
    ]


def item_for_rating(item, annotator, language="ja"):
    """Everything the rating page shows for one item: never other annotators' ratings or judge verdicts.

    A likert item has ``response``; a pairwise item has ``left`` and ``right`` (in the order this annotator is
    shown, see pair_order) and ``verdicts``, and its draft's and rating's verdict are in screen terms too.
    """
    campaign = item.campaign
    prompt = item.response.prompt
    draft = Draft.objects.filter(item=item, annotator=annotator).first()
    rating = Rating.objects.filter(item=item, annotator=annotator).first()
    order = shown_order(item, annotator, rating)
    payload = {
        "id": str(item.public_id),
        "campaign": campaign.slug,
        "kind": Rubric.Kind.PAIRWISE if order else Rubric.Kind.LIKERT,
        "batch": item.batch.number if item.batch_id else None,
        "batch_closed": bool(item.batch_id and item.batch.closed_at),
        "position": item.position,
        "prompt": {"turns": prompt.turns, "context": prompt.context, "category": prompt.category},
        "response": None, "left": None, "right": None,
        "axes": axes_for_display(campaign.rubric, language),
        "verdicts": verdict_options(campaign.rubric, language) if order else [],
        "checklist": [{"id": check.id, "text": check.text}
                      for check in ChecklistItem.objects.filter(prompt=prompt).order_by("position")],
        "draft": _draft_data(draft, order),
        "rating": _rating_data(rating, order),
        "progress": annotator_progress(annotator, campaign),
    }
    if order:
        payload.update(_sides(item, order, campaign.show_model_names))
    else:
        payload["response"] = _shown_response(item.response, campaign.show_model_names)
    return payload


def _shown_response(response, show_model_names):
    return {"turns": response.turns, "model": response.model.name if show_model_names else None}


def _sides(item, order, show_model_names):
    second = Response.objects.select_related("model").get(pk=item.response_b_id)
    first = _shown_response(item.response, show_model_names)
    second = _shown_response(second, show_model_names)
    left, right = (first, second) if order == PairOrder.AB else (second, first)
    return {"left": left, "right": right}


def _draft_data(draft, order):
    if draft is None:
        return None
    return {"scores": draft.scores, "verdict": verdict_in_screen_terms(draft.verdict, order),
            "checks": checks_in_screen_terms(draft.checks, order), "comment": draft.comment, "flags": draft.flags,
            "seconds_spent": draft.seconds_spent, "updated_at": draft.updated_at.isoformat()}


def _rating_data(rating, order):
    if rating is None:
        return None
    return {"scores": dict(rating.scores.values_list("axis__key", "score")),
            "verdict": verdict_in_screen_terms(rating.verdict, order),
            "checks": checks_in_screen_terms(rating_checks(rating), order),
            "comment": rating.comment, "flags": rating.flags, "revision": rating.revision,
            "id": str(rating.public_id)}


def rating_checks(rating):
    """The rating's checklist answers in the item's terms, for the items its annotator answered, in checklist
    order: {str(checklist item id): ticked}, or on a pair {str(id): {"A": ticked, "B": ticked}} (a side
    unanswered is left out). A pair's tick with no side (from before per-response ticks) keeps the first shape."""
    rows = (RatingCheck.objects.filter(rating=rating).order_by("checklist_item__position", "side")
            .values_list("checklist_item_id", "side", "checked"))
    checks = {}
    for item_id, side, checked in rows:
        if side:
            checks.setdefault(str(item_id), {})[side] = checked
        else:
            checks[str(item_id)] = checked
    return checks


def pair_conversation(prompt_turns, left_turns, right_turns):
    """A pairwise item turn by turn: [(number, user turn, left answer, right answer)] ("" where one is missing)."""
    count = max(len(prompt_turns), len(left_turns), len(right_turns))

    def turn(turns, index):
        return turns[index] if index < len(turns) else ""

    return [(index + 1, turn(prompt_turns, index), turn(left_turns, index), turn(right_turns, index))
            for index in range(count)]


def annotator_progress(annotator, campaign):
    """How many of the campaign's slots the annotator holds and has rated, from the tally the database keeps."""
    tally = SlotTally.objects.filter(annotator=annotator, campaign=campaign).values_list("rated", "slots").first()
    done, total = tally or (0, 0)
    return {"done": done, "total": total}


def my_work(annotator, campaigns):
    """Per campaign: items held, rated, and the batches assigned (for the "my work" page)."""
    rows = SlotTally.objects.filter(annotator=annotator, campaign__in=campaigns).values("campaign", "slots", "rated")
    by_campaign = {row["campaign"]: {"total": row["slots"], "done": row["rated"]} for row in rows}
    assignments = defaultdict(list)
    for assignment in Assignment.objects.filter(annotator=annotator, status=Assignment.Status.ACTIVE,
                                                batch__campaign__in=campaigns).select_related("batch"):
        assignments[assignment.batch.campaign_id].append(assignment.batch.number)
    return [
        {"campaign": campaign, "done": by_campaign.get(campaign.id, {}).get("done", 0),
         "total": by_campaign.get(campaign.id, {}).get("total", 0), "batches": sorted(assignments[campaign.id])}
        for campaign in campaigns
    ]


def campaign_progress(campaign):
    """Progress per annotator, batch and model: done / total, median seconds per item, skips and flags."""
    slots = list(
        ItemSlot.objects.filter(campaign=campaign).values_list(
            "annotator__handle", "item__batch__number", "item__response__model__name",
            "rating__seconds_spent", "rating__flags", "rating_id",
        )
    )
    skips = Skip.objects.filter(item__campaign=campaign)
    skip_counts = {
        "annotator": dict(skips.values("annotator__handle").annotate(n=Count("id")).values_list("annotator__handle", "n")),
        "batch": dict(skips.values("item__batch__number").annotate(n=Count("id")).values_list("item__batch__number", "n")),
        "model": dict(skips.values("item__response__model__name").annotate(n=Count("id"))
                      .values_list("item__response__model__name", "n")),
    }
    return {
        "overlap": campaign.overlap,
        "slots": len(slots),
        "rated": sum(1 for slot in slots if slot[5]),
        "by_annotator": _group(slots, 0, skip_counts["annotator"], skip_unassigned=True),
        "by_batch": _group(slots, 1, skip_counts["batch"]),
        "by_model": _group(slots, 2, skip_counts["model"]),
    }


def _group(slots, index, skip_counts, skip_unassigned=False):
    groups = defaultdict(lambda: {"done": 0, "total": 0, "seconds": [], "flags": 0})
    for slot in slots:
        key = slot[index]
        if key is None and skip_unassigned:
            key = "(unassigned)"
        group = groups[key]
        group["total"] += 1
        if slot[5]:
            group["done"] += 1
            group["flags"] += 1 if slot[4] else 0
            if slot[3] is not None:
                group["seconds"].append(slot[3])
    return [
        {"key": key, "done": g["done"], "total": g["total"], "skips": skip_counts.get(key, 0), "flags": g["flags"],
         "median_seconds": statistics.median(g["seconds"]) if g["seconds"] else None}
        for key, g in sorted(groups.items(), key=lambda pair: str(pair[0]))
    ]
