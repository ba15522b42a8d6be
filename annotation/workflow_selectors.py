"""Reads of the rating workflow that pages and the API share: what an annotator sees, and progress."""

import statistics
from collections import defaultdict

from django.db.models import Count, Q

from annotation.models import Assignment, Draft, ItemSlot, Rating, Skip
from annotation.rubric_axes import rubric_axes


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
    """Everything the rating page shows for one item: never other annotators' ratings or judge verdicts."""
    campaign = item.campaign
    prompt, response = item.response.prompt, item.response
    draft = Draft.objects.filter(item=item, annotator=annotator).first()
    rating = Rating.objects.filter(item=item, annotator=annotator).first()
    return {
        "id": str(item.public_id),
        "campaign": campaign.slug,
        "batch": item.batch.number if item.batch_id else None,
        "batch_closed": bool(item.batch_id and item.batch.closed_at),
        "position": item.position,
        "prompt": {"turns": prompt.turns, "context": prompt.context, "category": prompt.category},
        "response": {"turns": response.turns, "model": response.model.name if campaign.show_model_names else None},
        "axes": axes_for_display(campaign.rubric, language),
        "draft": _draft_data(draft),
        "rating": _rating_data(rating),
        "progress": annotator_progress(annotator, campaign),
    }


def _draft_data(draft):
    if draft is None:
        return None
    return {"scores": draft.scores, "comment": draft.comment, "flags": draft.flags,
            "seconds_spent": draft.seconds_spent, "updated_at": draft.updated_at.isoformat()}


def _rating_data(rating):
    if rating is None:
        return None
    return {"scores": dict(rating.scores.values_list("axis__key", "score")), "comment": rating.comment,
            "flags": rating.flags, "revision": rating.revision, "id": str(rating.public_id)}


def annotator_progress(annotator, campaign):
    counts = ItemSlot.objects.filter(annotator=annotator, campaign=campaign).aggregate(
        total=Count("id"), done=Count("id", filter=Q(rating__isnull=False))
    )
    return {"done": counts["done"], "total": counts["total"]}


def my_work(annotator, campaigns):
    """Per campaign: items held, rated, and the batches assigned (for the "my work" page)."""
    rows = (
        ItemSlot.objects.filter(annotator=annotator, campaign__in=campaigns)
        .values("campaign").annotate(total=Count("id"), done=Count("id", filter=Q(rating__isnull=False)))
    )
    by_campaign = {row["campaign"]: row for row in rows}
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
