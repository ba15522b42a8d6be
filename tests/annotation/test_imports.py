import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from annotation.errors import RecordError
from annotation.models import Annotator, Campaign, Item, LanguageModel, Prompt, Rating, RatingScore, Response
from annotation.services import ratings_import, responses_import

ROOT = Path(__file__).resolve().parents[2]


def write_jsonl(path, records):
    path.write_text("".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records), encoding="utf-8")
    return path


def write_csv(path, header, rows):
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def table_counts():
    return {
        model.__name__: model.objects.count()
        for model in (Campaign, LanguageModel, Prompt, Response, Item, Annotator, Rating, RatingScore)
    }


def response_records(prompts=3, models=("llm-a", "llm-b")):
    return [
        {"prompt_id": f"q{p}", "prompt": f"質問{p}：日本で一番高い山は？", "model": model,
         "response": f"{model}の答え{p}：富士山です。", "category": "stem", "source": "demo-bench"}
        for p in range(1, prompts + 1)
        for model in models
    ]


@pytest.fixture
def responses_file(tmp_path):
    return write_jsonl(tmp_path / "responses.jsonl", response_records())


@pytest.fixture
def imported_campaign(db, responses_file):
    responses_import(path=str(responses_file), campaign_slug="jp-eval")
    return Campaign.objects.get(slug="jp-eval")


