"""Exam answers: choices, correct answers, reading what a model or a person answered, exact scoring (pure)."""

import time

import pytest

from annotation.exam_answers import (
    ORDERED, PARSE_ERROR, SINGLE, UNORDERED, Choice, ExamAnswerError, answer_is_correct, answer_token,
    check_form, choice_label, choices_from_labels, extract_answer, format_answer, numbered_choices, read_json_answer,
    same_answer, suggested_form, token_position,
)

# Choices as the center-examination-jp layout writes them (texts made up for the tests).
CENTER = numbered_choices(["\n①セルロース", "②エタノール", "③スクロース(ショ糖)", "④1.5", "⑤塩化ナトリウム\n"])
KANA = choices_from_labels(["赤", "青", "アルミニウム", "緑"], ["ア", "イ", "ウ", "エ"])


def read(text, choices=CENTER, count=1):
    return extract_answer(text, choices, count).answer


class TestChoices:
    def test_center_choices_are_labelled_by_position_and_lose_their_label_and_newlines(self):
        assert CENTER[0] == Choice("①", "セルロース")
        assert CENTER[4] == Choice("⑤", "塩化ナトリウム")

    def test_the_tenth_to_fourteenth_center_choices_carry_the_mark_sheet_labels(self):
        texts = [f"{chr(0x245F + n)}語{n}" for n in range(1, 10)] + ["◯０コ", "ａアドレナリン", "ｂ変 異", "仕 事"]
        choices = numbered_choices(texts)
        assert [(c.label, c.text) for c in choices[9:]] == [("0", "コ"), ("a", "アドレナリン"), ("b", "変 異"),
                                                            ("c", "仕 事")]

    def test_one_naming_of_choices_the_exams_own_labels_else_the_mark_sheets(self):
        assert [choice_label((), n) for n in (1, 9, 10, 11, 14, 15, 36, 37)] == [
            "①", "⑨", "0", "a", "d", "e", "z", "37"]
        assert [choice_label(("ア", "イ"), n) for n in (1, 2)] == ["ア", "イ"]
        assert [c.label for c in numbered_choices(["x"] * 16)][9:] == ["0", "a", "b", "c", "d", "e", "f"]

    def test_a_letter_label_is_taken_off_only_where_it_is_no_part_of_a_word(self):
        texts = ["x"] * 10 + ["ａ酵素", "b DNA", "cAMP"]
        assert [c.text for c in numbered_choices(texts)][10:] == ["酵素", "DNA", "cAMP"]

    def test_a_mislabelled_center_choice_is_labelled_by_its_position(self):
        choices = numbered_choices(["①移動距離", "②速 さ", "③加速度", "④質 量", "⑤運動量", "⑤運動エネルギー"])
        assert choices[5] == Choice("⑥", "運動エネルギー")

    def test_labels_must_match_the_texts_and_be_distinct(self):
        with pytest.raises(ExamAnswerError):
            choices_from_labels(["赤", "青"], ["ア"])
        with pytest.raises(ExamAnswerError):
            choices_from_labels(["赤", "青"], ["ア", "ア"])

    def test_tokens_are_digits_for_circled_labels_and_the_label_otherwise(self):
        assert [answer_token(c) for c in CENTER] == ["1", "2", "3", "4", "5"]
        assert [answer_token(c) for c in KANA] == ["ア", "イ", "ウ", "エ"]
        assert token_position("0", numbered_choices(["x"] * 10)) == 10


class TestCorrectAnswer:
    @pytest.mark.parametrize("value, text, form", [
        ("3", "", SINGLE), ("5,3", "", ORDERED), ("3|5", "", UNORDERED), ("2￨7", "", UNORDERED),
        ("2,3", "誤っているものを二つ選べ。ただし，解答の順序は問わない。", UNORDERED), ("", "", SINGLE),
        ("2,6", "遺伝子の位置の順序を…一つ選べ。", ORDERED), ("choice1,choice3", "二つ選びなさい（順不同）。", UNORDERED),
        ("3", "ただし，解答の順序は問わない。", SINGLE),
    ])
    def test_suggested_form(self, value, text, form):
        assert suggested_form(value, text) == form

    def test_a_form_must_fit_the_correct_answer(self):
        assert check_form(ORDERED, (5, 3)) == ORDERED
        assert check_form(SINGLE, ()) == SINGLE
        with pytest.raises(ExamAnswerError, match="single does not fit a correct answer of 2 choices"):
            check_form(SINGLE, (5, 3))
        with pytest.raises(ExamAnswerError):
            check_form(UNORDERED, (3,))
        with pytest.raises(ExamAnswerError):
            check_form("any", (3,))


