"""The built-in Japanese exam prompt: the request a generation job sends for one exam question, and reading
the model's answer out of the reply. Pure: no Django, no I/O (figures come in as bytes).

The prompt shows the question text and its choices as the source gives them ("①セルロース", "ア　赤"),
says how many answers are asked (and, for two or more, whether in the order of the blanks or in any order),
and asks the model to reason briefly and end with a line 「答え: N」 (「答え: N, M」 for two answers), N being
the choice's token (annotation.exam_answers.answer_token: 1 for ①, ア for ア).

- ``text`` output: the reply is read by annotation.exam_answers.extract_answer (the last answer given wins;
  nothing readable is a parse failure); both outputs are read by annotation.exam_answers.read_reply.
- ``json_schema`` output, for endpoints that support it: a strict schema ``{"reasoning": str, "answer":
  [token, ...]}`` whose items are limited to the choices' tokens; the reply is read by read_json_answer. The
  schema does not fix the number of answers (strict schemas may not allow minItems): a wrong number is simply
  scored wrong.
- Figures, for endpoints that accept images: each figure is an image part (a data URL) after the text, in the
  order given; the text then says that the figures are attached. Without figures the message is plain text.

A truncated reply (finish_reason ``length``) or a refusal is typed as such, never read as an answer.
Bump EXAM_PROMPT_VERSION whenever the text, the schema or the reading changes: it belongs in the cache key.
"""

import base64
import mimetypes
from dataclasses import dataclass

from annotation.exam_answers import (
    ORDERED, SINGLE, UNORDERED, Extraction, answer_token, read_reply,
)
from judging.parsing import REFUSED, TRUNCATED, reads_as_refusal

EXAM_PROMPT_VERSION = "1"
TEMPLATE = "exam"
IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")

SYSTEM = "あなたは試験問題に解答する受験者です。問題をよく読み、正しい選択肢を選んでください。"


@dataclass(frozen=True)
class Figure:
    name: str
    media_type: str  # one of IMAGE_TYPES
    data: bytes


def figure_media_type(name):
    """The image type of a figure file by its name (``Center-1993--Main-Kagaku-001.png`` → image/png), or None."""
    media_type, _ = mimetypes.guess_type(name)
    return media_type if media_type in IMAGE_TYPES else None


def image_part(figure):
    """A Chat Completions image part carrying ``figure`` as a data URL."""
    encoded = base64.b64encode(figure.data).decode("ascii")
    return {"type": "image_url", "image_url": {"url": f"data:{figure.media_type};base64,{encoded}"}}


def exam_messages(*, text, choices, answer_count=1, form=SINGLE, output_format="text", figures=()):
    """The chat messages asking one question; ``choices`` are annotation.exam_answers.Choice values."""
    body = user_text(text, choices, answer_count, form, output_format, bool(figures))
    content = [{"type": "text", "text": body}] + [image_part(figure) for figure in figures] if figures else body
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": content}]


def user_text(text, choices, answer_count, form, output_format, with_figures=False):
    parts = [f"[問題]\n{text.strip()}"]
    if with_figures:
        parts.append("問題の図は、このメッセージに添付した画像です（添付の順に図1、図2、…）。")
    parts.append("[選択肢]\n" + "\n".join(choice_line(choice) for choice in choices))
    parts.append(answer_instruction(choices, answer_count, form, output_format))
    return "\n\n".join(parts)


def choice_line(choice):
    separator = "" if choice.label in "①②③④⑤⑥⑦⑧⑨" else " "
    return f"{choice.label}{separator}{choice.text}"


def answer_instruction(choices, answer_count, form, output_format):
    tokens = [answer_token(choice) for choice in choices]
    what = how_many(answer_count, form) + circled_note(choices)
    if output_format == "json_schema":
        example = ", ".join(f'"{token}"' for token in tokens[:max(answer_count, 1)])
        return (f"{what}考え方を reasoning に簡潔に書き、選んだ選択肢の記号（{'、'.join(tokens)} のいずれか）を "
                f'answer に入れて、次の形のJSONだけを出力してください: {{"reasoning": "...", "answer": [{example}]}}')
    example = ", ".join(tokens[:max(answer_count, 1)])
    return (f"{what}考え方を簡潔に述べてから、最後の行に「答え: {'N, M' if answer_count == 2 else 'N'}」の形で答えを"
            f"書いてください。N は選択肢の記号（{'、'.join(tokens)} のいずれか）です。例: 答え: {example}")


def circled_note(choices):
    circled = [choice for choice in choices if choice.label != answer_token(choice)]
    if not circled:
        return ""
    return f"選択肢の記号は {circled[0].label} なら {answer_token(circled[0])} のように数字で書いてください。"


def how_many(answer_count, form):
    if answer_count <= 1:
        return "答えは一つです。"
    if form == UNORDERED:
        return f"答えは{answer_count}つです（順序は問いません）。"
    if form == ORDERED:
        return f"答えは{answer_count}つです。空欄の順に書いてください。"
    return f"答えは{answer_count}つです。"


def exam_json_schema(choices):
    """A strict schema: reasoning first, then the answers, each one of the choices' tokens."""
    return {
        "type": "object",
        "properties": {
            "reasoning": {"type": "string"},
            "answer": {"type": "array", "items": {"type": "string", "enum": [answer_token(c) for c in choices]}},
        },
        "required": ["reasoning", "answer"],
        "additionalProperties": False,
    }


def exam_response_format(choices, output_format):
    """The ``response_format`` of the request: a strict JSON schema for ``json_schema`` output, else None."""
    if output_format != "json_schema":
        return None
    return {"type": "json_schema", "json_schema": {"name": "exam_answer", "strict": True,
                                                   "schema": exam_json_schema(choices)}}


def exam_answer_parse(*, content, choices, answer_count=1, output_format="text", finish_reason="stop", refusal=None):
    """The model's answer (an annotation.exam_answers.Extraction); status ``ok``, ``parse_error``,
    ``truncated`` or ``refused`` (the last two never carry an answer)."""
    if finish_reason == "length":
        return Extraction(None, TRUNCATED, "the reply stopped at max tokens")
    if refusal or finish_reason == "content_filter":
        return Extraction(None, REFUSED, (refusal or "the endpoint's content filter stopped the reply")[:500])
    extraction = read_reply(content, choices, answer_count, output_format)
    if not extraction.parsed and reads_as_refusal(content or ""):
        return Extraction(None, REFUSED, "the reply reads as a refusal")
    return extraction
