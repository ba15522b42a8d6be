"""Pairwise campaigns from imports: verdict sets, items of pairs (--pair, or made by ratings), pairwise ratings
turned to the item's terms, all or nothing."""

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction

from annotation.errors import FieldError, HyokaError, RecordError
from annotation.models import Annotator, Campaign, Item, PairwiseVerdict, Prompt, Rating, Response, Rubric
from annotation.rubric_definitions import PAIRWISE_VERDICTS, parse_rubric_definition
from annotation.services import ratings_import, responses_import, rubric_import
from tests.annotation.test_imports import write_csv, write_jsonl

CONTEXT, BASE, OTHER = "llm-jp-13b+context", "llm-jp-13b", "gpt-4o"


def table_counts():
    return {model.__name__: model.objects.count() for model in (Campaign, Prompt, Response, Item, Annotator, Rating)}


def answers(prompts=(1, 2, 3), models=(CONTEXT, BASE, OTHER)):
    return [{"prompt_id": f"q{p}", "prompt": f"質問{p}：敬語を説明して", "model": model, "response": f"{model}の答え{p}"}
            for p in prompts for model in models]


def vote(prompt_id, model_a, model_b, annotator, verdict, **extra):
    return {"prompt_id": prompt_id, "model_a": model_a, "model_b": model_b, "annotator": annotator,
            "verdict": verdict, **extra}


def pairwise_rubric(key="context-abbn", verdicts=("A", "B", "both", "neither")):
    definition = parse_rubric_definition({"key": key, "name": key, "kind": "pairwise", "verdicts": list(verdicts)})
    return rubric_import(definition=definition)[0]


@pytest.fixture
def responses_file(tmp_path):
    return write_jsonl(tmp_path / "responses.jsonl", answers())


@pytest.fixture
def stored_responses(db, responses_file):
    responses_import(path=str(responses_file), campaign_slug="likert")


@pytest.fixture
def pair_campaign(db, stored_responses):
    """A pairwise campaign (A / B / both / neither) made by a lead, without items yet."""
    return Campaign.objects.create(slug="ctx", name="context", rubric=pairwise_rubric())


def item_sides(item):
    return item.response.prompt.external_id, item.response.model.name, item.response_b.model.name


class TestVerdictSets:
    @pytest.mark.parametrize("verdicts", [["A", "B", "tie"], ["A", "B", "both", "neither"], ["B", "A"],
                                          list(PAIRWISE_VERDICTS)])
    def test_a_pairwise_rubric_offers_a_subset_holding_a_and_b(self, verdicts):
        definition = parse_rubric_definition({"key": "p", "name": "p", "kind": "pairwise", "verdicts": verdicts})
        assert definition.verdicts == tuple(verdicts)

    @pytest.mark.parametrize("verdicts, field, reason", [
        (["A", "B", "draw"], "verdicts[2]", "'draw' is not one of A, B, tie, both, neither"),
        (["A", "tie"], "verdicts", "offers both A and B"),
        (["A", "B", "A"], "verdicts", "may appear only once"),
    ])
    def test_other_verdict_sets_are_refused(self, verdicts, field, reason):
        with pytest.raises(FieldError) as caught:
            parse_rubric_definition({"key": "p", "name": "p", "kind": "pairwise", "verdicts": verdicts})
        assert caught.value.field == field and reason in caught.value.reason

    def test_the_vocabulary_is_the_models_choices(self):
        assert tuple(PairwiseVerdict.values) == PAIRWISE_VERDICTS


