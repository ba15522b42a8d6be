"""Gold thresholds and training mode, as the annotator and the lead meet them through the API and the pages."""

import json
import uuid

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from annotation.models import Campaign, Item
from annotation.quality_gates import gold_standing
from annotation.services.workflow import campaign_assign_batches, campaign_cut_batches, campaign_open

from .test_quality_control import lead_client
from .workflow_factories import FULL_SCORES, annotators, campaign_with_items

WRONG = dict.fromkeys(FULL_SCORES, 1)


def session_client(user):
    """A browser's session: the API's full path, which the pages use."""
    client = APIClient()
    client.force_login(user)
    client.cookies["django_language"] = "en"  # the messages below are read in English
    return client


@pytest.fixture
def gated(db, tmp_path):
    campaign = campaign_with_items(slug="gate", items=12, overlap=2)
    gold = tmp_path / "gold.jsonl"
    gold.write_text("\n".join(json.dumps({"prompt_id": f"p{index}", "model": "model-0", "tolerance": 1,
                                          "scores": {"overall": 5}, "explanation": "模範解答"}) for index in range(3)))
    call_command("import_gold", str(gold), campaign="gate")
    Campaign.objects.filter(pk=campaign.pk).update(gold_share=0.3, gold_warn_after=1, gold_pause_after=2,
                                                   gold_training=True)
    campaign.refresh_from_db()
    people = annotators(2, campaign, prefix="gate")
    campaign_cut_batches(campaign=campaign, size=3, seed=1)
    campaign_assign_batches(campaign=campaign, annotators=people)
    campaign_open(campaign=campaign, mode=Campaign.Mode.BATCHES)
    return campaign, people


def rate_until_gold(api, scores):
    """Rate items through the API until a gold item is rated; that item's public id."""
    while True:
        answer = api.post("/api/campaigns/gate/next/")
        assert answer.status_code == 200, answer.content
        item = answer.json()
        assert api.get(f"/api/items/{item['id']}/known-answer/").status_code == 404  # nothing before answering
        api.post(f"/api/items/{item['id']}/rating/", {"scores": scores, "idempotency_key": str(uuid.uuid4())},
                 format="json")
        if Item.objects.get(public_id=item["id"]).quality_role == "gold":
            return item["id"]


def test_misses_warn_then_pause_and_the_lead_lifts_the_pause(gated, client):
    campaign, people = gated
    api = session_client(people[0].user)
    first = rate_until_gold(api, WRONG)
    known = api.get(f"/api/items/{first}/known-answer/").json()
    assert known["right"] is False and known["scores"] == {"overall": 5} and "did not match" in known["message"]
    client.force_login(people[0].user)
    client.cookies["django_language"] = "en"
    page = client.get(f"/items/{first}/").content.decode()
    assert "data-gold-notice" in page and "Please take care" in page  # warned after one miss

    rate_until_gold(api, WRONG)
    paused = api.post("/api/campaigns/gate/next/")
    assert paused.status_code == 409 and "no more items" in paused.json()["detail"]
    report = lead_client(campaign).get("/api/campaigns/gate/qc/").json()
    row = next(row for row in report["annotators"] if row["annotator"] == people[0].handle)
    assert row["paused"] and "gold_paused" in row["flags"]
    # The report counts misses from its arrays, the hand-out rating by rating: the same two.
    assert row["gold"]["items_missed"] == gold_standing(campaign, people[0]).misses == 2

    lifted = lead_client(campaign).post(f"/api/campaigns/gate/qc/{people[0].handle}/lift/")
    assert lifted.status_code == 200 and lifted.json()["misses_forgiven"] == 2
    assert api.post("/api/campaigns/gate/next/").status_code == 200


def test_a_right_answer_is_said_right_and_others_are_not_paused(gated):
    campaign, people = gated
    api = session_client(people[1].user)
    item = rate_until_gold(api, {**FULL_SCORES, "overall": 4})
    known = api.get(f"/api/items/{item}/known-answer/").json()
    assert known["right"] is True and known["explanation"] == "模範解答"
    assert api.post("/api/campaigns/gate/next/").status_code == 200
