"""The annotation side of campaign kinds: whatever the kind, an annotator gets the item in the shape the API
documents, and what they entered comes back as they entered it."""

import pytest

from annotation.api import ItemSerializer
from annotation.kinds import KINDS
from annotation.models import Campaign
from annotation.services.workflow import campaign_cut_batches, campaign_open, draft_save, item_next
from annotation.workflow_selectors import item_for_rating

from .exam_factories import exam_campaign
from .pairwise_factories import give_checklist, pairwise_campaign
from .workflow_factories import annotators, campaign_with_items

# Per kind: a campaign of it, and an entry (scores, verdict, checklist answers as the page sends them) on the
# first two points of a prompt's checklist.
CAMPAIGNS = {
    "likert": lambda: campaign_with_items(slug="likert", items=2),
    "pairwise": lambda: pairwise_campaign(slug="pairwise", prompts=2),
    "exam": lambda: exam_campaign(slug="exam"),
}
ENTRIES = {
    "likert": lambda first, second: {"scores": {"fluency": 4}, "verdict": "",
                                     "checks": {str(first.id): True, str(second.id): False}},
    "pairwise": lambda first, second: {"scores": {}, "verdict": "left",
                                       "checks": {str(first.id): {"right": True}, str(second.id): {"left": False}}},
    "exam": lambda first, second: {"scores": {}, "verdict": "1", "checks": {str(first.id): True, str(second.id): False}},
}


@pytest.fixture(params=sorted(KINDS))
def held_item(request, db):
    """An item of a campaign of each kind, held by an annotator of it, whose prompt has a checklist of three."""
    campaign = CAMPAIGNS[request.param]()
    (annotator,) = annotators(1, campaign)
    campaign_cut_batches(campaign=campaign, size=10, seed=1)
    campaign_open(campaign=campaign, mode=Campaign.Mode.PULL)
    item = item_next(annotator=annotator, campaign=campaign)
    give_checklist(item.response.prompt, ["一つ目", "二つ目", "三つ目"])
    return request.param, item, annotator


def test_every_kind_gives_the_item_with_the_fields_the_api_documents(held_item):
    kind, item, annotator = held_item

    payload = item_for_rating(item, annotator, "en")

    assert sorted(payload) == sorted(ItemSerializer().fields)
    assert payload["kind"] == kind and len(payload["checklist"]) == 3


def test_every_kind_gives_back_a_draft_as_it_was_entered(held_item):
    kind, item, annotator = held_item
    first, second, _ = item.response.prompt.checklist.order_by("position")
    entry = ENTRIES[kind](first, second)

    draft_save(annotator=annotator, item=item, **entry)
    shown = item_for_rating(item, annotator, "en")["draft"]

    assert {field: shown[field] for field in entry} == entry
