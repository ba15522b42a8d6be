"""Campaigns with items, annotators and batches, built the way a lead would build them."""

import uuid

from django.contrib.auth.models import Group, User

from annotation.bulk import bulk_insert
from annotation.models import Annotator, Campaign, CampaignMembership, Item, LanguageModel, Prompt, Response, Rubric
from annotation.services.workflow import campaign_cut_batches, campaign_open

FULL_SCORES = {"relevance": 4, "fluency": 5, "accuracy": 3, "detail": 4, "overall": 4}


def campaign_with_items(slug="wf", items=10, models=2, overlap=2, rubric_key="quality-5x5"):
    campaign = Campaign.objects.create(slug=slug, name=slug, rubric=Rubric.objects.get(key=rubric_key),
                                       overlap=overlap)
    model_rows = [LanguageModel.objects.get_or_create(name=f"model-{m}")[0] for m in range(models)]
    prompts = max(1, items // models)
    prompt_ids = bulk_insert(Prompt, [{"source": slug, "external_id": f"p{p}", "turns": [f"質問{p}"]}
                                      for p in range(prompts)])
    response_ids = bulk_insert(Response, [
        {"prompt_id": pid, "model_id": model.id, "turns": [f"{model.name}の答え"]}
        for pid in prompt_ids for model in model_rows
    ][:items])
    bulk_insert(Item, [{"campaign_id": campaign.id, "response_id": rid} for rid in response_ids])
    return campaign


def annotators(count, campaign=None, prefix="ann"):
    group = Group.objects.get(name="annotator")
    made = []
    for index in range(count):
        user = User.objects.create_user(f"{prefix}{index}", password="x")
        user.groups.add(group)
        made.append(Annotator.objects.create(user=user, handle=user.username, tier=Annotator.Tier.GRADUATE))
        if campaign:
            CampaignMembership.objects.create(campaign=campaign, user=user, role=CampaignMembership.Role.ANNOTATOR)
    return made


def open_for_pull(campaign, batch_size=1000, lease_minutes=30):
    campaign_cut_batches(campaign=campaign, size=batch_size, seed=1)
    campaign.lease_minutes = lease_minutes
    campaign.save(update_fields=["lease_minutes"])
    return campaign_open(campaign=campaign, mode=Campaign.Mode.PULL)


def key():
    return uuid.uuid4()
