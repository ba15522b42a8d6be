import json

import pytest
from django.core.management import CommandError, call_command

from annotation.errors import HyokaError, RecordError
from annotation.services import responses_import
from judging.models import JudgeConfig, Verdict, VerdictScore
from judging.services import verdicts_import


def write_jsonl(path, records):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


@pytest.fixture
def campaign_with_responses(db, tmp_path):
    records = [{"prompt_id": f"q{p}", "prompt": f"質問{p}", "model": m, "response": f"{m}の答え{p}"}
               for p in (1, 2) for m in ("llm-a", "llm-b")]
    responses_import(path=str(write_jsonl(tmp_path / "responses.jsonl", records)), campaign_slug="jp")
    return "jp"


def verdict(prompt_id, model, sample=None, rationale=None, **scores):
    record = {"prompt_id": prompt_id, "model": model, "scores": scores}
    if sample is not None:
        record["sample"] = sample
    if rationale is not None:
        record["rationale"] = rationale
    return record


def test_verdicts_are_stored_under_an_external_judge(campaign_with_responses, tmp_path, capsys):
    path = write_jsonl(tmp_path / "verdicts.jsonl", [
        verdict("q1", "llm-a", relevance=5, overall=4, rationale="的確な回答"),
        verdict("q1", "llm-a", sample=1, relevance=4, overall=4),
        verdict("q2", "llm-b", factuality=2, overall=2),
    ])
    call_command("import_verdicts", str(path), "--campaign", "jp", "--judge", "gpt-4o-import")
    assert "3 records: created 3 verdicts" in capsys.readouterr().out

    judge = JudgeConfig.objects.get(name="gpt-4o-import")
    assert judge.is_external and judge.rubric.key == "quality-5x5"
    first = Verdict.objects.get(judge=judge, item__response__prompt__external_id="q1", sample=0)
    assert first.rationale == "的確な回答" and first.parse_status == Verdict.ParseStatus.IMPORTED
    assert {s.axis.key: s.score for s in first.scores.all()} == {"relevance": 5, "overall": 4}
    third = Verdict.objects.get(item__response__model__name="llm-b")
    assert {s.axis.key: s.score for s in third.scores.all()} == {"accuracy": 2, "overall": 2}


def test_reimport_creates_no_duplicates_and_a_conflict_is_refused(campaign_with_responses, tmp_path):
    path = write_jsonl(tmp_path / "v.jsonl", [verdict("q1", "llm-a", overall=4), verdict("q2", "llm-a", overall=3)])
    verdicts_import(path=str(path), campaign_slug="jp", judge_name="j")
    summary = verdicts_import(path=str(path), campaign_slug="jp", judge_name="j")
    assert summary.unchanged["verdicts"] == 2 and Verdict.objects.count() == 2

    conflict = write_jsonl(tmp_path / "c.jsonl", [verdict("q2", "llm-b", overall=3), verdict("q1", "llm-a", overall=1)])
    with pytest.raises(RecordError, match=r"c.jsonl:2: sample: judge j already has other scores"):
        verdicts_import(path=str(conflict), campaign_slug="jp", judge_name="j")
    assert Verdict.objects.count() == 2 and VerdictScore.objects.count() == 2


@pytest.mark.parametrize("record, message", [
    (verdict("q1", "llm-a", overall=11), ":1: scores.overall: score 11 is outside the axis range 1..5"),
    (verdict("q1", "llm-a", sample=-1, overall=3), ":1: sample: expected a whole number from 0 to 1000"),
    (verdict("q1", "llm-a", sample="x", overall=3), ":1: sample: expected a whole number, got 'x'"),
    (verdict("q1", "nobody", overall=3), ":1: prompt_id: no response by model 'nobody' to prompt 'q1'"),
    ({"prompt_id": "q1", "model": "llm-a"}, ":1: scores: expected an object"),
])
def test_bad_verdicts_are_named_and_nothing_is_written(campaign_with_responses, tmp_path, record, message):
    path = write_jsonl(tmp_path / "bad.jsonl", [verdict("q2", "llm-a", overall=2), record])
    with pytest.raises(RecordError) as caught:
        verdicts_import(path=str(path), campaign_slug="jp", judge_name="j")
    assert message.replace(":1:", ":2:") in str(caught.value)
    assert not Verdict.objects.exists() and not JudgeConfig.objects.filter(name="j").exists()


def test_a_judge_of_another_rubric_is_refused(campaign_with_responses, tmp_path):
    responses_import(path=str(write_jsonl(tmp_path / "s.jsonl", [
        {"prompt_id": "q1", "prompt": "質問1", "model": "llm-a", "response": "llm-aの答え1"}])),
        campaign_slug="safety", rubric_key="safety-5")
    verdicts_import(path=str(write_jsonl(tmp_path / "v.jsonl", [verdict("q1", "llm-a", overall=4)])),
                    campaign_slug="jp", judge_name="j")
    with pytest.raises(HyokaError, match="judge j scores with rubric quality-5x5, but campaign safety uses safety-5"):
        verdicts_import(path=str(write_jsonl(tmp_path / "w.jsonl", [verdict("q1", "llm-a", safety=4)])),
                        campaign_slug="safety", judge_name="j")


def test_command_needs_an_existing_campaign(db, tmp_path):
    path = write_jsonl(tmp_path / "v.jsonl", [verdict("q1", "llm-a", overall=4)])
    with pytest.raises(CommandError, match="no campaign 'ghost'"):
        call_command("import_verdicts", str(path), "--campaign", "ghost", "--judge", "j")
