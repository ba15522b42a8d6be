"""Likert campaigns: an item is one response, answered with a score per axis of the rubric."""

NAME = "likert"


# ---------------------------------------------------------------------------------------------------------
# The item and its pages, what a rating carries, the rubric's part, imports
#
# One response is shown, so there is no order to keep: screen terms and the item's terms are the same.

from annotation.blinding import shown_response  # noqa: E402
from annotation.checklists import tick_value  # noqa: E402
from annotation.errors import FieldError, HyokaError  # noqa: E402
from annotation.rubric_definitions import axes_part  # noqa: E402
from django.utils.translation import gettext_lazy as _  # noqa: E402


def shown_order(item, annotator, rating=None):
    """The order recorded on Rating.position: none, for a single response."""
    return ""


def item_payload(item, order, language):
    """The response's part of item_for_rating (the axes come with every kind: the rubric's, if any)."""
    return {"response": shown_response(item.response, item.campaign.show_model_names), "left": None, "right": None,
            "verdicts": [], "exam": None}


def page_turns(payload):
    """The prompt's and the response's turns side by side: [(number, user turn, response turn)]."""
    prompt_turns, response_turns = payload["prompt"]["turns"], payload["response"]["turns"]
    count = max(len(prompt_turns), len(response_turns))
    return [
        (index + 1, prompt_turns[index] if index < len(prompt_turns) else "",
         response_turns[index] if index < len(response_turns) else "")
        for index in range(count)
    ]


def answer_label(rating, language):
    """None: on "my ratings" a likert rating's answer is its scores, one column per axis."""
    return None


RATE_TEMPLATE = "annotation/kinds/likert/rate.html"
MY_RATINGS_TEMPLATE = "annotation/kinds/likert/my_ratings.html"
RUBRIC_TEMPLATE = "annotation/kinds/likert/rubric.html"  # the axes with their point descriptors, on the rubric's page
RUBRIC_SUMMARY_TEMPLATE = "annotation/kinds/likert/rubric_summary.html"  # the axes as a table, on the campaign's page
MODEL_COUNTS_NOTE = ""
# What the kind means, on the new-campaign form.
CREATE_NOTE = _("An item is one model response, scored on each axis of a likert rubric. Import responses into the "
                "campaign: each becomes an item.")


def verdict_in_item_terms(verdict, order):
    return verdict


def verdict_in_screen_terms(verdict, order):
    return verdict


def checks_in_item_terms(checks, order):
    return dict(checks)


def checks_in_screen_terms(checks, order):
    return dict(checks)


def clean_verdict(rubric, verdict, complete, item_id=None):
    """No verdict: a likert rating is its scores."""
    if verdict:
        raise FieldError("verdict", "this campaign rates single responses on axes; send scores, not a verdict")
    return ""


CHECK_SHAPE = "true or false"


def clean_check(value, field):
    """One checklist point: ticked, not ticked, or None (unanswered)."""
    return tick_value(value, field)


TURN_SCORES = True  # a campaign may ask for scores per turn (Campaign.per_turn_scores)
RUBRIC_PART = "axes"  # what a likert rubric's definition holds (annotation.rubric_definitions)


def parse_rubric_part(axes):
    return axes_part(axes)


RESPONSE_FIELDS = ("response",)  # the item's fields holding a model's response
UPLOAD_KINDS = ("responses", "ratings", "verdicts", "checklists")
MANAGE_TEMPLATE = ""  # nothing of its own on the campaign's Manage page


def manage_context(campaign):
    return {}


ITEM_PER_RESPONSE = True  # import_responses makes an item of every response it stores


def check_pair_option(campaign, pair):
    """Pairs are for pairwise campaigns: a likert campaign is given none."""
    if pair:
        raise HyokaError(f"--pair makes pairwise items, but campaign {campaign.slug} uses the likert rubric "
                         f"{campaign.rubric.key}; give a pairwise --rubric for a new campaign")


def score_importer(campaign, path, summary, annotators):
    """The importer of scores per response and axis: the LLM-jp layout's human evaluations."""
    return rating_importer(campaign, path, summary, annotators)


