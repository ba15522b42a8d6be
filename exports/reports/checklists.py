"""A campaign's checklist report as JSON, for the report page, the API and the release: per checklist item of
its prompts, how many raters answered it, how often they ticked it, and how well the tick tracks the rater's
score (exports.checklist_stats; the ticks and scores are read by exports.checklist_selectors). What a kind
adds per item and to "meta" comes from its kind module's `checklist_part` (exports.kinds): pairwise votes,
answered per response, get tick rates per response and how well the item tracks the preference.
"""

from annotation.models import ChecklistItem
from exports import kinds
from exports.checklist_selectors import campaign_ticks
from exports.checklist_stats import checklist_figures

# The report page lists at most this many items (the API and the release have them all).
CHECKLIST_ROWS = 300


def checklist_report(campaign):
    """{"meta": counts and conventions, "items": one dict per answered checklist item (prompt, position,
    text, origin and the figures), in prompt and position order}."""
    ticks, midpoint, source = campaign_ticks(campaign)
    figures = checklist_figures(ticks, midpoint)
    per_item, kind_meta = kinds.for_campaign(campaign).checklist_part(ticks)
    items = {item.pk: item for item in ChecklistItem.objects.filter(pk__in=[f.checklist_item for f in figures])
             .select_related("prompt")}
    rows = []
    for found in figures:
        item = items[found.checklist_item]
        row = {"prompt_id": str(item.prompt.public_id), "prompt": str(item.prompt), "position": item.position,
               "text": item.text, "origin": item.origin, "generated_by": item.generated_by, **found.as_dict(),
               **per_item.get(found.checklist_item, {})}
        del row["checklist_item"]
        rows.append(row)
    meta = {"campaign": campaign.slug, "kind": campaign.rubric.kind, "midpoint": midpoint, "score": source,
            "n_items": len(rows), "n_answers": len(ticks),
            "n_ticked": int(ticks["checked"].sum()) if len(ticks) else 0, **kind_meta}
    return {"meta": meta, "items": rows}


def page_checklist(campaign):
    """The checklist report for the report page when raters answered checklist items, else None; "shown" holds
    the first CHECKLIST_ROWS items."""
    report = checklist_report(campaign)
    if not report["items"]:
        return None
    report["shown"] = report["items"][:CHECKLIST_ROWS]
    return report
