"""Checking the fields of import records (responses, ratings, verdicts, their pairwise forms, the LLM-jp layout).

Each function takes a decoded record and returns plain values, or raises
FieldError naming the field. No database access happens here.
"""

import dataclasses
import hashlib
import json
from dataclasses import dataclass

from .errors import FieldError

# LLM-jp's human-eval data names two of the quality axes differently.
AXIS_ALIASES = {"factuality": "accuracy", "detailedness": "detail"}
MISSING_WORDS = {"", "na", "n/a", "nan", "null", "none"}


@dataclass(frozen=True)
class ResponseRecord:
    line: int
    source: str
    prompt_id: str
    prompt_turns: tuple
    category: str
    reference: str
    context: str
    prompt_metadata: dict
    model: str
    response_turns: tuple
    response_metadata: dict
    checklist: tuple | None = None  # the prompt's checklist, when the record gives one


@dataclass(frozen=True)
class ScoreRecord:
    """A rating (annotator set) or a verdict (sample set) of one (prompt, model)."""

    line: int
    prompt_id: str
    model: str
    scores: dict  # axis key -> int
    annotator: str = ""
    comment: str = ""
    rationale: str = ""
    sample: int = 0
    tier: str = ""  # a rating's annotator tier, when the record states one
    turn: int | None = None  # the turn a verdict grades or a rating scores (1, 2, ...); None: the whole conversation


@dataclass(frozen=True)
class PairRecord:
    """A pairwise rating (annotator set) or verdict (sample set) of (prompt, model_a, model_b).

    ``verdict`` names the winner by the record's own sides (A is model_a), whatever order was shown;
    ``order`` is the order shown, AB (model_a first) or BA, or "" when unknown.
    """

    line: int
    prompt_id: str
    model_a: str
    model_b: str
    verdict: str
    annotator: str = ""
    comment: str = ""
    rationale: str = ""
    order: str = ""
    sample: int = 0
    tier: str = ""  # a rating's annotator tier, when the record states one
    turn: int | None = None  # a verdict's turn graded (1, 2, ...); None: the whole conversation

    def swapped(self):
        """The same judgment told with the sides swapped: B's verdict becomes A's, BA order becomes AB."""
        return dataclasses.replace(
            self, model_a=self.model_b, model_b=self.model_a, verdict=swapped_verdict(self.verdict),
            order=SWAPPED_ORDERS[self.order],
        )


SWAPPED_VERDICTS = {"A": "B", "B": "A"}
SWAPPED_ORDERS = {"AB": "BA", "BA": "AB", "": ""}


def swapped_verdict(verdict):
    """A verdict with the two sides exchanged: A <-> B; tie, both and neither stay."""
    return SWAPPED_VERDICTS.get(verdict, verdict)


def text_field(record, field, required=True, default=""):
    value = record.get(field)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise FieldError(field, "is required")
        return default
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise FieldError(field, f"expected text, got {type(value).__name__}")
    return str(value).strip()


def prompt_text(value, field):
    if not isinstance(value, str) or not value.strip():
        raise FieldError(field, "expected non-empty text")


def answer_text(value, field):
    """A model's answer is any text, the empty one included: a model that answered nothing is a result to rate.
    Null is not an empty answer (it says nothing was recorded, e.g. a failed call) and neither is a number or a
    list: they are refused."""
    if not isinstance(value, str):
        got = "null" if value is None else type(value).__name__
        raise FieldError(field, f'expected text (an empty answer is ""), got {got}')


def turns_field(record, single, plural, check=prompt_text):
    """Read either ``single`` (one text) or ``plural`` (a list of texts) as a tuple of turns, each checked by
    ``check(value, field)``: non-empty text for a prompt, any text for an answer."""
    if record.get(plural) is not None:
        turns = record[plural]
        if not isinstance(turns, list) or not turns:
            raise FieldError(plural, "expected a non-empty list of texts")
        for index, turn in enumerate(turns):
            check(turn, f"{plural}[{index}]")
        return tuple(turns)
    if single not in record:
        raise FieldError(single, f"is required (or give {plural!r} as a list)")
    check(record[single], single)
    return (record[single],)


