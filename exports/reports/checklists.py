"""A campaign's checklist report as JSON, for the report page, the API and the release: per checklist item of
its prompts, how many raters answered it, how often they ticked it, and how well the tick tracks the rater's
score (exports.checklist_stats; the ticks and scores are read by exports.checklist_selectors). What a kind
adds per item and to "meta" comes from its kind module's `checklist_part` (exports.kinds): pairwise votes,
answered per response, get tick rates per response and how well the item tracks the preference.
"""

from annotation.models import ChecklistItem
from exports import kinds
from exports.checklist_selectors import campaign_ticks, judge_ticks, judges_with_checks
from exports.checklist_stats import ANSWER_COLUMNS, checklist_figures, judge_checklist_agreement
from judging.verdict_selectors import judge_for_report

# The report page lists at most this many items (the API and the release have them all).
CHECKLIST_ROWS = 300


def checklist_report(campaign):
    """{"meta": counts and conventions, "items": one dict per answered checklist item (prompt, position,
    text, origin and the figures), in prompt and position order, "judges": per judge that answered checklists
    in the campaign, the same of its answers with, per item, their agreement with the humans' answers
    (exports.checklist_stats.judge_checklist_agreement)}."""
    ticks, midpoint, source = campaign_ticks(campaign)
    kind = kinds.for_campaign(campaign)
    rows, kind_meta = _item_rows(kind, ticks, midpoint)
    meta = {"campaign": campaign.slug, "kind": campaign.rubric.kind, "midpoint": midpoint, "score": source,
            "n_items": len(rows), "n_answers": len(ticks),
            "n_ticked": int(ticks["checked"].sum()) if len(ticks) else 0, **kind_meta}
    judges = [judge_checklist(campaign, kind, judge_for_report(name), ticks) for name in judges_with_checks(campaign)]
    return {"meta": meta, "items": rows, "judges": judges}


def judge_checklist(campaign, kind, judge, human_ticks):
    """One judge's checklist answers analysed as the raters' are, with their agreement with the raters':
    {"meta": the judge, its job and counts, "items": as the raters' items, plus n_pairs,
    agreement_with_humans, n_human_pairs and human_agreement}."""
    ticks, midpoint, source, job = judge_ticks(campaign, judge)
    agreement = {found.checklist_item: found.as_dict()
                 for found in judge_checklist_agreement(human_ticks[list(ANSWER_COLUMNS)], ticks[list(ANSWER_COLUMNS)])}
    rows, kind_meta = _item_rows(kind, ticks, midpoint, agreement)
    meta = {"judge": judge.name, "job": job, "midpoint": midpoint, "score": source, "n_items": len(rows),
            "n_answers": len(ticks), "n_ticked": int(ticks["checked"].sum()) if len(ticks) else 0, **kind_meta}
    return {"meta": meta, "items": rows}


def _item_rows(kind, ticks, midpoint, extra=None):
    """One dict per checklist item of `ticks` (prompt, position, text, origin, the figures, what the kind adds
    and what `extra` holds for it), and the kind's "meta" entries."""
    figures = checklist_figures(ticks, midpoint)
    per_item, kind_meta = kind.checklist_part(ticks)
    items = {item.pk: item for item in ChecklistItem.objects.filter(pk__in=[f.checklist_item for f in figures])
             .select_related("prompt")}
    rows = []
    for found in figures:
        item = items[found.checklist_item]
        row = {"prompt_id": str(item.prompt.public_id), "prompt": str(item.prompt), "position": item.position,
               "text": item.text, "origin": item.origin, "generated_by": item.generated_by, **found.as_dict(),
               **per_item.get(found.checklist_item, {}), **(extra or {}).get(found.checklist_item, {})}
        del row["checklist_item"]
        rows.append(row)
    return rows, kind_meta


def page_checklist(campaign):
    """The checklist report for the report page when raters answered checklist items, else None; "shown" holds
    the first CHECKLIST_ROWS items."""
    report = checklist_report(campaign)
    if not report["items"] and not report["judges"]:
        return None
    report["shown"] = report["items"][:CHECKLIST_ROWS]
    for judge in report["judges"]:
        judge["shown"] = judge["items"][:CHECKLIST_ROWS]
    return report
