"""bulk_insert works its values out a column at a time (annotation.bulk._values); they must be those Django's
fields give one value at a time (_db_value), whatever the rows name or leave out."""

import uuid

import pytest
from django.db import connection
from django.utils import timezone
from django.utils.functional import lazy

from annotation.bulk import (
    _db_value, _values, bulk_insert, bulk_insert_per_value, cycle_collector_paused, rows_with_keys,
)
from annotation.models import Item, Prompt, Response

pytestmark = pytest.mark.django_db


def _in_python(field, value):
    """A database value as Python reads it back, so that a Jsonb wrapper and JSON text compare by content."""
    if hasattr(value, "obj"):
        return value.obj
    if field.get_internal_type() == "JSONField" and isinstance(value, str):
        import json

        return json.loads(value)
    return value


ROWS = {
    Prompt: [{"source": "s", "external_id": "p1", "turns": ["質問 \"1\"\n"], "metadata": {},
              "category": lazy(str, str)("c")},
             {"source": "s", "external_id": 7, "turns": [], "metadata": {"k": [1, "二"]}, "category": "c"}],
    Response: [{"prompt_id": 1, "model_id": 2, "turns": ["答え"], "metadata": None},
               {"prompt": 1, "model_id": True, "turns": ["x"], "metadata": {"a": 1}}],
    Item: [{"campaign_id": 3, "response_id": 4, "position": 5}, {"campaign_id": 3, "response_id": "6"}],
}


@pytest.mark.parametrize("model", list(ROWS))
def test_column_values_are_the_fields_values(model):
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    now = timezone.now()
    rows = ROWS[model]
    for row, values in zip(rows, _values(fields, rows, now, connection)):
        for field, value in zip(fields, values):
            if field.get_internal_type() == "UUIDField":  # a new random one each: the form, not the value
                assert uuid.UUID(str(value)).version == 4
                continue
            expected = _db_value(field, row, now, connection)
            assert _in_python(field, value) == _in_python(field, expected), field.name


def test_new_rows_get_distinct_version_4_public_ids(lead):
    ids = bulk_insert(Prompt, [{"source": "bulk", "external_id": f"p{n}", "turns": [f"q{n}"]} for n in range(500)])
    public_ids = list(Prompt.objects.filter(pk__in=ids).values_list("public_id", flat=True))
    assert len(set(public_ids)) == 500 and {value.version for value in public_ids} == {4}
    assert Prompt.objects.get(pk=ids[0]).turns == ["q0"] and Prompt.objects.get(pk=ids[0]).metadata == {}


def test_rows_with_keys_are_the_rows_of_those_keys_only(lead):
    """A key whose fields each match some row, but not the same row, gives nothing (s and p2 are stored, (s, p2)
    is not); JSON fields come back as the ORM reads them."""
    bulk_insert(Prompt, [{"source": source, "external_id": external_id, "turns": [f"{source}{external_id}"]}
                         for source, external_id in [("s", "p1"), ("s", "p3"), ("t", "p2")]])
    rows = rows_with_keys(Prompt, ("source", "external_id"), [("s", "p1"), ("s", "p2"), ("t", "p2"), ("u", "p1")],
                          ("external_id", "source", "turns"))
    assert sorted(rows) == [("p1", "s", ["sp1"]), ("p2", "t", ["tp2"])]
    assert rows_with_keys(Prompt, ("source", "external_id"), [], ("id",)) == []


def test_text_that_copy_would_misread_comes_back_as_it_was_given(lead):
    """PostgreSQL's rows go in as COPY's text format, written by annotation.bulk: backslashes, tabs, newlines and
    carriage returns in text, and in JSON, must come back unchanged."""
    texts = ["a\\b", "tab\there", "line\nbreak", "cr\rlf\r\n", "\\N", "\\", "quote \" and \\\" 絵文字 😀", "\b\f\v"]
    ids = bulk_insert(Prompt, [{"source": "copy", "external_id": f"p{n}", "turns": [text, f"{text}!"],
                                "reference": text, "context": "", "metadata": {"note": text}}
                               for n, text in enumerate(texts)])
    stored = {prompt.pk: prompt for prompt in Prompt.objects.filter(pk__in=ids)}
    for pk, text in zip(ids, texts):
        prompt = stored[pk]
        assert (prompt.turns, prompt.reference, prompt.metadata) == ([text, f"{text}!"], text, {"note": text})
        assert prompt.category == "" and prompt.created_at is not None


def test_rows_per_value_take_the_constants_and_the_defaults(lead):
    from annotation.models import Campaign, LanguageModel, Rubric

    prompt_ids = bulk_insert(Prompt, [{"source": "per", "external_id": f"p{n}", "turns": ["q"]} for n in range(3)])
    model = LanguageModel.objects.create(name="per-value")
    response_ids = bulk_insert(Response, [{"prompt_id": pk, "model_id": model.id, "turns": ["a"]} for pk in prompt_ids])
    campaign = Campaign.objects.create(slug="per-value", name="per value", rubric=Rubric.objects.first())
    ids = bulk_insert_per_value(Item, "response_id", response_ids, campaign_id=campaign.id)
    items = {item.pk: item for item in Item.objects.filter(pk__in=ids)}
    assert [items[pk].response_id for pk in ids] == response_ids
    assert {(item.campaign_id, item.position, item.quality_role, item.batch_id) for item in items.values()} == {
        (campaign.id, 0, "", None)}
    public_ids = {item.public_id for item in items.values()}
    assert len(public_ids) == 3 and {public_id.version for public_id in public_ids} == {4}
    assert all(item.created_at is not None for item in items.values())
    assert bulk_insert_per_value(Item, "response_id", [], campaign_id=campaign.id) == []


def test_the_cycle_collector_runs_again_after_the_block_as_it_did_before():
    import gc

    assert gc.isenabled()
    with pytest.raises(ValueError), cycle_collector_paused():
        assert not gc.isenabled()
        raise ValueError
    assert gc.isenabled()
    gc.disable()
    try:
        with cycle_collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
