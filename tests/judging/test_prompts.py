"""The built-in templates, the requests they make and the cache key (pure: no database)."""

import pytest

from judging.prompts import (
    Axis, Conversation, PairConversation, TEMPLATES, approximate_tokens, cache_key, json_schema, request_seed,
    template_for, verdict_in_item_terms, verdict_markers,
)

QUALITY = (
    Axis("relevance", "関連性", "質問に答えているか", 1, 5, ((1, "答えていない"), (5, "的確"))),
    Axis("overall", "総合評価", "総合的な評価", 1, 5),
)
MT_BENCH = (Axis("score", "評価", "", 1, 10),)
SPEC = {"base_url": "http://127.0.0.1:9/v1/", "model": "m", "template": "quality", "template_version": 1,
        "temperature": 0.0, "seed": 7, "max_tokens": 512, "output_format": "json_schema"}


def user_message(template, axes, conversation, output_format="text"):
    return TEMPLATES[template].render(axes, conversation, output_format)[-1]["content"]


def test_quality_shows_every_axis_with_its_points_the_question_and_the_answer():
    text = user_message("quality", QUALITY, Conversation(("日本一高い山は？",), ("富士山です。",), reference="富士山"))
    assert "- 関連性（relevance、1〜5）: 質問に答えているか" in text and "  5: 的確" in text
    assert "[質問]\n日本一高い山は？" in text and "[応答]\n富士山です。" in text and "[参考回答]\n富士山" in text
    assert text.rstrip().endswith("総合評価: <1〜5の整数>")


def test_mt_bench_single_multi_turn_and_reference_variants():
    single = user_message("mt-bench", MT_BENCH, Conversation(("質問",), ("回答",)))
    assert "[[評価]]" in single and "[アシスタントの回答の開始]\n回答" in single and "参考回答" not in single
    two_turns = user_message("mt-bench", MT_BENCH, Conversation(("Q1", "Q2"), ("A1", "A2")))
    assert "2番目の質問" in two_turns and "### ユーザー:\nQ2\n\n### アシスタントA:\nA2" in two_turns
    with_reference = user_message("mt-bench", MT_BENCH, Conversation(("計算して",), ("42",), reference="41"))
    assert "参考回答を比較" in with_reference and "[参考回答の開始]\n41" in with_reference


@pytest.mark.parametrize("template, axes, fits", [
    ("quality", QUALITY, True), ("safety", QUALITY, False), ("safety", MT_BENCH[:1], True),
    ("mt-bench", MT_BENCH, True), ("mt-bench", QUALITY, False), ("quality", (), False),
])
def test_templates_say_which_rubrics_they_can_judge(template, axes, fits):
    assert (TEMPLATES[template].check(axes) is None) == fits


def test_the_schema_limits_each_axis_to_its_points_and_asks_for_the_rationale_first():
    schema = json_schema(MT_BENCH)
    assert list(schema["properties"]) == ["rationale", "scores"]
    assert schema["properties"]["scores"]["properties"]["score"] == {"type": "integer", "enum": list(range(1, 11))}
    assert schema["additionalProperties"] is False and schema["required"] == ["rationale", "scores"]


def test_the_cache_key_covers_what_decides_the_answer_and_nothing_else():
    messages = [{"role": "user", "content": "x"}]
    key = cache_key(spec=SPEC, messages=messages, sample=0, reask=0, parser_version="1")
    assert key == cache_key(spec={**SPEC, "base_url": "http://127.0.0.1:9/v1"}, messages=messages, sample=0, reask=0,
                            parser_version="1")
    changed = [
        cache_key(spec={**SPEC, "template_version": 2}, messages=messages, sample=0, reask=0, parser_version="1"),
        cache_key(spec={**SPEC, "temperature": 0.5}, messages=messages, sample=0, reask=0, parser_version="1"),
        cache_key(spec={**SPEC, "model": "n"}, messages=messages, sample=0, reask=0, parser_version="1"),
        cache_key(spec=SPEC, messages=[{"role": "user", "content": "y"}], sample=0, reask=0, parser_version="1"),
        cache_key(spec=SPEC, messages=messages, sample=1, reask=0, parser_version="1"),
        cache_key(spec=SPEC, messages=messages, sample=0, reask=1, parser_version="1"),
        cache_key(spec=SPEC, messages=messages, sample=0, reask=0, parser_version="2"),
    ]
    assert key not in changed and len(set(changed)) == len(changed)


def test_each_sample_and_reask_gets_its_own_seed():
    assert [request_seed(7, sample, 0) for sample in range(3)] == [7, 8, 9]
    assert request_seed(7, 0, 1) == 1007 and request_seed(None, 2, 1) is None


def test_an_unknown_template_version_cannot_be_rendered():
    assert template_for("quality", 1) is not None and template_for("quality", 99) is None and template_for("x") is None


def test_token_estimates_count_japanese_characters_and_ascii_words():
    assert approximate_tokens([{"content": "日本語"}]) == 4 + 3
    assert approximate_tokens([{"content": "a" * 40}]) == 4 + 10


def test_pairwise_markers_follow_the_rubrics_verdicts_and_verdicts_return_to_the_items_terms():
    assert verdict_markers(("A", "B", "tie")) == {"A": "A", "B": "B", "C": "tie"}
    assert verdict_markers(("B", "A", "both", "neither")) == {"A": "A", "B": "B", "C": "both", "D": "neither"}
    assert [verdict_in_item_terms(shown, "AB") for shown in ("A", "B", "tie")] == ["A", "B", "tie"]
    assert [verdict_in_item_terms(shown, "BA") for shown in ("A", "B", "both", "neither")] == ["B", "A", "both",
                                                                                            "neither"]


def test_the_pairwise_template_shows_both_answers_the_reference_and_the_verdicts():
    pairwise = TEMPLATES["pairwise"]
    text = pairwise.render(("A", "B", "tie"), PairConversation(("日本一高い山は？",), ("富士山",), ("北岳",),
                                                                reference="富士山"), "text")[-1]["content"]
    assert text.index("[アシスタントAの回答の開始]\n富士山") < text.index("[アシスタントBの回答の開始]\n北岳")
    assert "[参考回答の開始]\n富士山" in text and "前提条件" not in text
    assert "「[[C]]」: 引き分け" in text and text.rstrip().endswith("[アシスタントBの回答の終了]")
    assert pairwise.kind == "pairwise" and pairwise.check(("A", "B", "tie")) is None
    assert pairwise.check(QUALITY) is not None and TEMPLATES["quality"].kind == "likert"
    schema = pairwise.response_format(("A", "B", "both", "neither"), "json_schema")["json_schema"]["schema"]
    assert schema["properties"]["verdict"]["enum"] == ["A", "B", "C", "D"] and schema["required"] == ["rationale",
                                                                                                      "verdict"]
