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
MT-Bench the last ``[[n]]``. Full-width digits count as digits.

Pairwise replies (``pair_verdict_parse``) become a verdict only when they name exactly one of the verdict
markers offered: JSON ``{"rationale": str, "verdict": marker}``, or text holding ``[[marker]]`` (repeating
the same marker is fine). No marker, two different markers (ambiguous) or a marker outside the set is a
parse error, never a verdict. The verdict returned is about the order shown (A is the first shown).

Checklist answers (``parse_checks``, when the prompt has a checklist of n questions): JSON
``"checklist": [bool] * n`` (for a pair ``{"A": [...], "B": [...]}``), or text lines ``チェックi: はい|いいえ``
(``チェックiA``/``チェックiB`` for a pair; yes/no accepted too; the last line for a question wins). Every
question needs an answer, else the whole reply is a parse error. Bump PARSER_VERSION when any rule here
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
BRACKET_MARKER = re.compile(r"\[\[\s*([^\[\]\s]{1,20})\s*\]\]")
BRACKET_SCORE = re.compile(r"\[\[\s*(-?\d+(?:\.\d+)?)\s*\]\]")
FENCE = re.compile(r"^```(?:json)?\s*(.*?)\s*```$", re.DOTALL)


@dataclass(frozen=True)
class ParseResult:
    status: str
    scores: dict = field(default_factory=dict)  # axis key -> int, only when status is ok
    rationale: str = ""
    error: str = ""
    verdict: str = ""  # pairwise: the verdict in the order shown, only when status is ok
    checks: tuple = ()  # (question number from 1, side "" or A/B in the order shown, answer) when ok


def verdict_parse(*, content, axes, output_format, text_style="lines", finish_reason="stop", refusal=None):
    """Read the scores of one reply; ``axes`` are judging.prompts.Axis values."""
    if output_format == "json_schema":
        parse = parse_json
    elif text_style == "brackets":
        parse = parse_brackets
    else:
        parse = parse_lines
    return _read(content, finish_reason, refusal, lambda text: parse(text, axes))


def pair_verdict_parse(*, content, markers, output_format, finish_reason="stop", refusal=None):
    """Read a pairwise verdict; ``markers`` maps each marker offered to its verdict ({"A": "A", "C": "tie"})."""
    parse = _pair_json if output_format == "json_schema" else _pair_markers
    return _read(content, finish_reason, refusal, lambda text: parse(text, markers))


def _read(content, finish_reason, refusal, parse):
    """What every reply goes through: a truncated or refused reply is typed as such before ``parse`` reads the
    text; an unparseable reply that reads as a refusal is a refusal."""
    content = content or ""
    if finish_reason == "length":
        return ParseResult(TRUNCATED, error="the reply stopped at max tokens")
    if refusal or finish_reason == "content_filter":
        return ParseResult(REFUSED, error=(refusal or "the endpoint's content filter stopped the reply")[:500])
    result = parse(content)
    if result.status == PARSE_ERROR and reads_as_refusal(content):
        return ParseResult(REFUSED, error="the reply reads as a refusal")
    return result


def _pair_json(content, markers):
    text = content.strip()
    fenced = FENCE.match(text)
    try:
        payload = json.loads(fenced.group(1) if fenced else text)
    except json.JSONDecodeError as error:
        return ParseResult(PARSE_ERROR, error=f"not JSON: {error.msg} at {error.pos}")
    if not isinstance(payload, dict) or not isinstance(payload.get("verdict"), str):
        return ParseResult(PARSE_ERROR, error='expected an object with a "verdict" string')
    marker = unicodedata.normalize("NFKC", payload["verdict"]).strip().strip("[]").strip().upper()
    if marker not in markers:
        return ParseResult(PARSE_ERROR, error=f"verdict {payload['verdict']!r} is not one of {', '.join(markers)}")
    rationale = payload.get("rationale")
    return ParseResult(OK, verdict=markers[marker], rationale=rationale.strip() if isinstance(rationale, str) else "")


def _pair_markers(content, markers):
    text = unicodedata.normalize("NFKC", content)
    found = [token.upper() for token in BRACKET_MARKER.findall(text)]
    offered = ", ".join(f"[[{marker}]]" for marker in markers)
    if not found:
        return ParseResult(PARSE_ERROR, error=f"no verdict marker ({offered}) in the reply")
    outside = [token for token in found if token not in markers]
    if outside:
        return ParseResult(PARSE_ERROR, error=f"[[{outside[0]}]] is not one of {offered}")
    if len(set(found)) > 1:
        named = ", ".join(f"[[{token}]]" for token in dict.fromkeys(found))
        return ParseResult(PARSE_ERROR, error=f"ambiguous verdict: the reply names {named}")
    rationale = text[:text.find("[[")].strip()
    return ParseResult(OK, verdict=markers[found[0]], rationale=re.sub(r"(?:判定|verdict)\s*[:：]?\s*$", "", rationale,
                                                                      flags=re.IGNORECASE).strip())