def metadata_field(record, field="metadata"):
    value = record.get(field)
    if value is None or value == "":
        return {}
    if not isinstance(value, dict):
        raise FieldError(field, f"expected an object, got {type(value).__name__}")
    return value


def sample_field(record):
    value = record.get("sample", 0)
    if value in (None, ""):
        return 0
    try:
        sample = int(value)
    except (TypeError, ValueError):
        raise FieldError("sample", f"expected a whole number, got {value!r}") from None
    if sample < 0 or sample > 1000 or str(sample) != str(value).strip():
        raise FieldError("sample", f"expected a whole number from 0 to 1000, got {value!r}")
    return sample


def is_missing(value, zero_is_missing=False):
    if value is None:
        return True
    if isinstance(value, str) and value.strip().lower() in MISSING_WORDS:
        return True
    if isinstance(value, float) and value != value:  # NaN
        return True
    return zero_is_missing and value == 0


def score_value(value, field, axis_range):
    """An integer score inside ``axis_range`` (low, high); a float like 4.0 counts as 4."""
    if isinstance(value, bool):
        raise FieldError(field, f"expected an integer score, got {value!r}")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    elif isinstance(value, str):
        try:
            value = int(value.strip())
        except ValueError:
            raise FieldError(field, f"expected an integer score, got {value!r}") from None
    if not isinstance(value, int):
        raise FieldError(field, f"expected an integer score, got {value!r}")
    low, high = axis_range
    if not low <= value <= high:
        raise FieldError(field, f"score {value} is outside the axis range {low}..{high}")
    return value


def axis_key(name, axis_ranges, field):
    """Map an axis name of a record to the rubric's axis key, reading LLM-jp's spellings too."""
    if name in axis_ranges:
        return name
    alias = AXIS_ALIASES.get(name)
    if alias in axis_ranges:
        return alias
    known = ", ".join(axis_ranges)
    raise FieldError(field, f"the rubric has no axis {name!r} (its axes: {known})")


def scores_field(record, axis_ranges, rubric_key):
    """Read ``scores`` as {axis key: int}; null, "" and "NA" leave an axis unscored."""
    raw = record.get("scores")
    if not isinstance(raw, dict):
        raise FieldError("scores", "expected an object of axis → score, e.g. {\"overall\": 4}")
    scores = {}
    for name, value in raw.items():
        field = f"scores.{name}"
        key = axis_key(str(name), axis_ranges, field)
        if key in scores:
            raise FieldError(field, f"axis {key!r} is given twice")
        if is_missing(value):
            continue
        scores[key] = score_value(value, field, axis_ranges[key])
    if not scores:
        raise FieldError("scores", f"no score for any axis of rubric {rubric_key}")
    return scores


def response_record(line, record, default_source):
    return prompt_record(line, record, default_source, answered=True)


def prompt_record(line, record, default_source, answered=False):
    """A prompt to be answered (import_prompts): a responses record without model and response; ``answered``:
    a responses record, its model and response read after the prompt's fields (the first bad field is named)."""
    return ResponseRecord(
        line=line,
        source=text_field(record, "source", required=False, default=default_source),
        prompt_id=text_field(record, "prompt_id"),
        prompt_turns=turns_field(record, "prompt", "turns"),
        category=text_field(record, "category", required=False),
        reference=text_field(record, "reference", required=False),
        context=text_field(record, "context", required=False),
        prompt_metadata=metadata_field(record),
        checklist=checklist_field(record),
        model=text_field(record, "model") if answered else "",
        response_turns=turns_field(record, "response", "responses", check=answer_text) if answered else (),
        response_metadata=metadata_field(record, "response_metadata") if answered else {},
    )


@dataclass(frozen=True)
class ChecklistRecord:
    line: int
    source: str
    prompt_id: str
    checklist: tuple


