"""exports.tier_stats on ratings built by hand: per tier the mean and alpha (against the krippendorff package),
tier against tier (against scipy on the tiers' item means). No database."""

import krippendorff
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from exports.tier_stats import tier_report

# Items 1-6 rated by two professionals (p1, p2) and a vendor (v1); the vendor is one point more lenient.
PRO = {"p1": [5, 4, 3, 2, 1, 4], "p2": [5, 3, 3, 2, 2, 4]}
VENDOR = {"v1": [5, 5, 4, 3, 2, 5]}
TIERS = {"p1": "professional", "p2": "professional", "v1": "vendor"}


def ratings():
    rows = [(item + 1, annotator, "overall", score) for group in (PRO, VENDOR)
            for annotator, scores in group.items() for item, score in enumerate(scores)]
    return pd.DataFrame(rows, columns=["item", "annotator", "axis", "score"])


def test_means_and_alpha_per_tier():
    report = tier_report(ratings(), TIERS, order=["professional", "vendor"], replicates=200)
    professional, vendor = report.tiers

    assert (professional.tier, professional.n_annotators, vendor.n_annotators) == ("professional", 2, 1)
    overall = professional.axes["overall"]
    item_means = (np.array(PRO["p1"]) + np.array(PRO["p2"])) / 2
    assert overall.mean.value == pytest.approx(item_means.mean())
    assert overall.mean.low <= overall.mean.value <= overall.mean.high
    assert (overall.n_items, overall.n_scores) == (6, 12)
    expected = krippendorff.alpha(reliability_data=np.array([PRO["p1"], PRO["p2"]], dtype=float),
                                  level_of_measurement="ordinal")
    assert overall.alpha.value == pytest.approx(expected)
    assert vendor.axes["overall"].alpha.value is None  # one annotator: no agreement within the tier
    assert vendor.axes["overall"].mean.value == pytest.approx(np.mean(VENDOR["v1"]))


def test_tier_against_tier_on_the_items_both_scored():
    (pair,) = tier_report(ratings(), TIERS, order=["professional", "vendor"], replicates=200).pairs
    x = (np.array(PRO["p1"]) + np.array(PRO["p2"])) / 2
    y = np.array(VENDOR["v1"], dtype=float)

    figures = pair.axes["overall"]
    assert (pair.first, pair.second, figures.n_items) == ("professional", "vendor", 6)
    assert figures.pearson.value == pytest.approx(stats.pearsonr(x, y).statistic)
    assert figures.spearman.value == pytest.approx(stats.spearmanr(x, y).statistic)
    assert figures.bias.value == pytest.approx(np.mean(y - x))
    assert figures.pearson.low <= figures.pearson.value <= figures.pearson.high


def test_an_annotator_without_a_tier_is_an_error():
    with pytest.raises(ValueError, match="some annotators have no tier"):
        tier_report(ratings(), {"p1": "professional"})
