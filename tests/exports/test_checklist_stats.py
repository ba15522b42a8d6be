"""exports.checklist_stats: tick counts, tick rate, agreement of the tick with the score's side of the midpoint
(by hand) and the point-biserial correlation (against scipy). No database."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from exports.checklist_stats import checklist_figures


def ticks(*rows):
    return pd.DataFrame(rows, columns=["checklist_item", "checked", "score"])


HAND = ticks(("mountains", True, 5), ("mountains", True, 4), ("mountains", False, 2), ("mountains", True, 2),
             ("mountains", False, 3), ("polite", True, np.nan), ("polite", False, np.nan))


def test_counts_rates_and_agreement_with_the_midpoint_by_hand():
    mountains, polite = checklist_figures(HAND, midpoint=3.0)
    assert (mountains.n_answered, mountains.n_ticked, mountains.tick_rate, mountains.n_scored) == (5, 3, 0.6, 5)
    # Ticked with 5, 4 (agree), ticked with 2 (disagrees), not ticked with 2 (agrees), not ticked with 3 (at
    # the midpoint: disagrees): 3 of 5.
    assert mountains.agreement_with_score.value == pytest.approx(3 / 5)
    assert (polite.n_answered, polite.n_ticked, polite.tick_rate, polite.n_scored) == (2, 1, 0.5, 0)
    assert polite.agreement_with_score.value is None and polite.point_biserial.value is None


def test_point_biserial_equals_scipy():
    rng = np.random.default_rng(4)
    score = rng.integers(1, 6, 200).astype(float)
    checked = rng.random(200) < (score / 6)
    (figures,) = checklist_figures(pd.DataFrame({"checklist_item": 7, "checked": checked, "score": score}), 3.0)
    expected = stats.pointbiserialr(checked, score).statistic
    assert figures.point_biserial.value == pytest.approx(expected, abs=1e-12)
    assert figures.agreement_with_score.value == pytest.approx(np.mean(checked == (score >= 3.0)))


def test_a_tick_everyone_gives_has_no_correlation_and_says_why():
    (figures,) = checklist_figures(ticks(("x", True, 1), ("x", True, 5), ("x", True, 3)), 3.0)
    assert figures.point_biserial.value is None and "ticks are all the same" in figures.point_biserial.reason
    assert figures.tick_rate == 1.0


def test_without_a_midpoint_only_counts_are_given():
    (figures,) = checklist_figures(ticks(("x", True, np.nan), ("x", False, np.nan)), None)
    assert figures.tick_rate == 0.5 and figures.agreement_with_score.value is None


def test_a_missing_column_is_refused():
    with pytest.raises(ValueError, match="lacks the column"):
        checklist_figures(pd.DataFrame({"checklist_item": [1], "checked": [True]}), 3.0)
