"""The length figures of a pairwise campaign as JSON (judging.lengths; read by judging.length_selectors): what
GET /api/campaigns/<slug>/lengths/ returns and the report page shows.

{"meta": counts, the groups (the humans, then each judge), how the context category is read, "reason" (why
there is nothing, or None); "longer_wins": {group: {n, count, rate, reason}}; "categories": per context
category its items, the mean and median characters of responses A and B, the share where A is the longer and
per group how often the longer response wins}.
"""

from annotation.errors import HyokaError
from judging import lengths
from judging.length_selectors import CONTEXT_CATEGORY_KEY, campaign_length_inputs


def pairwise_lengths(campaign, inputs=None):
    """The length report of a pairwise campaign; pass `inputs` (campaign_length_inputs) when already read."""
    items, votes = inputs or campaign_length_inputs(campaign)
    report = lengths.length_report(items, votes).as_dict()
    meta = {"campaign": campaign.slug, "n_items": len(items), "n_context_items": int(items["category"].notna().sum()),
            "groups": list(votes), "n_votes": {name: len(table) for name, table in votes.items()},
            "category_from": f"the prompt's metadata.{CONTEXT_CATEGORY_KEY}, else its category",
            "reason": None if len(items) else f"campaign {campaign.slug} has no pairs yet"}
    return {"meta": meta, **report}


def likert_lengths(campaign, inputs=None):
    raise HyokaError(f"campaign {campaign.slug} scores single responses: the longer response winning is a figure of "
                     "pairwise campaigns")
