"""A pairwise campaign's human votes read from the database as the tables of annotation.ranking, and the
humans' ranking as JSON (the ``humans`` part of what ``ranking --json`` prints).

Votes are stored in the item's terms (A is ``item.response``), so model_a of a vote is the item's first
model; every current rating with a verdict counts once.
"""

import pandas as pd

from annotation import ranking
from annotation.errors import HyokaError
from annotation.models import Campaign, Item, Rating, Rubric

VOTE_TABLE_COLUMNS = ("item", "annotator", "model_a", "model_b", "verdict")


def campaign_for_ranking(slug):
    """The campaign named `slug` with its rubric; a HyokaError for an unknown or likert campaign."""
    campaign = Campaign.objects.select_related("rubric").filter(slug=slug).first()
    if campaign is None:
        raise HyokaError(f"no campaign {slug!r}")
    if campaign.rubric.kind != Rubric.Kind.PAIRWISE:
        raise HyokaError(f"campaign {slug} uses the likert rubric {campaign.rubric.key}: rankings need a pairwise "
                         f"campaign (see agreement and meta_eval for scores)")
    return campaign


def campaign_votes(campaign):
    """The humans' votes: columns item (Item pk), annotator (handle), model_a, model_b (names), verdict."""
    rows = Rating.objects.filter(item__campaign=campaign, item__response_b__isnull=False).exclude(verdict="")
    rows = rows.values_list("item_id", "annotator__handle", "item__response__model__name",
                            "item__response_b__model__name", "verdict")
    return pd.DataFrame(list(rows), columns=VOTE_TABLE_COLUMNS)


def campaign_models(campaign):
    """The names of the models on either side of the campaign's items."""
    items = Item.objects.filter(campaign=campaign, response_b__isnull=False)
    first = items.values_list("response__model__name", flat=True).distinct()
    second = items.values_list("response_b__model__name", flat=True).distinct()
    return sorted(set(first) | set(second))


def ranking_of(votes, models, options):
    """ranking.ranking of a votes table (its model_a, model_b and verdict columns) as a JSON-ready dict."""
    return ranking.ranking(votes[["model_a", "model_b", "verdict"]], models=models, **options).as_dict()
