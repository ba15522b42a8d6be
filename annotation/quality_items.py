"""Gold and attention items measure annotators, not models: the two rules about them, in one place.

- ``counted``: what counts toward model scores, agreement, human–judge figures, rankings, leaderboards, releases
  and the quick export is the items with no quality-control role (Item.quality_role empty). Every figure's
  selector filters through it; tests/test_quality_exclusion.py runs every figure with and without gold and
  attention items and finds them equal.
- ``addressable``: a record naming (prompt, model) means the item of that response, never one of its copies
  (an attention item's degraded copy, a gold item's copy share the prompt and the model).
"""

from django.db.models import Q


def counted(path=""):
    """The items that count toward figures, as a condition on the item reached by ``path`` (e.g. "item__",
    "rating__item__"; "" for Item itself)."""
    return Q(**{f"{path}quality_role": ""})


def counted_sql(item_alias):
    """``counted`` as an SQL condition on the item row aliased ``item_alias``."""
    return f"{item_alias}.quality_role = ''"


def addressable(path=""):
    """The items an import record can name: not copies made for quality control."""
    return Q(**{f"{path}original__isnull": True})
