"""Pairwise campaigns: an item is an ordered pair of two models' responses to one prompt, answered with a
verdict (A, B, and any of tie, both, neither), stored in the item's terms whatever order it was shown in."""

NAME = "pairwise"


# ---------------------------------------------------------------------------------------------------------
# The item and its pages, what a rating carries, the rubric's part, imports
#
# An annotator never learns which response of a pair is the item's A: the page and the API speak of the left
# and the right response, and the annotator's verdict comes back as "left", "right" or one of the rubric's
# other verdicts (tie, both, neither). The order is decided per (item, annotator) and recorded on the rating
# (Rating.position); verdicts and checklist ticks are stored in the item's terms (A is item.response).

import hashlib  # noqa: E402

from django.utils.translation import gettext_lazy as _  # noqa: E402
from django.utils.translation import override  # noqa: E402

from annotation.blinding import shown_response  # noqa: E402
from annotation.checklists import tick_value  # noqa: E402
from annotation.errors import FieldError, HyokaError  # noqa: E402
from annotation.models import PairOrder, PairwiseVerdict, Response  # noqa: E402
from annotation.rubric_definitions import verdicts_part  # noqa: E402

SIDES = ("left", "right")
SIDE_LABELS = {  # the verdict a side stands for, as the page words it on wide and on narrow (stacked) screens
    "left": (_("Left is better"), _("Upper is better")),
    "right": (_("Right is better"), _("Lower is better")),
}


def pair_order(item_id, annotator_id):
    """The order the pair of item ``item_id`` is shown to annotator ``annotator_id``: AB puts item.response on
    the left, BA on the right.

    A hash of the two ids: the same on every load, draft and revision, nothing to store, and each order for
    about half of the (item, annotator) pairs, independently of how items are handed out. MD5 (not for security:
    any even spread would do) because PostgreSQL computes it too: pair_order_sql is the same function in SQL,
    for the rating hot path (tests/annotation/test_hot_paths.py holds the two together). An order once shown is
    kept on the rating (Rating.position), whatever this gives later.
    """
    digest = hashlib.md5(f"{item_id}:{annotator_id}".encode(), usedforsecurity=False).digest()
    return PairOrder.AB if digest[0] & 1 == 0 else PairOrder.BA


def pair_order_sql(item_id, annotator_id, vendor="postgresql"):
    """pair_order as an SQL expression of two integer SQL expressions: 'AB' or 'BA'. On PostgreSQL the same
    computation in SQL; on SQLite, pair_order itself, registered on every connection (SQLITE_FUNCTIONS)."""
    if vendor == "sqlite":
        return f"{PAIR_ORDER_FUNCTION}({item_id}, {annotator_id})"
    return (f"(CASE WHEN get_byte(decode(md5({item_id}::text || ':' || {annotator_id}::text), 'hex'), 0) & 1 = 0 "
            f"THEN '{PairOrder.AB}' ELSE '{PairOrder.BA}' END)")


PAIR_ORDER_FUNCTION = "hyoka_pair_order"
SQLITE_FUNCTIONS = {PAIR_ORDER_FUNCTION: (2, lambda item_id, annotator_id: pair_order(item_id, annotator_id).value)}


def shown_order(item, annotator, rating=None):
    """The order this annotator sees the item in: the one recorded on their rating, else pair_order."""
    if rating is not None and rating.position:
        return rating.position
    return pair_order(item.id, annotator.id)


def item_payload(item, order, language):
    """The pair's part of item_for_rating: ``left`` and ``right`` in the order shown, and the verdicts offered."""
    campaign = item.campaign
    first = shown_response(item.response, campaign.show_model_names)
    second = shown_response(Response.objects.select_related("model").get(pk=item.response_b_id),
                            campaign.show_model_names)
    left, right = (first, second) if order == PairOrder.AB else (second, first)
    return {"response": None, "left": left, "right": right, "verdicts": verdict_options(campaign.rubric, language),
            "exam": None}


def page_turns(payload):
    """The pair turn by turn: [(number, user turn, left answer, right answer)] ("" where one is missing)."""
    prompt_turns, left_turns, right_turns = (payload["prompt"]["turns"], payload["left"]["turns"],
                                             payload["right"]["turns"])
    count = max(len(prompt_turns), len(left_turns), len(right_turns))

    def turn(turns, index):
        return turns[index] if index < len(turns) else ""

    return [(index + 1, turn(prompt_turns, index), turn(left_turns, index), turn(right_turns, index))
            for index in range(count)]


def answer_label(rating, language):
    """The rating's verdict, as its annotator chose it on screen, in words ("my ratings")."""
    return verdict_label(rating.verdict, rating.position, language)