def checklist_record(line, record, default_source):
    checklist = checklist_field(record)
    if checklist is None:
        raise FieldError("checklist", "is required: a list of yes/no questions about the answer")
    return ChecklistRecord(
        line=line,
        source=text_field(record, "source", required=False, default=default_source),
        prompt_id=text_field(record, "prompt_id"),
        checklist=checklist,
    )


MAX_CHECKLIST_ITEMS = 20


def checklist_field(record, field="checklist"):
    """A prompt's checklist as a tuple of texts, or None when the record has none. An empty list is refused:
    a checklist is never removed by an import."""
    value = record.get(field)
    if value is None or value == "":
        return None
    if not isinstance(value, list) or not value:
        raise FieldError(field, 'expected a non-empty list of texts, e.g. ["Does it name two mountains?"]')
    if len(value) > MAX_CHECKLIST_ITEMS:
        raise FieldError(field, f"has {len(value)} items; at most {MAX_CHECKLIST_ITEMS} are allowed")
    texts = []
    for index, text in enumerate(value):
        if not isinstance(text, str) or not text.strip():
            raise FieldError(f"{field}[{index}]", "expected non-empty text")
        if text.strip() in texts:
            raise FieldError(f"{field}[{index}]", f"repeats item {texts.index(text.strip())}")
        texts.append(text.strip())
    return tuple(texts)


def rating_record(line, record, axis_ranges, rubric_key):
    return ScoreRecord(
        line=line,
        prompt_id=text_field(record, "prompt_id"),
        model=text_field(record, "model"),
        annotator=text_field(record, "annotator"),
        scores=scores_field(record, axis_ranges, rubric_key),
        comment=text_field(record, "comment", required=False),
        tier=tier_field(record),
        turn=turn_field(record),
    )


def verdict_record(line, record, axis_ranges, rubric_key):
    return ScoreRecord(
        line=line,
        prompt_id=text_field(record, "prompt_id"),
        model=text_field(record, "model"),
        scores=scores_field(record, axis_ranges, rubric_key),
        rationale=text_field(record, "rationale", required=False),
        sample=sample_field(record),
        turn=turn_field(record),
    )


def turn_field(record):
    """The turn a verdict grades or a rating's scores score, from 1; missing or empty: the whole conversation
    (None)."""
    value = record.get("turn")
    if is_missing(value):
        return None
    try:
        turn = int(value)
    except (TypeError, ValueError):
        raise FieldError("turn", f"expected a turn number from 1, got {value!r}") from None
    if turn < 1 or turn > 100 or str(turn) != str(value).strip():
        raise FieldError("turn", f"expected a turn number from 1 to 100, got {value!r}")
    return turn


def pair_fields(record, verdicts, rubric_key):
    """prompt_id, model_a, model_b and verdict of a pairwise record, checked against the rubric's ``verdicts``."""
    prompt_id = text_field(record, "prompt_id")
    model_a = text_field(record, "model_a")
    model_b = text_field(record, "model_b")
    if model_a == model_b:
        raise FieldError("model_b", f"is the same model as model_a ({model_a!r}); a pair needs two models")
    verdict = text_field(record, "verdict")
    if verdict not in verdicts:
        raise FieldError("verdict", f"{verdict!r} is not a verdict of rubric {rubric_key} "
                                    f"(its verdicts: {', '.join(verdicts)})")
    return prompt_id, model_a, model_b, verdict


def order_field(record):
    value = text_field(record, "order", required=False)
    if value not in SWAPPED_ORDERS:
        raise FieldError("order", f"expected AB (model_a shown first) or BA, got {value!r}")
    return value


def pairwise_rating_record(line, record, verdicts, rubric_key):
    return PairRecord(
        line, *pair_fields(record, verdicts, rubric_key),
        annotator=text_field(record, "annotator"),
        comment=text_field(record, "comment", required=False),
        tier=tier_field(record),
    )


def tier_field(record):
    """The annotator's tier as written (checked against the tiers by imports.ExternalAnnotators)."""
    return text_field(record, "tier", required=False).strip().lower()


