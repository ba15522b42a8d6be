"""Adjudication: a lead sets how much disagreement an item may have (and whether it then gets extra
annotators); an adjudicator records the final label of an item, with a note. The final label of every item and
its provenance follow one rule (annotation.final_labels)."""

from django.db import transaction

from annotation.errors import FieldError, HyokaError
from annotation.models import Adjudication, AdjudicationScore, Campaign, PairOrder, Rating
from annotation.rubric_axes import rubric_axes
from annotation.services.workflow import clean_entry

EXTRA_RATERS_LIMIT = 10  # per item: a disagreement worth more annotators than this is one to adjudicate


def campaign_adjudication_set(*, campaign, threshold, extra_raters_max=0):
    """Set the campaign's disagreement threshold (None: no adjudication) and how many extra annotators an item
    beyond it may get (0: none). Extra annotators need a threshold; they come to items as the next ratings
    are submitted, not to items already rated."""
    if threshold is not None and (not isinstance(threshold, int) or threshold < 0):
        raise FieldError("threshold", "give a whole number, 0 or more, or leave it empty for no adjudication")
    if not isinstance(extra_raters_max, int) or not 0 <= extra_raters_max <= EXTRA_RATERS_LIMIT:
        raise FieldError("extra_raters_max", f"give a whole number from 0 to {EXTRA_RATERS_LIMIT}")
    if extra_raters_max and threshold is None:
        raise FieldError("extra_raters_max", "extra annotators go to items beyond the threshold: set a threshold")
    Campaign.objects.filter(pk=campaign.pk).update(disagreement_threshold=threshold,
                                                   extra_raters_max=extra_raters_max)
    campaign.disagreement_threshold, campaign.extra_raters_max = threshold, extra_raters_max
    return campaign


@transaction.atomic
def adjudication_record(*, item, adjudicator, scores=None, verdict="", note=""):
    """Record the item's final label: ``scores`` (axis → score, every axis) for a likert item, ``verdict`` for a
    pair, as the adjudication page shows it (left is the item's A). Replaces an earlier adjudication of the item.
    Refused for an item nobody has rated."""
    if not Rating.objects.filter(item=item).exists():
        raise HyokaError("nobody has rated this item yet; there is nothing to adjudicate.")
    entry = clean_entry(item.campaign.rubric, item.response.prompt_id, item_id=item.pk, scores=scores, verdict=verdict,
                        checks=None, complete=True)
    adjudication, _ = Adjudication.objects.update_or_create(
        item=item, defaults={"adjudicator": adjudicator, "verdict": entry.verdict_for(PairOrder.AB),
                             "note": (note or "").strip()})
    adjudication.scores.all().delete()
    axis_ids = {axis.key: axis.id for axis in rubric_axes(item.campaign.rubric)}
    AdjudicationScore.objects.bulk_create(
        AdjudicationScore(adjudication=adjudication, axis_id=axis_ids[key], score=score)
        for key, score in entry.scores.items())
    return adjudication