RATE_TEMPLATE = "annotation/kinds/pairwise/rate.html"
MY_RATINGS_TEMPLATE = "annotation/kinds/pairwise/my_ratings.html"
RUBRIC_TEMPLATE = "annotation/kinds/pairwise/rubric.html"  # the verdict options, on the rubric's page
RUBRIC_SUMMARY_TEMPLATE = "annotation/kinds/pairwise/rubric_summary.html"  # the same, on the campaign's page
MODEL_COUNTS_NOTE = _("A pairwise item counts for both of its models.")
# What the kind means, on the new-campaign form.
CREATE_NOTE = _("An item is two models' responses to one prompt, answered with a verdict of a pairwise rubric. "
                "Import the responses naming the two models compared (import_responses --pair MODEL_A MODEL_B).")


def verdict_in_item_terms(screen_verdict, order):
    """left / right as the item's A / B, given the order shown; tie, both and neither stay."""
    return side_in_item_terms(screen_verdict, order) if screen_verdict in SIDES else screen_verdict


def verdict_in_screen_terms(verdict, order):
    """The item's A / B as the side it was shown on, given the order; tie, both and neither stay."""
    if verdict not in (PairwiseVerdict.A, PairwiseVerdict.B):
        return verdict
    return side_in_screen_terms(verdict, order)


def side_in_item_terms(screen_side, order):
    """left / right as the item's A / B, given the order shown."""
    return PairwiseVerdict.A if (screen_side == "left") == (order == PairOrder.AB) else PairwiseVerdict.B


def side_in_screen_terms(side, order):
    """The item's A / B as the side of the page it was shown on, given the order."""
    return "left" if (side == PairwiseVerdict.A) == (order == PairOrder.AB) else "right"


def checks_in_item_terms(checks, order):
    """Checklist answers as given on screen, {id: {"left": t, "right": t}}, in the item's terms:
    {id: {"A": t, "B": t}} (a side left out stays out)."""
    item_terms = {}
    for key, sides in checks.items():
        by_side = {side_in_item_terms(side, order): tick for side, tick in sides.items()}
        item_terms[key] = {side: by_side[side] for side in (PairwiseVerdict.A, PairwiseVerdict.B) if side in by_side}
    return item_terms


def checks_in_screen_terms(checks, order):
    """Stored checklist answers (item's terms) as their annotator gave them on screen: the inverse of
    checks_in_item_terms. An answer with no side (a tick from before pairwise ticks were per response)
    cannot be placed on either side and is left out."""
    screen = {}
    for key, sides in checks.items():
        if not isinstance(sides, dict):
            continue
        by_side = {side_in_screen_terms(side, order): tick for side, tick in sides.items()}
        screen[key] = {side: by_side[side] for side in SIDES if side in by_side}
    return screen


def screen_verdicts(rubric):
    """The verdicts an annotator chooses from, in key order: left, right, then the rubric's other verdicts
    (tie, both, neither) in the rubric's order."""
    others = [v for v in rubric.verdicts
              if v in PairwiseVerdict.values and v not in (PairwiseVerdict.A, PairwiseVerdict.B)]
    return (*SIDES, *others)


def verdict_options(rubric, language):
    """[{"value", "label", "label_narrow"}] for the rubric's screen verdicts, labelled in ``language``."""
    with override("en" if language == "en" else "ja"):
        options = []
        for value in screen_verdicts(rubric):
            wide, narrow = SIDE_LABELS.get(value) or (PairwiseVerdict(value).label,) * 2
            options.append({"value": value, "label": str(wide), "label_narrow": str(narrow)})
        return options


def verdict_label(verdict, order, language="ja"):
    """A stored verdict (item terms) as its annotator chose it on screen, in words."""
    screen = verdict_in_screen_terms(verdict, order)
    with override("en" if language == "en" else "ja"):
        return str(SIDE_LABELS[screen][0] if screen in SIDES else PairwiseVerdict(screen).label)


def clean_verdict(rubric, verdict, complete, item_id=None):
    """The annotator's verdict as chosen on screen (left, right, or the rubric's tie / both / neither)."""
    offered = screen_verdicts(rubric)
    if not verdict:
        if complete:
            raise FieldError("verdict", f"choose a verdict before submitting: one of {', '.join(offered)}")
        return ""
    if verdict not in offered:
        raise FieldError("verdict", f"{verdict!r} is not a verdict here; choose one of {', '.join(offered)} "
                                    "(left and right are the sides of the page)")
    return verdict


CHECK_SHAPE = '{"left": true|false|null, "right": true|false|null}'