class TestPairOption:
    def test_pair_makes_one_item_per_prompt_both_models_answer(self, db, tmp_path):
        pairwise_rubric()
        path = write_jsonl(tmp_path / "r.jsonl", answers() + answers(prompts=(4,), models=(CONTEXT,)))
        summary = responses_import(path=str(path), campaign_slug="ctx", rubric_key="context-abbn",
                                   pair=(CONTEXT, BASE))

        campaign = Campaign.objects.get(slug="ctx")
        assert campaign.rubric.kind == Rubric.Kind.PAIRWISE
        items = campaign.items.select_related("response__prompt", "response__model", "response_b__model")
        assert sorted(item_sides(item) for item in items) == [(f"q{p}", CONTEXT, BASE) for p in (1, 2, 3)]
        assert summary.created["items"] == 3 and summary.created["responses"] == 10
        assert summary.skipped["prompts without both responses"] == 1
        assert summary.describe().endswith("skipped 1 prompts without both responses")

    def test_responses_are_shared_with_likert_campaigns_and_a_second_import_makes_nothing(
            self, stored_responses, responses_file):
        pairwise_rubric()
        before = Response.objects.count()
        for _ in range(2):
            summary = responses_import(path=str(responses_file), campaign_slug="ctx", rubric_key="context-abbn",
                                       pair=(CONTEXT, BASE))
        assert Response.objects.count() == before == 9
        assert Item.objects.filter(campaign__slug="ctx").count() == 3
        assert summary.created["items"] == 0 and summary.unchanged["items"] == 3

    def test_a_pair_given_the_other_way_round_keeps_the_existing_items(self, db, responses_file):
        pairwise_rubric()
        responses_import(path=str(responses_file), campaign_slug="ctx", rubric_key="context-abbn", pair=(CONTEXT, BASE))
        summary = responses_import(path=str(responses_file), campaign_slug="ctx", pair=(BASE, CONTEXT))
        assert summary.created["items"] == 0 and Item.objects.count() == 3
        assert set(Item.objects.values_list("response__model__name", flat=True)) == {CONTEXT}

    def test_a_pairwise_campaign_needs_a_pair_and_a_likert_one_refuses_it(self, db, responses_file):
        pairwise_rubric()
        with pytest.raises(HyokaError, match="ctx is pairwise: give --pair MODEL_A MODEL_B"):
            responses_import(path=str(responses_file), campaign_slug="ctx", rubric_key="context-abbn")
        with pytest.raises(HyokaError, match="--pair makes pairwise items, but campaign likert uses the likert"):
            responses_import(path=str(responses_file), campaign_slug="likert", pair=(CONTEXT, BASE))
        assert not Campaign.objects.exists() and not Response.objects.exists()

    @pytest.mark.parametrize("pair, message", [
        ((CONTEXT, "llm-typo"), "no prompt of .* has responses by both 'llm-jp-13b\\+context' and 'llm-typo'"),
        ((BASE, BASE), "--pair needs two different models"),
    ])
    def test_a_pair_that_makes_no_item_is_refused_and_nothing_is_written(self, db, responses_file, pair, message):
        pairwise_rubric()
        with pytest.raises(HyokaError, match=message):
            responses_import(path=str(responses_file), campaign_slug="ctx", rubric_key="context-abbn", pair=pair)
        assert not Response.objects.exists() and not Campaign.objects.filter(slug="ctx").exists()

    def test_llmjp_scores_need_a_likert_campaign(self, db, tmp_path):
        pairwise_rubric()
        record = {"id": "jp-1", "turns": [{"prompt": "質問", "responses": {
            CONTEXT: {"response": "答え", "human_evals": {"overall": [4]}}, BASE: {"response": "答え2"}}}]}
        path = write_jsonl(tmp_path / "llmjp.jsonl", [record])
        with pytest.raises(RecordError, match=r"llmjp.jsonl:1: human_evals: scores need a likert campaign"):
            responses_import(path=str(path), campaign_slug="ctx", rubric_key="context-abbn", pair=(CONTEXT, BASE))

    def test_the_command_takes_the_pair(self, db, responses_file, capsys):
        pairwise_rubric()
        call_command("import_responses", str(responses_file), "--campaign", "ctx", "--rubric", "context-abbn",
                     "--pair", CONTEXT, BASE)
        assert "created 3 models, 3 prompts, 9 responses, 3 items" in capsys.readouterr().out