def items_after_import(*, campaign, prompt_ids, pair, path, summary):
    """Nothing: import_responses made an item of every response as it stored it."""


def items_for_generated(*, campaign, responses):
    """Make an item of each response a generation job stored (``responses``: (response id, prompt id, model
    name) tuples), as an import does."""
    from annotation.services.imports import response_items_make  # the services import the kinds

    response_items_make(campaign=campaign, response_ids={response_id for response_id, _, _ in responses})


def rating_importer(campaign, path, summary, annotators):
    """Reads {prompt_id, model, annotator, scores, comment?}, adding the item of a stored response when missing."""
    from annotation.services.imports import RatingImporter  # the services import the kinds

    return RatingImporter(campaign, path, summary, annotators=annotators)


def check_exam_import(campaign):
    """Exam questions need an exam campaign."""
    raise HyokaError(f"campaign {campaign.slug} uses the likert rubric {campaign.rubric.key}; exam questions and "
                     f"their statistics go into an exam campaign (import_exam --campaign NEW-SLUG makes one)")


# ---------------------------------------------------------------------------------------------------------
# Reports


def check_rankable(campaign):
    """Likert scores rank no pairs: a HyokaError saying where the scores are compared instead."""
    raise HyokaError(f"campaign {campaign.slug} uses the likert rubric {campaign.rubric.key}: rankings need a "
                     f"pairwise campaign (see agreement and meta_eval for scores)")


# ---------------------------------------------------------------------------------------------------------
# The rating hot path (annotation.hot_paths): this kind's part of its two statements
#
# A likert item is its response, answered with a score for every axis of the rubric; checklist ticks have no
# side.

from annotation.hot_answers import small_int, ticks  # noqa: E402

HOT_ITEM_JOINS = ""
HOT_ITEM_COLUMNS = {  # the response's turns and model, by database (on SQLite a JSON column is read as JSON)
    "postgresql": ("r.turns", "m.name"),
    "sqlite": ("json(r.turns)", "m.name"),
}
SQLITE_FUNCTIONS = {}


def hot_item_shown(values, show_model_names, language):
    """(order shown, the item's kind-specific part of the payload) from HOT_ITEM_COLUMNS' values (as JSON)."""
    turns, model = values
    return "", {"response": {"turns": turns, "model": model if show_model_names else None}, "left": None,
                "right": None, "verdicts": [], "exam": None}


HOT_ANSWER_FIELDS = ("scores", "checks")  # what a submit's body holds for this kind, beside the generic fields


def hot_answer(data):
    """A submit's scores and ticks as the statement's parameters when they are plainly well-formed for a likert
    item, else None (the service then explains what is wrong)."""
    scores = data.get("scores")
    if not isinstance(scores, dict) or not scores or not all(small_int(value) for value in scores.values()):
        return None
    checked = ticks(data.get("checks"), lambda answer: [("", answer)] if isinstance(answer, bool) else None)
    return None if checked is None else {"axes": list(scores), "scores": list(scores.values()), **checked}


HOT_ANSWER_SQL = {
    "order": "''",
    # Every axis of the rubric scored inside its range, and nothing else.
    "ctes": """
given AS (
    SELECT * FROM unnest(%(axes)s::text[], %(scores)s::int[]) AS g(key, score)
), scored AS (
    SELECT x.id AS axis_id, g.score FROM slot
    JOIN annotation_rubricaxis x ON x.rubric_id = slot.rubric_id
    JOIN given g ON g.key = x.key AND g.score BETWEEN x.min_score AND x.max_score
),""",
    # Scores per turn (turn → {axis → score}) never come this way (hot_answer); flat scores for a campaign
    # that asks for them per turn go to the service, which refuses them.
    "answered": """NOT slot.per_turn_scores AND (SELECT count(*) FROM scored) = cardinality(%(axes)s::text[])
      AND (SELECT count(*) FROM annotation_rubricaxis x WHERE x.rubric_id = slot.rubric_id)
          = cardinality(%(axes)s::text[])""",
    "verdict": "''",
    "store": """
scores AS (
    INSERT INTO annotation_ratingscore (rating_id, axis_id, score) SELECT rating.id, scored.axis_id, scored.score
    FROM rating, scored
),""",
    "tick_side": "''",
}