class TestResponsesImport:
    def test_jsonl_creates_campaign_models_prompts_responses_and_items(self, db, responses_file):
        summary = responses_import(path=str(responses_file), campaign_slug="jp-eval")

        campaign = Campaign.objects.get(slug="jp-eval")
        assert campaign.rubric.key == "quality-5x5"
        assert sorted(LanguageModel.objects.values_list("name", flat=True)) == ["llm-a", "llm-b"]
        assert Prompt.objects.count() == 3
        assert Response.objects.count() == 6
        assert campaign.items.count() == 6
        prompt = Prompt.objects.get(external_id="q2")
        assert (prompt.source, prompt.category, prompt.turns) == ("demo-bench", "stem", ["質問2：日本で一番高い山は？"])
        assert Response.objects.get(prompt=prompt, model__name="llm-b").turns == ["llm-bの答え2：富士山です。"]
        assert summary.created["responses"] == 6 and summary.records == 6

    def test_multi_turn_records_keep_every_turn(self, db, tmp_path):
        path = write_jsonl(tmp_path / "mt.jsonl", [{
            "prompt_id": "mt-1", "turns": ["旅行の計画を立てて", "予算を半分にして"], "model": "llm-a",
            "responses": ["京都で三日間…", "二日間に短縮…"], "reference": "参考回答", "metadata": {"difficulty": 3},
        }])
        responses_import(path=str(path), campaign_slug="mt")
        prompt = Prompt.objects.get(external_id="mt-1")
        assert prompt.turns == ["旅行の計画を立てて", "予算を半分にして"]
        assert prompt.reference == "参考回答" and prompt.metadata == {"difficulty": 3}
        assert prompt.responses.get().turns == ["京都で三日間…", "二日間に短縮…"]

    def test_csv_gives_the_same_result_as_jsonl(self, db, tmp_path):
        rows = [[r["prompt_id"], r["prompt"], r["model"], r["response"], r["category"], r["source"]]
                for r in response_records()]
        path = write_csv(tmp_path / "responses.csv", ["prompt_id", "prompt", "model", "response", "category", "source"], rows)
        responses_import(path=str(path), campaign_slug="from-csv")
        jsonl_texts = {(r["prompt_id"], r["model"]): [r["response"]] for r in response_records()}
        stored = {(resp.prompt.external_id, resp.model.name): resp.turns
                  for resp in Response.objects.select_related("prompt", "model")}
        assert stored == jsonl_texts

    def test_csv_reads_json_lists_in_cells_and_quoted_newlines(self, db, tmp_path):
        path = write_csv(tmp_path / "mt.csv", ["prompt_id", "turns", "model", "responses"], [
            ["mt-1", json.dumps(["一行目\n二行目", "続き"], ensure_ascii=False), "llm-a",
             json.dumps(["答え1", "答え2"], ensure_ascii=False)],
        ])
        responses_import(path=str(path), campaign_slug="mt")
        assert Prompt.objects.get().turns == ["一行目\n二行目", "続き"]

    def test_reimporting_the_same_file_creates_nothing(self, db, responses_file):
        responses_import(path=str(responses_file), campaign_slug="jp-eval")
        before = table_counts()
        summary = responses_import(path=str(responses_file), campaign_slug="jp-eval")
        assert table_counts() == before
        assert sum(summary.created.values()) == 0
        assert summary.unchanged["responses"] == 6

    def test_a_record_repeated_in_a_later_chunk_of_new_prompts_is_stored_once(self, db, tmp_path, monkeypatch):
        """Prompts this import creates are not looked up again; a response repeated after its chunk still is."""
        monkeypatch.setattr("annotation.services.imports.CHUNK_SIZE", 2)
        records = response_records(prompts=3, models=("llm-a",))
        path = write_jsonl(tmp_path / "repeats.jsonl", [*records, records[0], records[2]])
        summary = responses_import(path=str(path), campaign_slug="jp-eval")
        assert (Prompt.objects.count(), Response.objects.count(), Item.objects.count()) == (3, 3, 3)
        assert summary.created["responses"] == 3 and summary.unchanged["responses"] == 2

    def test_a_changed_response_in_a_later_chunk_of_new_prompts_is_refused_with_its_line(self, db, tmp_path,
                                                                                         monkeypatch):
        monkeypatch.setattr("annotation.services.imports.CHUNK_SIZE", 2)
        records = response_records(prompts=3, models=("llm-a",))
        path = write_jsonl(tmp_path / "changed.jsonl", [*records, {**records[0], "response": "別の答え"}])
        with pytest.raises(RecordError, match=r"changed\.jsonl:4: response: model 'llm-a' already has a different"):
            responses_import(path=str(path), campaign_slug="jp-eval")
        assert Prompt.objects.count() == 0 and Response.objects.count() == 0

    @pytest.mark.parametrize("chunk_size", [2, 10])
    def test_a_prompt_this_import_stored_named_again_with_other_text_is_refused_with_its_line(
            self, db, tmp_path, monkeypatch, chunk_size):
        """In a later chunk (the prompt stored by an earlier one) or in the same one."""
        monkeypatch.setattr("annotation.services.imports.CHUNK_SIZE", chunk_size)
        records = response_records(prompts=3, models=("llm-a",))
        changed = {**records[0], "model": "llm-b", "prompt": "別の質問"}
        path = write_jsonl(tmp_path / "changed.jsonl", [*records, changed])
        with pytest.raises(RecordError, match=r"changed\.jsonl:4: prompt: prompt 'q1' is already stored with other"):
            responses_import(path=str(path), campaign_slug="jp-eval")
        assert Prompt.objects.count() == 0

    def test_a_bad_record_in_a_later_chunk_of_new_prompts_leaves_nothing(self, db, tmp_path, monkeypatch):
        """The chunks before it were written (their prompts, responses and items): all of it is undone."""
        monkeypatch.setattr("annotation.services.imports.CHUNK_SIZE", 2)
        records = response_records(prompts=3, models=("llm-a",))
        path = write_jsonl(tmp_path / "bad.jsonl", [*records, {"prompt_id": "q9", "model": "llm-a", "response": "x"}])
        with pytest.raises(RecordError, match=r"bad\.jsonl:4: prompt: is required"):
            responses_import(path=str(path), campaign_slug="jp-eval")
        assert (Prompt.objects.count(), Response.objects.count(), Item.objects.count()) == (0, 0, 0)
        assert not Campaign.objects.filter(slug="jp-eval").exists()

    def test_same_responses_into_a_second_campaign_share_prompts_and_responses(self, db, responses_file):
        responses_import(path=str(responses_file), campaign_slug="first")
        responses_import(path=str(responses_file), campaign_slug="second", rubric_key="safety-5")
        assert Response.objects.count() == 6
        assert Item.objects.filter(campaign__slug="second").count() == 6
        assert Campaign.objects.get(slug="second").rubric.key == "safety-5"

    def test_changed_response_text_under_same_ids_is_refused(self, db, tmp_path, responses_file):
        responses_import(path=str(responses_file), campaign_slug="jp-eval")
        records = response_records()
        records[3]["response"] = "書き換えた答え"
        changed = write_jsonl(tmp_path / "changed.jsonl", records)
        with pytest.raises(RecordError) as caught:
            responses_import(path=str(changed), campaign_slug="jp-eval")
        assert str(caught.value).startswith(f"{changed}:4: response: model 'llm-b' already has a different response")

    def test_changed_prompt_text_under_same_id_is_refused(self, db, tmp_path, responses_file):
        responses_import(path=str(responses_file), campaign_slug="jp-eval")
        records = response_records()
        records[0]["prompt"] = "別の質問"
        with pytest.raises(RecordError, match=r":1: prompt: prompt 'q1' is already stored with other text"):
            responses_import(path=str(write_jsonl(tmp_path / "p.jsonl", records)), campaign_slug="jp-eval")

    def test_bad_record_at_line_n_of_a_thousand_leaves_database_unchanged(self, db, tmp_path):
        records = response_records(prompts=500)  # 1,000 lines across several chunks
        records[736]["response"] = 42
        path = write_jsonl(tmp_path / "big.jsonl", records)
        before = table_counts()
        with pytest.raises(RecordError) as caught:
            responses_import(path=str(path), campaign_slug="big")
        assert str(caught.value) == f'{path}:737: response: expected text (an empty answer is ""), got int'
        assert table_counts() == before

    def test_an_empty_answer_is_a_response_in_jsonl_and_in_csv(self, db, tmp_path):
        records = response_records(prompts=2)
        records[1]["response"] = ""  # q1, llm-b answered nothing
        multi_turn = {"prompt_id": "mt-1", "turns": ["旅行の計画を立てて", "予算を半分にして"], "model": "llm-a",
                      "responses": ["京都で三日間…", ""]}
        jsonl = write_jsonl(tmp_path / "empty.jsonl", [*records, multi_turn])
        header = ["prompt_id", "prompt", "model", "response"]
        csv_file = write_csv(tmp_path / "empty.csv", header, [
            ["c1", "質問", "llm-a", "答え"], ["c1", "質問", "llm-b", ""]])

        responses_import(path=str(jsonl), campaign_slug="empty-jsonl")
        responses_import(path=str(csv_file), campaign_slug="empty-csv")

        stored = {(r.prompt.external_id, r.model.name): r.turns for r in Response.objects.select_related("prompt", "model")}
        assert stored[("q1", "llm-b")] == [""] and stored[("q1", "llm-a")] == ["llm-aの答え1：富士山です。"]
        assert stored[("mt-1", "llm-a")] == ["京都で三日間…", ""]
        assert stored[("c1", "llm-b")] == [""] and stored[("c1", "llm-a")] == ["答え"]
        assert Item.objects.filter(campaign__slug="empty-jsonl").count() == 5
        assert Item.objects.filter(campaign__slug="empty-csv", response__turns=[""]).count() == 1

    def test_an_empty_answer_in_the_llmjp_layout_is_a_response(self, db, tmp_path):
        record = llmjp_record("jp-1", {"overall": [4]}, {"overall": [1]})
        record["turns"][0]["responses"]["gpt-4"]["response"] = ""
        responses_import(path=str(write_jsonl(tmp_path / "llmjp.jsonl", [record])), campaign_slug="llmjp")
        assert Response.objects.get(model__name="gpt-4").turns == [""]
        assert Rating.objects.filter(item__response__model__name="gpt-4").count() == 1

    @pytest.mark.parametrize("field, value, message", [
        ("response", None, 'response: expected text (an empty answer is ""), got null'),
        ("response", 3, 'response: expected text (an empty answer is ""), got int'),
        ("response", ["答え"], 'response: expected text (an empty answer is ""), got list'),
        ("responses", ["答え", None], 'responses[1]: expected text (an empty answer is ""), got null'),
        ("responses", ["答え", ["続き"]], 'responses[1]: expected text (an empty answer is ""), got list'),
        ("responses", [], "responses: expected a non-empty list of texts"),
    ])
    def test_a_value_of_another_type_where_an_answer_belongs_is_refused(self, db, tmp_path, field, value, message):
        record = {"prompt_id": "q", "prompt": "質問", "model": "m", field: value}
        path = write_jsonl(tmp_path / "bad.jsonl", [response_records(prompts=1)[0], record])
        with pytest.raises(RecordError) as caught:
            responses_import(path=str(path), campaign_slug="bad")
        assert str(caught.value) == f"{path}:2: {message}"
        assert not Campaign.objects.filter(slug="bad").exists() and Response.objects.count() == 0

    def test_a_wrong_type_in_the_llmjp_layout_names_the_model(self, db, tmp_path):
        record = llmjp_record("jp-1", {"overall": [4]}, {"overall": [1]})
        record["turns"][0]["responses"]["gpt-4"]["response"] = None
        path = write_jsonl(tmp_path / "llmjp.jsonl", [record])
        with pytest.raises(RecordError) as caught:
            responses_import(path=str(path), campaign_slug="llmjp")
        assert str(caught.value) == (
            f'{path}:1: turns[0].responses.gpt-4.response: expected text (an empty answer is ""), got null')

    @pytest.mark.parametrize("record, message", [
        ({"prompt": "質問", "model": "m", "response": "答え"}, ":1: prompt_id: is required"),
        ({"prompt_id": "q", "model": "m", "response": "答え"}, ":1: prompt: is required (or give 'turns' as a list)"),
        ({"prompt_id": "q", "prompt": "質問", "response": "答え"}, ":1: model: is required"),
        ({"prompt_id": "q", "prompt": "質問", "model": "m"}, ":1: response: is required"),
        ({"prompt_id": "q", "turns": [], "model": "m", "response": "答え"}, ":1: turns: expected a non-empty list"),
        ({"prompt_id": "q", "turns": ["a", 3], "model": "m", "response": "x"}, ":1: turns[1]: expected non-empty text"),
        ({"prompt_id": "q", "prompt": "質問", "model": "m", "response": "x", "metadata": [1]},
         ":1: metadata: expected an object"),
    ])
    def test_each_bad_field_is_named(self, db, tmp_path, record, message):
        path = write_jsonl(tmp_path / "bad.jsonl", [record])
        with pytest.raises(RecordError) as caught:
            responses_import(path=str(path), campaign_slug="bad")
        assert message in str(caught.value)
        assert not Campaign.objects.filter(slug="bad").exists()

    def test_malformed_json_names_the_line(self, db, tmp_path):
        path = tmp_path / "broken.jsonl"
        lines = [json.dumps(r, ensure_ascii=False) for r in response_records(prompts=2)]
        lines.insert(2, '{"prompt_id": "q9", "prompt": ')
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        with pytest.raises(RecordError, match=r"broken.jsonl:3: json: "):
            responses_import(path=str(path), campaign_slug="broken")
        assert Response.objects.count() == 0

    def test_unknown_rubric_for_a_new_campaign_is_refused(self, db, responses_file):
        with pytest.raises(Exception, match="no rubric 'nope'"):
            responses_import(path=str(responses_file), campaign_slug="x", rubric_key="nope")

    def test_existing_campaign_on_another_rubric_is_refused(self, db, responses_file, imported_campaign):
        with pytest.raises(Exception, match="uses rubric quality-5x5, not safety-5"):
            responses_import(path=str(responses_file), campaign_slug="jp-eval", rubric_key="safety-5")


