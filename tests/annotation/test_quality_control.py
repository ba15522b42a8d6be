"""Quality control end to end: gold and attention items mixed into batches, three simulated annotators rating
through the API (one careful, one at random, one always 5), and the QC report, API and command."""

import json
import random
import uuid

import numpy as np
import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from scipy.stats import mannwhitneyu

from annotation.models import Campaign, CampaignMembership, Item, LanguageModel, Prompt, Rating, Response, Rubric
from annotation.services.workflow import campaign_assign_batches, campaign_cut_batches, campaign_open

from .test_api import client_for
from .workflow_factories import annotators

AXES = ("relevance", "fluency", "accuracy", "detail", "overall")
ORDINARY = 48
GOLD = 4
ATTENTION = (ORDINARY - GOLD) // 2  # half the ordinary items that are not gold


def response_text(tag, words=24):
    """A response whose every word names it, so that a phrase spliced in from another response shows."""
    return " ".join([f"{tag}"] * words)


@pytest.fixture
def qc_campaign(db, tmp_path):
    campaign = Campaign.objects.create(slug="qc", name="qc", rubric=Rubric.objects.get(key="quality-5x5"), overlap=3,
                                       gold_share=0.1)
    models = [LanguageModel.objects.create(name=f"m{index}") for index in range(2)]
    quality = {}
    for index in range(ORDINARY // 2):
        prompt = Prompt.objects.create(source="qc", external_id=f"p{index}", turns=[f"question {index}"])
        for model in models:
            q = 3 + (index + model.pk) % 3
            response = Response.objects.create(prompt=prompt, model=model, turns=[response_text(f"q{q}r{index}{model.name}")])
            Item.objects.create(campaign=campaign, response=response)
            quality[(prompt.external_id, model.name)] = q
    gold = tmp_path / "gold.jsonl"
    gold.write_text("\n".join(json.dumps({"prompt_id": f"p{index}", "model": "m0", "tolerance": 1,
                                          "scores": dict.fromkeys(AXES, quality[(f"p{index}", "m0")])})
                              for index in range(4)))
    call_command("import_gold", str(gold), campaign="qc")
    call_command("make_attention_items", campaign="qc", share=0.5, seed=7)
    return campaign


def careful(item, rng):
    words = item["response"]["turns"][0].split()
    q = int(words[0][1])
    degraded = len(set(words)) > 1
    score = max(1, q - 2) if degraded else q
    return {axis: min(5, max(1, score + (rng.random() < 0.15) * rng.choice((-1, 1)))) for axis in AXES}


def at_random(item, rng):
    return {axis: rng.randint(1, 5) for axis in AXES}


def always_five(item, rng):
    return dict.fromkeys(AXES, 5)


def rate_everything(person, how, seed):
    """Rate every item handed out through the API; {item public id: mean score sent}."""
    api, rng, sent = client_for(person.user), random.Random(seed), {}
    while (answer := api.post("/api/campaigns/qc/next/")).status_code == 200:
        item = answer.json()
        scores = how(item, rng)
        stored = api.post(f"/api/items/{item['id']}/rating/", {"scores": scores, "idempotency_key": str(uuid.uuid4())},
                          format="json")
        assert stored.status_code == 201, stored.content
        sent[item["id"]] = np.mean(list(scores.values()))
    return sent


@pytest.fixture
def rated(qc_campaign):
    people = annotators(3, qc_campaign, prefix="rater")
    batches = campaign_cut_batches(campaign=qc_campaign, size=12, seed=3)
    campaign_assign_batches(campaign=qc_campaign, annotators=people)
    campaign_open(campaign=qc_campaign, mode=Campaign.Mode.BATCHES)
    sent = {person.handle: rate_everything(person, how, seed)
            for person, how, seed in zip(people, (careful, at_random, always_five), (1, 2, 3))}
    return qc_campaign, people, batches, sent


def lead_client(campaign):
    """An API client of the campaign's lead, lena (made on first use)."""
    user = User.objects.filter(username="lena").first()
    if user is None:
        user = User.objects.create_user("lena", password="x")
        user.groups.add(Group.objects.get(name="lead"))
        CampaignMembership.objects.create(campaign=campaign, user=user, role=CampaignMembership.Role.LEAD)
    return client_for(user)


def test_checks_sit_unmarked_in_the_batches_of_their_originals(rated):
    campaign, people, batches, _ = rated
    copies = Item.objects.filter(campaign=campaign, quality_role=Item.QualityRole.ATTENTION)
    assert copies.count() == ATTENTION
    assert all(copy.batch_id == copy.original.batch_id for copy in copies.select_related("original"))
    gold_per_batch = [batch.items.filter(quality_role=Item.QualityRole.GOLD).count() for batch in batches]
    assert gold_per_batch == [1] * len(batches)  # 10% of a batch of 12 ordinary items is 1 gold item
    assert Item.objects.filter(campaign=campaign, quality_role="gold").count() == len(batches)  # 4 gold + copies
    copy = copies.select_related("response", "original__response").first()
    assert copy.response.prompt_id == copy.original.response.prompt_id
    assert copy.response.model_id == copy.original.response.model_id
    assert copy.response.turns != copy.original.response.turns
    assert Rating.objects.filter(item__campaign=campaign).count() == 3 * Item.objects.filter(campaign=campaign).count()


def test_random_and_constant_annotators_are_flagged_and_the_careful_one_is_not(rated):
    campaign, people, _, sent = rated
    report = lead_client(campaign).get("/api/campaigns/qc/qc/").json()
    rows = {row["annotator"]: row for row in report["annotators"]}
    careful_one, random_one, constant_one = (rows[person.handle] for person in people)
    assert "attention" not in careful_one["flags"] and careful_one["attention"]["p_value"] < 0.05
    assert "attention" in random_one["flags"] and "attention" in constant_one["flags"]
    assert careful_one["gold"]["within_tolerance"] == 1.0 and careful_one["gold"]["answers"] == 4 * 5
    assert constant_one["scores"]["sd"] == 0 and "no_spread" in constant_one["flags"]
    assert careful_one["competence"] > max(random_one["competence"], constant_one["competence"])


def test_mann_whitney_p_values_are_scipys_for_the_same_pairs(rated):
    campaign, people, _, sent = rated
    report = lead_client(campaign).get("/api/campaigns/qc/qc/").json()
    rows = {row["annotator"]: row for row in report["annotators"]}
    originals = dict(Item.objects.filter(campaign=campaign, quality_role="attention").values_list(
        "public_id", "original__public_id"))
    for person in people:
        mine = sent[person.handle]
        pairs = [(mine[str(original)], mine[str(copy)]) for copy, original in originals.items()]
        expected = mannwhitneyu([d for _, d in pairs], [o for o, _ in pairs], alternative="less").pvalue
        found = rows[person.handle]["attention"]
        assert found["pairs"] == len(pairs) == ATTENTION
        assert found["p_value"] == pytest.approx(expected if np.isfinite(expected) else 1.0, rel=1e-12)


def test_qc_command_prints_the_same_report(rated, capsys):
    campaign, people, _, _ = rated
    call_command("qc", campaign="qc", json=True)
    report = json.loads(capsys.readouterr().out)
    assert [row["annotator"] for row in report["annotators"]][-1] == people[0].handle  # flagged ones first
    call_command("qc", campaign="qc")
    text = capsys.readouterr().out
    assert "attention" in text and people[0].handle in text
