"""A pairwise campaign's human votes read from the database as the tables of annotation.ranking
(exports.reports.ranking builds the ranking report from them).

Votes are stored in the item's terms (A is ``item.response``), so model_a of a vote is the item's first
model; every current rating with a verdict counts once.
"""

import pandas as pd

from annotation import kinds
from annotation.errors import HyokaError
from annotation.models import Campaign, Item, Rating
from annotation.quality_items import counted

VOTE_TABLE_COLUMNS = ("item", "annotator", "model_a", "model_b", "verdict")


def campaign_for_ranking(slug):
    """The campaign named `slug` with its rubric; a HyokaError for an unknown one or one whose kind has no
    ranking (annotation.kinds: check_rankable)."""
    campaign = Campaign.objects.select_related("rubric").filter(slug=slug).first()
    if campaign is None:
        raise HyokaError(f"no campaign {slug!r}")
    kinds.for_campaign(campaign).check_rankable(campaign)
    return campaign


def campaign_votes(campaign):
    """The humans' votes: columns item (Item pk), annotator (handle), model_a, model_b (names), verdict."""
    rows = Rating.objects.filter(counted("item__"), item__campaign=campaign).exclude(verdict="")
    rows = rows.values_list("item_id", "annotator__handle", "item__response__model__name",
                            "item__response_b__model__name", "verdict")
    return pd.DataFrame(list(rows), columns=VOTE_TABLE_COLUMNS)


def campaign_models(campaign):
    """The names of the models on either side of the campaign's pairs (its items with two responses)."""
    items = Item.objects.filter(counted(), campaign=campaign).exclude(response_b=None)
    first = items.values_list("response__model__name", flat=True).distinct()
    second = items.values_list("response_b__model__name", flat=True).distinct()
    return sorted(set(first) | set(second))