def llmjp_record(prompt_id, evals_a, evals_b):
    return {
        "id": prompt_id,
        "turns": [{
            "prompt": "敬語の使い方を説明してください。",
            "responses": {
                "llm-jp-13b": {"response": "敬語には尊敬語・謙譲語・丁寧語があります。", "human_evals": evals_a},
                "gpt-4": {"response": "敬語は三種類に分けられます。", "human_evals": evals_b},
            },
        }],
    }


class TestLLMjpLayout:
    def test_scores_become_external_ratings_with_na_null_and_zero_missing(self, db, tmp_path):
        path = write_jsonl(tmp_path / "llmjp.jsonl", [
            llmjp_record("jp-1",
                         {"relevance": [4, 5], "fluency": [5, "NA"], "factuality": [3, 0],
                          "detailedness": [None, 2], "overall": [4, 3]},
                         {"relevance": [5, 5], "overall": [5, 4]}),
        ])
        summary = responses_import(path=str(path), campaign_slug="llmjp", source="llm-jp-eval")

        assert summary.created["responses"] == 2 and summary.created["ratings"] == 4
        annotators = Annotator.objects.filter(is_external=True).order_by("handle")
        assert [a.handle for a in annotators] == ["llm-jp-eval-1", "llm-jp-eval-2"]
        first = Rating.objects.get(annotator__handle="llm-jp-eval-1", item__response__model__name="llm-jp-13b")
        second = Rating.objects.get(annotator__handle="llm-jp-eval-2", item__response__model__name="llm-jp-13b")
        scores = lambda rating: {s.axis.key: s.score for s in rating.scores.select_related("axis")}  # noqa: E731
        assert scores(first) == {"relevance": 4, "fluency": 5, "accuracy": 3, "overall": 4}
        assert scores(second) == {"relevance": 5, "detail": 2, "overall": 3}
        assert first.source == Rating.Source.IMPORT

    def test_reimport_creates_no_duplicate_ratings(self, db, tmp_path):
        path = write_jsonl(tmp_path / "llmjp.jsonl", [llmjp_record("jp-1", {"overall": [4, 2]}, {"overall": [5, 5]})])
        responses_import(path=str(path), campaign_slug="llmjp")
        before = table_counts()
        responses_import(path=str(path), campaign_slug="llmjp")
        assert table_counts() == before

    def test_out_of_range_score_names_model_axis_and_slot(self, db, tmp_path):
        path = write_jsonl(tmp_path / "llmjp.jsonl", [
            llmjp_record("jp-1", {"overall": [4, 2]}, {"overall": [5, 5]}),
            llmjp_record("jp-2", {"overall": [4, 6]}, {"overall": [5, 5]}),
        ])
        with pytest.raises(RecordError) as caught:
            responses_import(path=str(path), campaign_slug="llmjp")
        assert str(caught.value) == (
            f"{path}:2: turns[0].responses.llm-jp-13b.human_evals.overall[1]: score 6 is outside the axis range 1..5"
        )
        assert Response.objects.count() == 0 and Rating.objects.count() == 0

    def test_unknown_axis_is_an_error(self, db, tmp_path):
        path = write_jsonl(tmp_path / "llmjp.jsonl", [llmjp_record("jp-1", {"harmlessness": [4]}, {"overall": [5]})])
        with pytest.raises(RecordError, match="the rubric has no axis 'harmlessness'"):
            responses_import(path=str(path), campaign_slug="llmjp")


