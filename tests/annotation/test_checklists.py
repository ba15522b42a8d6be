import pytest
from django.core.management import CommandError, call_command

from annotation.checklists import prompt_checklists
from annotation.errors import RecordError
from annotation.models import Annotator, ChecklistItem, Item, Prompt, Rating, RatingCheck
from annotation.services import checklists_import, responses_import

from .test_imports import response_records, write_csv, write_jsonl

MOUNTAINS = ["二つの山の名前を挙げているか", "それぞれの所在地を述べているか"]


def stored_checklist(external_id):
    prompt = Prompt.objects.get(external_id=external_id)
    return [(item.position, item.text, item.origin) for item in prompt.checklist.order_by("position")]


@pytest.fixture
def campaign_prompts(db, tmp_path):
    responses_import(path=str(write_jsonl(tmp_path / "responses.jsonl", response_records())), campaign_slug="jp-eval")


def tick(external_id, position, checked=True):
    """An annotator's rating of the prompt's first item, answering one of its checklist items."""
    item = Item.objects.filter(response__prompt__external_id=external_id).first()
    annotator, _ = Annotator.objects.get_or_create(handle="tester", defaults={"is_external": True})
    rating = Rating.objects.create(item=item, annotator=annotator)
    checklist_item = ChecklistItem.objects.get(prompt__external_id=external_id, position=position)
    return RatingCheck.objects.create(rating=rating, checklist_item=checklist_item, checked=checked)


class TestChecklistsWithResponses:
    def test_response_records_carry_the_prompt_checklist(self, db, tmp_path):
        records = response_records(prompts=2)
        for record in records:
            if record["prompt_id"] == "q1":
                record["checklist"] = MOUNTAINS
        summary = responses_import(path=str(write_jsonl(tmp_path / "r.jsonl", records)), campaign_slug="jp-eval")

        assert stored_checklist("q1") == [(0, MOUNTAINS[0], "imported"), (1, MOUNTAINS[1], "imported")]
        assert stored_checklist("q2") == []
        assert summary.created["checklist items"] == 2
        q1 = Prompt.objects.get(external_id="q1")
        assert [item.text for item in prompt_checklists([q1.pk])[q1.pk]] == MOUNTAINS

    def test_csv_checklist_column_holds_a_json_list(self, db, tmp_path):
        path = write_csv(tmp_path / "r.csv", ["prompt_id", "prompt", "model", "response", "checklist"], [
            ["q1", "日本で一番高い山は？", "llm-a", "富士山です。", '["富士山と答えているか"]'],
        ])
        responses_import(path=str(path), campaign_slug="jp-eval")
        assert stored_checklist("q1") == [(0, "富士山と答えているか", "imported")]

    def test_two_records_of_one_prompt_must_agree(self, db, tmp_path):
        records = response_records(prompts=1)
        records[0]["checklist"] = MOUNTAINS
        records[1]["checklist"] = MOUNTAINS[:1]
        path = write_jsonl(tmp_path / "r.jsonl", records)
        with pytest.raises(RecordError, match=r"r.jsonl:2: checklist: prompt 'q1' was given a different checklist "
                                              r"on line 1"):
            responses_import(path=str(path), campaign_slug="jp-eval")
        assert not Prompt.objects.exists()

    @pytest.mark.parametrize("value, message", [
        ([], "expected a non-empty list"),
        ("富士山", "expected a non-empty list"),
        (["富士山", ""], r"checklist\[1\]: expected non-empty text"),
        (["富士山", "富士山"], r"checklist\[1\]: repeats item 0"),
        ([f"q{n}" for n in range(21)], "has 21 items; at most 20"),
    ])
    def test_bad_checklists_name_the_field_and_write_nothing(self, db, tmp_path, value, message):
        records = response_records(prompts=1)
        records[1]["checklist"] = value
        with pytest.raises(RecordError, match=message) as raised:
            responses_import(path=str(write_jsonl(tmp_path / "r.jsonl", records)), campaign_slug="jp-eval")
        assert str(raised.value).startswith(f"{tmp_path / 'r.jsonl'}:2: checklist")
        assert not ChecklistItem.objects.exists() and not Prompt.objects.exists()


