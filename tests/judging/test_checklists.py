"""Checklists and judges: a prompt's checklist reaches the judge, its yes/no answers are stored as VerdictCheck
rows (per response of a pair, in the item's terms), missing answers are a parse failure; and
generate_checklists has a judge write checklists for the prompts without one."""

import pytest
from django.core.management import CommandError, call_command

from annotation.models import ChecklistItem, Item, Prompt
from judging.models import JudgeCacheEntry, Verdict, VerdictCheck
from judging.testing.fake_server import Reply

from .conftest import make_config
from .test_pairwise_jobs import pair_campaign, pair_config  # noqa: F401 (fixtures)
from .test_runs import QUALITY, lines, run

QUESTIONS = ("富士山と答えているか", "標高に触れているか")


def give_checklist(prompt, questions=QUESTIONS):
    return [ChecklistItem.objects.create(prompt=prompt, position=n, text=text) for n, text in enumerate(questions)]


def first_prompt(campaign):
    return Item.objects.filter(campaign=campaign).order_by("id").first().response.prompt


def checks_of(verdict):
    return sorted(verdict.checks.values_list("checklist_item__position", "side", "checked"))


class TestJudgesAnswerTheChecklist:
    def test_a_likert_judge_answers_each_question_and_the_ticks_are_stored(self, judged_campaign, fake_llm):
        config = make_config(fake_llm, output_format="text")
        prompt = first_prompt(judged_campaign)
        give_checklist(prompt)  # the prompt of the first two items (two models' answers)
        fake_llm.script(Reply.text(lines(QUALITY) + "\nチェック1: はい\nチェック2: いいえ"),
                        Reply.text(lines(QUALITY) + "\nチェック2: はい\nチェック1: はい"))
        job = run(judged_campaign, config)

        request = fake_llm.requests[0]["messages"][-1]["content"]
        assert "[チェックリスト]\n1. 富士山と答えているか\n2. 標高に触れているか" in request
        assert "チェック2: <はい または いいえ>" in request
        first, second = Verdict.objects.filter(job=job, item__response__prompt=prompt).order_by("item_id")
        assert first.parse_status == "ok" and checks_of(first) == [(0, "", True), (1, "", False)]
        assert checks_of(second) == [(0, "", True), (1, "", True)]
        others = Verdict.objects.filter(job=job).exclude(item__response__prompt=prompt)
        assert all(v.parse_status == "ok" for v in others) and not VerdictCheck.objects.filter(verdict__in=others)
        without = fake_llm.requests[-1]["messages"][-1]["content"]
        assert "チェックリスト" not in without  # a prompt without a checklist is asked as before

    def test_a_missing_answer_makes_the_reply_a_parse_failure(self, judged_campaign, fake_llm):
        config = make_config(fake_llm, output_format="text", max_parse_retries=0)
        give_checklist(first_prompt(judged_campaign))
        fake_llm.script(Reply.text(lines(QUALITY) + "\nチェック1: はい"))
        job = run(judged_campaign, config)
        failed = Verdict.objects.get(job=job, parse_status="parse_error")
        assert "checklist 2: no line 'チェック2: はい|いいえ'" in failed.error_message
        assert not failed.scores.exists() and not failed.checks.exists()

    def test_structured_output_carries_the_answers_as_an_array(self, judged_campaign, fake_llm):
        config = make_config(fake_llm, output_format="json_schema", max_parse_retries=0)
        prompt = first_prompt(judged_campaign)
        give_checklist(prompt)
        fake_llm.script(Reply.json({"rationale": "", "scores": QUALITY, "checklist": [False, True]}),
                        Reply.json({"rationale": "", "scores": QUALITY, "checklist": [True, True, False]}))
        job = run(judged_campaign, config)
        schema = fake_llm.requests[0]["response_format"]["json_schema"]["schema"]
        assert schema["properties"]["checklist"] == {"type": "array", "items": {"type": "boolean"}}
        assert "checklist" in schema["required"]
        first, second = Verdict.objects.filter(job=job, item__response__prompt=prompt).order_by("item_id")
        assert checks_of(first) == [(0, "", False), (1, "", True)]
        assert (second.parse_status, second.error_message) == (
            "parse_error", "checklist: expected 2 true/false answers, got [True, True, False]")

    def test_a_pairwise_judge_answers_for_each_response_in_the_items_terms(self, pair_campaign, pair_config,
                                                                          fake_llm):
        prompt = first_prompt(pair_campaign)
        give_checklist(prompt, QUESTIONS[:1])
        fake_llm.script(Reply.text("チェック1A: はい\nチェック1B: いいえ\n[[A]]"),  # AB: the item's A shown first
                        Reply.text("チェック1A: いいえ\nチェック1B: はい\n[[B]]"))  # BA: the item's B shown first
        job = run(pair_campaign, pair_config)
        assert "チェック1B: <はい または いいえ>" in fake_llm.requests[0]["messages"][-1]["content"]
        ab, ba = (Verdict.objects.get(job=job, item__response__prompt=prompt, order=order) for order in ("AB", "BA"))
        assert (ab.verdict, ba.verdict) == ("A", "A")
        assert checks_of(ab) == checks_of(ba) == [(0, "A", True), (0, "B", False)]

    def test_a_checklist_a_judge_answered_is_kept(self, judged_campaign, fake_llm):
        give_checklist(first_prompt(judged_campaign))
        run(judged_campaign, make_config(fake_llm))
        assert VerdictCheck.objects.count() == 4  # two items of the prompt, two questions
        with pytest.raises(Exception, match="protected"):
            ChecklistItem.objects.all().delete()


