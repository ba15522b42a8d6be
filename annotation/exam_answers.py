"""Exam answers: the choices of a question, its correct answer, reading an examinee's answer, scoring it.
Pure: no Django, no I/O.

An answer is a tuple of 1-based choice positions: ``(3,)`` for one choice, ``(5, 3)`` for two blanks.
A question's correct answer has a form (``SINGLE``, ``ORDERED`` blanks, an ``UNORDERED`` set such as
"choose the two wrong statements"); ``()`` means the source gives none: the question is unscorable and is
never scored.

Choices
- ``numbered_choices``: choices numbered as the center-examination-jp layout numbers them. Choice N's label is
  the mark-sheet label of position N (①–⑨, then 0, a, b, c, d, ..., as the Center Test's answer sheet names
  them). A leading label in the text is taken off, even where the source mislabels it (one record labels its
  sixth choice ⑤, another its tenth ◯０); surrounding whitespace and newlines are taken off too.
- ``choices_from_labels``: the gakucho layout, texts with their labels (["ア", "イ", ...]).
- ``answer_token``: what an examinee types or a model writes for a choice: the digit of a circled label
  (① → "1"), the label itself otherwise (ア, 0, a).

The correct answer is read from a source's record by annotation.exam_records. ``suggested_form`` gives the
form its text implies: "3" one choice; "3|5" or "3￨5" (bars) a set in any order; "5,3" blanks in order, unless
the question says 「解答の順序は問わない」 or 「順不同」 (the source writes "2,3" for one such question), which
makes a set. ``check_form`` refuses a form that does not fit the answer (one choice for two answers), wherever
a form is set: an import's record, the admin.

Reading a model's reply (``extract_answer``), after mapping circled digits (①–⑳, ⓪, ❶–❿, ➀–➉, ⓵–⓾) to
digits and NFKC (full-width digits, colons and letters become half-width):
0. A reasoning model's ``<think>…</think>`` block is left out: the answer is what follows it.
1. An answer marker: 答え, 答, 解答, 回答, 正解, 答案, 最終回答, 解答番号 ..., "Answer", "The final answer is",
   optionally numbered (答え1, 答え(2)), then ``:``, ``は``, ``→`` or a space (答えは、正解は), or LaTeX's
   ``\\boxed{…}``; then the answer: choice tokens separated by ``,``, ``、``, ``・``, ``/``, ``と``,
   ``および``, ``and`` or spaces, with brackets and Markdown emphasis around them allowed ("**答え：③と⑤**").
   A choice token is a number (the choice's position; the 10th may also be its label 0), or one of the
   choice labels (ア, イ, ...; a katakana label must not run on into a word: アルミニウム is not ア), perhaps
   after 選択肢 ("答え: 選択肢3"). After the marker, the exact text of a choice (its text without its label,
   compared after NFKC without spaces and final punctuation) is read as that choice.
2. The last marker that reads wins: a model that restates its answer is taken at its last word. For a
   question asking for n > 1 answers, when the last marker gives one answer, the trailing run of one-answer
   markers gives them in order ("答え1: 5 / 答え2: 3" → (5, 3)).
3. With no readable marker, the last non-empty line is read when it is nothing but an answer ("③",
   "**3**", "ア", "5, 3") or exactly a choice's text.
4. A bare number is always a choice number, even when some choice's text is that number (choices "①1",
   "③2": "答え: 2" is choice 2). A number outside the choices is not an answer.
Anything else is a parse failure (``Extraction.answer`` is None), never a guess.

``read_reply`` reads a reply by its output format (text, or JSON-schema output).

A JSON reply (``read_json_answer``) is ``{"answer": [...]}`` (a code fence tolerated) whose items are choice
numbers (integers or strings) or tokens as above; a reply that is not JSON is read as text.

Scoring (``answer_is_correct``) is exact: the same choice; the same blanks in the same order; the same
choices in any order for a set (as many as asked: (3, 3) is not (3, 5), (3, 5, 6) is not (3, 5)). It
returns None for an unscorable question or an unreadable answer: neither is ever counted as right or wrong
here (the report decides, and says so).
"""

import json
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from annotation.errors import FieldError

SINGLE, ORDERED, UNORDERED = "single", "ordered", "unordered"
ANSWER_FORMS = (SINGLE, ORDERED, UNORDERED)
OK, PARSE_ERROR = "ok", "parse_error"