class TestPairwiseRatings:
    def test_votes_are_stored_in_the_items_terms(self, pair_campaign, tmp_path):
        path = write_jsonl(tmp_path / "votes.jsonl", [
            vote("q1", CONTEXT, BASE, "v1", "A", comment="文脈を反映"),
            vote("q1", BASE, CONTEXT, "v2", "A"),  # the same pair told the other way round: B in the item's terms
            vote("q1", BASE, CONTEXT, "v3", "neither"),
            vote("q2", BASE, CONTEXT, "v1", "B"),  # a new item takes this record's orientation
        ])
        summary = ratings_import(path=str(path), campaign_slug="ctx")

        assert summary.created["items"] == 2 and summary.created["ratings"] == 4 and summary.created["annotators"] == 3
        first, second = Item.objects.filter(campaign=pair_campaign).order_by("response__prompt__external_id")
        assert item_sides(first) == ("q1", CONTEXT, BASE) and item_sides(second) == ("q2", BASE, CONTEXT)
        verdicts = {(r.item_id, r.annotator.handle): r.verdict for r in Rating.objects.select_related("annotator")}
        assert verdicts == {(first.id, "v1"): "A", (first.id, "v2"): "B", (first.id, "v3"): "neither",
                            (second.id, "v1"): "B"}
        stored = Rating.objects.get(annotator__handle="v1", item=first)
        assert (stored.comment, stored.position, stored.source) == ("文脈を反映", "", Rating.Source.IMPORT)
        assert not stored.scores.exists()

    def test_items_made_by_pair_are_found_from_either_side(self, db, stored_responses, responses_file, tmp_path):
        pairwise_rubric()
        responses_import(path=str(responses_file), campaign_slug="ctx", rubric_key="context-abbn", pair=(CONTEXT, BASE))
        path = write_jsonl(tmp_path / "votes.jsonl", [vote("q3", BASE, CONTEXT, "v1", "A")])
        summary = ratings_import(path=str(path), campaign_slug="ctx")
        assert summary.created["items"] == 0
        assert Rating.objects.get().verdict == "B"

    def test_reimport_and_the_same_judgment_told_the_other_way_round_change_nothing(self, pair_campaign, tmp_path):
        path = write_jsonl(tmp_path / "votes.jsonl", [vote("q1", CONTEXT, BASE, "v1", "A"),
                                                      vote("q2", CONTEXT, OTHER, "v1", "both")])
        ratings_import(path=str(path), campaign_slug="ctx")
        before = table_counts()
        swapped = write_jsonl(tmp_path / "swapped.jsonl", [vote("q1", BASE, CONTEXT, "v1", "B"),
                                                           vote("q2", OTHER, CONTEXT, "v1", "both")])
        for again in (path, swapped):
            summary = ratings_import(path=str(again), campaign_slug="ctx")
            assert table_counts() == before and summary.unchanged["ratings"] == 2

    def test_another_verdict_by_the_same_annotator_is_refused(self, pair_campaign, tmp_path):
        path = write_jsonl(tmp_path / "votes.jsonl", [vote("q1", CONTEXT, BASE, "v1", "A"),
                                                      vote("q2", CONTEXT, BASE, "v1", "A"),
                                                      vote("q1", BASE, CONTEXT, "v1", "A")])
        before = table_counts()
        with pytest.raises(RecordError, match=r"votes.jsonl:3: annotator: 'v1' already compared 'llm-jp-13b' with"):
            ratings_import(path=str(path), campaign_slug="ctx")
        assert table_counts() == before

    @pytest.mark.parametrize("record, message", [
        (vote("q1", CONTEXT, BASE, "v1", "tie"),
         ":2: verdict: 'tie' is not a verdict of rubric context-abbn (its verdicts: A, B, both, neither)"),
        (vote("q1", CONTEXT, BASE, "v1", "a"), ":2: verdict: 'a' is not a verdict of rubric context-abbn"),
        (vote("q1", CONTEXT, CONTEXT, "v1", "A"), ":2: model_b: is the same model as model_a"),
        (vote("q1", CONTEXT, "llm-zzz", "v1", "A"), ":2: model_b: no response by model 'llm-zzz' to prompt 'q1'"),
        (vote("q404", CONTEXT, BASE, "v1", "A"), ":2: model_a: no response by model 'llm-jp-13b+context' to prompt"),
        (vote("q1", CONTEXT, BASE, "", "A"), ":2: annotator: is required"),
        (vote("q1", CONTEXT, BASE, "v1", None), ":2: verdict: is required"),
        ({"prompt_id": "q1", "model": CONTEXT, "annotator": "v1", "scores": {"overall": 4}},
         ":2: model_a: is required"),
    ])
    def test_each_bad_vote_is_named_and_nothing_is_written(self, pair_campaign, tmp_path, record, message):
        path = write_jsonl(tmp_path / "bad.jsonl", [vote("q2", OTHER, BASE, "v9", "A"), record])
        before = table_counts()
        with pytest.raises(RecordError) as caught:
            ratings_import(path=str(path), campaign_slug="ctx")
        assert message in str(caught.value)
        assert table_counts() == before

    def test_csv_votes(self, pair_campaign, tmp_path):
        path = write_csv(tmp_path / "votes.csv", ["prompt_id", "model_a", "model_b", "annotator", "verdict", "comment"],
                         [["q1", CONTEXT, BASE, "s-01", "both", ""], ["q1", BASE, CONTEXT, "s-02", "A", "短い"]])
        ratings_import(path=str(path), campaign_slug="ctx")
        assert sorted(Rating.objects.values_list("verdict", "comment")) == [("B", "短い"), ("both", "")]

    def test_likert_records_in_a_pairwise_campaign_and_votes_in_a_likert_one_are_refused(self, pair_campaign, tmp_path):
        path = write_jsonl(tmp_path / "votes.jsonl", [vote("q1", CONTEXT, BASE, "v1", "A")])
        with pytest.raises(RecordError, match=r"votes.jsonl:1: model: is required"):
            ratings_import(path=str(path), campaign_slug="likert")

    def test_the_command_reports_what_it_did(self, pair_campaign, tmp_path, capsys):
        path = write_jsonl(tmp_path / "votes.jsonl", [vote("q1", CONTEXT, BASE, "v1", "A"),
                                                      vote("q1", BASE, CONTEXT, "v2", "both")])
        call_command("import_ratings", str(path), "--campaign", "ctx")
        assert "2 records: created 1 items, 2 annotators, 2 ratings" in capsys.readouterr().out
        with pytest.raises(CommandError, match="no campaign 'nope'"):
            call_command("import_ratings", str(path), "--campaign", "nope")


class TestConstraints:
    def test_one_item_per_unordered_pair(self, pair_campaign):
        a = Response.objects.get(prompt__external_id="q1", model__name=CONTEXT)
        b = Response.objects.get(prompt__external_id="q1", model__name=BASE)
        Item.objects.create(campaign=pair_campaign, response=a, response_b=b)
        with pytest.raises(IntegrityError), transaction.atomic():
            Item.objects.create(campaign=pair_campaign, response=b, response_b=a)

    @pytest.mark.parametrize("fields", [{"verdict": "draw"}, {"verdict": "A", "position": "AA"}])
    def test_ratings_hold_known_verdicts_and_positions(self, pair_campaign, fields):
        a, b = Response.objects.filter(prompt__external_id="q1", model__name__in=(CONTEXT, BASE))
        item = Item.objects.create(campaign=pair_campaign, response=a, response_b=b)
        annotator = Annotator.objects.create(handle="x", is_external=True)
        with pytest.raises(IntegrityError), transaction.atomic():
            Rating.objects.create(item=item, annotator=annotator, **fields)