class TestChecklistsImport:
    def test_imports_checklists_of_stored_prompts_and_is_idempotent(self, campaign_prompts, tmp_path):
        path = write_jsonl(tmp_path / "c.jsonl", [
            {"prompt_id": "q1", "source": "demo-bench", "checklist": MOUNTAINS},
            {"prompt_id": "q2", "source": "demo-bench", "checklist": ["富士山と答えているか"]},
        ])
        first = checklists_import(path=str(path))
        again = checklists_import(path=str(path))

        assert stored_checklist("q1") == [(0, MOUNTAINS[0], "imported"), (1, MOUNTAINS[1], "imported")]
        assert first.created["checklist items"] == 3
        assert again.created["checklist items"] == 0 and again.unchanged["checklists"] == 2
        assert ChecklistItem.objects.count() == 3

    def test_source_option_names_the_prompts_source(self, campaign_prompts, tmp_path):
        path = write_jsonl(tmp_path / "c.jsonl", [{"prompt_id": "q1", "checklist": MOUNTAINS}])
        with pytest.raises(RecordError, match=r"c.jsonl:1: prompt_id: no prompt 'q1' is stored; import its "
                                              r"responses first"):
            checklists_import(path=str(path))
        checklists_import(path=str(path), source="demo-bench")
        assert len(stored_checklist("q1")) == 2

    def test_an_unanswered_checklist_is_replaced(self, campaign_prompts, tmp_path):
        first = write_jsonl(tmp_path / "a.jsonl", [{"prompt_id": "q1", "source": "demo-bench", "checklist": MOUNTAINS}])
        checklists_import(path=str(first))
        second = write_jsonl(tmp_path / "b.jsonl", [{"prompt_id": "q1", "source": "demo-bench",
                                                     "checklist": ["標高を述べているか"]}])
        summary = checklists_import(path=str(second))
        assert stored_checklist("q1") == [(0, "標高を述べているか", "imported")]
        assert summary.replaced["checklists"] == 1
        assert "replaced 1 checklists" in summary.describe()

    def test_an_answered_checklist_is_never_changed(self, campaign_prompts, tmp_path):
        checklists_import(path=str(write_jsonl(tmp_path / "a.jsonl", [
            {"prompt_id": "q1", "source": "demo-bench", "checklist": MOUNTAINS},
            {"prompt_id": "q2", "source": "demo-bench", "checklist": MOUNTAINS},
        ])))
        tick("q2", 1, checked=False)
        changed = write_jsonl(tmp_path / "b.jsonl", [
            {"prompt_id": "q1", "source": "demo-bench", "checklist": ["標高を述べているか"]},
            {"prompt_id": "q2", "source": "demo-bench", "checklist": ["標高を述べているか"]},
        ])
        with pytest.raises(RecordError, match=r"b.jsonl:2: checklist: prompt 'q2' already has a different checklist "
                                              r"that annotators or judges have answered"):
            checklists_import(path=str(changed))
        # All or nothing: q1, which nobody answered, kept its checklist too.
        assert [text for _, text, _ in stored_checklist("q1")] == MOUNTAINS
        assert [text for _, text, _ in stored_checklist("q2")] == MOUNTAINS
        assert RatingCheck.objects.count() == 1

    def test_record_without_a_checklist_is_refused(self, campaign_prompts, tmp_path):
        path = write_jsonl(tmp_path / "c.jsonl", [{"prompt_id": "q1", "source": "demo-bench"}])
        with pytest.raises(RecordError, match="c.jsonl:1: checklist: is required"):
            checklists_import(path=str(path))

    def test_command_reports_and_fails_with_one_line(self, campaign_prompts, tmp_path, capsys):
        good = write_jsonl(tmp_path / "c.jsonl", [{"prompt_id": "q1", "checklist": MOUNTAINS}])
        call_command("import_checklists", str(good), "--source", "demo-bench")
        assert "1 records: created 2 checklist items" in capsys.readouterr().out
        bad = write_jsonl(tmp_path / "d.jsonl", [{"prompt_id": "nope", "checklist": MOUNTAINS}])
        with pytest.raises(CommandError, match="d.jsonl:1: prompt_id: no prompt 'nope'"):
            call_command("import_checklists", str(bad))


def test_a_prompt_position_holds_one_checklist_item(campaign_prompts):
    from django.db import IntegrityError, transaction

    prompt = Prompt.objects.get(external_id="q1")
    ChecklistItem.objects.create(prompt=prompt, position=0, text="a")
    with pytest.raises(IntegrityError), transaction.atomic():
        ChecklistItem.objects.create(prompt=prompt, position=0, text="b")
