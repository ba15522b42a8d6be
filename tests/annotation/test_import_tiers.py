"""Tiers of imported annotators (a tier column, or --tier for the whole file) and gzip-compressed import files."""

import gzip

import pytest
from django.core.management import CommandError, call_command

from annotation.errors import RecordError
from annotation.models import Annotator, Rating
from annotation.services import ratings_import, responses_import

from .test_imports import imported_campaign, rating, responses_file, table_counts, write_csv, write_jsonl  # noqa: F401
from .pairwise_factories import pairwise_campaign


def test_import_ratings_tier_gives_the_files_new_annotators_that_tier(imported_campaign, tmp_path, capsys):
    path = write_jsonl(tmp_path / "ratings.jsonl", [rating("q1", "llm-a", "v1", overall=4),
                                                    rating("q2", "llm-a", "v2", overall=3)])
    call_command("import_ratings", str(path), "--campaign", "jp-eval", "--tier", "vendor")
    assert dict(Annotator.objects.values_list("handle", "tier")) == {"v1": "vendor", "v2": "vendor"}
    assert Annotator.objects.filter(is_external=True).count() == 2


def test_an_unknown_tier_option_is_refused_by_the_command(imported_campaign, tmp_path):
    path = write_jsonl(tmp_path / "ratings.jsonl", [rating("q1", "llm-a", "v1", overall=4)])
    with pytest.raises(CommandError, match="invalid choice: 'expert'"):
        call_command("import_ratings", str(path), "--campaign", "jp-eval", "--tier", "expert")


def test_a_tier_column_wins_over_the_files_tier(imported_campaign, tmp_path):
    path = write_csv(tmp_path / "ratings.csv", ["prompt_id", "model", "annotator", "scores.overall", "tier"],
                     [["q1", "llm-a", "s-01", "5", "Professional"], ["q1", "llm-a", "s-02", "4", ""],
                      ["q2", "llm-a", "s-01", "3", "professional"]])
    ratings_import(path=str(path), campaign_slug="jp-eval", tier="undergraduate")
    assert dict(Annotator.objects.values_list("handle", "tier")) == {"s-01": "professional", "s-02": "undergraduate"}


def test_without_a_tier_imported_annotators_are_external(imported_campaign, tmp_path):
    path = write_jsonl(tmp_path / "ratings.jsonl", [rating("q1", "llm-a", "v1", overall=4)])
    ratings_import(path=str(path), campaign_slug="jp-eval")
    assert Annotator.objects.get(handle="v1").tier == Annotator.Tier.EXTERNAL


@pytest.mark.parametrize("records, message", [
    ([rating("q1", "llm-a", "v1", overall=4) | {"tier": "expert"}],
     "ratings.jsonl:1: tier: 'expert' is not a tier (tiers: professional, graduate, undergraduate, vendor, external)"),
    ([rating("q1", "llm-a", "v1", overall=4) | {"tier": "vendor"}, rating("q2", "llm-a", "v1", overall=4)
      | {"tier": "graduate"}], "ratings.jsonl:2: tier: annotator 'v1' has tier vendor on line 1, not graduate"),
])
def test_a_bad_or_contradictory_tier_is_named_and_nothing_is_written(imported_campaign, tmp_path, records, message):
    path = write_jsonl(tmp_path / "ratings.jsonl", records)
    before = table_counts()
    with pytest.raises(RecordError) as caught:
        ratings_import(path=str(path), campaign_slug="jp-eval")
    assert message in str(caught.value)
    assert table_counts() == before


def test_a_tier_that_contradicts_a_stored_annotator_is_refused(imported_campaign, tmp_path):
    first = write_jsonl(tmp_path / "first.jsonl", [rating("q1", "llm-a", "v1", overall=4)])
    ratings_import(path=str(first), campaign_slug="jp-eval", tier="vendor")
    second = write_jsonl(tmp_path / "ratings.jsonl", [rating("q2", "llm-a", "v1", overall=4)])
    with pytest.raises(RecordError, match="ratings.jsonl:1: tier: annotator 'v1' has tier vendor, not graduate"):
        ratings_import(path=str(second), campaign_slug="jp-eval", tier="graduate")
    assert Rating.objects.count() == 1
    ratings_import(path=str(second), campaign_slug="jp-eval", tier="vendor")  # the same tier again is fine
    assert Rating.objects.count() == 2


def test_pairwise_votes_take_a_tier_too(db, tmp_path):
    campaign = pairwise_campaign()
    path = write_jsonl(tmp_path / "votes.jsonl", [
        {"prompt_id": "p1", "model_a": "model-a", "model_b": "model-b", "annotator": "p1", "verdict": "A",
         "tier": "graduate"},
    ])
    ratings_import(path=str(path), campaign_slug=campaign.slug)
    assert Annotator.objects.get(handle="p1").tier == "graduate"


def test_gzip_compressed_files_are_read_like_plain_ones(db, tmp_path):
    plain = write_jsonl(tmp_path / "responses.jsonl", [
        {"prompt_id": "q1", "prompt": "富士山の高さは？", "model": "m", "response": "3776 m"}])
    packed = tmp_path / "responses.jsonl.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    summary = responses_import(path=str(packed), campaign_slug="gz")
    assert summary.created["responses"] == 1


def test_a_gz_name_on_a_file_that_is_not_gzip_is_named(db, tmp_path):
    path = tmp_path / "responses.jsonl.gz"
    path.write_text('{"prompt_id": "q1"}\n')
    with pytest.raises(RecordError, match=r"responses.jsonl.gz: file: is not gzip-compressed, although its name ends "
                                          r"in .gz"):
        responses_import(path=str(path), campaign_slug="gz")


def test_broken_gzip_data_is_named(db, tmp_path):
    path = tmp_path / "responses.csv.gz"
    path.write_bytes(gzip.compress(b"prompt_id,prompt,model,response\n" * 100)[:40])
    with pytest.raises(RecordError, match=r"responses.csv.gz: file: broken gzip data"):
        responses_import(path=str(path), campaign_slug="gz")
