"""Reads of the rating workflow that pages and the API share: what an annotator sees, and progress."""

from collections import defaultdict

from django.db.models import Count, Q

from annotation import kinds
from annotation.medians import Median
from annotation.models import Assignment, ChecklistItem, Draft, ItemSlot, Rating, RatingCheck, Skip, SlotTally
from annotation.rubric_axes import rubric_axes



def shown_order(item, annotator, rating=None):
    """The order this annotator sees the item in, as recorded on their rating (Rating.position): for a pair,
    which response is on the left (annotation.kinds.pairwise.pair_order); empty for a single response."""
    return kinds.for_campaign(item.campaign).shown_order(item, annotator, rating)


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

    What is rated comes from the campaign's kind (annotation.kinds): a likert item has ``response``; a pairwise
    item has ``left`` and ``right`` (in the order this annotator is shown, see kinds.pairwise.pair_order) and
    ``verdicts``, and its draft's and rating's verdict and ticks are in screen terms too.
    """
    campaign = item.campaign
    kind = kinds.for_campaign(campaign)
    prompt = item.response.prompt
    draft = Draft.objects.filter(item=item, annotator=annotator).first()
    rating = Rating.objects.filter(item=item, annotator=annotator).first()
    order = kind.shown_order(item, annotator, rating)
    return {
        "id": str(item.public_id),
        "campaign": campaign.slug,
        "kind": kind.NAME,
        "batch": item.batch.number if item.batch_id else None,
        "batch_closed": bool(item.batch_id and item.batch.closed_at),
        "position": item.position,
        "prompt": {"turns": prompt.turns, "context": prompt.context, "category": prompt.category},
        **kind.item_payload(item, order, language),
        "axes": axes_for_display(campaign.rubric, language),
        "checklist": [{"id": check.id, "text": check.text}
                      for check in ChecklistItem.objects.filter(prompt=prompt).order_by("position")],
        "draft": _draft_data(draft, kind, order),
        "rating": _rating_data(rating, kind, order),
        "progress": annotator_progress(annotator, campaign),
    }


def _draft_data(draft, kind, order):
    if draft is None:
        return None
    return {"scores": draft.scores, "verdict": kind.verdict_in_screen_terms(draft.verdict, order),
            "checks": kind.checks_in_screen_terms(draft.checks, order), "comment": draft.comment, "flags": draft.flags,
            "seconds_spent": draft.seconds_spent, "updated_at": draft.updated_at.isoformat()}


def _rating_data(rating, kind, order):
    if rating is None:
        return None
    return {"scores": dict(rating.scores.values_list("axis__key", "score")),
            "verdict": kind.verdict_in_screen_terms(rating.verdict, order),
            "checks": kind.checks_in_screen_terms(rating_checks(rating), order),
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


PROGRESS_KEYS = {"annotator": "annotator__handle", "batch": "item__batch__number",
                 "model": "item__response__model__name"}
UNASSIGNED = "(unassigned)"


def campaign_progress(campaign):
    """Progress per annotator, batch and model: done / total, median seconds per item, skips and flags.

    Counted and medians taken in the database, one grouped query per dimension (and one for skips), so the
    cost stays in SQL however many slots the campaign has: nothing per slot comes to Python."""
    slots = ItemSlot.objects.filter(campaign=campaign)
    totals = slots.aggregate(slots=Count("id"), rated=Count("rating"))
    skips = Skip.objects.filter(item__campaign=campaign)
    progress = {"overlap": campaign.overlap, **totals}
    for dimension, key in PROGRESS_KEYS.items():
        skipped = dict(skips.values(key).annotate(n=Count("id")).values_list(key, "n"))
        groups = slots.values(key).annotate(
            total=Count("id"), done=Count("rating"), median=Median("rating__seconds_spent"),
            flags=Count("id", filter=Q(rating__isnull=False) & ~Q(rating__flags=[])),
        )
        progress[f"by_{dimension}"] = _progress_rows(groups, key, skipped, dimension == "annotator")
    return progress


def _progress_rows(groups, key, skipped, name_unassigned):
    rows = [
        {"key": UNASSIGNED if group[key] is None and name_unassigned else group[key], "done": group["done"],
         "total": group["total"], "skips": skipped.get(group[key], 0), "flags": group["flags"],
         "median_seconds": group["median"]}
        for group in groups
    ]
    return sorted(rows, key=lambda row: str(row["key"]))
