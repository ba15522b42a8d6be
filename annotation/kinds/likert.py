"""Likert campaigns: an item is one response, answered with a score per axis of the rubric."""

NAME = "likert"


# ---------------------------------------------------------------------------------------------------------
# The rating hot path (annotation.hot_paths): this kind's part of its two statements
#
# A likert item is its response, answered with a score for every axis of the rubric; checklist ticks have no
# side.

from annotation.hot_answers import small_int, ticks  # noqa: E402

HOT_ITEM_JOINS = ""
HOT_ITEM_COLUMNS = ("r.turns", "m.name")  # the response's turns and model


def hot_item_shown(values, show_model_names, language):
    """(order shown, the item's kind-specific part of the payload) from HOT_ITEM_COLUMNS' values (as JSON)."""
    turns, model = values
    return "", {"response": {"turns": turns, "model": model if show_model_names else None}, "left": None,
                "right": None, "verdicts": []}


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
    "answered": """(SELECT count(*) FROM scored) = cardinality(%(axes)s::text[])
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