def pairwise_verdict_record(line, record, verdicts, rubric_key):
    return PairRecord(
        line, *pair_fields(record, verdicts, rubric_key),
        rationale=text_field(record, "rationale", required=False),
        order=order_field(record),
        sample=sample_field(record),
    )


def is_llmjp_record(record):
    """The LLM-jp human-eval layout: turns are objects holding the prompt and each model's response."""
    turns = record.get("turns")
    return isinstance(turns, list) and bool(turns) and isinstance(turns[0], dict)


def llmjp_has_human_evals(record):
    """True when an LLM-jp record carries human scores (which only a likert campaign can take)."""
    return any(
        isinstance(answer, dict) and answer.get("human_evals")
        for turn in record["turns"] if isinstance(turn, dict) and isinstance(turn.get("responses"), dict)
        for answer in turn["responses"].values()
    )


def llmjp_records(line, record, default_source, axis_ranges, annotator_prefix):
    """Split one LLM-jp record into ResponseRecords and the ScoreRecords of its human evaluations.

    Scores come from the last turn that carries ``human_evals``; list position i
    is external annotator ``{annotator_prefix}-{i+1}``. NA, null and 0 are missing.
    """
    prompt_id = text_field(record, "id")
    turns = record["turns"]
    prompts, answers, evals = [], {}, {}
    for index, turn in enumerate(turns):
        where = f"turns[{index}]"
        if not isinstance(turn, dict):
            raise FieldError(where, "expected an object with prompt and responses")
        prompt = turn.get("prompt")
        if not isinstance(prompt, str) or not prompt.strip():
            raise FieldError(f"{where}.prompt", "expected non-empty text")
        prompts.append(prompt)
        responses = turn.get("responses")
        if not isinstance(responses, dict) or not responses:
            raise FieldError(f"{where}.responses", "expected an object of model → response")
        for model, answer in responses.items():
            field = f"{where}.responses.{model}"
            if not isinstance(answer, dict) or "response" not in answer:
                raise FieldError(f"{field}.response", "is required")
            answer_text(answer["response"], f"{field}.response")
            answers.setdefault(model, []).append(answer["response"])
            if answer.get("human_evals"):
                evals[model] = (field, answer["human_evals"])
    for model, texts in answers.items():
        if len(texts) != len(prompts):
            raise FieldError(f"turns.responses.{model}", f"answers {len(texts)} of {len(prompts)} turns")
    metadata = {key: value for key, value in record.items() if key not in ("id", "turns")}
    responses = [
        ResponseRecord(line, default_source, prompt_id, tuple(prompts), str(record.get("category") or ""),
                       "", "", metadata, model, tuple(texts), {})
        for model, texts in answers.items()
    ]
    ratings = []
    for model, (field, human_evals) in evals.items():
        ratings.extend(_llmjp_ratings(line, prompt_id, model, field, human_evals, axis_ranges, annotator_prefix))
    return responses, ratings


def _llmjp_ratings(line, prompt_id, model, field, human_evals, axis_ranges, annotator_prefix):
    if not isinstance(human_evals, dict):
        raise FieldError(f"{field}.human_evals", "expected an object of axis → list of scores")
    by_slot = {}
    for name, values in human_evals.items():
        where = f"{field}.human_evals.{name}"
        key = axis_key(name, axis_ranges, where)
        if not isinstance(values, list):
            values = [values]
        for slot, value in enumerate(values):
            if is_missing(value, zero_is_missing=True):
                continue
            by_slot.setdefault(slot, {})[key] = score_value(value, f"{where}[{slot}]", axis_ranges[key])
    return [
        ScoreRecord(line, prompt_id, model, scores, annotator=f"{annotator_prefix}-{slot + 1}")
        for slot, scores in sorted(by_slot.items())
    ]


_HASHED_JSON = json.JSONEncoder(ensure_ascii=False, sort_keys=True)  # one, not one a record as json.dumps makes


def content_hash(value):
    """A short stable digest of JSON-able content, to compare records without keeping their text."""
    return hashlib.blake2b(_HASHED_JSON.encode(value).encode(), digest_size=16).digest()