YES, NO = ("はい", "yes", "y", "true"), ("いいえ", "no", "n", "false")


def parse_checks(content, count, output_format, sides=("",)):
    """The answers to a checklist of ``count`` questions, for each of ``sides``; (checks, "") or ((), error)."""
    if output_format == "json_schema":
        return _json_checks(content, count, sides)
    text = unicodedata.normalize("NFKC", content or "")
    checks = []
    for number in range(1, count + 1):
        for side in sides:
            pattern = re.compile(rf"^[ \t*#-]*(?:チェック|check)\s*{number}\s*{side}[ \t*]*[:：][ \t*]*(\S+?)[ \t*。.]*$",
                                 re.MULTILINE | re.IGNORECASE)
            found = pattern.findall(text)
            if not found:
                return (), f"checklist {number}{side}: no line 'チェック{number}{side}: はい|いいえ'"
            answer = found[-1].lower()
            if answer not in YES + NO:
                return (), f"checklist {number}{side}: {found[-1]!r} is neither はい nor いいえ"
            checks.append((number, side, answer in YES))
    return tuple(checks), ""


def _json_checks(content, count, sides):
    text = (content or "").strip()
    fenced = FENCE.match(text)
    try:
        payload = json.loads(fenced.group(1) if fenced else text)
    except json.JSONDecodeError as error:
        return (), f"not JSON: {error.msg} at {error.pos}"
    answers = payload.get("checklist") if isinstance(payload, dict) else None
    by_side = {"": answers} if sides == ("",) else answers if isinstance(answers, dict) else {}
    checks = []
    for side in sides:
        values = by_side.get(side)
        if not isinstance(values, list) or len(values) != count or not all(isinstance(v, bool) for v in values):
            where = f"checklist.{side}" if side else "checklist"
            return (), f"{where}: expected {count} true/false answers, got {values!r}"
        checks += [(number, side, value) for number, value in enumerate(values, start=1)]
    return tuple(sorted(checks)), ""


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


NUMBERED_LINE = re.compile(r"^\s*(\d+)\s*[.)．、:：]\s*(.*?)\s*$")


def checklist_parse(*, content, output_format, fewest, most, finish_reason="stop", refusal=None):
    """A checklist a judge wrote: ``fewest`` to ``most`` distinct, non-empty questions, as JSON
    ``{"checklist": [str, ...]}`` or numbered lines ``1. question`` (numbered 1, 2, 3, ... and nothing else
    on a numbered line's place). Returns a ParseResult whose ``checks`` are the questions when ok."""
    content = content or ""
    if finish_reason == "length":
        return ParseResult(TRUNCATED, error="the reply stopped at max tokens")
    if refusal or finish_reason == "content_filter":
        return ParseResult(REFUSED, error=(refusal or "the endpoint's content filter stopped the reply")[:500])
    if output_format == "json_schema":
        questions, error = _json_questions(content)
    else:
        questions, error = _numbered_questions(content)
    if not error:
        error = _questions_error(questions, fewest, most)
    if error:
        return ParseResult(REFUSED, error="the reply reads as a refusal") if reads_as_refusal(content) else \
            ParseResult(PARSE_ERROR, error=error)
    return ParseResult(OK, checks=tuple(questions))


def _json_questions(content):
    text = content.strip()
    fenced = FENCE.match(text)
    try:
        payload = json.loads(fenced.group(1) if fenced else text)
    except json.JSONDecodeError as error:
        return [], f"not JSON: {error.msg} at {error.pos}"
    questions = payload.get("checklist") if isinstance(payload, dict) else None
    if not isinstance(questions, list) or not all(isinstance(question, str) for question in questions):
        return [], 'expected an object with a "checklist" list of strings'
    return [question.strip() for question in questions], ""


def _numbered_questions(content):
    numbered = [match for line in content.splitlines() if (match := NUMBERED_LINE.match(line))]
    numbers = [int(match.group(1)) for match in numbered]
    if numbers != list(range(1, len(numbers) + 1)):
        return [], f"the questions are not numbered 1, 2, 3, ... (found {numbers})"
    return [match.group(2) for match in numbered], ""


def _questions_error(questions, fewest, most):
    if not fewest <= len(questions) <= most:
        return f"expected {fewest} to {most} questions, got {len(questions)}"
    if any(not question for question in questions):
        return "a question is empty"
    if len(set(questions)) != len(questions):
        return "a question is repeated"
    if any(len(question) > 500 for question in questions):
        return "a question is longer than 500 characters"
    return ""