def clean_check(value, field):
    """One checklist point answered for each response as shown on screen: {"left": tick, "right": tick}, the
    unanswered sides left out; None when the point is not answered at all."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise FieldError(field, f"on a pair, answer for each response: expected {CHECK_SHAPE}")
    for side in value:
        if side not in SIDES:
            raise FieldError(f"{field}.{side}",
                             f"{side!r} is not a side; answer for left or right (the sides of the page)")
    sides = {side: tick_value(value[side], f"{field}.{side}") for side in SIDES if side in value}
    return {side: tick for side, tick in sides.items() if tick is not None}


TURN_SCORES = False  # a campaign may ask for scores per turn (Campaign.per_turn_scores)
RUBRIC_PART = "verdicts"  # what a pairwise rubric's definition holds (annotation.rubric_definitions)


def parse_rubric_part(verdicts):
    return verdicts_part(verdicts)


RESPONSE_FIELDS = ("response", "response_b")  # the item's fields holding a model's response: both sides
UPLOAD_KINDS = ("responses", "ratings", "verdicts", "checklists")
MANAGE_TEMPLATE = ""  # nothing of its own on the campaign's Manage page


def manage_context(campaign):
    return {}


ITEM_PER_RESPONSE = False  # import_responses pairs the responses once they are stored (items_after_import)


def check_pair_option(campaign, pair):
    """A pairwise campaign needs ``pair`` = (model A, model B) to make its items from imported responses."""
    if not pair:
        raise HyokaError(f"campaign {campaign.slug} is pairwise: give --pair MODEL_A MODEL_B to say which two "
                         f"models' responses make its items")


def score_importer(campaign, path, summary, annotators):
    """None: a pair takes a verdict, so the per-response scores of the LLM-jp layout have nowhere to go."""
    return None


def items_after_import(*, campaign, prompt_ids, pair, path, summary):
    """Make the item of ``pair`` for each of ``prompt_ids`` both models answer (pairwise_imports)."""
    from annotation.services.pairwise_imports import pair_items_for_prompts  # the services import the kinds

    pair_items_for_prompts(campaign=campaign, prompt_ids=prompt_ids, model_a=pair[0], model_b=pair[1], path=path,
                           summary=summary)


def items_for_generated(*, campaign, responses):
    """Make the items of the campaign's pairs (its --pair, the pairs of its items) that the responses a generation
    job stored complete (``responses``: (response id, prompt id, model name) tuples): a pair's item is made once
    both of its models answered the prompt."""
    from annotation.services.imports import ImportSummary  # the services import the kinds
    from annotation.services.pairwise_imports import campaign_pairs, pair_items_make

    for model_a, model_b in campaign_pairs(campaign):
        prompt_ids = {prompt_id for _, prompt_id, model in responses if model in (model_a, model_b)}
        if prompt_ids:
            pair_items_make(campaign=campaign, prompt_ids=prompt_ids, model_a=model_a, model_b=model_b,
                            summary=ImportSummary())


def rating_importer(campaign, path, summary, annotators):
    """Reads {prompt_id, model_a, model_b, annotator, verdict, comment?}, making the item of a pair when missing."""
    from annotation.services.pairwise_imports import PairRatingImporter  # the services import the kinds

    return PairRatingImporter(campaign, path, summary, annotators)


def check_exam_import(campaign):
    """Exam questions need an exam campaign."""
    raise HyokaError(f"campaign {campaign.slug} uses the pairwise rubric {campaign.rubric.key}; exam questions and "
                     f"their statistics go into an exam campaign (import_exam --campaign NEW-SLUG makes one)")


# ---------------------------------------------------------------------------------------------------------
# Reports


def check_rankable(campaign):
    """A pairwise campaign's votes rank its models (annotation.ranking)."""


# ---------------------------------------------------------------------------------------------------------
# The rating hot path (annotation.hot_paths): this kind's part of its two statements
#
# The pair is shown in the order pair_order gives (computed in SQL by pair_order_sql); the annotator answers
# in screen terms (left, right, tie, ...) and the statement stores the verdict and the ticks in the item's
# terms with that order, as services.workflow.rating_submit does.

from annotation.hot_answers import ticks  # noqa: E402
from annotation.models import Rubric  # noqa: E402

HOT_ITEM_JOINS = """
LEFT JOIN annotation_response pairwise_b ON pairwise_b.id = i.response_b_id
LEFT JOIN annotation_languagemodel pairwise_b_model ON pairwise_b_model.id = pairwise_b.model_id"""
HOT_ITEM_COLUMNS = {  # the two responses, the order shown and the rubric's verdicts, by database
    "postgresql": ("r.turns", "m.name", "pairwise_b.turns", "pairwise_b_model.name",
                   pair_order_sql("i.id", "me.annotator"), "(SELECT verdicts FROM annotation_rubric WHERE id = me.rubric)"),
    "sqlite": ("json(r.turns)", "m.name", "json(pairwise_b.turns)", "pairwise_b_model.name",
               pair_order_sql("i.id", "me.annotator", "sqlite"),
               "json((SELECT verdicts FROM annotation_rubric WHERE id = me.rubric))"),
}