# ---------------------------------------------------------------------------------------------------------
# The quick export (exports.rating_export): the rated response's model and a score per axis.
EXPORT_LOOKUPS = ("item__response__model__name",)


def export_columns(campaign):
    """The CSV columns this kind adds: the model (and, in a campaign that scores each turn, the turn), then a
    score column per axis of the rubric, in its order."""
    keys = campaign.rubric.axes.order_by("position").values_list("key", flat=True)
    return ["model", *(["turn"] if campaign.per_turn_scores else []), *(f"scores.{key}" for key in keys)]


def export_records(campaign, records, rows):
    """Add the model and the scores ({axis key: score}, in rubric order) to each rating's record. A rating scored
    per turn becomes one record per turn, with its ``turn`` (import_ratings reads them back so)."""
    from annotation.models import RatingScore

    axes = dict(campaign.rubric.axes.order_by("position").values_list("pk", "key"))
    scores = {row[0]: {} for row in rows}
    # The chunk's id range, read along the (rating, axis) index; scores of ratings outside the chunk (other
    # campaigns', or before --since) are skipped. Much cheaper than an IN list of thousands of ids.
    in_range = RatingScore.objects.filter(rating_id__gte=rows[0][0], rating_id__lte=rows[-1][0])
    for rating, axis, turn, score in in_range.values_list("rating_id", "axis_id", "turn", "score"):
        if rating in scores and axis in axes:
            scores[rating].setdefault(turn, {})[axes[axis]] = score
    found = []
    for record, row in zip(records, rows):
        by_turn = scores[row[0]] or {None: {}}
        for turn in sorted(by_turn, key=lambda turn: turn or 0):
            by_axis = by_turn[turn]
            turned = {} if turn is None else {"turn": turn}
            found.append({**record, "model": row[-1], **turned,
                          "scores": {key: by_axis[key] for key in axes.values() if key in by_axis}})
    return found


def export_sql(campaign):
    """export_records' fields in PostgreSQL's terms (the export's SQL path; r is the rating, rs the item's
    response): the model, and the scores as (axis key, score) in rubric order, gathered per rating along the
    (rating, axis) index; an axis the rating has no score on is left out."""
    axes = list(campaign.rubric.axes.order_by("position").values_list("pk", "key"))
    joins = "JOIN annotation_languagemodel m ON m.id = rs.model_id"
    if axes:
        picks = ", ".join(f"max(s.score) FILTER (WHERE s.axis_id = {int(pk)}) AS axis_{number}"
                          for number, (pk, _) in enumerate(axes))
        joins += (f" LEFT JOIN LATERAL (SELECT {picks} FROM annotation_ratingscore s WHERE s.rating_id = r.id) sc"
                  " ON true")
    scores = [(key, f"sc.axis_{number}") for number, (_, key) in enumerate(axes)]
    return joins, [("model", "m.name"), ("scores", scores)]


# ---------------------------------------------------------------------------------------------------------
# Adjudication (annotation.final_labels, annotation.adjudication_selectors): an answer is axis → score

from django.utils.translation import get_language  # noqa: E402

ADJUDICATE_TEMPLATE = "annotation/kinds/likert/adjudicate.html"


def final_answer(scores, verdict):
    """A rating's or an adjudication's answer, for annotation.final_labels: its scores, axis → score."""
    return dict(scores)


def disagreement(answers):
    """The largest range of the scores given on one axis (0 when no axis has two scores)."""
    by_axis = {}
    for answer in answers:
        for key, score in answer.items():
            by_axis.setdefault(key, []).append(score)
    return max((max(scores) - min(scores) for scores in by_axis.values()), default=0)


def final_label_text(label, axes):
    """A final label in words: each axis's label and score, in the rubric's order (``axes``: RubricAxis rows)."""
    english = (get_language() or "").startswith("en")
    return " · ".join(f"{axis.label_en if english else axis.label_ja} {label[axis.key]}"
                      for axis in axes if axis.key in label)