def rating(prompt_id, model, annotator, **scores):
    return {"prompt_id": prompt_id, "model": model, "annotator": annotator, "scores": scores}


class TestRatingsImport:
    def test_jsonl_ratings_create_external_annotators_and_scores(self, imported_campaign, tmp_path):
        path = write_jsonl(tmp_path / "ratings.jsonl", [
            rating("q1", "llm-a", "vendor-01", relevance=5, fluency=4, accuracy=5, detail=3, overall=4),
            rating("q1", "llm-a", "vendor-02", relevance=4, overall=4) | {"comment": "やや簡潔すぎる"},
            rating("q2", "llm-b", "vendor-01", factuality=2, detailedness=1, overall=2),
        ])
        summary = ratings_import(path=str(path), campaign_slug="jp-eval")

        assert summary.created["ratings"] == 3 and summary.created["annotators"] == 2
        vendor = Annotator.objects.get(handle="vendor-02")
        assert vendor.is_external and vendor.user is None and vendor.tier == Annotator.Tier.EXTERNAL
        stored = Rating.objects.get(annotator=vendor)
        assert stored.comment == "やや簡潔すぎる"
        third = Rating.objects.get(annotator__handle="vendor-01", item__response__prompt__external_id="q2")
        assert {s.axis.key: s.score for s in third.scores.all()} == {"accuracy": 2, "detail": 1, "overall": 2}

    def test_csv_ratings_with_score_columns(self, imported_campaign, tmp_path):
        path = write_csv(tmp_path / "ratings.csv",
                         ["prompt_id", "model", "annotator", "scores.relevance", "scores.overall", "comment"],
                         [["q1", "llm-a", "s-01", "5", "4", ""], ["q3", "llm-b", "s-01", "2", "NA", "短い"]])
        ratings_import(path=str(path), campaign_slug="jp-eval")
        second = Rating.objects.get(item__response__prompt__external_id="q3")
        assert {s.axis.key: s.score for s in second.scores.all()} == {"relevance": 2}
        assert second.comment == "短い"

    def test_csv_ratings_with_a_json_scores_column(self, imported_campaign, tmp_path):
        path = write_csv(tmp_path / "ratings.csv", ["prompt_id", "model", "annotator", "scores"],
                         [["q1", "llm-b", "s-02", '{"overall": 3, "fluency": 5}']])
        ratings_import(path=str(path), campaign_slug="jp-eval")
        assert sorted(RatingScore.objects.values_list("score", flat=True)) == [3, 5]

    def test_reimport_creates_no_duplicates(self, imported_campaign, tmp_path):
        path = write_jsonl(tmp_path / "ratings.jsonl", [rating("q1", "llm-a", "v1", overall=4),
                                                        rating("q1", "llm-b", "v1", overall=2)])
        ratings_import(path=str(path), campaign_slug="jp-eval")
        before = table_counts()
        summary = ratings_import(path=str(path), campaign_slug="jp-eval")
        assert table_counts() == before and summary.unchanged["ratings"] == 2

    def test_conflicting_second_rating_by_same_annotator_is_refused(self, imported_campaign, tmp_path):
        path = write_jsonl(tmp_path / "ratings.jsonl", [rating("q1", "llm-a", "v1", overall=4),
                                                        rating("q2", "llm-a", "v1", overall=4),
                                                        rating("q1", "llm-a", "v1", overall=1)])
        with pytest.raises(RecordError, match=r"ratings.jsonl:3: annotator: 'v1' already rated model 'llm-a'"):
            ratings_import(path=str(path), campaign_slug="jp-eval")
        assert Rating.objects.count() == 0

    @pytest.mark.parametrize("record, message", [
        (rating("q1", "llm-a", "v1", overall=6), ":1: scores.overall: score 6 is outside the axis range 1..5"),
        (rating("q1", "llm-a", "v1", overall=0), ":1: scores.overall: score 0 is outside the axis range 1..5"),
        (rating("q1", "llm-a", "v1", overall="good"), ":1: scores.overall: expected an integer score, got 'good'"),
        (rating("q1", "llm-a", "v1", overall=3.5), ":1: scores.overall: expected an integer score, got 3.5"),
        (rating("q1", "llm-a", "v1", harmlessness=3), ":1: scores.harmlessness: the rubric has no axis 'harmlessness'"),
        (rating("q1", "llm-a", "v1", overall=None), ":1: scores: no score for any axis of rubric quality-5x5"),
        (rating("q1", "llm-a", "", overall=3), ":1: annotator: is required"),
        (rating("q1", "llm-zzz", "v1", overall=3), ":1: prompt_id: no response by model 'llm-zzz' to prompt 'q1'"),
        (rating("q404", "llm-a", "v1", overall=3), ":1: prompt_id: no response by model 'llm-a' to prompt 'q404'"),
    ])
    def test_each_bad_rating_is_named_and_nothing_is_written(self, imported_campaign, tmp_path, record, message):
        path = write_jsonl(tmp_path / "bad.jsonl", [record])
        before = table_counts()
        with pytest.raises(RecordError) as caught:
            ratings_import(path=str(path), campaign_slug="jp-eval")
        assert message in str(caught.value)
        assert table_counts() == before

    def test_unknown_campaign_is_refused(self, db, tmp_path):
        path = write_jsonl(tmp_path / "ratings.jsonl", [rating("q1", "llm-a", "v1", overall=4)])
        with pytest.raises(Exception, match="no campaign 'nope'"):
            ratings_import(path=str(path), campaign_slug="nope")

    def test_a_response_outside_the_campaign_becomes_an_item(self, imported_campaign, tmp_path, responses_file):
        Campaign.objects.create(slug="other", name="other", rubric=imported_campaign.rubric)
        path = write_jsonl(tmp_path / "ratings.jsonl", [rating("q1", "llm-a", "v1", overall=4)])
        ratings_import(path=str(path), campaign_slug="other")
        assert Item.objects.filter(campaign__slug="other").count() == 1


