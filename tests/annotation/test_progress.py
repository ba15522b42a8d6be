"""The lead's progress figures are counted in the database: they equal a hand count over every slot, and the
number of queries does not grow with the campaign."""

import random
import statistics
from collections import defaultdict

from django.db import connection
from django.test.utils import CaptureQueriesContext

from annotation.models import Batch, Item, ItemSlot, Skip
from annotation.services.workflow import campaign_cut_batches, campaign_open, item_next, item_skip, rating_submit
from annotation.workflow_selectors import campaign_progress

from .workflow_factories import FULL_SCORES, annotators, campaign_with_items, key


def busy_campaign(seed, items=30):
    """Three batches of a campaign in pull mode, five annotators rating a random share of what they take, some
    with a time (or none), some flagged, some skipping."""
    chance = random.Random(seed)
    campaign = campaign_with_items(slug=f"busy{seed}", items=items, models=3, overlap=2)
    people = annotators(5, campaign, prefix=f"s{seed}-")
    campaign_cut_batches(campaign=campaign, size=items // 3, order=Batch.Order.PROMPT)
    campaign_open(campaign=campaign, mode="pull")
    for _ in range(items):
        annotator = chance.choice(people)
        item = item_next(annotator=annotator, campaign=campaign)
        if item is None:
            continue
        if chance.random() < 0.15:
            item_skip(annotator=annotator, item=item, reason="cannot_judge")
        elif chance.random() < 0.8:
            rating_submit(annotator=annotator, item=item, scores=FULL_SCORES, idempotency_key=key(),
                          seconds_spent=chance.choice([None, 5, 12, 12, 30, 61, 240]),
                          flags=chance.choice([[], [], ["harmful"], ["broken", "wrong_language"]]))
    return campaign


def hand_count(campaign):
    """The figures as the first version of the page computed them, slot by slot in Python."""
    slots = ItemSlot.objects.filter(campaign=campaign).values_list(
        "annotator__handle", "item__batch__number", "item__response__model__name", "rating__seconds_spent",
        "rating__flags", "rating_id")
    skips = Skip.objects.filter(item__campaign=campaign).values_list(
        "annotator__handle", "item__batch__number", "item__response__model__name")
    figures = {"slots": len(slots), "rated": sum(1 for slot in slots if slot[5])}
    for index, dimension in enumerate(("annotator", "batch", "model")):
        groups = defaultdict(lambda: {"done": 0, "total": 0, "seconds": [], "flags": 0, "skips": 0})
        for slot in slots:
            group = groups["(unassigned)" if slot[index] is None and index == 0 else slot[index]]
            group["total"] += 1
            if slot[5]:
                group["done"] += 1
                group["flags"] += bool(slot[4])
                group["seconds"] += [slot[3]] if slot[3] is not None else []
        for skip in skips:
            groups[skip[index]]["skips"] += 1
        figures[f"by_{dimension}"] = sorted(
            ({"key": key, "done": g["done"], "total": g["total"], "skips": g["skips"], "flags": g["flags"],
              "median_seconds": statistics.median(g["seconds"]) if g["seconds"] else None}
             for key, g in groups.items() if g["total"]), key=lambda row: str(row["key"]))
    return figures


def test_the_progress_figures_equal_a_hand_count_over_every_slot(db):
    for seed, unbatched in ((1, False), (2, False), (5, True)):
        campaign = busy_campaign(seed)
        if unbatched:  # the items of a batch since deleted are in none
            Item.objects.filter(campaign=campaign, batch__number=3).update(batch=None)
        progress = campaign_progress(campaign)
        expected = hand_count(campaign)
        assert progress["rated"] > 0 and any(row["flags"] for row in progress["by_annotator"])
        assert any(row["skips"] for row in progress["by_model"])
        assert [row["key"] for row in progress["by_batch"]] == ([1, 2, None] if unbatched else [1, 2, 3])
        assert {name: progress[name] for name in expected} == expected


def test_the_number_of_queries_does_not_grow_with_the_campaign(db):
    small, large = busy_campaign(3, items=6), busy_campaign(4, items=60)
    counts = []
    for campaign in (small, large):
        with CaptureQueriesContext(connection) as queries:
            campaign_progress(campaign)
        counts.append(sum(1 for query in queries.captured_queries
                          if not query["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))))
    # The slots' figures, the skips' and the names of the annotators, batches and models (and on PostgreSQL
    # the memory setting of the transaction).
    assert counts[0] == counts[1] <= 6
