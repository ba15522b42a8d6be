"""Extra annotators for disagreement: one more place to rate an item whose ratings disagree beyond the campaign's
threshold, up to ``campaign.extra_raters_max`` per item.

Exactly k becomes "exactly k, plus the extra annotators this rule added": an item has its k slots (fewer when
imported ratings count toward k) and extra slots numbered 1, 2, ... (``ItemSlot.extra``). The rule runs in the
transaction that filled a slot, after filling it, and locks the item row first; so of two submits that fill an
item's last two slots at once, the second to take the lock sees both ratings (the first has committed), and
only one of them can add the slot. The unique (item, extra) constraint stands behind it: no interleaving adds
extra slot n twice. Claims and submits of the new slot go through the usual paths (free slot, one per annotator).
"""

from django.db.models import Max

from annotation.adjudication_selectors import item_disagrees
from annotation.models import Item, ItemSlot


def extra_rater_add_if_disagreeing(*, item_lookup):
    """Open one extra slot on the item matching ``item_lookup`` (e.g. ``{"pk": 3}`` or ``{"public_id": ...}``)
    when its campaign adds extra annotators, every slot of the item is rated, its ratings disagree beyond the
    threshold and it has fewer extra slots than the campaign allows. Returns the new slot, or None.

    Call inside the transaction that filled a slot of the item, after filling it: the item row is locked here
    (SELECT ... FOR UPDATE) until that transaction ends.
    """
    item = (Item.objects.select_for_update(of=("self",)).select_related("campaign__rubric")
            .filter(campaign__extra_raters_max__gt=0, campaign__disagreement_threshold__isnull=False, **item_lookup)
            .first())
    if item is None:
        return None  # the campaign adds no extra annotators (the common case: one indexed read)
    slots = ItemSlot.objects.filter(item=item)
    if slots.filter(rating__isnull=True).exists():
        return None  # someone is still to rate it; their rating may settle it
    extras = slots.aggregate(most=Max("extra"))["most"] or 0
    if extras >= item.campaign.extra_raters_max or not item_disagrees(item):
        return None
    return ItemSlot.objects.create(campaign_id=item.campaign_id, item=item, position=item.position, extra=extras + 1)


def extra_raters_allowed(campaign):
    """How many annotators an item of the campaign may have at most: k plus the extra ones."""
    return campaign.overlap + (campaign.extra_raters_max if campaign.disagreement_threshold is not None else 0)


