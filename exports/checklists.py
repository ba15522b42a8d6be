"""A campaign's checklist answers in a release: the checklist table (exports.reports.checklists'
checklist report, per campaign) and the checks table (one row per answer)."""

from annotation.models import RatingCheck
from exports.builders import BOOL, FLOAT, INT16, INT32, STRING
from exports.reports.checklists import checklist_report
from exports.tables import Column, TableSpec, TableWriter

SIDE_UNKNOWN = "?"  # a pairwise answer that names no side, in the checks table


# ---------------------------------------------------------------------------------------------------------
# In a release


CHECKLIST = TableSpec("checklist", "Per checklist item of the prompts (per campaign): how many raters answered it, "
                      "how often they ticked it, and how well the tick tracks the rater's score (likert) or the "
                      "preference (pairwise).", (
    Column("campaign", STRING, "Slug of the campaign."),
    Column("prompt_id", STRING, "Public id of the prompt the item belongs to."),
    Column("position", INT16, "Position of the item in the prompt's checklist, from 0."),
    Column("text", STRING, "The yes/no question."),
    Column("origin", STRING, "imported, or generated (by a judge)."),
    Column("generated_by", STRING, "The judge configuration that wrote a generated item."),
    Column("n_answered", INT32, "Raters who answered the item (ticked it or said no)."),
    Column("n_ticked", INT32, "Raters who ticked it."),
    Column("tick_rate", FLOAT, "n_ticked / n_answered."),
    Column("n_scored", INT32, "Answers that come with the rater's overall score (likert campaigns)."),
    Column("agreement_with_score", FLOAT, "Share of those answers where the item is ticked and the score is at or "
                                          "above the scale's midpoint, or not ticked and below it."),
    Column("point_biserial", FLOAT, "Pearson correlation of the tick (1/0) with the score; null when undefined."),
    Column("n_answered_a", INT32, "Pairwise campaigns: votes that answered the item for response A."),
    Column("n_ticked_a", INT32, "Pairwise campaigns: votes that ticked it for response A."),
    Column("tick_rate_a", FLOAT, "Pairwise campaigns: n_ticked_a / n_answered_a."),
    Column("n_answered_b", INT32, "Pairwise campaigns: votes that answered the item for response B."),
    Column("n_ticked_b", INT32, "Pairwise campaigns: votes that ticked it for response B."),
    Column("tick_rate_b", FLOAT, "Pairwise campaigns: n_ticked_b / n_answered_b."),
    Column("n_side_unknown", INT32, "Pairwise campaigns: answers that name no response (ticked before answers were "
                                    "per response); counted in n_answered, left out of the per-response figures."),
    Column("n_preference", INT32, "Pairwise campaigns: votes for A or B that ticked the item yes for exactly one "
                                  "response."),
    Column("tracks_preference", FLOAT, "Pairwise campaigns: share of those votes where the response ticked yes is "
                                       "the one preferred; null when there are none."),
))

CHECKS = TableSpec("checks", "Raters' checklist answers: one row per rating × checklist item answered.", (
    Column("item_id", STRING, "Public id of the rated item (the ratings or votes table's item_id)."),
    Column("campaign", STRING, "Slug of the campaign."),
    Column("prompt_id", STRING, "Public id of the prompt."),
    Column("annotator", STRING, "The annotator's pseudonym in this release."),
    Column("position", INT16, "Position of the checklist item in the prompt's checklist (checklist.position)."),
    Column("side", STRING, "Pairwise votes: the response answered for, A or B in the item's terms (the votes "
                           "table's), or ? for an answer that names none (ticked before answers were per "
                           "response); empty for likert ratings."),
    Column("checked", BOOL, "True when ticked, False when the rater answered no."),
))


def write_checklist_tables(ctx):
    """The checklist and checks tables of a release whose raters answered checklist items (else nothing);
    returns their WrittenFiles and specs."""
    ticks = (RatingCheck.objects.filter(rating__item__campaign_id__in=ctx.campaign_ids)
             .order_by("rating__item_id", "rating_id", "checklist_item__position", "side")
             .values_list("rating__item__public_id", "rating__item__campaign__slug", "checklist_item__prompt__public_id",
                          "rating__annotator_id", "checklist_item__position", "side", "checked",
                          "rating__item__response_b_id"))
    rows = [(str(item), slug, str(prompt), ctx.names[annotator], position,
             side or (SIDE_UNKNOWN if response_b else ""), checked)
            for item, slug, prompt, annotator, position, side, checked, response_b in ticks]
    if not rows:
        return [], []
    summary = []
    for campaign in ctx.campaigns:
        summary += [(campaign.slug, row["prompt_id"], row["position"], row["text"], row["origin"], row["generated_by"],
                     row["n_answered"], row["n_ticked"], row["tick_rate"], row["n_scored"],
                     row["agreement_with_score"]["value"], row["point_biserial"]["value"], *_pair_columns(row))
                    for row in checklist_report(campaign)["items"]]
    files = []
    for spec, table_rows in ((CHECKLIST, summary), (CHECKS, rows)):
        with TableWriter(ctx.folder, spec) as writer:
            writer.write(table_rows)
        files += writer.files
    return files, [CHECKLIST, CHECKS]


def _pair_columns(row):
    """The pairwise columns of a checklist table row (nulls for a likert campaign's item)."""
    if "tracks_preference" not in row:
        return (None,) * 9
    return (row["n_answered_a"], row["n_ticked_a"], row["tick_rate_a"], row["n_answered_b"], row["n_ticked_b"],
            row["tick_rate_b"], row["n_side_unknown"], row["n_preference"], row["tracks_preference"]["value"])
