"""Gold thresholds: an annotator's misses on gold items, the warning after ``gold_warn_after`` and the pause after
``gold_pause_after`` (a lead lifts it: GoldPauseLift forgives the misses so far), the messages they see, and the
known answer shown after answering in training mode.

The pause is checked where items are handed out by the workflow service (services.workflow.item_next: the rating
pages and the API's full path). The token hot path on PostgreSQL (annotation.hot_paths) does not ask it yet.
"""

from dataclasses import dataclass

from django.utils.translation import gettext as _

from annotation.models import GoldAnswer, GoldPauseLift, Item, Rating


@dataclass(frozen=True)
class GoldStanding:
    answered: int  # gold items answered
    misses: int  # of those, answered outside their tolerance (any axis) or with another verdict
    forgiven: int  # misses a lead forgave when lifting a pause
    warned: bool
    paused: bool


def gold_standings(campaign, annotator=None):
    """{handle: GoldStanding} of the campaign's annotators who answered gold items (or of ``annotator`` alone)."""
    answers = {answer.item_id: answer for answer in GoldAnswer.objects.filter(item__campaign=campaign)}
    ratings = Rating.objects.filter(item__campaign=campaign, item__quality_role=Item.QualityRole.GOLD)
    if annotator is not None:
        ratings = ratings.filter(annotator=annotator)
    tally = {}
    for rating in ratings.select_related("item", "annotator").prefetch_related("scores__axis"):
        answer = answers.get(rating.item.original_id or rating.item_id)
        if answer is not None:
            answered, misses = tally.get(rating.annotator.handle, (0, 0))
            tally[rating.annotator.handle] = (answered + 1, misses + (not gold_answer_right(answer, rating)))
    forgiven = misses_forgiven(campaign)
    return {handle: standing_of(campaign, answered, misses, forgiven.get(handle, 0))
            for handle, (answered, misses) in tally.items()}


def misses_forgiven(campaign):
    """{handle: misses forgiven} of the annotators whose pause a lead lifted."""
    return dict(GoldPauseLift.objects.filter(campaign=campaign).values_list("annotator__handle", "misses_forgiven"))


def gold_answer_right(answer, rating):
    """True when every known score is matched within the tolerance and the known verdict (if any) is given."""
    scores = {score.axis.key: score.score for score in rating.scores.all()}
    if answer.verdict and rating.verdict != answer.verdict:
        return False
    return all(key in scores and abs(scores[key] - known) <= answer.tolerance for key, known in answer.scores.items())


def standing_of(campaign, answered, misses, forgiven):
    """The GoldStanding of ``misses`` gold items missed of ``answered``, ``forgiven`` of them by a lead."""
    counted = misses - forgiven
    warned = campaign.gold_warn_after is not None and counted >= campaign.gold_warn_after
    paused = campaign.gold_pause_after is not None and counted >= campaign.gold_pause_after
    return GoldStanding(answered, misses, forgiven, warned or paused, paused)


def gold_standing(campaign, annotator):
    """The annotator's GoldStanding in the campaign (nothing answered: no warning, no pause)."""
    if campaign.gold_warn_after is None and campaign.gold_pause_after is None:
        return GoldStanding(0, 0, 0, False, False)
    return gold_standings(campaign, annotator).get(annotator.handle, GoldStanding(0, 0, 0, False, False))


def gold_notice(campaign, annotator):
    """What the annotator is told of their gold misses: None, a warning, or why they are paused."""
    standing = gold_standing(campaign, annotator)
    counted = standing.misses - standing.forgiven
    if standing.paused:
        return _("%(misses)d of your answers to check items were far from the expected answers, so no more items "
                 "are given to you in this campaign for now. Your lead can see this and can let you continue.") % {
            "misses": counted}
    if standing.warned:
        return _("Please take care: %(misses)d of your answers to check items were far from the expected answers. "
                 "After %(pause)d, you will be paused until your lead lets you continue.") % {
            "misses": counted, "pause": campaign.gold_pause_after or counted}
    return None


def known_answer(item, annotator):
    """In training mode, the known answer of a gold item the annotator has rated (scores, verdict, tolerance,
    explanation, whether they were right, a sentence saying so); None otherwise, so an unrated item reveals
    nothing."""
    if not item.campaign.gold_training or item.quality_role != Item.QualityRole.GOLD:
        return None
    answer = GoldAnswer.objects.filter(item_id=item.original_id or item.pk).first()
    rating = Rating.objects.filter(item=item, annotator=annotator).prefetch_related("scores__axis").first()
    if answer is None or rating is None:
        return None
    right = gold_answer_right(answer, rating)
    expected = ", ".join([f"{key} {score}" for key, score in answer.scores.items()] + [answer.verdict] * bool(
        answer.verdict))
    message = (_("This was a check item. Expected: %(expected)s (within %(tolerance)d). Your answer matched.") if right
               else _("This was a check item. Expected: %(expected)s (within %(tolerance)d). Your answer did not "
                      "match.")) % {"expected": expected, "tolerance": answer.tolerance}
    return {"scores": answer.scores, "verdict": answer.verdict, "tolerance": answer.tolerance,
            "explanation": answer.explanation, "right": right, "message": message}
