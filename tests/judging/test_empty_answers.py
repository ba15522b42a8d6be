"""An imported empty answer goes to the judge as it is (an empty answer in the prompt, no placeholder) and gets a
verdict like any other, in a likert and in a pairwise job."""

from annotation.models import Campaign, Response
from annotation.services import responses_import
from judging.models import JudgeJob, Verdict
from tests.annotation.test_pairwise_imports import BASE, CONTEXT, answers, pairwise_rubric
from tests.judging.test_imports import write_jsonl

from .conftest import make_config
from .test_runs import run


def import_with_an_empty_answer(tmp_path, slug, **options):
    records = answers(prompts=(1, 2), models=(CONTEXT, BASE))
    records[1]["response"] = ""  # q1: BASE answered nothing
    responses_import(path=str(write_jsonl(tmp_path / "responses.jsonl", records)), campaign_slug=slug, **options)
    assert Response.objects.get(prompt__external_id="q1", model__name=BASE).turns == [""]
    return Campaign.objects.get(slug=slug)


def user_messages(fake_llm):
    return [request["messages"][-1]["content"] for request in fake_llm.requests]


def test_a_likert_judge_gets_the_empty_answer_as_it_is(db, tmp_path, fake_llm):
    campaign = import_with_an_empty_answer(tmp_path, "likert-empty")

    job = run(campaign, make_config(fake_llm))

    assert job.status == JudgeJob.Status.SUCCEEDED
    verdicts = Verdict.objects.filter(job=job)
    assert verdicts.count() == 4 and {verdict.parse_status for verdict in verdicts} == {"ok"}
    assert verdicts.filter(item__response__turns=[""]).count() == 1
    asked = [message for message in user_messages(fake_llm) if "[質問]\n質問1" in message]
    assert sorted(message.split("[応答]\n", 1)[1].split("\n\n", 1)[0] for message in asked) == [
        "", f"{CONTEXT}の答え1"]


def test_a_pairwise_judge_gets_the_empty_answer_as_it_is_in_both_orders(db, tmp_path, fake_llm):
    pairwise_rubric(key="pairwise-abt", verdicts=("A", "B", "tie"))
    campaign = import_with_an_empty_answer(tmp_path, "pair-empty", rubric_key="pairwise-abt", pair=(CONTEXT, BASE))

    job = run(campaign, make_config(fake_llm, name="pair-judge", rubric_key="pairwise-abt", output_format="text"))

    assert job.status == JudgeJob.Status.SUCCEEDED
    assert Verdict.objects.filter(job=job, parse_status="ok").count() == 4  # two pairs, both orders
    asked = [message for message in user_messages(fake_llm) if "[ユーザーの質問]\n質問1" in message]
    assert len(asked) == 2
    assert any("[アシスタントAの回答の開始]\n\n[アシスタントAの回答の終了]" in message for message in asked)
    assert any("[アシスタントBの回答の開始]\n\n[アシスタントBの回答の終了]" in message for message in asked)
