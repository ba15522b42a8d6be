"""The ratings of gold and attention items in a release, as QC data in a table of their own: only for the
campaigns whose lead opted in (Campaign.release_quality_items). They never reach the ratings or votes tables nor
any figure (annotation.quality_items)."""

from annotation.models import GoldAnswer, Item, Rating, RatingScore
from exports.builders import write_table
from exports.tables import TableSpec, columns

QUALITY_CHECKS = TableSpec(
    "quality_checks", "Ratings of the items that measured the annotators (gold items with a known answer, degraded "
    "copies for attention checks): one row per rating and axis, or per vote. Not counted in any other table or "
    "figure.", columns("""
    item_id           string  Public id of the gold or attention item.
    campaign          string  Slug of the campaign.
    role              string  gold, or attention (a degraded copy).
    original_item_id  string  The item it copies: an attention item's original (in the ratings or votes table), or
                              the gold item a gold copy repeats; null for a gold item itself.
    annotator         string  The annotator's pseudonym in this release.
    axis              string  Key of the rubric axis; null for a vote.
    score             int16   The score on that axis; null for a vote.
    verdict           string  A vote, in the item's terms; null for a score.
    known_score       int16   The gold item's known score on that axis; null when none is known.
    known_verdict     string  The gold item's known verdict; null when none is known.
    tolerance         int16   Points a score may be off the known one and still count as right; null off gold items.
"""))


def opted_in(campaigns):
    return [campaign.pk for campaign in campaigns if campaign.release_quality_items]


def write_quality_tables(ctx):
    """The quality_checks table when a campaign of the release opted in (else nothing): its WrittenFiles and specs."""
    ids = opted_in(ctx.campaigns)
    if not ids:
        return [], []
    slugs = {campaign.pk: campaign.slug for campaign in ctx.campaigns}
    answers = {answer.item_id: answer for answer in GoldAnswer.objects.filter(item__campaign_id__in=ids)}
    rows = [_score_row(ctx, slugs, answers, *values) for values in RatingScore.objects.filter(  # gold: whole
        rating__item__campaign_id__in=ids, turn__isnull=True).exclude(rating__item__quality_role="").order_by(
        "rating__item_id", "rating_id", "axis__position").values_list(*SCORE_FIELDS)]
    rows += [_vote_row(ctx, slugs, answers, *values) for values in Rating.objects.filter(
        item__campaign_id__in=ids).exclude(item__quality_role="").exclude(verdict="").order_by(
        "item_id", "id").values_list(*VOTE_FIELDS)]
    return write_table(ctx, QUALITY_CHECKS, rows), [QUALITY_CHECKS]


ITEM_FIELDS = ("item_id", "item__public_id", "item__campaign_id", "item__quality_role", "item__original_id",
               "item__original__public_id", "annotator_id")
SCORE_FIELDS = tuple(f"rating__{field}" for field in ITEM_FIELDS) + ("axis__key", "score")
VOTE_FIELDS = ITEM_FIELDS + ("verdict",)


def _head(ctx, slugs, item_pk, public_id, campaign_pk, role, original_pk, original_public_id, annotator):
    original = str(original_public_id) if original_public_id else None
    return [str(public_id), slugs[campaign_pk], role, original, ctx.names[annotator]]


def _gold(answers, item_pk, role, original_pk):
    return answers.get(original_pk or item_pk) if role == Item.QualityRole.GOLD else None


def _score_row(ctx, slugs, answers, item_pk, public_id, campaign_pk, role, original_pk, original_id, annotator, axis,
               score):
    gold = _gold(answers, item_pk, role, original_pk)
    known = gold.scores.get(axis) if gold else None
    return (*_head(ctx, slugs, item_pk, public_id, campaign_pk, role, original_pk, original_id, annotator), axis, score,
            None, known, (gold.verdict or None) if gold else None, gold.tolerance if gold else None)


def _vote_row(ctx, slugs, answers, item_pk, public_id, campaign_pk, role, original_pk, original_id, annotator, verdict):
    gold = _gold(answers, item_pk, role, original_pk)
    return (*_head(ctx, slugs, item_pk, public_id, campaign_pk, role, original_pk, original_id, annotator), None, None,
            verdict, None, (gold.verdict or None) if gold else None, gold.tolerance if gold else None)
