"""Reading prompts' checklists."""

from collections import defaultdict

from .models import ChecklistItem


def prompt_checklists(prompt_ids):
    """{prompt pk: [ChecklistItem, ...] in order} for the prompts among `prompt_ids` that have a checklist."""
    checklists = defaultdict(list)
    for item in ChecklistItem.objects.filter(prompt_id__in=prompt_ids).order_by("prompt_id", "position"):
        checklists[item.prompt_id].append(item)
    return dict(checklists)
