"""Reading ratings and judge scores for the statistics: what comes out of the database is what went in."""

import numpy as np
import pytest
from django.db import connection

from annotation.agreement_selectors import campaign_item_models, campaign_ratings, decode_binary_copy, integer_columns
from annotation.models import Item, RatingScore
from judging.meta_eval_selectors import judge_scores, report_inputs
from judging.verdict_selectors import campaign_judges, judge_for_report, judge_verdicts, verdict_counts
from judging.models import JudgeConfig, Verdict

from .report_factories import ANNOTATORS, MODELS, human_records, judge_records, rated_campaign

pytestmark = pytest.mark.django_db


def item_keys(campaign):
    """Item pk → (prompt id, model name)."""
    rows = Item.objects.filter(campaign=campaign).values_list("id", "response__prompt__external_id",
                                                              "response__model__name")
    return {pk: (prompt, model) for pk, prompt, model in rows}


def test_ratings_come_back_as_imported_including_axes_left_out(tmp_path):
    records = human_records(4)
    records[0]["scores"].pop("detail")
    records[1]["scores"] = {"overall": 2}
    campaign = rated_campaign(tmp_path, prompts=4, ratings=records, judge=None)
    rated_campaign(tmp_path, slug="other", prompts=2, judge=None)

    frame = campaign_ratings(campaign)

    keys = item_keys(campaign)
    found = sorted((*keys[row.item], row.annotator, row.axis, int(row.score)) for row in frame.itertuples())
    expected = sorted((r["prompt_id"], r["model"], r["annotator"], axis, score)
                      for r in records for axis, score in r["scores"].items())
    assert found == expected
    assert list(frame.columns) == ["item", "annotator", "axis", "score", "turn"]
    assert frame["turn"].isna().all()  # scores of the whole conversation
    assert set(frame["annotator"]) <= set(ANNOTATORS)


def test_a_campaign_without_ratings_gives_an_empty_table(tmp_path):
    campaign = rated_campaign(tmp_path, prompts=2, ratings=[], judge=None)
    frame = campaign_ratings(campaign)
    assert frame.empty and list(frame.columns) == ["item", "annotator", "axis", "score", "turn"]


def test_items_map_to_the_models_that_wrote_them(tmp_path):
    campaign = rated_campaign(tmp_path, prompts=3, judge=None)
    models = campaign_item_models(campaign)
    assert {pk: models[pk] for pk in models.index} == {pk: model for pk, (_, model) in item_keys(campaign).items()}
    assert sorted(set(models)) == sorted(MODELS)


def test_judge_scores_come_back_per_sample_and_only_for_that_judge_and_campaign(tmp_path):
    records = judge_records(3, samples=2)
    records[0]["scores"] = {"fluency": 3}
    campaign = rated_campaign(tmp_path, prompts=3, verdicts=records)
    rated_campaign(tmp_path, slug="other", prompts=3)  # the same judge name on another campaign
    from judging.services import verdicts_import
    from .report_factories import write_jsonl
    verdicts_import(path=write_jsonl(tmp_path / "second.jsonl", judge_records(3, leniency=-1)),
                    campaign_slug=campaign.slug, judge_name="second-judge")

    judge = judge_for_report("gpt-4o-judge")
    verdicts, job = judge_verdicts(campaign, judge)
    frame = judge_scores(verdicts, campaign)

    keys = item_keys(campaign)
    found = sorted((*keys[row.item], int(row.sample), row.axis, int(row.score)) for row in frame.itertuples())
    expected = sorted((r["prompt_id"], r["model"], r["sample"], axis, score)
                      for r in records for axis, score in r["scores"].items())
    assert found == expected and job is None
    assert campaign_judges(campaign) == ["gpt-4o-judge", "second-judge"]


