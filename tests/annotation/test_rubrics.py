import json

import pytest
from django.core.management import CommandError, call_command

from annotation.errors import FieldError, HyokaError
from annotation.models import Annotator, Item, LanguageModel, Prompt, Rating, Response, Rubric
from annotation.rubric_definitions import parse_rubric_definition
from annotation.services import rubric_import

SUMMEVAL = {
    "key": "summeval-4", "name": "SummEval", "kind": "likert",
    "axes": [
        {"key": "coherence", "label": {"ja": "一貫性", "en": "Coherence"}, "criterion": "The summary is well structured.",
         "min": 1, "max": 5, "points": {"1": "Incoherent", "5": {"ja": "非常に一貫している", "en": "Fully coherent"}}},
        {"key": "consistency", "label": "Consistency", "min": 0, "max": 10},
    ],
}


def test_builtin_quality_rubric_has_five_bilingual_axes_with_a_descriptor_per_point(db):
    rubric = Rubric.objects.get(key="quality-5x5")
    axes = list(rubric.axes.all())
    assert [a.key for a in axes] == ["relevance", "fluency", "accuracy", "detail", "overall"]
    assert [a.label_ja for a in axes] == ["関連性", "流暢性", "正確性", "詳細性", "総合評価"]
    for axis in axes:
        assert (axis.min_score, axis.max_score) == (1, 5)
        assert axis.criterion_ja and axis.criterion_en and axis.label_en
        assert sorted(axis.points) == ["1", "2", "3", "4", "5"]
        assert all(point["ja"] and point["en"] for point in axis.points.values())
    assert "箇条書き" in axes[0].criterion_ja and "length limit" in axes[0].criterion_en
    assert rubric.is_builtin


def test_builtin_safety_rubric_runs_from_harmful_to_safe(db):
    axis = Rubric.objects.get(key="safety-5").axes.get()
    assert axis.points["5"]["en"] == "Safe and helpful." and axis.points["1"]["en"] == "Clearly harmful."


def test_import_rubric_command_creates_axes_with_ranges_and_points(db, tmp_path, capsys):
    path = tmp_path / "summeval.json"
    path.write_text(json.dumps(SUMMEVAL))
    call_command("import_rubric", str(path))
    assert "rubric summeval-4: created (likert, 2 axes)" in capsys.readouterr().out
    coherence, consistency = Rubric.objects.get(key="summeval-4").axes.all()
    assert (coherence.label_ja, coherence.label_en) == ("一貫性", "Coherence")
    assert coherence.criterion_ja == coherence.criterion_en == "The summary is well structured."
    assert coherence.points == {"1": {"ja": "Incoherent", "en": "Incoherent"},
                                "5": {"ja": "非常に一貫している", "en": "Fully coherent"}}
    assert (consistency.min_score, consistency.max_score) == (0, 10)


def test_a_description_is_given_in_each_language_or_once_for_both(db):
    both = parse_rubric_definition({**SUMMEVAL, "description": {"ja": "要約を評価する。", "en": "Rate summaries."}})
    once = parse_rubric_definition({**SUMMEVAL, "key": "summeval-once", "description": "要約を評価する。"})

    rubric, _ = rubric_import(definition=both)
    assert (rubric.description_ja, rubric.description_en) == ("要約を評価する。", "Rate summaries.")
    assert (once.description_ja, once.description_en) == ("要約を評価する。", "要約を評価する。")
    with pytest.raises(FieldError, match="unknown language 'fr'"):
        parse_rubric_definition({**SUMMEVAL, "description": {"ja": "x", "fr": "y"}})


def test_builtin_rubrics_describe_themselves_in_japanese_and_in_english_apart(db):
    for rubric in Rubric.objects.filter(is_builtin=True):
        assert rubric.description_ja and rubric.description_en, rubric.key
        assert not any(word in rubric.description_ja for word in ("Rate ", "Choose ")), rubric.key
        assert not any("\u3040" <= char <= "\u30ff" for char in rubric.description_en), rubric.key


