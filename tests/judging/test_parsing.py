"""Strict parsing of judge replies (pure: no database)."""

import json

import pytest

from judging.parsing import checklist_parse, pair_verdict_parse, parse_checks, verdict_parse
from judging.prompts import Axis

QUALITY = (
    Axis("relevance", "関連性", "", 1, 5), Axis("fluency", "流暢性", "", 1, 5), Axis("overall", "総合評価", "", 1, 5),
)
MT_BENCH = (Axis("score", "評価", "", 1, 10),)


def parse_json(payload, **options):
    content = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)
    return verdict_parse(content=content, axes=QUALITY, output_format="json_schema", **options)


def parse_text(content, axes=QUALITY, style="lines", **options):
    return verdict_parse(content=content, axes=axes, output_format="text", text_style=style, **options)


class TestJson:
    def test_scores_and_rationale(self):
        result = parse_json({"rationale": "的確", "scores": {"relevance": 5, "fluency": 4, "overall": 4}})
        assert (result.status, result.scores, result.rationale) == ("ok", {"relevance": 5, "fluency": 4, "overall": 4}, "的確")

    def test_a_code_fence_is_tolerated(self):
        fenced = '```json\n{"rationale": "", "scores": {"relevance": 1, "fluency": 1, "overall": 1}}\n```'
        assert parse_json(fenced).status == "ok"

    @pytest.mark.parametrize("scores, error", [
        ({"relevance": 5, "fluency": 4}, "overall: expected an integer, got None"),
        ({"relevance": 6, "fluency": 4, "overall": 4}, "relevance: 6 is outside 1..5"),
        ({"relevance": "5", "fluency": 4, "overall": 4}, "relevance: expected an integer"),
        ({"relevance": True, "fluency": 4, "overall": 4}, "relevance: expected an integer"),
        ({"relevance": 4.5, "fluency": 4, "overall": 4}, "relevance: expected an integer"),
    ])
    def test_a_missing_out_of_range_or_non_integer_score_is_a_parse_error(self, scores, error):
        result = parse_json({"rationale": "", "scores": scores})
        assert result.status == "parse_error" and error in result.error and result.scores == {}

    def test_text_where_json_was_asked_is_a_parse_error(self):
        assert parse_json("関連性: 5").status == "parse_error"


class TestText:
    def test_each_axis_by_label_or_key_and_the_last_line_wins(self):
        reply = "理由: 概ね良い。\n関連性: 3\n流暢性：４\noverall: 2\n\n訂正します。\n関連性: 5"
        result = parse_text(reply)
        assert result.scores == {"relevance": 5, "fluency": 4, "overall": 2}
        assert result.rationale == "概ね良い。"

    def test_a_missing_axis_or_a_score_out_of_range_is_a_parse_error(self):
        assert "overall" in parse_text("関連性: 3\n流暢性: 4").error
        assert "outside" in parse_text("関連性: 3\n流暢性: 4\n総合評価: 0").error

    def test_a_score_inside_a_sentence_does_not_count(self):
        assert parse_text("関連性は5点、流暢性は4点、総合評価は4点です。").status == "parse_error"

    def test_mt_bench_brackets_last_match_and_range(self):
        result = parse_text("最初は[[3]]と考えたが、見直して評価：[[8]]", axes=MT_BENCH, style="brackets")
        assert (result.status, result.scores) == ("ok", {"score": 8})
        assert result.rationale == "最初は[[3]]と考えたが、見直して"
        assert parse_text("評価：[[11]]", axes=MT_BENCH, style="brackets").status == "parse_error"
        assert parse_text("評価：[[7.5]]", axes=MT_BENCH, style="brackets").status == "parse_error"
        assert parse_text("評価：7", axes=MT_BENCH, style="brackets").status == "parse_error"


class TestTruncatedAndRefused:
    def test_truncation_wins_even_over_a_parseable_reply(self):
        result = parse_json({"rationale": "", "scores": {"relevance": 5, "fluency": 5, "overall": 5}},
                            finish_reason="length")
        assert result.status == "truncated" and result.scores == {}

    def test_a_refusal_field_or_content_filter_is_a_refusal(self):
        assert parse_json("", refusal="I can't help with that.").status == "refused"
        assert parse_json("", finish_reason="content_filter").status == "refused"

    def test_an_unparseable_reply_that_reads_as_a_refusal_is_a_refusal(self):
        assert parse_text("申し訳ありませんが、この内容は評価できません。").status == "refused"
        assert parse_text("よく分かりません").status == "parse_error"


