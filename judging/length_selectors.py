"""What the length figures of a pairwise campaign (judging.lengths) are computed from, read from the database:
each item's two response lengths and its prompt's context category, the humans' votes and each judge's
verdicts (judging.ranking_selectors: the verdicts its reports rest on).

A prompt's context category is its metadata's `context_category` (Audience, Simplicity, Detailed,
Formality, ...), else its category; a prompt without a context has none.
"""

import pandas as pd

from annotation.models import Item
from annotation.ranking_selectors import campaign_votes
from annotation.quality_items import counted
from judging.ranking_selectors import item_lengths, pairwise_judge_inputs
from judging.verdict_selectors import campaign_judges, judge_for_report

CONTEXT_CATEGORY_KEY = "context_category"


def context_category(prompt_context, prompt_category, metadata):
    """The context category of a prompt (module docstring), or None."""
    if not prompt_context:
        return None
    found = (metadata or {}).get(CONTEXT_CATEGORY_KEY) if isinstance(metadata, dict) else None
    return str(found) if found not in (None, "") else (prompt_category or "—")


def campaign_length_inputs(campaign):
    """(items: item, category, len_a, len_b; {"humans" and each judge's name: its verdicts (item, verdict)})."""
    rows = list(Item.objects.filter(counted(), campaign=campaign).exclude(response_b=None).order_by("id").values_list(
        "id", "response__prompt__context", "response__prompt__category", "response__prompt__metadata"))
    lengths = item_lengths([row[0] for row in rows])
    items = pd.DataFrame([(item, context_category(context, category, metadata), *lengths[item])
                          for item, context, category, metadata in rows],
                         columns=["item", "category", "len_a", "len_b"])
    votes = {"humans": campaign_votes(campaign)[["item", "verdict"]]}
    for name in campaign_judges(campaign):
        votes[name] = pairwise_judge_inputs(campaign, judge_for_report(name)).table[["item", "verdict"]]
    return items, votes