def test_failed_verdicts_are_counted_but_are_not_scores(tmp_path):
    campaign = rated_campaign(tmp_path, prompts=2)
    judge = JudgeConfig.objects.get(name="gpt-4o-judge")
    item = Item.objects.filter(campaign=campaign).first()
    Verdict.objects.create(judge=judge, item=item, sample=5, parse_status="parse_error", raw_output="{oops")

    inputs = report_inputs(campaign, judge)

    assert inputs.verdicts_by_status == {"imported": 6, "parse_error": 1}
    assert 5 not in set(inputs.judge["sample"]) and len(inputs.judge) == 6 * 5
    assert verdict_counts(Verdict.objects.none()) == {}


@pytest.mark.parametrize("ids_per_row", [1, 4, 8192])
def test_integer_columns_equal_the_plain_query(tmp_path, ids_per_row):
    campaign = rated_campaign(tmp_path, prompts=3, judge=None)
    rows = RatingScore.objects.filter(rating__item__campaign=campaign).values_list(
        "rating__item_id", "rating__annotator_id", "axis_id", "score").order_by()
    columns = integer_columns(rows, (np.int64, np.int64, np.int64, np.int16), ids_per_row=ids_per_row)
    assert sorted(zip(*(column.tolist() for column in columns))) == sorted(rows)
    assert [column.dtype for column in columns] == [np.int64, np.int64, np.int64, np.int16]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="binary COPY is PostgreSQL's")
def test_integer_columns_refuse_a_width_that_does_not_match_the_database(tmp_path):
    campaign = rated_campaign(tmp_path, prompts=1, judge=None)
    rows = RatingScore.objects.filter(rating__item__campaign=campaign).values_list("rating__item_id", "score")
    with pytest.raises(ValueError, match="expected integer width"):
        integer_columns(rows, (np.int64, np.int64))


def binary_array(values, width, element_type=20):
    """PostgreSQL's binary form of a one-dimensional integer array without NULLs."""
    header = b"".join(number.to_bytes(4, "big") for number in (1, 0, element_type, len(values), 1))
    elements = b"".join(width.to_bytes(4, "big") + value.to_bytes(width, "big", signed=True) for value in values)
    return header + elements


def binary_copy(rows):
    """A binary COPY stream (with a 2-byte header extension) of rows of fields."""
    body = b"".join(len(row).to_bytes(2, "big") + b"".join(len(field).to_bytes(4, "big") + field for field in row)
                    for row in rows)
    return b"PGCOPY\n\xff\r\n\x00" + b"\x00" * 4 + (2).to_bytes(4, "big") + b"xx" + body + b"\xff\xff"


def test_binary_copy_decoding_reads_big_endian_integer_arrays():
    data = binary_copy([[binary_array([-3, 5], 8), binary_array([7, 1], 2)], [binary_array([9], 8), binary_array([2], 2)]])
    item, score = decode_binary_copy(memoryview(data), (np.int64, np.int16))
    assert item.tolist() == [-3, 5, 9] and score.tolist() == [7, 1, 2]
    assert [a.tolist() for a in decode_binary_copy(memoryview(binary_copy([])), (np.int64,))] == [[]]
    with pytest.raises(ValueError, match="expected integer width"):
        decode_binary_copy(memoryview(data), (np.int64, np.int64))
    with pytest.raises(ValueError, match="not the output of a binary COPY"):
        decode_binary_copy(memoryview(b"not a copy"), (np.int64,))


def test_the_same_ratings_in_another_order_give_the_same_intervals(tmp_path, monkeypatch):
    from annotation import agreement_selectors
    from exports.reports.agreement import likert_agreement

    campaign = rated_campaign(tmp_path, prompts=8, judge=None)
    first = likert_agreement(campaign, replicates=200)
    reading = agreement_selectors.integer_columns

    def shuffled(rows, dtypes, **options):
        columns = reading(rows, dtypes, **options)
        order = np.random.default_rng(5).permutation(len(columns[0]))
        return [column[order] for column in columns]

    monkeypatch.setattr(agreement_selectors, "integer_columns", shuffled)
    assert likert_agreement(campaign, replicates=200) == first
    assert agreement_selectors.canonical_order(np.array([3, 1, 3, 1]), np.array([7, 9, 2, 2])).tolist() == [3, 1, 2, 0]