class TestMarkers:
    @pytest.mark.parametrize("text", [
        "答え: 3", "答え:3", "答え：３", "答え：③", "答: 3", "解答: 3", "回答：3", "正解は3", "正解は③です。",
        "答えは ③ です", "**答え: 3**", "**答え**: **③**", "答え: (3)", "答え: 【3】", "答え: 「③」", "答え: 3番",
        "答え 3", "答え:\n③", "最終的な答え: 3", "答え: 3.", "答え：❸", "答え：➂", "答えは、③", "答え→③",
        "答案：3", "答え: 選択肢3", "答え: 選択肢③", "### 答え\n3", "Answer: 3", "The final answer is ③.",
        "the answer is 3", "\\boxed{3}", "$\\boxed{\\text{③}}$", "解答番号23: ③",
    ])
    def test_every_written_form_of_choice_three(self, text):
        assert read(text) == (3,)

    @pytest.mark.parametrize("text", ["答え: イ", "答え：ｲ", "答えは「イ」", "正解はイです。", "答え: (イ)"])
    def test_kana_labels(self, text):
        assert read(text, KANA) == (2,)

    @pytest.mark.parametrize("text", ["答え: ⑩", "答え：⑩", "答え: 10", "答え: 0", "⑩", "答え: ➉"])
    def test_the_tenth_choice_by_its_circled_number_its_number_or_its_mark_sheet_label(self, text):
        choices = numbered_choices([f"{chr(0x245F + n)}語{n}" for n in range(1, 10)] + ["０マグネシウム", "ａ酵素"])
        assert read(text, choices) == (10,)

    def test_a_number_also_names_a_labelled_choice_by_position(self):
        assert read("答え: 2", KANA) == (2,)

    def test_a_label_does_not_run_on_into_a_word(self):
        assert read("答え: アルミニウム", KANA) == (3,)  # the text of ウ, not the label ア

    def test_the_exact_text_of_a_choice(self):
        assert read("答え: エタノール") == (2,)
        assert read("答えは スクロース (ショ糖) です。") == (3,)
        assert read("答え: 1.5") == (4,)

    def test_a_number_is_a_choice_number_even_when_a_choice_reads_as_that_number(self):
        choices = numbered_choices(["①1", "②", "③2"])
        assert read("答え: 2", choices) == (2,)
        assert read("2", choices) == (2,)

    def test_the_last_answer_given_wins(self):
        assert read("解答: 2 と考えたが、見直すと\n答え: 4") == (4,)
        assert read("答え: 1\n...\n**最終的な答え: ⑤**") == (5,)

    def test_an_unreadable_later_marker_does_not_hide_the_answer(self):
        assert read("答え: 3\n以上が答えの理由です。") == (3,)

    def test_a_reasoning_model_s_thinking_is_left_out(self):
        assert read("<think>答え: 1 かな? いや</think>\n答え: 3") == (3,)
        assert read("<think>答え: 1 かな? 考え中") is None  # it never got past its thinking

    def test_words_that_only_start_like_a_marker_are_not_markers(self):
        assert read("I answered 3 questions. Answer: 4") == (4,)
        assert read("The answer is not 2.\nAnswer: 4") == (4,)

    def test_the_answer_ends_at_the_line(self):
        assert read("答え: 3\n2番目の選択肢は誤り") == (3,)

    def test_counts_and_quantities_are_not_answers(self):
        assert read("答えは3つある。") is None
        assert read("答え: 2倍") is None


class TestBareAnswers:
    @pytest.mark.parametrize("text", ["3", "③", " ３ ", "**3**", "(3)", "③です。", "考えた結果\n\n③", "スクロース(ショ糖)"])
    def test_a_last_line_that_is_only_an_answer(self, text):
        assert read(text) == (3,)

    @pytest.mark.parametrize("text", ["③が正しい。", "理由: 1 と 2 は誤り", "わかりません", "", "   "])
    def test_anything_else_is_a_parse_failure_never_a_guess(self, text):
        extraction = extract_answer(text, CENTER)
        assert (extraction.answer, extraction.status, extraction.parsed) == (None, PARSE_ERROR, False)
        assert extraction.error

    def test_a_number_outside_the_choices_is_a_parse_failure(self):
        assert read("答え: 6") is None
        assert read("答え: 0") is None


