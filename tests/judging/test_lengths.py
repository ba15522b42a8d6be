"""judging.lengths on data built by hand: how often the longer response wins, overall and per context category,
and the lengths per category."""

import pandas as pd
import pytest

from judging.lengths import length_report

ITEMS = pd.DataFrame([(1, "Simple", 100, 50), (2, "Simple", 40, 80), (3, "Detailed", 300, 100),
                      (4, None, 10, 10), (5, None, 20, 30)], columns=["item", "category", "len_a", "len_b"])


def test_longer_wins_for_each_group_overall_and_per_category():
    humans = pd.DataFrame([(1, "A"), (1, "A"), (2, "A"), (3, "B"), (4, "A"), (5, "B"), (5, "tie")],
                          columns=["item", "verdict"])
    judge = pd.DataFrame([(1, "A"), (2, "B"), (3, "A"), (5, "A")], columns=["item", "verdict"])

    report = length_report(ITEMS, {"humans": humans, "j": judge})

    # Humans: decisive votes on items of different lengths: 1 A (longer: A) twice, 2 A (longer B), 3 B (longer
    # A), 5 B (longer B): 3 of 5. Item 4 has equal lengths; the tie is not decisive.
    assert (report.longer_wins["humans"].count, report.longer_wins["humans"].n) == (3, 5)
    # The judge: 1 A yes, 2 B yes, 3 A yes, 5 A no: 3 of 4.
    assert report.longer_wins["j"].rate == pytest.approx(3 / 4)
    detailed, simple = report.categories
    assert (simple.category, simple.n_items, simple.mean_len_a, simple.mean_len_b) == ("Simple", 2, 70.0, 65.0)
    assert (simple.a_longer.count, simple.a_longer.n) == (1, 2)
    assert (simple.longer_wins["humans"].count, simple.longer_wins["humans"].n) == (2, 3)
    assert (detailed.longer_wins["humans"].count, detailed.longer_wins["j"].count) == (0, 1)
    assert detailed.median_len_a == 300


def test_no_context_no_categories():
    report = length_report(ITEMS.assign(category=None), {"humans": pd.DataFrame(columns=["item", "verdict"])})
    assert report.categories == () and report.longer_wins["humans"].rate is None
