"""An item's final label and where it comes from: the one home of the rule (pure: no Django).

An answer is a dict, key → value, as a campaign's kind gives it (annotation.kinds: ``final_answer``): a likert
rating is axis → score, a pairwise one {"verdict": "A"}. The final label of an item is, in this order:

- the adjudicator's answer, when one was recorded: provenance ``adjudicated``;
- the raters' common answer, when there are at least two raters and all gave the same: ``unanimous``;
- key by key, the value more than half of the raters gave, when every key has one: ``majority``;
- with one rater only, their answer: ``single``;
- otherwise no label (a tie, e.g. two raters who differ, or no strict majority on some key; or no
  ratings at all): ``unresolved``. Only an adjudicator resolves it.

Whether an item's ratings disagree enough to need an adjudicator (and an extra annotator) is a number the kind
measures (``disagreement``: the largest score range on an axis, or the votes against the most common verdict)
compared with the campaign's threshold here, in ``disagrees``.
"""

from collections import Counter
from dataclasses import dataclass

UNANIMOUS, MAJORITY, ADJUDICATED, SINGLE, UNRESOLVED = "unanimous", "majority", "adjudicated", "single", "unresolved"
PROVENANCES = (UNANIMOUS, MAJORITY, ADJUDICATED, SINGLE, UNRESOLVED)


@dataclass(frozen=True)
class FinalLabel:
    label: dict | None  # key → value; None when unresolved
    provenance: str
    n_ratings: int


def final_label(answers, adjudicated=None):
    """The FinalLabel of an item rated with ``answers`` (a list of dicts) and adjudicated with ``adjudicated``
    (a dict, or None)."""
    answers = [dict(answer) for answer in answers]
    if adjudicated:
        return FinalLabel(dict(adjudicated), ADJUDICATED, len(answers))
    if not answers:
        return FinalLabel(None, UNRESOLVED, 0)
    if len(answers) == 1:
        return FinalLabel(answers[0], SINGLE, 1)
    if all(answer == answers[0] for answer in answers):
        return FinalLabel(answers[0], UNANIMOUS, len(answers))
    majority = _strict_majority(answers)
    return FinalLabel(majority, MAJORITY if majority is not None else UNRESOLVED, len(answers))


def _strict_majority(answers):
    """Key by key, the value more than half of the answers give; None if some key has none."""
    keys = sorted({key for answer in answers for key in answer})
    label = {}
    for key in keys:
        (value, count), = Counter(answer.get(key) for answer in answers).most_common(1)
        if value is None or count * 2 <= len(answers):
            return None
        label[key] = value
    return label


def disagrees(disagreement, threshold):
    """Whether an item whose ratings measure ``disagreement`` (the kind's number) is beyond ``threshold``
    (None: the campaign adjudicates nothing)."""
    return threshold is not None and disagreement > threshold
