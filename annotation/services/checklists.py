"""Writing prompts' checklists: from an import file or the checklist field of response records
(services.imports), or from a judge that wrote them (judging calls store_checklists with origin "generated")."""

from collections import defaultdict

from django.db.models import ProtectedError

from ..errors import RecordError
from ..models import ChecklistItem


class ChecklistSet:
    """The checklists an import gives, by prompt pk; a prompt given two different checklists is an error."""

    def __init__(self, path):
        self.path = path
        self.by_prompt = {}  # prompt pk -> (external id, texts, line)

    def add(self, prompt_pk, external_id, texts, line):
        known = self.by_prompt.get(prompt_pk)
        if known is None:
            self.by_prompt[prompt_pk] = (external_id, texts, line)
        elif known[1] != texts:
            raise RecordError(self.path, line, "checklist",
                              f"prompt {external_id!r} was given a different checklist on line {known[2]}")

    def __bool__(self):
        return bool(self.by_prompt)


def store_checklists(wanted, *, summary, origin=ChecklistItem.Origin.IMPORTED, generated_by=""):
    """Give each prompt of `wanted` (a ChecklistSet) its checklist, in one go; call inside a transaction."""
    if not wanted:
        return
    stored = defaultdict(list)
    for prompt_id, text in ChecklistItem.objects.filter(prompt_id__in=wanted.by_prompt).order_by(
        "prompt_id", "position"
    ).values_list("prompt_id", "text"):
        stored[prompt_id].append(text)
    changed = []
    for prompt_pk, (_, texts, _) in wanted.by_prompt.items():
        if tuple(stored.get(prompt_pk, ())) == texts:
            summary.unchanged["checklists"] += 1
        else:
            changed.append(prompt_pk)
    if not changed:
        return
    replaced = ChecklistItem.objects.filter(prompt_id__in=changed)
    try:
        replaced.delete()
    except ProtectedError as error:
        answered = {obj.checklist_item.prompt_id for obj in error.protected_objects}
        prompt_pk = min(answered & set(changed), key=lambda pk: wanted.by_prompt[pk][2])
        external_id, _, line = wanted.by_prompt[prompt_pk]
        raise RecordError(
            wanted.path, line, "checklist",
            f"prompt {external_id!r} already has a different checklist that annotators or judges have answered; "
            "a checklist in use is never changed (import the new questions under a new prompt_id)",
        ) from None
    summary.replaced["checklists"] += sum(1 for pk in changed if pk in stored)
    ChecklistItem.objects.bulk_create([
        ChecklistItem(prompt_id=prompt_pk, position=position, text=text, origin=origin, generated_by=generated_by)
        for prompt_pk in changed
        for position, text in enumerate(wanted.by_prompt[prompt_pk][1])
    ])
    summary.created["checklist items"] += sum(len(wanted.by_prompt[pk][1]) for pk in changed)