# The Center Test's answer sheet names a question's choices ①–⑨, then 0 for the tenth and a, b, c, d for the 11th
# to 14th (center-examination-jp's texts start "０…", "ａ…"); a longer list, which no sheet has, goes on with e, f, ...
MARK_SHEET_LABELS = ("①", "②", "③", "④", "⑤", "⑥", "⑦", "⑧", "⑨", "0", *"abcdefghijklmnopqrstuvwxyz")
CIRCLED = {**{chr(0x2460 + n): str(n + 1) for n in range(20)},  # ①–⑳
           **{chr(0x2776 + n): str(n + 1) for n in range(10)},  # ❶–❿
           **{chr(0x2780 + n): str(n + 1) for n in range(10)},  # ➀–➉
           **{chr(0x24F5 + n): str(n + 1) for n in range(10)},  # ⓵–⓾
           "⓪": "0", "◯": ""}
ANSWER_SEPARATORS = r"[,，、|｜￨│]"  # between the choices of a correct answer as a source writes it
UNORDERED_SEPARATORS = ("|", "｜", "￨", "│")  # those of them that make a set in any order
ORDER_FREE_PHRASES = ("順序は問わない", "順番は問わない", "順不同")


class ExamAnswerError(FieldError):
    """A correct answer or a choice list that cannot be read; ``field`` names the record's field."""


@dataclass(frozen=True)
class Choice:
    label: str  # as shown: "①", "0", "ア"
    text: str  # without its label


@dataclass(frozen=True)
class Extraction:
    """An examinee's answer read from a reply: ``answer`` is None when nothing readable was found."""

    answer: tuple | None
    status: str = OK
    error: str = ""

    @property
    def parsed(self):
        return self.answer is not None


def failure(error):
    return Extraction(None, PARSE_ERROR, error)


# Choices ------------------------------------------------------------------------------------------------

def choice_label(labels, number):
    """How choice ``number`` (1-based) is named: by the exam's own ``labels`` (the gakucho layout's ア, イ, ...),
    else by the mark-sheet label of its position (MARK_SHEET_LABELS; beyond them, its number). The one naming
    of choices: the rating page, the prompt, the report and the release all show it."""
    if number <= len(labels):
        return labels[number - 1]
    return MARK_SHEET_LABELS[number - 1] if number <= len(MARK_SHEET_LABELS) else str(number)


def numbered_choices(texts):
    """Choices named by their position's mark-sheet label (①, ..., 0, a, ...), each text without its label."""
    return tuple(Choice(choice_label((), n), _without_label(text, n)) for n, text in enumerate(texts, start=1))


def _without_label(text, position):
    text = text.strip()
    if position <= 9:
        return re.sub(r"^[\u2460-\u2473]\s*", "", text)
    if position == 10:
        return re.sub(r"^(?:◯?[0０]|[⓪⑩])\s*", "", text)
    if position > len(MARK_SHEET_LABELS):
        return text
    label = MARK_SHEET_LABELS[position - 1]  # a letter, half- or full-width, not the start of a word: "ａ酵素"
    return re.sub(rf"^[{label}{label.upper()}{chr(ord(label) + 0xFEE0)}{chr(ord(label.upper()) + 0xFEE0)}]"
                  rf"(?![A-Za-zＡ-Ｚａ-ｚ])\s*", "", text)


def choices_from_labels(texts, labels, field="choices"):
    """Choices given as texts with their labels (the gakucho layout: ["…", ...], ["ア", "イ", ...])."""
    if len(texts) != len(labels) or not texts:
        raise ExamAnswerError(field, f"{len(texts)} choices but {len(labels)} labels")
    tokens = [_normal(label).strip() for label in labels]
    if any(not token for token in tokens) or len(set(tokens)) != len(tokens):
        raise ExamAnswerError(field, f"labels must be distinct and not empty: {', '.join(labels)}")
    return tuple(Choice(label.strip(), text.strip()) for label, text in zip(labels, texts))


def question_choices(texts, labels=()):
    """The choices of a stored question (ExamQuestion.choices and choice_labels): with the exam's own labels
    (the gakucho layout), else numbered as the center-examination-jp layout numbers them."""
    if labels:
        return choices_from_labels(list(texts), list(labels))
    return numbered_choices(list(texts))


def answer_token(choice):
    """What an examinee writes for ``choice``: "1" for ①, the label itself for ア, 0 or a."""
    return _normal(choice.label).strip()


def format_answer(answer, choices, form=SINGLE):
    """An answer for display: its choices' labels ("⑤, ③"; "③ / ⑤" for a set); "" for None or ()."""
    if not answer:
        return ""
    labels = [choices[position - 1].label if 0 < position <= len(choices) else str(position)
              for position in answer]
    return (" / " if form == UNORDERED else ", ").join(labels)


# The correct answer -------------------------------------------------------------------------------------

