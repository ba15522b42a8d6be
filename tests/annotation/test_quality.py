"""annotation.quality against independent references: scipy's Mann–Whitney U, hand counts, crowd-kit's MACE."""

import json
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import mannwhitneyu, rankdata

from annotation import quality
from tests.annotation.crowdkit_reference import SCENARIOS, simulated_answers

REFERENCE = json.loads((Path(__file__).parent / "crowdkit_mace_reference.json").read_text())


def hand_u(degraded, original):
    """U of the degraded sample, from the ranks of the pooled scores (ties share their mean rank)."""
    ranks = rankdata(np.concatenate([degraded, original]))
    return ranks[:len(degraded)].sum() - len(degraded) * (len(degraded) + 1) / 2


def test_attention_test_is_scipys_one_sided_mann_whitney():
    rng = np.random.default_rng(3)
    original, degraded = rng.integers(3, 6, 14), rng.integers(1, 4, 14)
    result = quality.attention_test(original, degraded)
    expected = mannwhitneyu(degraded, original, alternative="less")
    assert result.pairs == 14
    assert result.u == pytest.approx(hand_u(degraded, original))
    assert result.p_value == pytest.approx(expected.pvalue, rel=1e-12)
    assert result.p_value < 0.05 and not result.flagged


def test_an_annotator_who_cannot_tell_copies_apart_is_flagged_from_ten_pairs():
    same = [4, 5, 3, 4, 5, 4, 3, 5, 4, 4]
    assert quality.attention_test(same, same).flagged
    assert not quality.attention_test(same[:9], same[:9]).flagged  # too few pairs to say
    constant = quality.attention_test([5] * 12, [5] * 12)
    assert constant.p_value == 1.0 and constant.flagged
    assert quality.attention_test([], []) == quality.AttentionTest(0, None, None, False)


def test_gold_accuracy_counts_exact_and_within_tolerance_answers():
    result = quality.gold_accuracy([3, 4, 5, 1], [3, 5, 3, 1], [0, 1, 1, 0])
    assert (result.answers, result.exact, result.within_tolerance, result.misses) == (4, 0.5, 0.75, 1)


def test_score_spread_in_the_annotators_own_units():
    spread = quality.score_spread([1, 3, 5, 3], original=[5, 3], degraded=[1, 3])
    sd = np.std([1, 3, 5, 3], ddof=1)
    assert spread.mean == 3 and spread.sd == pytest.approx(sd)
    assert spread.z_gap == pytest.approx((4 - 2) / sd)
    assert quality.score_spread([5, 5, 5], original=[5], degraded=[5]).sd == 0


def test_mace_matches_crowd_kit_em_when_its_optimum_is_the_same():
    tasks, annotators, labels = simulated_answers(SCENARIOS["mixed_skill"])
    ours = quality.mace(tasks, annotators, labels, n_labels=5).competence
    np.testing.assert_allclose(ours, REFERENCE["mixed_skill"]["em"], atol=0.04)
    assert list(np.argsort(ours)) == list(np.argsort(REFERENCE["mixed_skill"]["em"]))


def test_mace_ranks_annotators_as_crowd_kit_vb_does_with_a_constant_and_a_random_one():
    """crowd-kit's EM falls into the fixed point where the constant annotator is always right (every task's
    truth their label); its VB, and our EM started from no preference, find the careful annotators."""
    tasks, annotators, labels = simulated_answers(SCENARIOS["careful_random_constant"])
    ours = quality.mace(tasks, annotators, labels, n_labels=5).competence
    reference = np.array(REFERENCE["careful_random_constant"]["vb"])
    assert list(np.argsort(ours)[::-1][:4]) == list(np.argsort(reference)[::-1][:4])
    careful, random_one, constant = ours[[0, 1]], ours[2], ours[3]
    assert careful.min() > 0.85 and random_one < 0.05 and constant < 0.05


def test_mace_counts_every_task_given_the_same_answers():
    """1,000 tasks rated twice by four annotators hold at most 150 distinct sets of answers, computed once each:
    counted as often as tasks were given them, the competences are crowd-kit's on the 1,000 tasks."""
    tasks, annotators, labels = simulated_answers(SCENARIOS["rated_twice"])
    result = quality.mace(tasks, annotators, labels, n_labels=5)
    np.testing.assert_allclose(result.competence, REFERENCE["rated_twice"]["em"], atol=0.04)
    assert list(np.argsort(result.competence)) == list(np.argsort(REFERENCE["rated_twice"]["em"]))


def test_mace_stays_finite_when_tasks_have_a_hundred_answers():
    """A hundred agreeing answers make a label's likelihood ratio far beyond what a float holds: the posterior is
    taken relative to each task's most likely label, and the careful annotators and true labels come out."""
    rng = np.random.default_rng(4)
    truth = rng.integers(0, 5, 50)
    tasks, annotators = np.repeat(np.arange(50), 100), np.tile(np.arange(100), 50)
    labels = np.where(rng.random(len(tasks)) < 0.95, truth[tasks], rng.integers(0, 5, len(tasks)))
    result = quality.mace(tasks, annotators, labels, n_labels=5)
    assert result.competence.min() > 0.8
    assert list(result.labels) == list(truth)
