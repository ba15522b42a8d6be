"""Rubric definitions as leads write them (JSON), checked and normalised.

No Django imports at module level: the data migration that creates the built-in
rubrics, the ``import_rubric`` command and the rubric web form all go through
``parse_rubric_definition``. What a rubric holds besides its key, name and
description is its kind's part (``RUBRIC_PART`` of ``annotation.kinds.<kind>``:
axes for likert, verdicts for pairwise), checked by the part's function here.
"""

import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path

from .errors import FieldError
from .verdict_options import PAIRWISE_VERDICTS

KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
BUILTIN_DIR = Path(__file__).resolve().parent / "rubrics"
BUILTIN_KEYS = ("quality-5x5", "safety-5", "preference-3", "context-4", "exam")


@dataclass(frozen=True)
class AxisDefinition:
    key: str
    label_ja: str
    label_en: str
    criterion_ja: str
    criterion_en: str
    min_score: int
    max_score: int
    points: dict  # str(score) -> {"ja": ..., "en": ...}


@dataclass(frozen=True)
class RubricDefinition:
    key: str
    name: str
    kind: str
    description_ja: str
    description_en: str
    verdicts: tuple
    axes: tuple

    def as_comparable(self):
        """A plain structure that two equal definitions share, for change detection."""
        data = asdict(self)
        data["verdicts"] = list(self.verdicts)
        data["axes"] = [asdict(axis) for axis in self.axes]
        return json.loads(json.dumps(data, sort_keys=True))


def parse_rubric_definition(data):
    """Check a rubric definition and return a RubricDefinition; raise FieldError naming the bad field.

    A part of another kind (verdicts in a likert rubric, axes in a pairwise one) is refused.
    """
    from annotation import kinds  # imported here: the kinds' modules import the part functions below

    if not isinstance(data, dict):
        raise FieldError("rubric", "expected a JSON object")
    key = _slug(data.get("key"), "key")
    name = _text(data.get("name"), "name", required=True)
    kind = data.get("kind", "likert")
    if not isinstance(kind, str) or kind not in kinds.KINDS:
        raise FieldError("kind", f"{kind!r} is not one of {', '.join(kinds.KINDS)}")
    description_ja, description_en = _bilingual(data.get("description", ""), "description")
    own = kinds.for_name(kind)
    for part in dict.fromkeys(other.RUBRIC_PART for other in kinds.KINDS.values()):
        if part != own.RUBRIC_PART and data.get(part):
            raise FieldError(part, f"a {kind} rubric has {own.RUBRIC_PART}, not {part}")
    parts = {"verdicts": (), "axes": (), own.RUBRIC_PART: own.parse_rubric_part(data.get(own.RUBRIC_PART))}
    return RubricDefinition(key, name, kind, description_ja, description_en, **parts)


def axes_part(axes):
    """A likert rubric's axes: a non-empty list, each key once."""
    if not isinstance(axes, list) or not axes:
        raise FieldError("axes", "a likert rubric needs a non-empty list of axes")
    parsed = tuple(_axis(axis, f"axes[{index}]") for index, axis in enumerate(axes))
    seen = set()
    for index, axis in enumerate(parsed):
        if axis.key in seen:
            raise FieldError(f"axes[{index}].key", f"axis {axis.key!r} appears twice")
        seen.add(axis.key)
    return parsed


def builtin_definitions():
    """The definitions shipped in annotation/rubrics/, parsed."""
    return [
        parse_rubric_definition(json.loads((BUILTIN_DIR / f"{key}.json").read_text(encoding="utf-8")))
        for key in BUILTIN_KEYS
    ]


def _axis(data, where):
    if not isinstance(data, dict):
        raise FieldError(where, "expected an object")
    key = _slug(data.get("key"), f"{where}.key")
    label_ja, label_en = _bilingual(data.get("label"), f"{where}.label", required=True)
    criterion_ja, criterion_en = _bilingual(data.get("criterion", ""), f"{where}.criterion")
    low = _integer(data.get("min", 1), f"{where}.min")
    high = _integer(data.get("max", 5), f"{where}.max")
    if low >= high:
        raise FieldError(f"{where}.max", f"must be above min ({low}), got {high}")
    if high - low > 100:
        raise FieldError(f"{where}.max", f"a scale of {high - low + 1} points is too long (at most 101)")
    points = _points(data.get("points") or {}, low, high, f"{where}.points")
    return AxisDefinition(key, label_ja, label_en, criterion_ja, criterion_en, low, high, points)


def _points(data, low, high, where):
    if not isinstance(data, dict):
        raise FieldError(where, "expected an object mapping scores to descriptors")
    points = {}
    for raw_score, descriptor in data.items():
        try:
            score = int(str(raw_score).strip())
        except ValueError:
            raise FieldError(f"{where}.{raw_score}", "the key must be an integer score") from None
        if not low <= score <= high:
            raise FieldError(f"{where}.{raw_score}", f"score {score} is outside {low}..{high}")
        ja, en = _bilingual(descriptor, f"{where}.{raw_score}", required=True)
        points[str(score)] = {"ja": ja, "en": en}
    return dict(sorted(points.items(), key=lambda pair: int(pair[0])))


def verdicts_part(data):
    """A pairwise rubric's verdicts: at least A and B, drawn from PAIRWISE_VERDICTS, each once."""
    if not isinstance(data, list) or len(data) < 2:
        raise FieldError("verdicts", "a pairwise rubric needs a list of at least two verdicts, e.g. [\"A\", \"B\", \"tie\"]")
    verdicts = tuple(_text(value, f"verdicts[{index}]", required=True) for index, value in enumerate(data))
    for index, verdict in enumerate(verdicts):
        if verdict not in PAIRWISE_VERDICTS:
            raise FieldError(f"verdicts[{index}]", f"{verdict!r} is not one of {', '.join(PAIRWISE_VERDICTS)}")
    if len(set(verdicts)) != len(verdicts):
        raise FieldError("verdicts", "each verdict may appear only once")
    if not {"A", "B"} <= set(verdicts):
        raise FieldError("verdicts", "a pairwise rubric offers both A and B")
    return verdicts


def _bilingual(value, where, required=False):
    """A text given once, or as {"ja": ..., "en": ...}; one language stands in for the other."""
    if isinstance(value, dict):
        unknown = set(value) - {"ja", "en"}
        if unknown:
            raise FieldError(where, f"unknown language {sorted(unknown)[0]!r}; use ja and en")
        ja = _text(value.get("ja", ""), f"{where}.ja")
        en = _text(value.get("en", ""), f"{where}.en")
        ja, en = ja or en, en or ja
    else:
        ja = en = _text(value, where)
    if required and not ja:
        raise FieldError(where, "is required")
    return ja, en


def _text(value, where, required=False):
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise FieldError(where, f"expected text, got {type(value).__name__}")
    value = value.strip()
    if required and not value:
        raise FieldError(where, "is required")
    return value


def _slug(value, where):
    value = _text(value, where, required=True)
    if not KEY_PATTERN.match(value) or len(value) > 100:
        raise FieldError(where, f"{value!r} must be lowercase letters, digits, '-' or '_' (at most 100)")
    return value


def _integer(value, where):
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
            return int(value)
        raise FieldError(where, f"expected an integer, got {value!r}")
    return value


def no_verdicts_part(data):
    """An exam rubric's part: nothing, since each question carries its own correct answer."""
    if data:
        raise FieldError("verdicts", "an exam rubric has no verdicts: each question carries its correct answer")
    return ()
