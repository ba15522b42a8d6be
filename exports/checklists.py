"""A campaign's checklist answers in a release: the checklist table (exports.reports.checklists'
checklist report, per campaign) and the checks table (one row per answer)."""

from annotation.models import RatingCheck
from annotation.quality_items import counted
from exports.builders import write_table
from exports.reports.checklists import checklist_report
from exports.tables import TableSpec, columns


# ---------------------------------------------------------------------------------------------------------
# In a release


CHECKLIST = TableSpec("checklist", "Per checklist item of the prompts (per campaign): how many raters answered it, "
                      "how often they ticked it, and how well the tick tracks the rater's score (likert) or the "
                      "preference (pairwise).", columns("""
    campaign              string  Slug of the campaign.
    prompt_id             string  Public id of the prompt the item belongs to.
    position              int16   Position of the item in the prompt's checklist, from 0.
    text                  string  The yes/no question.
    origin                string  imported, or generated (by a judge).
    generated_by          string  The judge configuration that wrote a generated item.
    n_answered            int32   Raters who answered the item (ticked it or said no).
    n_ticked              int32   Raters who ticked it.
    tick_rate             double  n_ticked / n_answered.
    n_scored              int32   Answers that come with the rater's overall score (likert campaigns).
    agreement_with_score  double  Share of those answers where the item is ticked and the score is at or above the
                                  scale's midpoint, or not ticked and below it.
    point_biserial        double  Pearson correlation of the tick (1/0) with the score; null when undefined.
    n_answered_a          int32   Pairwise campaigns: votes that answered the item for response A.
    n_ticked_a            int32   Pairwise campaigns: votes that ticked it for response A.
    tick_rate_a           double  Pairwise campaigns: n_ticked_a / n_answered_a.
    n_answered_b          int32   Pairwise campaigns: votes that answered the item for response B.
    n_ticked_b            int32   Pairwise campaigns: votes that ticked it for response B.
    tick_rate_b           double  Pairwise campaigns: n_ticked_b / n_answered_b.
    n_side_unknown        int32   Pairwise campaigns: answers that name no response (ticked before answers were per
                                  response); counted in n_answered, left out of the per-response figures.
    n_preference          int32   Pairwise campaigns: votes for A or B that ticked the item yes for exactly one
                                  response.
    tracks_preference     double  Pairwise campaigns: share of those votes where the response ticked yes is the one
                                  preferred; null when there are none.
"""))

CHECKS = TableSpec("checks", "Raters' checklist answers: one row per rating × checklist item answered.", columns("""
    item_id    string  Public id of the rated item (the ratings or votes table's item_id).
    campaign   string  Slug of the campaign.
    prompt_id  string  Public id of the prompt.
    annotator  string  The annotator's pseudonym in this release.
    position   int16   Position of the checklist item in the prompt's checklist (checklist.position).
    side       string  Pairwise votes: the response answered for, A or B in the item's terms (the votes table's),
                       or ? for an answer that names none (ticked before answers were per response); empty for
                       likert ratings.
    checked    bool    True when ticked, False when the rater answered no.
"""))


JUDGE_CHECKLIST = TableSpec(
    "judge_checklist", "Per judge and checklist item of the prompts (per campaign): the judge's answers analysed as "
    "the raters' are (the checklist table's columns), and how often they match the raters' answers.",
    CHECKLIST.columns[:1] + columns("""
    judge                  string  Name of the judge.
    job_id                 string  Public id of the judge job the answers come from; null for imported verdicts.
""") + CHECKLIST.columns[1:] + columns("""
    n_pairs                int32   Pairs of a rater's answer and the judge's answer to the item for the same response.
    agreement_with_humans  double  Share of those pairs that answer alike; null without pairs.
    n_human_pairs          int32   Pairs of two raters' answers to the item for the same response.
    human_agreement        double  Share of those pairs that answer alike: the raters' own level, to compare with.
"""))


def write_checklist_tables(ctx):
    """The checklist and checks tables of a release whose raters answered checklist items (else nothing);
    returns their WrittenFiles and specs."""
    ticks = (RatingCheck.objects.filter(counted("rating__item__"), rating__item__campaign_id__in=ctx.campaign_ids)
             .order_by("rating__item_id", "rating_id", "checklist_item__position", "side")
             .values_list("rating__item__public_id", "rating__item__campaign__slug", "checklist_item__prompt__public_id",
                          "rating__annotator_id", "checklist_item__position", "side", "checked"))
    rows = [(str(item), slug, str(prompt), ctx.names[annotator], position, side or ctx.kind.CHECK_WITHOUT_SIDE,
             checked)
            for item, slug, prompt, annotator, position, side, checked in ticks]
    if not rows:
        return [], []
    summary, judged = [], []
    for campaign in ctx.campaigns:
        report = checklist_report(campaign)
        summary += [(campaign.slug, *_item_columns(row)) for row in report["items"]]
        judged += [(campaign.slug, judge["meta"]["judge"], judge["meta"]["job"], *_item_columns(row), row["n_pairs"],
                    row["agreement_with_humans"]["value"], row["n_human_pairs"], row["human_agreement"]["value"])
                   for judge in report["judges"] for row in judge["items"]]
    files = write_table(ctx, CHECKLIST, summary) + write_table(ctx, CHECKS, rows)
    if not judged:
        return files, [CHECKLIST, CHECKS]
    return files + write_table(ctx, JUDGE_CHECKLIST, judged), [CHECKLIST, CHECKS, JUDGE_CHECKLIST]


def _item_columns(row):
    """The checklist table's columns of a row of the checklist report, after the campaign."""
    return (row["prompt_id"], row["position"], row["text"], row["origin"], row["generated_by"], row["n_answered"],
            row["n_ticked"], row["tick_rate"], row["n_scored"], row["agreement_with_score"]["value"],
            row["point_biserial"]["value"], *_pair_columns(row))


def _pair_columns(row):
    """The pairwise columns of a checklist table row (nulls for a likert campaign's item)."""
    if "tracks_preference" not in row:
        return (None,) * 9
    return (row["n_answered_a"], row["n_ticked_a"], row["tick_rate_a"], row["n_answered_b"], row["n_ticked_b"],
            row["tick_rate_b"], row["n_side_unknown"], row["n_preference"], row["tracks_preference"]["value"])
