"""Importing prompts to be answered: a campaign's prompts before any model answered them (generation jobs).

Records are responses records without ``model`` and ``response`` ({prompt_id, prompt | turns, category?,
source?, reference?, context?, checklist?, metadata?}); prompts are shared with every campaign, as imported
responses' prompts are, and checked the same way (a prompt id stored with other text is an error). All or
nothing, in one transaction. In a pairwise campaign, ``pair`` = (model A, model B) names the two models whose
responses make its items once both are stored.
"""

from django.db import transaction

from annotation import kinds
from annotation.bulk import bulk_insert
from annotation.models import CampaignPrompt, LanguageModel
from annotation.readers import chunked, read_records
from annotation.records import prompt_record

from .campaigns import campaign_for_import
from .checklists import store_checklists
from .imports import CHUNK_SIZE, ImportSummary, ResponseImporter, located


def prompts_import(*, path, campaign_slug, rubric_key=None, pair=None, source="", file_format=None, leads=()):
    summary = ImportSummary()
    with transaction.atomic():
        campaign = campaign_for_import(slug=campaign_slug, rubric_key=rubric_key, leads=leads)
        stored_pair = (campaign.pair_model_a.name, campaign.pair_model_b.name) if campaign.pair_model_a_id else None
        kinds.for_campaign(campaign).check_pair_option(campaign, pair or stored_pair)
        prompts = ResponseImporter(campaign, path, summary, make_items=False)
        for chunk in chunked(read_records(path, file_format), CHUNK_SIZE):
            records = []
            for line, record in chunk:
                summary.records += 1
                with located(path, line):
                    records.append(prompt_record(line, record, source))
            prompts.add_prompts(records)
        store_checklists(prompts.checklists, summary=summary)
        listed = set(CampaignPrompt.objects.filter(campaign=campaign).values_list("prompt_id", flat=True))
        new = bulk_insert(CampaignPrompt, [{"campaign_id": campaign.id, "prompt_id": pk}
                                           for pk in sorted(prompts.prompt_ids() - listed)])
        summary.created["campaign prompts"] += len(new)
        if pair:
            campaign.pair_model_a, _ = LanguageModel.objects.get_or_create(name=pair[0])
            campaign.pair_model_b, _ = LanguageModel.objects.get_or_create(name=pair[1])
            campaign.save(update_fields=["pair_model_a", "pair_model_b"])
    return summary
