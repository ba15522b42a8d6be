"""Reading prompts' checklists, and checking an answer to one of their points."""

from collections import defaultdict

from .errors import FieldError
from .models import ChecklistItem


def prompt_checklists(prompt_ids):
    """{prompt pk: [ChecklistItem, ...] in order} for the prompts among `prompt_ids` that have a checklist."""
    checklists = defaultdict(list)
    for item in ChecklistItem.objects.filter(prompt_id__in=prompt_ids).order_by("prompt_id", "position"):
        checklists[item.prompt_id].append(item)
    return dict(checklists)


def tick_value(value, field):
    """One answer to a checklist point: true or false, or None (unanswered)."""
    if value is not None and not isinstance(value, bool):
        raise FieldError(field, "expected true, false or null")
    return value