def hot_item_shown(values, show_model_names, language):
    """(order shown, the item's kind-specific part of the payload) from HOT_ITEM_COLUMNS' values (as JSON)."""
    a_turns, a_model, b_turns, b_model, order, verdicts = values
    first = {"turns": a_turns, "model": a_model if show_model_names else None}
    second = {"turns": b_turns, "model": b_model if show_model_names else None}
    left, right = (first, second) if order == PairOrder.AB else (second, first)
    return order, {"response": None, "left": left, "right": right,
                   "verdicts": verdict_options(Rubric(verdicts=verdicts), language), "exam": None}


HOT_ANSWER_FIELDS = ("verdict", "checks")  # what a submit's body holds for this kind, beside the generic fields


def hot_answer(data):
    """A submit's verdict and ticks (screen terms) as the statement's parameters when they are plainly
    well-formed for a pair, else None (the service then explains what is wrong)."""
    verdict = data.get("verdict")
    if not isinstance(verdict, str) or not verdict:
        return None
    checked = ticks(data.get("checks"), _sides)
    return None if checked is None else {"verdict": verdict, **checked}


def _sides(answer):
    """One point's answer, {"left": ticked, "right": ticked} (either side may be left out), as [(side, ticked)]."""
    if not isinstance(answer, dict) or any(side not in SIDES or not isinstance(ticked, bool)
                                           for side, ticked in answer.items()):
        return None
    return list(answer.items())


def _in_item_terms(side, order):
    return f"(CASE WHEN ({side} = 'left') = ({order} = '{PairOrder.AB}') THEN 'A' ELSE 'B' END)"


HOT_ANSWER_SQL = {
    "order": pair_order_sql("i.id", "s.annotator_id"),
    "ctes": "",
    # left, right, or one of the rubric's other verdicts (tie, both, neither; workflow_selectors.screen_verdicts).
    "answered": f"""(%(verdict)s::text IN ({", ".join(f"'{side}'" for side in SIDES)})
           OR (%(verdict)s::text NOT IN ('A', 'B')
               AND (SELECT verdicts FROM annotation_rubric WHERE id = slot.rubric_id) ? %(verdict)s::text))""",
    "verdict": f"""(CASE WHEN %(verdict)s::text IN ({", ".join(f"'{side}'" for side in SIDES)})
                THEN {_in_item_terms("%(verdict)s::text", "complete.shown")} ELSE %(verdict)s::text END)""",
    "store": "",
    "tick_side": _in_item_terms("t.side", "slot.shown"),
}


# ---------------------------------------------------------------------------------------------------------
# The quick export (exports.rating_export): the two models, in the item's order, and the verdict in its terms.
EXPORT_LOOKUPS = ("item__response__model__name", "item__response_b__model__name", "verdict")


def export_columns(campaign):
    """The CSV columns this kind adds."""
    return ["model_a", "model_b", "verdict"]


def export_records(campaign, records, rows):
    """Add the pair's models and the verdict (A, B, tie, both or neither, as stored: in the item's terms)."""
    for record, row in zip(records, rows):
        record.update(model_a=row[-3], model_b=row[-2], verdict=row[-1])
    return records


def export_sql(campaign):
    """export_records' fields in PostgreSQL's terms (the export's SQL path; r is the rating, i its item, rs the
    item's first response)."""
    joins = ("JOIN annotation_languagemodel ma ON ma.id = rs.model_id "
             "LEFT JOIN annotation_response rb ON rb.id = i.response_b_id "
             "LEFT JOIN annotation_languagemodel mb ON mb.id = rb.model_id")
    return joins, [("model_a", "ma.name"), ("model_b", "mb.name"), ("verdict", "r.verdict")]


# ---------------------------------------------------------------------------------------------------------
# Adjudication (annotation.final_labels, annotation.adjudication_selectors): an answer is {"verdict": ...}
#
# The adjudicator sees every rating, so the pair is shown in the item's order (A on the left) and their
# verdict, chosen as left / right / tie ..., is read in that order.

from collections import Counter  # noqa: E402

ADJUDICATE_TEMPLATE = "annotation/kinds/pairwise/adjudicate.html"


def final_answer(scores, verdict):
    """A rating's or an adjudication's answer, for annotation.final_labels: its verdict, in the item's terms."""
    return {"verdict": verdict}


def disagreement(answers):
    """How many votes differ from the most common verdict (0 when all agree)."""
    votes = Counter(answer["verdict"] for answer in answers)
    return sum(votes.values()) - max(votes.values(), default=0)


def final_label_text(label, axes):
    """A final label in words: the verdict in the item's terms (A is better, tie, ...)."""
    return str(PairwiseVerdict(label["verdict"]).label)
