"""The database itself refuses what the invariants forbid, whatever code path writes."""

import pytest
from django.db import IntegrityError, transaction

from annotation.models import (
    Annotator, Campaign, ChecklistItem, Item, LanguageModel, Prompt, Rating, RatingCheck, RatingScore, Response,
    RubricAxis,
)
from judging.models import JudgeConfig, Verdict, VerdictScore


@pytest.fixture
def item(campaign):
    prompt = Prompt.objects.create(external_id="q1", turns=["日本の首都は？"])
    model = LanguageModel.objects.create(name="llm-a")
    response = Response.objects.create(prompt=prompt, model=model, turns=["東京です。"])
    return Item.objects.create(campaign=campaign, response=response)


@pytest.fixture
def rating(item):
    return Rating.objects.create(item=item, annotator=Annotator.objects.create(handle="v1", is_external=True))


def axis(campaign, key):
    return campaign.rubric.axes.get(key=key)


def refused(create):
    with pytest.raises(IntegrityError), transaction.atomic():
        create()


@pytest.mark.parametrize("score", [0, 6, -1, 100])
def test_out_of_range_scores_are_refused_by_the_database(campaign, rating, score):
    refused(lambda: RatingScore.objects.create(rating=rating, axis=axis(campaign, "overall"), score=score))
    assert not RatingScore.objects.exists()


@pytest.mark.parametrize("score", [1, 5])
def test_scores_at_the_ends_of_the_range_are_kept(campaign, rating, score):
    RatingScore.objects.create(rating=rating, axis=axis(campaign, "overall"), score=score)
    assert RatingScore.objects.get().score == score


def test_bulk_insert_and_update_cannot_bypass_the_range(campaign, rating):
    overall = axis(campaign, "overall")
    refused(lambda: RatingScore.objects.bulk_create([RatingScore(rating=rating, axis=overall, score=9)]))
    kept = RatingScore.objects.create(rating=rating, axis=overall, score=3)
    refused(lambda: RatingScore.objects.filter(pk=kept.pk).update(score=7))
    assert RatingScore.objects.get().score == 3


def test_custom_ranges_are_checked_per_axis(campaign, rating):
    wide = RubricAxis.objects.create(rubric=campaign.rubric, key="wide", label_ja="広", label_en="Wide",
                                     min_score=-3, max_score=10, position=9)
    RatingScore.objects.create(rating=rating, axis=wide, score=-3)
    refused(lambda: RatingScore.objects.create(rating=rating, axis=axis(campaign, "detail"), score=-3))


def test_a_second_rating_of_the_same_item_by_the_same_annotator_is_refused(item, rating):
    refused(lambda: Rating.objects.create(item=item, annotator=rating.annotator))
    assert Rating.objects.count() == 1


def test_one_score_per_axis_per_rating(campaign, rating):
    RatingScore.objects.create(rating=rating, axis=axis(campaign, "overall"), score=3)
    refused(lambda: RatingScore.objects.create(rating=rating, axis=axis(campaign, "overall"), score=4))


def test_judge_scores_are_range_checked_too(campaign, item):
    judge = JudgeConfig.objects.create(name="gpt-4o-import", rubric=campaign.rubric, is_external=True)
    verdict = Verdict.objects.create(judge=judge, item=item)
    refused(lambda: VerdictScore.objects.create(verdict=verdict, axis=axis(campaign, "overall"), score=6))
    refused(lambda: Verdict.objects.create(judge=judge, item=item, sample=0))


def test_one_answer_per_checklist_item_and_side_and_only_known_sides(item, rating):
    point = ChecklistItem.objects.create(prompt=item.response.prompt, position=0, text="首都を答えている")
    for side in ("A", "B", ""):
        RatingCheck.objects.create(rating=rating, checklist_item=point, side=side, checked=True)
    refused(lambda: RatingCheck.objects.create(rating=rating, checklist_item=point, side="A", checked=False))
    refused(lambda: RatingCheck.objects.create(rating=rating, checklist_item=point, side="C", checked=True))
    assert sorted(RatingCheck.objects.values_list("side", flat=True)) == ["", "A", "B"]


def test_campaign_overlap_below_two_is_refused(quality_rubric):
    refused(lambda: Campaign.objects.create(slug="solo", name="solo", rubric=quality_rubric, overlap=1))


def test_axis_range_must_be_increasing(quality_rubric):
    refused(lambda: RubricAxis.objects.create(rubric=quality_rubric, key="flat", label_ja="x", label_en="x",
                                              min_score=3, max_score=3))


def test_duplicate_items_and_self_pairs_are_refused(campaign, item):
    refused(lambda: Item.objects.create(campaign=campaign, response=item.response))
    refused(lambda: Item.objects.create(campaign=campaign, response=item.response, response_b=item.response))


def test_external_annotators_need_no_user_but_others_do(db):
    refused(lambda: Annotator.objects.create(handle="ghost", is_external=False))
