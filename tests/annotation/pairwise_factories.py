"""Pairwise campaigns (two models' answers to the same prompts, one item per pair) and prompts' checklists."""

from annotation.bulk import bulk_insert
from annotation.models import (
    Campaign, ChecklistItem, Item, LanguageModel, PairOrder, Prompt, Response, Rubric,
)
from annotation.kinds.pairwise import pair_order

A_OR_B_BOTH_NEITHER = ("A", "B", "both", "neither")


def pairwise_rubric(verdicts=A_OR_B_BOTH_NEITHER):
    key = "pairwise-" + "-".join(verdicts).lower()
    rubric, _ = Rubric.objects.get_or_create(
        key=key, defaults={"name": key, "kind": Rubric.Kind.PAIRWISE, "verdicts": list(verdicts)}
    )
    return rubric


def pairwise_campaign(slug="pw", prompts=6, overlap=2, verdicts=A_OR_B_BOTH_NEITHER):
    """``prompts`` prompts answered by model-a and model-b; one item per prompt with model-a's answer as A."""
    campaign = Campaign.objects.create(slug=slug, name=slug, rubric=pairwise_rubric(verdicts), overlap=overlap)
    model_a = LanguageModel.objects.get_or_create(name="model-a")[0]
    model_b = LanguageModel.objects.get_or_create(name="model-b")[0]
    prompt_ids = bulk_insert(Prompt, [{"source": slug, "external_id": f"p{p}", "turns": [f"質問{p}"]}
                                      for p in range(prompts)])
    answers_a = bulk_insert(Response, [{"prompt_id": pid, "model_id": model_a.id, "turns": [f"Aの答え{n}"]}
                                       for n, pid in enumerate(prompt_ids)])
    answers_b = bulk_insert(Response, [{"prompt_id": pid, "model_id": model_b.id, "turns": [f"Bの答え{n}"]}
                                       for n, pid in enumerate(prompt_ids)])
    bulk_insert(Item, [{"campaign_id": campaign.id, "response_id": a, "response_b_id": b}
                       for a, b in zip(answers_a, answers_b)])
    return campaign


def give_checklist(prompt, texts):
    return [ChecklistItem.objects.create(prompt=prompt, position=n, text=text) for n, text in enumerate(texts)]


def a_side(order):
    """Where the item's A (item.response) is on the page for this order."""
    return "left" if order == PairOrder.AB else "right"


def order_for(item, annotator):
    return pair_order(item.id, annotator.id)
