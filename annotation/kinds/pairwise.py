"""Pairwise campaigns: an item is an ordered pair of two models' responses to one prompt, answered with a
verdict (A, B, and any of tie, both, neither), stored in the item's terms whatever order it was shown in."""

NAME = "pairwise"


# ---------------------------------------------------------------------------------------------------------
# The rating hot path (annotation.hot_paths): this kind's part of its two statements
#
# The pair is shown in the order pair_order gives (computed in SQL by pair_order_sql); the annotator answers
# in screen terms (left, right, tie, ...) and the statement stores the verdict and the ticks in the item's
# terms with that order, as services.workflow.rating_submit does.

from annotation.hot_answers import ticks  # noqa: E402
from annotation.models import PairOrder, Rubric  # noqa: E402
from annotation.workflow_selectors import SIDES, pair_order_sql, verdict_options  # noqa: E402

HOT_ITEM_JOINS = """
LEFT JOIN annotation_response pairwise_b ON pairwise_b.id = i.response_b_id
LEFT JOIN annotation_languagemodel pairwise_b_model ON pairwise_b_model.id = pairwise_b.model_id"""
HOT_ITEM_COLUMNS = (  # the two responses, the order shown and the rubric's verdicts
    "r.turns", "m.name", "pairwise_b.turns", "pairwise_b_model.name", pair_order_sql("i.id", "me.annotator"),
    "(SELECT verdicts FROM annotation_rubric WHERE id = me.rubric)",
)


def hot_item_shown(values, show_model_names, language):
    """(order shown, the item's kind-specific part of the payload) from HOT_ITEM_COLUMNS' values (as JSON)."""
    a_turns, a_model, b_turns, b_model, order, verdicts = values
    first = {"turns": a_turns, "model": a_model if show_model_names else None}
    second = {"turns": b_turns, "model": b_model if show_model_names else None}
    left, right = (first, second) if order == PairOrder.AB else (second, first)
    return order, {"response": None, "left": left, "right": right,
                   "verdicts": verdict_options(Rubric(verdicts=verdicts), language)}


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