def suggested_form(value, question_text=""):
    """The form a correct answer's text implies: one part is SINGLE; parts joined by "|" (or a question that
    says 解答の順序は問わない / 順不同) UNORDERED; parts joined by "," ORDERED blanks."""
    text = str(value or "")
    if not re.search(ANSWER_SEPARATORS, text):
        return SINGLE
    if any(sign in text for sign in UNORDERED_SEPARATORS):
        return UNORDERED
    return UNORDERED if any(phrase in (question_text or "") for phrase in ORDER_FREE_PHRASES) else ORDERED


def check_form(form, correct, field="answer_form"):
    """``form`` if it fits the correct answer (SINGLE for one choice, ORDERED/UNORDERED for more); raises."""
    if form not in ANSWER_FORMS:
        raise ExamAnswerError(field, f"{form!r} is not one of {', '.join(ANSWER_FORMS)}")
    if correct and (form == SINGLE) != (len(correct) == 1):
        fits = "single" if len(correct) == 1 else "ordered or unordered"
        raise ExamAnswerError(field, f"{form} does not fit a correct answer of {len(correct)} choice"
                                     f"{'s' if len(correct) > 1 else ''} (give {fits})")
    return form


# Scoring -------------------------------------------------------------------------------------------------

def answer_is_correct(answer, correct, form):
    """Exact match; None when the question is unscorable (``correct`` is ()) or the answer unreadable (None)."""
    if not correct or answer is None:
        return None
    return same_answer(answer, correct, form)


def same_answer(first, second, form):
    """Whether two answers are the same in the question's terms (a set's order does not matter)."""
    if first is None or second is None:
        return False
    return sorted(first) == sorted(second) if form == UNORDERED else tuple(first) == tuple(second)


# Reading answers -----------------------------------------------------------------------------------------

def _normal(text):
    text = "".join(CIRCLED.get(char, char) for char in text or "")
    return unicodedata.normalize("NFKC", text)


def named_choice(text, choices):
    """The position of the choice ``text`` names as a source writes it (a label: ③, ア, ｱ, a; or a number), or
    None (a source's "other answer", "no answer")."""
    return token_position(_normal(text).strip(), choices)


def token_position(token, choices):
    """The position of one choice token (a label, or a number among the choices), or None."""
    for position, choice in enumerate(choices, start=1):
        if token == answer_token(choice) or (token.isascii() and token.lower() == answer_token(choice).lower()):
            return position
    if token.isdigit() and 0 < int(token) <= len(choices):
        return int(token)
    return None


H = r"[^\S\n]"  # horizontal space: an answer never runs on to the next line
# Possessive (*+) so that a long run of spaces or brackets is read one way only: no backtracking blow-up.
OPEN = rf"(?:{H}|[*_`「『【\[(〔<{{$]|\\text\{{|選択肢(?:番号)?|No\.?)*+"
CLOSE = rf"(?:{H}|[*_`」』】\])〕>}}$])*+"
JOINER = r"(?:,|、|・|/|と|および|及び|&|and)"
# Between two tokens: something must follow the first (3a is not 3 and a), then closing marks, a joiner, opening marks.
GAP = rf"(?=[,、・/と及お&*_`」』】\])〕>}}$]|{H}|and){CLOSE}(?:{JOINER})?{OPEN}"
MARKER = re.compile(r"(?:(?:最終的な|最終)?(?:答え|答案|答|解答|回答|正解)(?:番号)?"
                    r"|(?i:(?:the\s+)?(?:final\s+)?answer(?:\s+is)?))"
                    r"(?:\s*\(?\s*\d{1,2}\s*\)?(?=[\s*_]*[:=]))?"  # a numbered marker: 答え1: 5, 答え(2): 3
                    r"(?:[*_]*+[^\S\n]*+(?:は|:|=|→)|(?=\s))[\s*_:、,]*+"
                    r"|\\boxed\s*\{")
MARKER_READS = 300  # characters read after a marker: an answer, or a choice's text, is shorter
THINKING = re.compile(r"<think>.*?(?:</think>|$)", re.DOTALL)
ANSWER_END = r"(?!\.?\d|つ|個|倍|%|℃|回|本|枚|人|年|月|日|点|分|秒)"