def test_pairwise_rubric_keeps_its_verdicts(db):
    rubric, action = rubric_import(definition=parse_rubric_definition(
        {"key": "pairwise-abt", "name": "A/B/tie", "kind": "pairwise", "verdicts": ["A", "B", "tie"]}))
    assert action == "created" and rubric.verdicts == ["A", "B", "tie"] and not rubric.axes.exists()


def test_same_definition_twice_is_unchanged_and_an_unused_rubric_may_change(db):
    rubric_import(definition=parse_rubric_definition(SUMMEVAL))
    assert rubric_import(definition=parse_rubric_definition(SUMMEVAL))[1] == "unchanged"
    changed = {**SUMMEVAL, "axes": SUMMEVAL["axes"][:1]}
    rubric, action = rubric_import(definition=parse_rubric_definition(changed))
    assert action == "updated" and rubric.axes.count() == 1


def test_a_rubric_with_ratings_is_never_changed_in_place(db):
    rubric, _ = rubric_import(definition=parse_rubric_definition(SUMMEVAL))
    campaign = rubric.campaigns.create(slug="summ", name="summ")
    response = Response.objects.create(prompt=Prompt.objects.create(external_id="d1", turns=["doc"]),
                                       model=LanguageModel.objects.create(name="M8"), turns=["summary"])
    item = Item.objects.create(campaign=campaign, response=response)
    Rating.objects.create(item=item, annotator=Annotator.objects.create(handle="expert_1", is_external=True))
    changed = {**SUMMEVAL, "name": "SummEval (renamed)"}
    with pytest.raises(HyokaError, match="already has ratings or verdicts.*such as summeval-4-v2"):
        rubric_import(definition=parse_rubric_definition(changed))
    assert Rubric.objects.get(key="summeval-4").name == "SummEval"


def test_a_builtin_rubric_cannot_be_redefined(db, tmp_path):
    path = tmp_path / "q.json"
    path.write_text(json.dumps({**SUMMEVAL, "key": "quality-5x5"}))
    with pytest.raises(CommandError, match="rubric quality-5x5 is built in and cannot be changed"):
        call_command("import_rubric", str(path))
    assert Rubric.objects.get(key="quality-5x5").axes.count() == 5


@pytest.mark.parametrize("change, field, reason", [
    ({"key": "Bad Key"}, "key", "must be lowercase letters"),
    ({"name": ""}, "name", "is required"),
    ({"kind": "ranking"}, "kind", "'ranking' is not one of likert, pairwise"),
    ({"axes": []}, "axes", "non-empty list of axes"),
    ({"axes": [{"key": "a", "label": "A", "min": 5, "max": 1}]}, "axes[0].max", "must be above min (5), got 1"),
    ({"axes": [{"key": "a", "label": "A", "min": "one"}]}, "axes[0].min", "expected an integer"),
    ({"axes": [{"key": "a"}]}, "axes[0].label", "is required"),
    ({"axes": [{"key": "a", "label": "A"}, {"key": "a", "label": "B"}]}, "axes[1].key", "appears twice"),
    ({"axes": [{"key": "a", "label": "A", "points": {"7": "x"}}]}, "axes[0].points.7", "outside 1..5"),
    ({"axes": [{"key": "a", "label": {"ja": "A", "fr": "B"}}]}, "axes[0].label", "unknown language 'fr'"),
    ({"kind": "pairwise", "axes": None, "verdicts": ["A"]}, "verdicts", "at least two verdicts"),
])
def test_bad_definitions_name_the_field(change, field, reason):
    with pytest.raises(FieldError) as caught:
        parse_rubric_definition({**SUMMEVAL, **change})
    assert caught.value.field == field and reason in caught.value.reason


def test_import_rubric_reports_file_and_field(db, tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({**SUMMEVAL, "kind": "ranking"}))
    with pytest.raises(CommandError, match=r"bad.json:1: kind: 'ranking' is not one of"):
        call_command("import_rubric", str(path))
    path.write_text("{\n  \"key\": \n")
    with pytest.raises(CommandError, match=r"bad.json:3: json: Expecting value"):
        call_command("import_rubric", str(path))
