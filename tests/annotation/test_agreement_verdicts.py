"""annotation.agreement.verdict_agreement: nominal alpha on pairwise verdicts against the `krippendorff` package
and a hand computation, pair agreement, per-annotator figures, bad input. No database."""

import json

import krippendorff
import numpy as np
import pandas as pd
import pytest

from annotation.agreement import verdict_agreement

VERDICTS = ("A", "B", "tie")


def votes(*rows):
    return pd.DataFrame(rows, columns=["item", "annotator", "verdict"])


# Items 1..4: (A, A), (B, tie), (B, B, B), and item 4 voted on by c alone.
HAND = votes((1, "a", "A"), (1, "b", "A"), (2, "a", "B"), (2, "b", "tie"), (3, "a", "B"), (3, "b", "B"),
             (3, "c", "B"), (4, "c", "A"))


def reliability_matrix(table, verdicts):
    """annotators × items, the verdict's index or NaN, as the package takes it."""
    codes = table.assign(code=table["verdict"].map({v: i for i, v in enumerate(verdicts)}))
    return codes.pivot(index="annotator", columns="item", values="code").to_numpy(dtype=float)


def random_votes(rng, n_items, annotators, verdicts, missing=0.35):
    rows = [(item, annotator, rng.choice(verdicts)) for item in range(n_items) for annotator in annotators
            if rng.random() > missing]
    return votes(*rows)


def test_alpha_of_a_hand_example_from_the_coincidence_matrix():
    # Pairable values: item 1 gives o(A,A) = 2; item 2 o(B,tie) = o(tie,B) = 1; item 3 (three B) o(B,B) = 3.
    # n_A = 2, n_B = 4, n_tie = 1, n = 7. Observed disagreement: 2 off-diagonal coincidences out of 7;
    # expected: (2·4 + 2·1 + 4·1)·2 / (7·6). alpha = 1 − (2/7) / (28/42) = 4/7.
    result = verdict_agreement(HAND, VERDICTS, replicates=0)
    assert result.alpha.value == pytest.approx(4 / 7, abs=1e-12)
    assert (result.n_items, result.n_pairable_items, result.n_votes, result.n_pairable_votes) == (4, 3, 8, 7)
    assert result.verdict_counts == {"A": 3, "B": 4, "tie": 1}


def test_alpha_equals_the_package_on_the_hand_example():
    result = verdict_agreement(HAND, VERDICTS, replicates=0)
    expected = krippendorff.alpha(reliability_data=reliability_matrix(HAND, VERDICTS), level_of_measurement="nominal")
    assert result.alpha.value == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("seed, verdicts, annotators", [
    (1, ("A", "B", "tie"), ("a", "b", "c")),
    (2, ("A", "B", "both", "neither"), ("a", "b", "c", "d", "e")),
    (3, ("A", "B"), ("a", "b")),
])
def test_alpha_equals_the_package_on_random_votes_with_missing_ones(seed, verdicts, annotators):
    table = random_votes(np.random.default_rng(seed), 60, annotators, verdicts)
    result = verdict_agreement(table, verdicts, replicates=0)
    expected = krippendorff.alpha(reliability_data=reliability_matrix(table, verdicts), level_of_measurement="nominal")
    assert result.alpha.value == pytest.approx(expected, abs=1e-12)


def test_alpha_without_each_annotator_equals_the_package_on_the_others():
    table = random_votes(np.random.default_rng(7), 40, ("a", "b", "c", "d"), VERDICTS, missing=0.2)
    result = verdict_agreement(table, VERDICTS, replicates=0)
    for row in result.annotators:
        others = table[table["annotator"] != row.annotator]
        expected = krippendorff.alpha(reliability_data=reliability_matrix(others, VERDICTS),
                                      level_of_measurement="nominal")
        assert row.alpha_without.value == pytest.approx(expected, abs=1e-12)


def test_pair_agreement_and_agreement_with_the_others_count_pairs_of_votes():
    result = verdict_agreement(HAND, VERDICTS, replicates=0)
    # Pairs: item 1 (a,b) same; item 2 (a,b) differ; item 3 (a,b), (a,c), (b,c) same: 4 of 5.
    assert result.n_pairs == 5 and result.pair_agreement.value == pytest.approx(0.8)
    rows = {row.annotator: row for row in result.annotators}
    assert (rows["a"].n_pairs, rows["a"].agreement_with_others.value) == (4, pytest.approx(3 / 4))
    assert (rows["c"].n_votes, rows["c"].n_shared_items, rows["c"].n_pairs) == (2, 1, 2)
    assert rows["c"].agreement_with_others.value == 1.0


def test_a_lone_annotator_has_no_agreement_and_says_why():
    result = verdict_agreement(votes((1, "a", "A"), (2, "a", "B")), VERDICTS, replicates=0)
    assert result.alpha.value is None and "one annotator" in result.alpha.reason
    assert result.annotators[0].agreement_with_others.reason == "nobody else voted on this annotator's items"


def test_the_interval_holds_the_estimate_and_a_seed_repeats_it():
    table = random_votes(np.random.default_rng(11), 80, ("a", "b", "c"), VERDICTS)
    table.loc[table.index % 3 == 0, "verdict"] = "A"  # some agreement, so the interval is not all noise
    first = verdict_agreement(table, VERDICTS, replicates=300, seed=5)
    assert first.alpha.low <= first.alpha.value <= first.alpha.high and first.alpha.replicates == 300
    assert verdict_agreement(table, VERDICTS, replicates=300, seed=5).alpha == first.alpha


def test_the_interval_is_that_of_resampled_items():
    """The 2.5% and 97.5% quantiles of the package's alpha over items drawn with replacement (numpy's
    default_rng(seed).integers, the draws the module documents)."""
    table = random_votes(np.random.default_rng(13), 30, ("a", "b", "c"), VERDICTS, missing=0.1)
    result = verdict_agreement(table, VERDICTS, replicates=200, seed=3)
    matrix = reliability_matrix(table, VERDICTS)
    draws = np.random.default_rng(3).integers(0, matrix.shape[1], size=(200, matrix.shape[1]))
    alphas = []
    for drawn in draws:
        sample = matrix[:, drawn]
        if len(np.unique(sample[~np.isnan(sample)])) < 2:
            continue
        alphas.append(krippendorff.alpha(reliability_data=sample, level_of_measurement="nominal"))
    # Items appear in the matrix in the table's order of first appearance, as the module numbers them.
    assert result.alpha.low == pytest.approx(np.quantile(alphas, 0.025), abs=1e-9)
    assert result.alpha.high == pytest.approx(np.quantile(alphas, 0.975), abs=1e-9)


def test_the_report_is_plain_json():
    text = json.dumps(verdict_agreement(HAND, VERDICTS, replicates=20).as_dict(), allow_nan=False)
    assert json.loads(text)["verdicts"] == list(VERDICTS)


@pytest.mark.parametrize("table, message", [
    (votes((1, "a", "A"), (1, "b", "draw")), "unknown verdict 'draw'"),
    (votes((1, "a", "A"), (1, "a", "B")), "scored the same item twice"),
    (pd.DataFrame({"item": [1], "verdict": ["A"]}), "lacks the column(s) annotator"),
])
def test_bad_votes_are_refused(table, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        verdict_agreement(table, VERDICTS)
