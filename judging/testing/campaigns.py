"""Campaigns with items to judge, built in bulk (for the tests and the judge benchmark)."""

from annotation.bulk import bulk_insert
from annotation.models import Campaign, CampaignPrompt, Item, LanguageModel, Prompt, Response, Rubric


def campaign_for_judging(slug="judged", items=6, models=2, rubric_key="quality-5x5", turns=1, reference=""):
    """A campaign of ``items`` items, each a different response text (so requests tell items apart)."""
    campaign = Campaign.objects.create(slug=slug, name=f"評価 {slug}", rubric=Rubric.objects.get(key=rubric_key))
    model_rows = [LanguageModel.objects.get_or_create(name=f"{slug}-model-{m}")[0] for m in range(models)]
    prompts = -(-items // models)
    prompt_ids = bulk_insert(Prompt, [
        {"source": slug, "external_id": f"p{p}", "turns": [f"質問{p}の{t + 1}ターン目：日本で一番高い山は？" for t in range(turns)],
         "reference": reference}
        for p in range(prompts)
    ])
    response_ids = bulk_insert(Response, [
        {"prompt_id": prompt_id, "model_id": model.id,
         "turns": [f"{model.name}の答え{p}-{t + 1}：富士山です。" for t in range(turns)]}
        for p, prompt_id in enumerate(prompt_ids) for model in model_rows
    ][:items])
    bulk_insert(Item, [{"campaign_id": campaign.id, "response_id": response_id, "position": position}
                       for position, response_id in enumerate(response_ids, start=1)])
    return campaign


def campaign_for_generation(slug="generated", prompts=4, turns=1, rubric_key="quality-5x5", context="", pair=None,
                            **fields):
    """A campaign of ``prompts`` prompts listed for generation (as import_prompts lists them), no response yet."""
    campaign = Campaign.objects.create(slug=slug, name=f"生成 {slug}", rubric=Rubric.objects.get(key=rubric_key),
                                       **fields)
    prompt_ids = bulk_insert(Prompt, [
        {"source": slug, "external_id": f"q{p}", "context": context,
         "turns": [f"質問{p}の{t + 1}ターン目：日本で一番高い山について教えてください。" for t in range(turns)]}
        for p in range(prompts)
    ])
    bulk_insert(CampaignPrompt, [{"campaign_id": campaign.id, "prompt_id": pk} for pk in prompt_ids])
    if pair:
        campaign.pair_model_a = LanguageModel.objects.get_or_create(name=pair[0])[0]
        campaign.pair_model_b = LanguageModel.objects.get_or_create(name=pair[1])[0]
        campaign.save(update_fields=["pair_model_a", "pair_model_b"])
    return campaign
