"""Reading scores out of a judge's reply, strictly. Pure: no Django, no I/O.

A reply becomes scores only when every axis has an integer inside its range.
Anything else is a typed failure, never a score:

- ``truncated``: the endpoint stopped at max tokens (finish_reason ``length``), whatever the text says;
- ``refused``: a refusal (the ``refusal`` field, finish_reason ``content_filter``, or an unparseable
  reply that reads as one);
- ``parse_error``: no valid score for some axis.

JSON replies (requested with a schema) must decode to ``{"rationale": str, "scores": {axis: int}}``
(a code fence around it is tolerated). Text replies are read per axis: the last line ``label: n`` (or
``key: n``) for that axis wins, since judges sometimes restate a draft score before the final one; for
MT-Bench the last ``[[n]]``. Full-width digits count as digits. Bump PARSER_VERSION when any rule here
changes: it is part of every cache key.
"""

import json
import re
import unicodedata
from dataclasses import dataclass, field

PARSER_VERSION = "1"

OK, PARSE_ERROR, TRUNCATED, REFUSED = "ok", "parse_error", "truncated", "refused"

REFUSAL_PHRASES = (
    "i can't", "i cannot", "i'm sorry", "i am sorry", "i won't",
    "申し訳ありません", "申し訳ございません", "お答えできません", "評価できません", "お手伝いできません",
)
BRACKET_SCORE = re.compile(r"\[\[\s*(-?\d+(?:\.\d+)?)\s*\]\]")
FENCE = re.compile(r"^```(?:json)?\s*(.*?)\s*```$", re.DOTALL)


@dataclass(frozen=True)
class ParseResult:
    status: str
    scores: dict = field(default_factory=dict)  # axis key -> int, only when status is ok
    rationale: str = ""
    error: str = ""


def verdict_parse(*, content, axes, output_format, text_style="lines", finish_reason="stop", refusal=None):
    """Read the scores of one reply; ``axes`` are judging.prompts.Axis values."""
    content = content or ""
    if finish_reason == "length":
        return ParseResult(TRUNCATED, error="the reply stopped at max tokens")
    if refusal or finish_reason == "content_filter":
        return ParseResult(REFUSED, error=(refusal or "the endpoint's content filter stopped the reply")[:500])
    if output_format == "json_schema":
        result = parse_json(content, axes)
    elif text_style == "brackets":
        result = parse_brackets(content, axes)
    else:
        result = parse_lines(content, axes)
    if result.status == PARSE_ERROR and reads_as_refusal(content):
        return ParseResult(REFUSED, error="the reply reads as a refusal")
    return result


def parse_json(content, axes):
    text = content.strip()
    fenced = FENCE.match(text)
    if fenced:
        text = fenced.group(1)
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as error:
        return ParseResult(PARSE_ERROR, error=f"not JSON: {error.msg} at {error.pos}")
    if not isinstance(payload, dict) or not isinstance(payload.get("scores"), dict):
        return ParseResult(PARSE_ERROR, error='expected an object with "scores"')
    rationale = payload.get("rationale")
    rationale = rationale.strip() if isinstance(rationale, str) else ""
    scores = {}
    for axis in axes:
        value = payload["scores"].get(axis.key)
        if isinstance(value, bool) or not isinstance(value, int):
            return ParseResult(PARSE_ERROR, error=f"{axis.key}: expected an integer, got {value!r}")
        error = range_error(axis, value)
        if error:
            return ParseResult(PARSE_ERROR, error=error)
        scores[axis.key] = value
    return ParseResult(OK, scores=scores, rationale=rationale)


def parse_lines(content, axes):
    text = unicodedata.normalize("NFKC", content)
    scores = {}
    for axis in axes:
        names = "|".join(re.escape(name) for name in {axis.label, axis.key} if name)
        pattern = re.compile(rf"^[ \t*#-]*(?:{names})[ \t*]*[:：][ \t*]*(-?\d+(?:\.\d+)?)[ \t*]*(?:点)?[ \t]*$",
                             re.MULTILINE | re.IGNORECASE)
        found = pattern.findall(text)
        if not found:
            return ParseResult(PARSE_ERROR, error=f"{axis.key}: no line '{axis.label}: <score>'")
        value, error = integer_in_range(axis, found[-1])
        if error:
            return ParseResult(PARSE_ERROR, error=error)
        scores[axis.key] = value
    return ParseResult(OK, scores=scores, rationale=rationale_of(content, axes))


def parse_brackets(content, axes):
    text = unicodedata.normalize("NFKC", content)
    found = BRACKET_SCORE.findall(text)
    if not found:
        return ParseResult(PARSE_ERROR, error="no [[score]] in the reply")
    axis = axes[0]
    value, error = integer_in_range(axis, found[-1])
    if error:
        return ParseResult(PARSE_ERROR, error=error)
    end = content.rfind("[[")
    before = content[:end] if end >= 0 else ""
    rationale = re.sub(r"(?:評価|rating)\s*[:：]?\s*$", "", before.strip(), flags=re.IGNORECASE).strip()
    return ParseResult(OK, scores={axis.key: value}, rationale=rationale)


def integer_in_range(axis, token):
    if not re.fullmatch(r"-?\d+", token):
        return None, f"{axis.key}: {token} is not an integer"
    value = int(token)
    return value, range_error(axis, value)


def range_error(axis, value):
    if not axis.min <= value <= axis.max:
        return f"{axis.key}: {value} is outside {axis.min}..{axis.max}"
    return ""


def rationale_of(text, axes):
    """The text after '理由:' (or 'rationale:') up to the first score line; else the text before it."""
    match = re.search(r"(?:理由|rationale)\s*[:：]\s*(.*)", text, flags=re.DOTALL | re.IGNORECASE)
    body = match.group(1) if match else text
    first_axis = re.compile(
        "^[ \t*#-]*(?:" + "|".join(re.escape(name) for axis in axes for name in (axis.label, axis.key)) + r")[ \t*]*[:：]",
        re.MULTILINE | re.IGNORECASE,
    )
    cut = first_axis.search(body)
    return (body[:cut.start()] if cut else body).strip()


def reads_as_refusal(content):
    head = content.strip().lower()[:200]
    return bool(head) and any(phrase in head for phrase in REFUSAL_PHRASES)