class TestTwoAnswers:
    @pytest.mark.parametrize("text", ["答え: 5, 3", "答え：⑤，③", "答え: 5、3", "答え: ⑤と③", "答え: 5 3",
                                      "答え: 5・3", "答え: (5), (3)", "答え: 5 and 3", "5, 3"])
    def test_both_answers_in_the_order_given(self, text):
        assert read(text, count=2) == (5, 3)

    def test_numbered_markers_give_the_blanks_in_order(self):
        assert read("答え1: 5\n答え2: 3", count=2) == (5, 3)
        assert read("答え(1)：⑤\n答え(2)：③", count=2) == (5, 3)

    def test_a_later_list_replaces_an_earlier_one(self):
        assert read("答え: 1, 2\n訂正します。答え: 5, 3", count=2) == (5, 3)

    def test_one_answer_to_a_two_answer_question_stays_one(self):
        assert read("答え: 5", count=2) == (5,)

    def test_labels(self):
        assert read("答え: ア、ウ", KANA, count=2) == (1, 3)


class TestJsonAndTyped:
    @pytest.mark.parametrize("content, expected", [
        ('{"answer": ["3"]}', (3,)), ('{"answer": [3]}', (3,)), ('{"answer": "③"}', (3,)),
        ('{"reasoning": "…", "answer": ["5", "3"]}', (5, 3)), ('```json\n{"answer": [5, 3]}\n```', (5, 3)),
        ('{"answer": ["エタノール"]}', (2,)), ("答え: 4", (4,)),
    ])
    def test_json_answers(self, content, expected):
        assert read_json_answer(content, CENTER, 2).answer == expected

    @pytest.mark.parametrize("content", ['{"answer": []}', '{"answer": [9]}', '{"answer": [true]}', '{"ans": [1]}',
                                         '[3]', '{"answer": ["3", "x"]}'])
    def test_bad_json_answers_are_parse_failures(self, content):
        assert read_json_answer(content, CENTER).answer is None


class TestScoring:
    def test_single(self):
        assert answer_is_correct((3,), (3,), SINGLE) is True
        assert answer_is_correct((4,), (3,), SINGLE) is False
        assert answer_is_correct((3, 4), (3,), SINGLE) is False

    def test_ordered_blanks_need_the_same_order(self):
        assert answer_is_correct((5, 3), (5, 3), ORDERED) is True
        assert answer_is_correct((3, 5), (5, 3), ORDERED) is False
        assert answer_is_correct((5, 5), (5, 5), ORDERED) is True
        assert answer_is_correct((5,), (5, 3), ORDERED) is False

    def test_an_unordered_set_in_any_order_as_many_as_asked(self):
        assert answer_is_correct((5, 3), (3, 5), UNORDERED) is True
        assert answer_is_correct((3, 3), (3, 5), UNORDERED) is False
        assert answer_is_correct((3, 5, 6), (3, 5), UNORDERED) is False
        assert answer_is_correct((3,), (3, 5), UNORDERED) is False

    def test_an_unscorable_question_or_an_unreadable_answer_is_neither_right_nor_wrong(self):
        assert answer_is_correct((3,), (), SINGLE) is None
        assert answer_is_correct(None, (3,), SINGLE) is None

    def test_same_answer(self):
        assert same_answer((3, 5), (5, 3), UNORDERED) and not same_answer((3, 5), (5, 3), ORDERED)
        assert not same_answer(None, (3,), SINGLE)

    def test_format_for_display(self):
        assert format_answer((5, 3), CENTER, ORDERED) == "⑤, ③"
        assert format_answer((3, 5), CENTER, UNORDERED) == "③ / ⑤"
        assert format_answer((2,), KANA) == "イ"
        assert format_answer(None, CENTER) == "" and format_answer((), CENTER) == ""


@pytest.mark.parametrize("text", ["答え: " + "1, " * 5000, "答え: " + "1 , " * 5000 + "x", ("答え: 3と" + "　" * 50) * 500,
                                  "答え: " + "[ " * 5000, "(" * 20000, "答え " * 3000])
def test_a_long_adversarial_reply_is_read_in_linear_time(text):
    """A regular expression with nested repetition can take exponential time on such replies: this one must
    not (it once did on a long list ending in a comma)."""
    started = time.monotonic()
    extract_answer(text, CENTER, 2)
    assert time.monotonic() - started < 5
