"""Gold answers (import_gold, the service behind the QC page's form), attention items (make_attention_items) and
the degradations they offer."""

import json
import random

import pytest
from django.core.management import CommandError, call_command

from annotation import degradations
from annotation.models import GoldAnswer, Item, Response
from annotation.services.quality import gold_answer_from_record
from exports.services.report_snapshots import campaign_data_version

from .workflow_factories import campaign_with_items


def write_lines(path, records):
    path.write_text("".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records), encoding="utf-8")
    return str(path)


@pytest.fixture
def likert(db):
    return campaign_with_items(slug="gold", items=6)


def test_import_gold_makes_gold_items_with_their_answers(likert, tmp_path):
    path = write_lines(tmp_path / "gold.jsonl", [
        {"prompt_id": "p0", "model": "model-0", "scores": {"overall": 4, "fluency": 5}, "tolerance": 1},
        {"prompt_id": "p1", "model": "model-1", "scores": {"overall": 2}, "explanation": "事実誤認"},
    ])
    version = campaign_data_version(likert)
    call_command("import_gold", path, campaign="gold")
    gold = GoldAnswer.objects.select_related("item__response__prompt").order_by("id")
    assert [(g.item.response.prompt.external_id, g.scores, g.tolerance) for g in gold] == [
        ("p0", {"overall": 4, "fluency": 5}, 1), ("p1", {"overall": 2}, 0)]
    assert gold[1].explanation == "事実誤認"
    assert Item.objects.filter(campaign=likert, quality_role="gold").count() == 2
    assert campaign_data_version(likert) > version  # the reports count two items fewer


@pytest.mark.parametrize("record,message", [
    ({"prompt_id": "p9", "model": "model-0", "scores": {"overall": 4}}, "bad.jsonl:2: prompt_id: the campaign has no item"),
    ({"prompt_id": "p1", "model": "model-0", "scores": {"overall": 9}}, "bad.jsonl:2: scores.overall: score 9 is outside"),
    ({"prompt_id": "p1", "model": "model-0", "scores": {"style": 3}}, "bad.jsonl:2: scores.style: the rubric has no axis"),
    ({"prompt_id": "p1", "model": "model-0", "scores": {}}, "bad.jsonl:2: scores: give the known score"),
    ({"prompt_id": "p1", "model": "model-0", "scores": {"overall": 3}, "tolerance": -1}, "bad.jsonl:2: tolerance:"),
    ({"prompt_id": "p1", "model": "model-0", "verdict": "A"}, "bad.jsonl:2: verdict: 'A' is not a verdict"),
])
def test_a_bad_gold_record_names_file_line_and_field_and_nothing_is_written(likert, tmp_path, record, message):
    path = write_lines(tmp_path / "bad.jsonl", [{"prompt_id": "p0", "model": "model-0", "scores": {"overall": 4}},
                                                 record])
    with pytest.raises(CommandError) as error:
        call_command("import_gold", path, campaign="gold")
    assert str(error.value).startswith(str(tmp_path / message))
    assert not GoldAnswer.objects.exists() and not Item.objects.exclude(quality_role="").exists()


def test_the_qc_page_form_sets_the_same_answer_as_an_import_record(likert):
    answer = gold_answer_from_record(campaign=likert, record={"prompt_id": "p2", "model": "model-0",
                                                              "scores": {"relevance": 3}, "tolerance": 0})
    assert answer.item.quality_role == "gold" and answer.scores == {"relevance": 3}


def test_attention_items_are_degraded_copies_no_import_or_figure_meets(likert):
    call_command("make_attention_items", campaign="gold", share=0.5, seed=1)
    copies = Item.objects.filter(campaign=likert, quality_role="attention").select_related("response", "original")
    assert copies.count() == 3
    for copy in copies:
        assert copy.original.quality_role == "" and copy.response.copy_of_id == copy.original.response_id
    assert Response.objects.count() == 6 and Response.all_objects.count() == 9  # copies are hidden from queries
    with pytest.raises(CommandError, match="share"):
        call_command("make_attention_items", campaign="gold", share=1.5)


def test_a_spliced_phrase_grows_with_the_response_and_replaces_its_middle():
    rng = random.Random(0)
    text = " ".join(f"w{index}" for index in range(40))
    spliced = degradations.splice(text, " ".join(f"d{index}" for index in range(40)), rng).split()
    assert len(spliced) == 40
    foreign = [index for index, word in enumerate(spliced) if word.startswith("d")]
    assert len(foreign) == 10 and foreign == list(range(15, 25))  # a quarter, in the middle
    assert [degradations.phrase_length(n) for n in (1, 5, 8, 15, 20, 40)] == [1, 2, 3, 4, 5, 10]


def test_japanese_is_spliced_by_characters_with_twice_the_length():
    text, donor = "あ" * 40, "ン" * 40
    spliced = degradations.splice(text, donor, random.Random(0))
    # 40 characters are taken as 20 units (two characters each): 5 units, doubled to 10 characters.
    assert len(spliced) == 40 and spliced.count("ン") == 2 * degradations.phrase_length(20) == 10
    assert spliced.startswith("あ" * 15) and spliced.endswith("あ" * 15)


def test_truncate_and_shuffle_degrade_each_turn():
    turns = ["First. Second. Third.", "一つ目。二つ目。三つ目。"]
    assert degradations.degrade(turns, [], "truncate", 1) == [turns[0][:10], turns[1][:6]]
    shuffled = degradations.degrade(turns, [], "shuffle", 1)
    assert shuffled != turns and sorted(shuffled[1]) == sorted(turns[1])
