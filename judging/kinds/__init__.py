"""Campaign kinds, the judging side: how a judge job asks about an item of each kind and what the human–judge
figures are. See annotation.kinds for the seam; every module here defines the names in ``CONTRACT``."""

from annotation.kinds import lookups
from judging.kinds import exam, likert, pairwise

KINDS = {module.NAME: module for module in (likert, pairwise, exam)}

CONTRACT = (
    "NAME",
    # Judge jobs (judging.services.jobs, configs) and imported verdicts (judging.services.imports).
    "UNIT_ORDERS", "DEFAULT_TEMPLATE", "template_scale", "verdict_importer",
    # Generation jobs (judging.services.generation): the job's options, the prompts it answers, what it asks.
    "GENERATION_OPTIONS", "generation_options", "generation_prompt_ids", "generation_asks",
    # Reports (judging.selectors)
    "verdicts_position_bias",
)


for_name, for_rubric, for_campaign = lookups(KINDS)