class TestGeneratedChecklists:
    def generate(self, capsys, *extra):
        call_command("generate_checklists", "--campaign", "judged", "--config", "fake-judge", *extra)
        return capsys.readouterr().out

    def test_a_judge_writes_checklists_for_prompts_without_one(self, judged_campaign, fake_llm, capsys):
        make_config(fake_llm, output_format="text", max_parse_retries=1)
        prompts = list(Prompt.objects.filter(responses__items__campaign=judged_campaign).distinct().order_by("pk"))
        give_checklist(prompts[0])  # already has one: not asked about
        fake_llm.script(Reply.text("1. 山の名前を答えているか\n2. 正確か"),  # two questions: asked again
                        Reply.text("1. 山の名前を答えているか\n2. 標高は正しいか\n3. 簡潔か\n4. 丁寧か"))
        out = self.generate(capsys)

        assert out.startswith(f"{len(prompts) - 1} checklists written (") and "no checklist for" not in out
        generated = ChecklistItem.objects.filter(prompt=prompts[1]).order_by("position")
        assert [item.text for item in generated] == ["山の名前を答えているか", "標高は正しいか", "簡潔か", "丁寧か"]
        assert {(item.origin, item.generated_by) for item in generated} == {("generated", "fake-judge")}
        assert len(fake_llm.requests) == 1 + len(prompts) - 1
        assert "「はい」か「いいえ」で答えられる短い質問として3〜5個" in fake_llm.requests[0]["messages"][-1]["content"]
        assert [item.text for item in ChecklistItem.objects.filter(prompt=prompts[0])] == list(QUESTIONS)

        asked = len(fake_llm.requests)
        assert self.generate(capsys).startswith("0 checklists written (0 questions) for 0 prompts")
        assert len(fake_llm.requests) == asked

    def test_a_reply_that_never_parses_leaves_the_prompt_without_one(self, judged_campaign, fake_llm, capsys):
        make_config(fake_llm, output_format="json_schema", max_parse_retries=1)
        fake_llm.script(Reply.json({"checklist": ["一つだけ"]}), Reply.text("質問を書けません"))
        out = self.generate(capsys)
        first = first_prompt(judged_campaign)
        assert f"no checklist for {first.external_id}: parse_error: not JSON" in out
        assert not ChecklistItem.objects.filter(prompt=first).exists()
        assert ChecklistItem.objects.filter(origin="generated").count() == 3 * (Prompt.objects.count() - 1)
        schema = fake_llm.requests[0]["response_format"]["json_schema"]["schema"]
        assert schema["required"] == ["checklist"]

    def test_answers_come_from_the_cache_the_second_time(self, judged_campaign, fake_llm, capsys):
        make_config(fake_llm)
        self.generate(capsys)
        asked = len(fake_llm.requests)
        ChecklistItem.objects.all().delete()
        out = self.generate(capsys)
        assert len(fake_llm.requests) == asked and f"0 calls, {asked} cached" in out
        assert JudgeCacheEntry.objects.count() == asked

    def test_a_refusing_endpoint_stops_the_run_and_stores_nothing(self, judged_campaign, fake_llm):
        make_config(fake_llm)
        fake_llm.script(Reply(), Reply.error(401, "bad key"))  # the first reply is fine, the second refused
        with pytest.raises(CommandError, match=r"the endpoint of judge fake-judge .* failed with auth") as caught:
            call_command("generate_checklists", "--campaign", "judged", "--config", "fake-judge")
        assert "\n" not in str(caught.value) and not ChecklistItem.objects.exists()
