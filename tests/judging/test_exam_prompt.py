"""The built-in exam prompt: what a model is asked, the JSON schema, figures as image parts, reading the reply."""

import base64
import json

import pytest

from annotation.exam_answers import ORDERED, UNORDERED, choices_from_labels, numbered_choices
from judging.exam_prompt import (
    Figure, exam_answer_parse, exam_messages, exam_response_format, figure_media_type,
    image_part,
)

CENTER = numbered_choices(["①セルロース", "②エタノール", "③スクロース"])
KANA = choices_from_labels(["赤", "青"], ["ア", "イ"])
PNG = Figure("Center-1993--Main-Kagaku-001.png", "image/png", b"\x89PNG\r\n\x1a\nfigure")


def user_content(**options):
    messages = exam_messages(text="次のうちから正しいものを選べ。", choices=CENTER, **options)
    assert [message["role"] for message in messages] == ["system", "user"]
    return messages[1]["content"]


def test_the_question_and_its_choices_as_given_and_the_answer_line_asked_for():
    content = user_content()
    assert "次のうちから正しいものを選べ。" in content
    assert "①セルロース\n②エタノール\n③スクロース" in content
    assert "答えは一つです" in content and "「答え: N」" in content and "① なら 1" in content


def test_labelled_choices_are_answered_with_their_labels():
    content = exam_messages(text="色は?", choices=KANA)[1]["content"]
    assert "ア 赤\nイ 青" in content and "例: 答え: ア" in content and "なら" not in content


@pytest.mark.parametrize("form, phrase", [(ORDERED, "空欄の順に"), (UNORDERED, "順序は問いません")])
def test_two_answers_are_asked_for_both_in_the_question_s_terms(form, phrase):
    content = user_content(answer_count=2, form=form)
    assert "答えは2つです" in content and phrase in content and "「答え: N, M」" in content


def test_figures_are_image_parts_after_the_text_as_data_urls():
    content = user_content(figures=[PNG, Figure("b.jpg", "image/jpeg", b"\xff\xd8jpeg")])
    assert [part["type"] for part in content] == ["text", "image_url", "image_url"]
    assert "添付した画像" in content[0]["text"]
    url = content[1]["image_url"]["url"]
    assert url.startswith("data:image/png;base64,")
    assert base64.b64decode(url.split(",", 1)[1]) == PNG.data
    assert content[2]["image_url"]["url"].startswith("data:image/jpeg;base64,")


def test_without_figures_the_message_is_plain_text_and_does_not_mention_them():
    assert isinstance(user_content(), str) and "画像" not in user_content()


def test_image_part_and_media_types():
    assert image_part(PNG) == {"type": "image_url",
                               "image_url": {"url": "data:image/png;base64," + base64.b64encode(PNG.data).decode()}}
    assert [figure_media_type(name) for name in ("a.png", "b.JPG", "c.jpeg", "d.gif", "e.webp", "f.svg", "g.txt")] == [
        "image/png", "image/jpeg", "image/jpeg", "image/gif", "image/webp", None, None]


def test_json_schema_output_limits_the_answers_to_the_choices_tokens():
    response_format = exam_response_format(CENTER, "json_schema")
    schema = response_format["json_schema"]["schema"]
    assert response_format["json_schema"]["strict"] is True
    assert schema["required"] == ["reasoning", "answer"]
    assert schema["properties"]["answer"]["items"]["enum"] == ["1", "2", "3"]
    assert exam_response_format(CENTER, "text") is None
    assert '"answer"' in user_content(output_format="json_schema")


def test_reading_text_and_json_replies():
    assert exam_answer_parse(content="理由…\n答え: ②", choices=CENTER).answer == (2,)
    reply = json.dumps({"reasoning": "…", "answer": ["3", "1"]})
    extraction = exam_answer_parse(content=reply, choices=CENTER, answer_count=2, output_format="json_schema")
    assert extraction.answer == (3, 1)


@pytest.mark.parametrize("options, status", [
    ({"content": "答え: 2", "finish_reason": "length"}, "truncated"),
    ({"content": "", "refusal": "I cannot help"}, "refused"),
    ({"content": "答え: 2", "finish_reason": "content_filter"}, "refused"),
    ({"content": "申し訳ありませんが、お答えできません。"}, "refused"),
    ({"content": "よくわからない"}, "parse_error"),
])
def test_truncated_refused_and_unreadable_replies_carry_no_answer(options, status):
    extraction = exam_answer_parse(choices=CENTER, **options)
    assert (extraction.status, extraction.answer) == (status, None) and extraction.error