class TestPairwise:
    MARKERS = {"A": "A", "B": "B", "C": "tie"}

    def parse(self, content, output_format="text", **options):
        return pair_verdict_parse(content=content, markers=self.MARKERS, output_format=output_format, **options)

    @pytest.mark.parametrize("content, verdict", [
        ("Aの方が詳しい。\n[[A]]", "A"), ("判定: [[B]]", "B"), ("[[C]]", "tie"), ("［［Ｂ］］", "B"),
        ("[[ a ]]", "A"), ("最終判定は [[A]]。繰り返すと [[A]]", "A"),
    ])
    def test_one_marker_of_the_set_is_a_verdict(self, content, verdict):
        result = self.parse(content)
        assert (result.status, result.verdict) == ("ok", verdict)

    @pytest.mark.parametrize("content, error", [
        ("Aの方が良いと思います。", "no verdict marker ([[A]], [[B]], [[C]]) in the reply"),
        ("[[A]] とも [[B]] とも言える", "ambiguous verdict: the reply names [[A]], [[B]]"),
        ("[[D]]", "[[D]] is not one of [[A]], [[B]], [[C]]"),
        ("評価：[[8]]", "[[8]] is not one of"),
    ])
    def test_a_missing_ambiguous_or_unknown_marker_is_a_parse_error(self, content, error):
        result = self.parse(content)
        assert (result.status, result.verdict) == ("parse_error", "") and result.error.startswith(error)

    def test_json_verdicts_are_checked_against_the_set(self):
        ok = self.parse('{"rationale": "Bが的確", "verdict": "B"}', "json_schema")
        assert (ok.status, ok.verdict, ok.rationale) == ("ok", "B", "Bが的確")
        for payload in ('{"rationale": "", "verdict": "D"}', '{"rationale": ""}', '{"verdict": 1}', "[[A]]"):
            result = self.parse(payload, "json_schema")
            assert (result.status, result.verdict) == ("parse_error", "")

    def test_truncated_and_refused_replies_are_typed(self):
        assert self.parse("[[A]]", finish_reason="length").status == "truncated"
        assert self.parse("", refusal="I can't help").status == "refused"
        assert self.parse("申し訳ありませんが、判定できません。").status == "refused"


class TestChecklists:
    @pytest.mark.parametrize("content, sides, checks", [
        ("チェック1: はい\nチェック2: いいえ", ("",), ((1, "", True), (2, "", False))),
        ("- チェック 1：Yes\nチェック2: no。\nチェック1: いいえ", ("",), ((1, "", False), (2, "", False))),
        ("チェック1A: はい\nチェック1B: いいえ\nチェック2A: いいえ\nチェック2B: はい", ("A", "B"),
         ((1, "A", True), (1, "B", False), (2, "A", False), (2, "B", True))),
    ])
    def test_each_question_gets_its_last_answer(self, content, sides, checks):
        assert parse_checks(content, 2, "text", sides) == (checks, "")

    @pytest.mark.parametrize("content, error", [
        ("チェック1: はい", "checklist 2: no line"), ("チェック1: はい\nチェック2: たぶん", "checklist 2: 'たぶん' is neither"),
    ])
    def test_a_missing_or_unclear_answer_is_an_error(self, content, error):
        checks, message = parse_checks(content, 2, "text")
        assert checks == () and message.startswith(error)

    @pytest.mark.parametrize("content, output_format, status, questions", [
        ("1. 名前を挙げているか\n2. 正確か\n3. 簡潔か", "text", "ok", ("名前を挙げているか", "正確か", "簡潔か")),
        ('{"checklist": ["a", "b", "c", "d", "e"]}', "json_schema", "ok", ("a", "b", "c", "d", "e")),
        ("1. a\n2. b", "text", "parse_error", ()),
        ("1. a\n3. b\n4. c", "text", "parse_error", ()),
        ('{"checklist": ["a", "a", "b"]}', "json_schema", "parse_error", ()),
        ('{"checklist": ["a", "b", "c", "d", "e", "f"]}', "json_schema", "parse_error", ()),
    ])
    def test_a_written_checklist_has_three_to_five_distinct_questions(self, content, output_format, status,
                                                                     questions):
        result = checklist_parse(content=content, output_format=output_format, fewest=3, most=5)
        assert (result.status, result.checks) == (status, questions)
