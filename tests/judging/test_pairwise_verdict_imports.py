"""Pairwise verdicts imported from another tool (FastChat's pairwise judgments, say): stored in the item's
terms with the order the judge saw, one per (item, order, sample); all or nothing."""

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction

from annotation.errors import HyokaError, RecordError
from annotation.models import Campaign, Item
from annotation.services import responses_import
from judging.models import JudgeConfig, Verdict
from judging.services import verdicts_import
from tests.annotation.test_pairwise_imports import BASE, CONTEXT, OTHER, answers, item_sides, pairwise_rubric
from tests.judging.test_imports import write_jsonl


def judged(prompt_id, model_a, model_b, verdict, **extra):
    return {"prompt_id": prompt_id, "model_a": model_a, "model_b": model_b, "verdict": verdict, **extra}


@pytest.fixture
def pair_campaign(db, tmp_path):
    """A/B/tie campaign whose items are (CONTEXT, BASE) on q1..q3; OTHER's responses are stored too."""
    pairwise_rubric(key="pairwise-abt", verdicts=("A", "B", "tie"))
    path = write_jsonl(tmp_path / "responses.jsonl", answers())
    responses_import(path=str(path), campaign_slug="mt", rubric_key="pairwise-abt", pair=(CONTEXT, BASE))
    return Campaign.objects.get(slug="mt")


def stored(judge="gpt-4o-pair"):
    return sorted(Verdict.objects.filter(judge__name=judge).values_list(
        "item__response__prompt__external_id", "order", "sample", "verdict"))


def test_verdicts_in_both_orders_are_kept_in_the_items_terms(pair_campaign, tmp_path, capsys):
    path = write_jsonl(tmp_path / "verdicts.jsonl", [
        judged("q1", CONTEXT, BASE, "A", order="AB", rationale="文脈を踏まえている"),
        judged("q1", CONTEXT, BASE, "tie", order="BA"),  # the position swap of the line above
        judged("q2", BASE, CONTEXT, "A", order="AB"),  # BASE shown first and preferred: B shown second in item terms
        judged("q3", BASE, CONTEXT, "B", sample=2),  # order unknown
    ])
    call_command("import_verdicts", str(path), "--campaign", "mt", "--judge", "gpt-4o-pair")
    assert "4 records: created 4 verdicts" in capsys.readouterr().out

    assert stored() == [("q1", "AB", 0, "A"), ("q1", "BA", 0, "tie"), ("q2", "BA", 0, "B"), ("q3", "", 2, "A")]
    judge = JudgeConfig.objects.get(name="gpt-4o-pair")
    assert judge.is_external and judge.rubric.key == "pairwise-abt"
    first = Verdict.objects.get(order="AB")
    assert first.rationale == "文脈を踏まえている" and first.parse_status == Verdict.ParseStatus.IMPORTED
    assert first.job is None and not first.scores.exists()


def test_a_pair_without_an_item_gets_one_oriented_as_its_first_record(pair_campaign, tmp_path):
    path = write_jsonl(tmp_path / "verdicts.jsonl", [judged("q1", OTHER, CONTEXT, "B", order="BA"),
                                                     judged("q1", CONTEXT, OTHER, "B", order="BA")])
    summary = verdicts_import(path=str(path), campaign_slug="mt", judge_name="j")
    item = Item.objects.get(campaign=pair_campaign, response__model__name=OTHER)
    assert item_sides(item) == ("q1", OTHER, CONTEXT) and summary.created["items"] == 1
    assert sorted(item.verdicts.values_list("order", "verdict")) == [("AB", "A"), ("BA", "B")]


def test_reimport_in_either_orientation_creates_nothing_and_a_conflict_is_refused(pair_campaign, tmp_path):
    records = [judged("q1", CONTEXT, BASE, "A", order="AB"), judged("q2", CONTEXT, BASE, "tie", sample=1)]
    verdicts_import(path=str(write_jsonl(tmp_path / "v.jsonl", records)), campaign_slug="mt", judge_name="j")
    swapped = [judged("q1", BASE, CONTEXT, "B", order="BA"), judged("q2", BASE, CONTEXT, "tie", sample=1)]
    summary = verdicts_import(path=str(write_jsonl(tmp_path / "s.jsonl", swapped)), campaign_slug="mt",
                              judge_name="j")
    assert summary.unchanged["verdicts"] == 2 and Verdict.objects.count() == 2

    conflict = write_jsonl(tmp_path / "c.jsonl", [judged("q3", CONTEXT, BASE, "A"),
                                                   judged("q1", BASE, CONTEXT, "A", order="BA")])
    with pytest.raises(RecordError, match=r"c.jsonl:2: sample: judge j already has another verdict .* order BA, "
                                          r"sample 0; give the new run another judge name"):
        verdicts_import(path=str(conflict), campaign_slug="mt", judge_name="j")
    assert Verdict.objects.count() == 2


@pytest.mark.parametrize("record, message", [
    (judged("q1", CONTEXT, BASE, "both"), ":2: verdict: 'both' is not a verdict of rubric pairwise-abt"),
    (judged("q1", CONTEXT, BASE, "A", order="ab"), ":2: order: expected AB (model_a shown first) or BA, got 'ab'"),
    (judged("q1", CONTEXT, BASE, "A", sample=-1), ":2: sample: expected a whole number from 0 to 1000"),
    (judged("q1", CONTEXT, "nobody", "A"), ":2: model_b: no response by model 'nobody' to prompt 'q1'"),
    (judged("q1", BASE, BASE, "A"), ":2: model_b: is the same model as model_a"),
    ({"prompt_id": "q1", "model": CONTEXT, "scores": {"overall": 3}}, ":2: model_a: is required"),
])
def test_bad_verdicts_are_named_and_nothing_is_written(pair_campaign, tmp_path, record, message):
    path = write_jsonl(tmp_path / "bad.jsonl", [judged("q1", OTHER, BASE, "A"), record])
    items = Item.objects.count()
    with pytest.raises(RecordError) as caught:
        verdicts_import(path=str(path), campaign_slug="mt", judge_name="j")
    assert message in str(caught.value)
    assert not Verdict.objects.exists() and not JudgeConfig.objects.filter(name="j").exists()
    assert Item.objects.count() == items


def test_a_judge_of_a_likert_rubric_is_refused(pair_campaign, tmp_path):
    JudgeConfig.objects.create(name="likert-judge", is_external=True, rubric=pairwise_rubric(key="other-ab",
                                                                                              verdicts=("A", "B")))
    path = write_jsonl(tmp_path / "v.jsonl", [judged("q1", CONTEXT, BASE, "A")])
    with pytest.raises(HyokaError, match="judge likert-judge scores with rubric other-ab"):
        verdicts_import(path=str(path), campaign_slug="mt", judge_name="likert-judge")
    with pytest.raises(CommandError, match="no campaign 'nope'"):
        call_command("import_verdicts", str(path), "--campaign", "nope", "--judge", "j")


def test_a_failed_verdict_cannot_carry_a_verdict(pair_campaign):
    judge = JudgeConfig.objects.create(name="j", is_external=True)
    item = pair_campaign.items.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        Verdict.objects.create(judge=judge, item=item, verdict="A", parse_status=Verdict.ParseStatus.PARSE_ERROR)
    Verdict.objects.create(judge=judge, item=item, order="AB", verdict="A")
    Verdict.objects.create(judge=judge, item=item, order="BA", verdict="B")
    with pytest.raises(IntegrityError), transaction.atomic():
        Verdict.objects.create(judge=judge, item=item, order="BA", verdict="A")
