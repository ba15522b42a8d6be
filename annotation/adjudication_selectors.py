"""Reads for adjudication: items' answers as annotation.final_labels takes them, their final labels, the queue of
items whose ratings disagree beyond the campaign's threshold, and what an adjudicator sees of one item."""

from dataclasses import dataclass

from django.db.models import Exists, OuterRef

from annotation import kinds
from annotation.final_labels import FinalLabel, disagrees, final_label
from annotation.models import Adjudication, AdjudicationScore, Item, ItemSlot, PairOrder, Rating, RatingScore
from annotation.rubric_axes import rubric_axes


def rating_answers(kind, **rating_filter):
    """{item id: [(rating id, answer)]} of the ratings matching ``rating_filter``, answers as ``kind`` makes them
    (final_answer), ratings in the order they were submitted."""
    scores = {}
    # Scores of the whole conversation: adjudication sets one final score per axis (per-turn scores, from a
    # campaign that scores each turn, are not adjudicated).
    for rating_id, key, score in RatingScore.objects.filter(
            turn__isnull=True, **{f"rating__{name}": value for name, value in rating_filter.items()}
    ).values_list("rating_id", "axis__key", "score"):
        scores.setdefault(rating_id, {})[key] = score
    answers = {}
    for rating_id, item_id, verdict in (Rating.objects.filter(**rating_filter).order_by("submitted_at", "id")
                                        .values_list("id", "item_id", "verdict")):
        answers.setdefault(item_id, []).append((rating_id, kind.final_answer(scores.get(rating_id, {}), verdict)))
    return answers


def adjudicated_answers(kind, **adjudication_filter):
    """{item id: answer} of the adjudications matching ``adjudication_filter``."""
    scores = {}
    for adjudication_id, key, score in AdjudicationScore.objects.filter(
            **{f"adjudication__{name}": value for name, value in adjudication_filter.items()}
    ).values_list("adjudication_id", "axis__key", "score"):
        scores.setdefault(adjudication_id, {})[key] = score
    return {item_id: kind.final_answer(scores.get(pk, {}), verdict)
            for pk, item_id, verdict in Adjudication.objects.filter(**adjudication_filter)
            .values_list("id", "item_id", "verdict")}


def item_disagrees(item):
    """Whether the item's ratings disagree beyond its campaign's threshold."""
    kind = kinds.for_campaign(item.campaign)
    answers = [answer for _, answer in rating_answers(kind, item=item).get(item.id, [])]
    return disagrees(kind.disagreement(answers), item.campaign.disagreement_threshold)


def campaign_final_labels(campaign):
    """{item id: FinalLabel} for every item of the campaign with a rating or an adjudication."""
    kind = kinds.for_campaign(campaign)
    answers = rating_answers(kind, item__campaign=campaign)
    adjudicated = adjudicated_answers(kind, item__campaign=campaign)
    return {item_id: final_label([answer for _, answer in answers.get(item_id, [])], adjudicated.get(item_id))
            for item_id in answers.keys() | adjudicated.keys()}


@dataclass(frozen=True)
class QueueEntry:
    item: Item
    disagreement: int
    final: FinalLabel
    label_text: str


def adjudication_queue(campaign):
    """The items waiting for an adjudicator, in hand-out order: their ratings disagree beyond the campaign's
    threshold, no adjudication is recorded, and no place to rate is still open (an extra annotator the
    disagreement called for rates first). Empty when the campaign sets no threshold."""
    threshold = campaign.disagreement_threshold
    if threshold is None:
        return []
    kind = kinds.for_campaign(campaign)
    answers = rating_answers(kind, item__campaign=campaign, item__adjudication__isnull=True)
    measured = {item_id: kind.disagreement([answer for _, answer in rated]) for item_id, rated in answers.items()}
    beyond = [item_id for item_id, value in measured.items() if disagrees(value, threshold)]
    open_slot = ItemSlot.objects.filter(item=OuterRef("pk"), rating__isnull=True)
    items = (Item.objects.filter(pk__in=beyond).exclude(Exists(open_slot))
             .select_related("response__prompt").order_by("position", "id"))
    axes = rubric_axes(campaign.rubric)
    entries = []
    for item in items:
        final = final_label([answer for _, answer in answers[item.id]])
        entries.append(QueueEntry(item, measured[item.id], final,
                                  kind.final_label_text(final.label, axes) if final.label else ""))
    return entries


@dataclass(frozen=True)
class RatingShown:
    """One rating as the adjudicator sees it: the annotator's pseudonym (never their name), answer, comment."""

    pseudonym: str
    tier: str
    answer: dict
    cells: list  # the scores in the rubric's axis order (likert), else empty
    label_text: str
    comment: str
    flags: list


def ratings_for_adjudication(item):
    """Every rating of the item with its annotator's pseudonym and comment, in submission order."""
    kind = kinds.for_campaign(item.campaign)
    answers = dict(rating_answers(kind, item=item).get(item.id, []))
    axes = rubric_axes(item.campaign.rubric)
    ratings = Rating.objects.filter(item=item).select_related("annotator").order_by("submitted_at", "id")
    return [RatingShown(pseudonym_of(rating.annotator), rating.annotator.get_tier_display(), answers[rating.id],
                        [answers[rating.id].get(axis.key) for axis in axes],
                        kind.final_label_text(answers[rating.id], axes), rating.comment, rating.flags)
            for rating in ratings]


def pseudonym_of(annotator):
    """How an adjudicator's pages name an annotator: the first characters of their pseudonym."""
    return f"ann-{str(annotator.pseudonym)[:8]}"


@dataclass(frozen=True)
class ItemFinal:
    """An item's final label as the adjudication page shows it, and how far its ratings disagree."""

    final: FinalLabel
    label_text: str
    chosen: dict  # the label's values as the page's form takes them (a verdict in screen terms, A on the left)
    disagreement: int
    beyond: bool
    note: str


def item_final_label(item):
    campaign = item.campaign
    kind = kinds.for_campaign(campaign)
    answers = [answer for _, answer in rating_answers(kind, item=item).get(item.id, [])]
    final = final_label(answers, adjudicated_answers(kind, item=item).get(item.id))
    label = final.label or {}
    chosen = {**label, "verdict": kind.verdict_in_screen_terms(label.get("verdict", ""), PairOrder.AB)}
    adjudication = Adjudication.objects.filter(item=item).first()
    return ItemFinal(final, kind.final_label_text(label, rubric_axes(campaign.rubric)) if final.label else "",
                     chosen, kind.disagreement(answers),
                     disagrees(kind.disagreement(answers), campaign.disagreement_threshold),
                     adjudication.note if adjudication else "")
