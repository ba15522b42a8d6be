"""Raters per item, as cards and reports state them (never the configured overlap as if it were a fact)."""

from annotation.models import Annotator, Item, Rating
from annotation.rater_counts import rater_counts
from annotation.selectors import campaign_rater_counts
from tests.annotation.workflow_factories import campaign_with_items


def test_counts_give_the_least_the_median_the_most_and_each_count():
    counts = rater_counts([2, 3, 2, 0, 2])

    assert (counts.items, counts.min, counts.median, counts.max) == (5, 0, 2.0, 3)
    assert counts.histogram == {0: 1, 2: 3, 3: 1}
    assert counts.as_dict()["histogram"] == {"0": 1, "2": 3, "3": 1}


def test_even_number_of_items_takes_the_mean_of_the_middle_two():
    assert rater_counts([1, 2, 3, 4]).median == 2.5


def test_no_items_has_no_figures():
    assert rater_counts([]).as_dict() == {"items": 0, "min": None, "median": None, "max": None, "histogram": {}}


def test_campaign_counts_distinct_raters_imported_ones_included_and_unrated_items_as_zero(db):
    campaign = campaign_with_items(items=4, overlap=2)
    first, second, *_ = Item.objects.filter(campaign=campaign).order_by("id")
    raters = [Annotator.objects.create(handle=f"vendor-{n}", is_external=True) for n in range(3)]
    for rater in raters:
        Rating.objects.create(item=first, annotator=rater, source=Rating.Source.IMPORT)
    Rating.objects.create(item=second, annotator=raters[0], source=Rating.Source.IMPORT)

    counts = campaign_rater_counts([campaign.pk])

    assert (counts.items, counts.min, counts.median, counts.max) == (4, 0, 0.5, 3)
    assert counts.histogram == {0: 2, 1: 1, 3: 1}