class TestCommands:
    def test_import_commands_report_what_they_did(self, db, responses_file, tmp_path, capsys):
        call_command("import_responses", str(responses_file), "--campaign", "cli")
        assert "6 records: created 2 models, 3 prompts, 6 responses, 6 items" in capsys.readouterr().out
        path = write_jsonl(tmp_path / "ratings.jsonl", [rating("q1", "llm-a", "v1", overall=4)])
        call_command("import_ratings", str(path), "--campaign", "cli")
        assert "created 1 annotators, 1 ratings" in capsys.readouterr().out

    def test_call_command_raises_command_error_with_the_location(self, db, tmp_path):
        path = write_jsonl(tmp_path / "bad.jsonl", [{"prompt_id": "q"}])
        with pytest.raises(CommandError, match=r"bad.jsonl:1: prompt: is required"):
            call_command("import_responses", str(path), "--campaign", "cli")

    def test_unknown_suffix_is_refused_with_a_hint(self, db, tmp_path):
        path = tmp_path / "data.txt"
        path.write_text("{}")
        with pytest.raises(CommandError, match=r"cannot tell the format from '.txt'; use .jsonl or .csv"):
            call_command("import_responses", str(path), "--campaign", "cli")

    def test_missing_file_is_named(self, db, tmp_path):
        with pytest.raises(CommandError, match=r"nothere.jsonl: file: No such file or directory"):
            call_command("import_responses", str(tmp_path / "nothere.jsonl"), "--campaign", "cli")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_command_line_exits_non_zero_with_one_line(tmp_path):
    """From a shell, a bad file gives exit status 1 and exactly FILE:LINE: field: reason on stderr."""
    path = write_jsonl(tmp_path / "bad.jsonl", response_records(prompts=2) + [{"prompt_id": "q9", "model": "m"}])
    from django.db import connection

    env = {**__import__("os").environ, "DATABASE_URL": _database_url(connection)}
    result = subprocess.run(
        [sys.executable, "manage.py", "import_responses", str(path), "--campaign", "shell", "--skip-checks"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 1
    assert result.stderr.strip() == f"{path}:5: prompt: is required (or give 'turns' as a list)"
    assert not Campaign.objects.filter(slug="shell").exists()


def _database_url(connection):
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    return f"postgres://{settings['USER']}@{settings['HOST']}:{settings['PORT'] or 5432}/{settings['NAME']}"