class _Reader:
    """The answer patterns for one question's choices."""

    def __init__(self, choices):
        self.choices = choices
        words = sorted({answer_token(choice) for choice in choices if not answer_token(choice).isdigit()},
                       key=len, reverse=True)
        labels = [re.escape(word) + (r"(?![ァ-ヶー])" if re.fullmatch(r"[ァ-ヶー]+", word) else
                                     r"(?![A-Za-z])" if word.isascii() else "") for word in words]
        self.token = re.compile("(?:" + "|".join([r"\d{1,2}(?!\d)"] + labels) + ")", re.IGNORECASE)
        self.gap = re.compile(GAP, re.IGNORECASE)
        tokens = rf"{self.token.pattern}(?:{GAP}{self.token.pattern})*"
        self.leading = re.compile(rf"{OPEN}({tokens}){CLOSE}(?:番)?{ANSWER_END}", re.IGNORECASE)
        self.whole = re.compile(rf"{OPEN}({tokens}){CLOSE}(?:番)?(?:です)?[。.]?{H}*+", re.IGNORECASE)

    def answer_list(self, text, whole=False):
        """The choice positions ``text`` starts with (is nothing but, when ``whole``), or None."""
        match = (self.whole.fullmatch if whole else self.leading.match)(text)
        if not match:
            return None
        positions = tuple(token_position(token, self.choices) for token in self.tokens(match.group(1)))
        return None if None in positions else positions

    def tokens(self, listed):
        """The tokens of a matched list, in order (``listed`` is tokens and gaps only)."""
        found, at = [], 0
        while at < len(listed):
            token = self.token.match(listed, at)
            found.append(token.group())
            at = self.gap.match(listed, token.end()).end() if token.end() < len(listed) else token.end()
        return found

    def choice_text(self, text):
        """The position of the choice whose text ``text`` is exactly (spaces and final punctuation aside)."""
        wanted = _compact(text)
        found = [position for position, choice in enumerate(self.choices, start=1)
                 if wanted and _compact(choice.text) == wanted]
        return found[0] if len(found) == 1 else None

    def after_marker(self, rest):
        line = rest.lstrip().split("\n", 1)[0]
        whole = self.answer_list(line, whole=True)  # a number is a choice number before it is a choice's text
        position = None if whole else self.choice_text(line)
        return whole or ((position,) if position is not None else self.answer_list(rest))

    def last_line(self, text):
        lines = [line for line in text.splitlines() if line.strip()]
        last = lines[-1].strip() if lines else ""
        whole = self.answer_list(last, whole=True)
        position = None if whole else self.choice_text(last)
        return whole or ((position,) if position is not None else None)


def _compact(text):
    text = re.sub(r"\s+", "", _normal(text))
    text = re.sub(r"^[*_`「『【]+", "", text)
    text = re.sub(r"(?:です)?[。.!！]*$", "", text)
    return re.sub(r"[*_`」』】]+$", "", text)


def extract_answer(text, choices, count=1):
    """Read an examinee's answer from a model's reply (the rules in the module docstring)."""
    text = THINKING.sub("", _normal(text))
    if not text.strip():
        return failure("the reply is empty (or only thinking)")
    reader = _Reader(choices)
    read = [answer for answer in (reader.after_marker(text[match.end():match.end() + MARKER_READS])
                                  for match in MARKER.finditer(text)) if answer]
    answer = _last_answer(read, count) if read else reader.last_line(text)
    if answer:
        return Extraction(answer)
    return failure(f"no answer found: expected a line '答え: N' with N among {_tokens(choices)}")


def _tokens(choices):
    return ", ".join(answer_token(choice) for choice in choices)


def _last_answer(read, count):
    if count <= 1 or len(read[-1]) != 1:
        return read[-1]
    singles = []
    for answer in reversed(read):
        if len(answer) != 1 or len(singles) == count:
            break
        singles.insert(0, answer[0])
    return tuple(singles)


FENCE = re.compile(r"^```(?:json)?\s*(.*?)\s*```$", re.DOTALL)


def read_json_answer(content, choices, count=1):
    """A JSON-schema reply ``{"answer": [...]}`` (see module docstring); text that is not JSON is read as text."""
    text = (content or "").strip()
    fenced = FENCE.match(text)
    try:
        payload = json.loads(fenced.group(1) if fenced else text)
    except json.JSONDecodeError:
        return extract_answer(content or "", choices, count)
    items = payload.get("answer") if isinstance(payload, dict) else None
    if isinstance(items, (str, int)) and not isinstance(items, bool):
        items = [items]
    if not isinstance(items, list) or not items:
        return failure('expected {"answer": [choice, ...]} with at least one choice')
    positions = tuple(_json_item(item, choices) for item in items)
    if None in positions:
        return failure(f"answer {items!r}: not all are among the {len(choices)} choices")
    return Extraction(positions)


def read_reply(content, choices, count=1, output_format="text"):
    """A model's reply read as its output format says: ``json_schema`` by read_json_answer, ``text`` (anything
    else) by extract_answer. The one reading of a model's answer, whether a generation job asked for it or it was
    imported (annotation.services.exam_answers)."""
    read = read_json_answer if output_format == "json_schema" else extract_answer
    return read(content or "", choices, count)


def _json_item(item, choices):
    if isinstance(item, bool) or not isinstance(item, (int, str)):
        return None
    token = _normal(str(item)).strip().strip("[]()「」")
    position = token_position(token, choices)
    return position if position is not None else _Reader(choices).choice_text(token)
