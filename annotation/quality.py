"""Per-annotator reliability: the statistics behind the QC page, its API and the ``qc`` command. No Django.

- attention_test: WMT's (Appraise's) check of an annotator on attention items. Each pair is an annotator's score
  of an original and their score of its degraded copy; the one-sided Mann–Whitney U test asks whether the copies'
  scores are lower (scipy.stats.mannwhitneyu, alternative "less"). An annotator who cannot tell them apart
  (p ≥ 0.05 with at least MIN_PAIRS pairs) is flagged.
- gold_accuracy: answers against the known ones, exactly and within a tolerance.
- score_spread: an annotator's scores as z-scores of their own scale use, and the gap between their z on
  originals and on degraded copies.
- mace: MACE (Hovy et al. 2013), the competence of each annotator estimated from the ratings alone: how likely
  they answer what the item is, rather than by a strategy of their own (at random, always the same score).
  Fitted by EM with the smoothing crowd-kit's ``MACE(method="em")`` uses; tests/annotation/test_quality.py
  holds it to crowd-kit's results on the same data.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import mannwhitneyu

ALPHA = 0.05
MIN_PAIRS = 10
MACE_ITERATIONS = 50


@dataclass(frozen=True)
class AttentionTest:
    pairs: int
    u: float | None  # U of the degraded copies' scores
    p_value: float | None  # one-sided: the copies score lower than the originals
    flagged: bool  # p ≥ ALPHA with at least MIN_PAIRS pairs: the annotator did not notice the degradation


def attention_test(original, degraded, *, alpha=ALPHA, min_pairs=MIN_PAIRS) -> AttentionTest:
    """The one-sided Mann–Whitney U test of ``degraded`` scores against ``original`` ones (same length: pair i is
    one annotator's score of an original and of its copy). A p-value scipy cannot give (every score tied) is 1:
    nothing tells the copies apart."""
    original, degraded = np.asarray(original, dtype=float), np.asarray(degraded, dtype=float)
    if len(original) != len(degraded):
        raise ValueError("original and degraded scores come in pairs")
    if len(original) == 0:
        return AttentionTest(0, None, None, False)
    result = mannwhitneyu(degraded, original, alternative="less")
    p_value = float(result.pvalue) if np.isfinite(result.pvalue) else 1.0
    return AttentionTest(len(original), float(result.statistic), p_value, len(original) >= min_pairs and p_value >= alpha)


@dataclass(frozen=True)
class GoldAccuracy:
    answers: int  # scored answers (one per axis of a gold item, or one verdict)
    exact: float | None  # share equal to the known answer
    within_tolerance: float | None  # share within the gold item's tolerance
    misses: int  # answers outside the tolerance
    items: int = 0  # gold items answered
    items_missed: int = 0  # of those, answered outside the tolerance on some axis (what the thresholds count)


def gold_accuracy(given, known, tolerance, items=None) -> GoldAccuracy:
    """Answers ``given`` against ``known`` (numeric arrays of the same length; a verdict coded as a number
    with tolerance 0), each right within its ``tolerance``; ``items`` names the gold item of each answer."""
    given, known, tolerance = (np.asarray(values, dtype=float) for values in (given, known, tolerance))
    if len(given) == 0:
        return GoldAccuracy(0, None, None, 0)
    distance = np.abs(given - known)
    within = distance <= tolerance
    items = np.asarray(items if items is not None else np.arange(len(given)))
    return GoldAccuracy(len(given), float(np.mean(distance == 0)), float(np.mean(within)), int((~within).sum()),
                        len(np.unique(items)), len(np.unique(items[~within])))


@dataclass(frozen=True)
class ScoreSpread:
    scores: int
    mean: float | None
    sd: float | None  # 0: always the same score
    z_gap: float | None  # mean z on originals minus mean z on their degraded copies (z in the annotator's own units)


def score_spread(scores, original=(), degraded=()) -> ScoreSpread:
    """How an annotator uses the scale: ``scores`` are all of theirs; ``original`` and ``degraded`` their paired
    scores of attention items, standardised by their own mean and SD."""
    scores = np.asarray(scores, dtype=float)
    if len(scores) == 0:
        return ScoreSpread(0, None, None, None)
    mean, sd = float(scores.mean()), float(scores.std(ddof=1)) if len(scores) > 1 else 0.0
    gap = None
    if len(original) and sd > 0:
        gap = float((np.mean(original) - np.mean(degraded)) / sd)
    elif len(original):
        gap = 0.0
    return ScoreSpread(len(scores), mean, sd, gap)


@dataclass(frozen=True)
class Competence:
    competence: np.ndarray  # per annotator code: the probability they answer by the item, not by a strategy
    labels: np.ndarray  # per task code: the most likely true label code
    iterations: int


def mace(tasks, annotators, labels, *, n_tasks=None, n_annotators=None, n_labels=None,
         iterations=MACE_ITERATIONS) -> Competence:
    """MACE fitted by EM. ``tasks``, ``annotators`` and ``labels`` are integer codes, one entry per answer (a
    task is e.g. an item's axis, a label a score's offset on the scale). The true label of a task is uniform a
    priori; annotator j answers it with probability θ_j, else draws from their own strategy ξ_j. Counts are
    smoothed by 0.01 / n_labels, as crowd-kit does.

    Tasks given the same answers (the same annotators giving the same labels) have the same posterior at every
    step, so EM runs on the distinct sets of answers, each counted as often as tasks were given it: with a few
    dozen annotators and a five-point scale, millions of tasks rated twice hold at most tens of thousands (the
    qc bench's 2,625,000 hold 1,024).

    The E step works on the labels each set holds, not on every label: a label nobody gave a task has the
    likelihood that all its answers were strategy draws, the same for each such label, so the posterior of the
    labels given is exp(δ) / (unseen + Σ exp(δ)), δ a label's log-likelihood over that common one (in log space,
    shifted per task when a task with many answers would overflow).
    """
    tasks, annotators, labels = (np.asarray(codes, dtype=np.int64) for codes in (tasks, annotators, labels))
    n_tasks = int(n_tasks if n_tasks is not None else tasks.max(initial=-1) + 1)
    n_annotators = int(n_annotators if n_annotators is not None else annotators.max(initial=-1) + 1)
    n_labels = int(n_labels if n_labels is not None else labels.max(initial=-1) + 1)
    smoothing = 0.01 / max(n_labels, 1)
    codes = annotators * n_labels + labels
    answered = np.bincount(codes, minlength=n_annotators * n_labels).reshape(n_annotators, n_labels).astype(float)
    sets = _AnswerSets(tasks, codes, n_tasks)
    given = _GivenLabels(sets.set_of, sets.code % n_labels, n_labels)
    weight = sets.weight[sets.set_of]
    theta = np.full(n_annotators, 0.5)
    strategy = np.full((n_annotators, n_labels), 1.0 / max(n_labels, 1))
    delta = np.zeros(len(given.task))
    for _ in range(iterations):
        delta, knowing = _mace_expectations(given, sets.code, theta, strategy)
        theta, strategy = _mace_maximisation(sets.code, knowing * weight, answered, smoothing)
    return Competence(theta, sets.per_task(given.most_likely(delta, len(sets.weight), n_labels)), iterations)


class _AnswerSets:
    """The distinct sets of answers the tasks were given, an answer coded annotator × n_labels + label: per
    answer of a set its ``code`` and set (``set_of``, sorted), per set how many tasks were given it
    (``weight``), and per task its set (-1 for a task nobody answered)."""

    def __init__(self, tasks, codes, n_tasks):
        base = int(codes.max(initial=0)) + 1
        tasks, codes = _sorted_by_task_and_code(tasks, codes, base)
        starts = np.flatnonzero(np.r_[True, tasks[1:] != tasks[:-1]]) if len(tasks) else np.zeros(0, dtype=np.int64)
        sizes = np.diff(np.r_[starts, len(tasks)])
        self.of_task = np.full(n_tasks, -1, dtype=np.int64)
        set_codes, set_of, weights = [np.zeros(0, dtype=np.int64)], [np.zeros(0, dtype=np.int64)], []
        for size in np.unique(sizes).tolist():
            mine = sizes == size
            rows = codes[starts[mine][:, None] + np.arange(size)]
            inverse, counts = _equal_rows(rows, base)
            some = np.empty(len(counts), dtype=np.int64)
            some[inverse] = np.arange(len(rows))  # a row of each set (they are equal)
            n_sets = sum(len(found) for found in weights)
            self.of_task[tasks[starts[mine]]] = n_sets + inverse
            set_codes.append(rows[some].ravel())
            set_of.append(np.repeat(np.arange(n_sets, n_sets + len(counts)), size))
            weights.append(counts)
        self.code, self.set_of = np.concatenate(set_codes), np.concatenate(set_of)
        self.weight = np.concatenate(weights).astype(float) if weights else np.zeros(0)

    def per_task(self, of_sets):
        """A value per set, per task (0 for a task nobody answered)."""
        values = np.zeros(len(self.of_task), dtype=np.asarray(of_sets).dtype)
        answered = self.of_task >= 0
        values[answered] = of_sets[self.of_task[answered]]
        return values


def _sorted_by_task_and_code(tasks, codes, base):
    """``tasks`` and ``codes`` (integers in [0, base)) sorted by task, then code: one sort of a combined key
    where it fits in 64 bits."""
    top = (int(tasks.max(initial=0)) + 1) * base
    if top >= 2 ** 62:
        order = np.lexsort((codes, tasks))
        return tasks[order], codes[order]
    key = np.sort((tasks * base + codes).astype(np.int32 if top < 2 ** 31 else np.int64))  # 32 bits sort faster
    return key // base, key % base


def _equal_rows(rows, base):
    """The number of each row's kind among the distinct rows of ``rows`` (integers in [0, base)), and how many
    rows are of each kind: a row read as the digits of an integer in ``base``, the integer so far renumbered
    densely whenever another digit would overflow."""
    key = np.zeros(len(rows), dtype=np.int64)
    for column in rows.T:
        if (int(key.max(initial=0)) + 1) * base >= 2 ** 62:
            key = np.unique(key, return_inverse=True)[1].astype(np.int64)
        key = key * base + column
    if key.max(initial=0) < 4 * len(key):  # few possible rows: the kinds found by counting, not by sorting
        present = np.bincount(key) > 0
        inverse = (np.cumsum(present) - 1)[key]
    else:
        inverse = np.unique(key, return_inverse=True)[1].reshape(-1)
    return inverse, np.bincount(inverse)


class _GivenLabels:
    """The (task, label) pairs the answers hold, sorted by task: ``pair`` of each answer, per pair its task and
    label, and per task with answers (``group``: its number among them) where its pairs start and how many labels
    nobody gave it."""

    def __init__(self, tasks, labels, n_labels):
        keys, self.pair = np.unique(tasks * n_labels + labels, return_inverse=True)
        self.task, self.label = keys // n_labels, keys % n_labels
        self.starts = np.flatnonzero(np.r_[True, self.task[1:] != self.task[:-1]]) if len(keys) else np.zeros(0, int)
        self.group = np.cumsum(np.r_[False, self.task[1:] != self.task[:-1]]) if len(keys) else np.zeros(0, int)
        self.unseen = n_labels - np.diff(np.r_[self.starts, len(keys)])

    def posterior(self, delta):
        """Per pair, the posterior probability of its label being the task's true one. δ is shifted by its
        task's largest (a reduceat, the E step's largest cost) only when an exponential could overflow or
        underflow: δ grows with a task's number of answers, and tasks with a few never need it."""
        if not len(delta):
            return delta
        if -700 < delta.min() and delta.max() < 700:
            shift = np.zeros(len(self.starts))
            shifted = np.exp(delta)
        else:
            shift = np.maximum.reduceat(delta, self.starts)
            shifted = np.exp(delta - shift[self.group])
        total = np.bincount(self.group, shifted, minlength=len(self.starts)) + self.unseen * np.exp(-shift)
        return shifted / total[self.group]

    def most_likely(self, delta, n_tasks, n_labels):
        """Per task, the most likely true label (the lowest of equally likely ones; label 0 for a task nobody
        answered): δ where a label was given, 0 (the common likelihood) where not."""
        log_like = np.zeros((n_tasks, n_labels))
        log_like[self.task, self.label] = delta
        return log_like.argmax(axis=1) if n_tasks else np.zeros(0, dtype=np.int64)


def _mace_expectations(given, codes, theta, strategy):
    """δ per given (task, label) pair (module docstring of mace), and for each answer the probability it was
    given knowingly. What an answer contributes depends only on its annotator and label (its code): computed
    per code and gathered."""
    spam = (1.0 - theta[:, None]) * strategy
    gain = (np.log(theta[:, None] + spam) - np.log(np.maximum(spam, 1e-300))).ravel()
    knew_if_right = (theta[:, None] / (theta[:, None] + spam)).ravel()
    delta = np.bincount(given.pair, gain[codes], minlength=len(given.task))
    knowing = given.posterior(delta)[given.pair] * knew_if_right[codes]
    return delta, knowing


def _mace_maximisation(codes, knowing, answered, smoothing):
    """θ and ξ: ``knowing`` (answers given knowingly, each counted as often as tasks were given its set) summed
    per code; ``answered`` the number of answers per annotator and label."""
    n_annotators, n_labels = answered.shape
    knew = np.bincount(codes, knowing, minlength=answered.size).reshape(n_annotators, n_labels)
    theta = (knew.sum(axis=1) + smoothing) / (answered.sum(axis=1) + 2 * smoothing)
    spam_counts = answered - knew
    strategy = (spam_counts + smoothing) / (spam_counts.sum(axis=1, keepdims=True) + n_labels * smoothing)
    return theta, strategy


@dataclass(frozen=True)
class Answers:
    """A campaign's answers as integer codes, one entry per answer: a score on an axis (axis codes from 0), or
    a verdict (code from 0) given as the answer on axis ``verdict_axis``."""

    item: np.ndarray
    annotator: np.ndarray
    axis: np.ndarray
    value: np.ndarray
    verdict_axis: int  # the axis code verdicts are given on (scores' axes come before it)
    scored: np.ndarray  # bool per answer: a score (True) or a verdict (False)


@dataclass(frozen=True)
class GoldKeys:
    """Known answers: per gold item (a copy of a gold item included) and axis (``verdict_axis`` for a verdict)."""

    item: np.ndarray
    axis: np.ndarray
    value: np.ndarray
    tolerance: np.ndarray


@dataclass(frozen=True)
class Reliability:
    annotator: int  # the code of Answers.annotator
    answers: int
    attention: AttentionTest
    gold: GoldAccuracy
    spread: ScoreSpread
    competence: float


def reliability(answers: Answers, copies: np.ndarray, originals: np.ndarray, gold: GoldKeys, *,
                n_annotators: int, alpha=ALPHA, min_pairs=MIN_PAIRS) -> list[Reliability]:
    """Every annotator's reliability. An attention pair is an annotator's mean score of an original item (over
    the axes they scored) and of its degraded copy (``copies[i]`` copies ``originals[i]``)."""
    means = _rating_means(answers)
    pair_annotator, pair_original, pair_copy = _attention_pairs(means, copies, originals)
    given, known, tolerance, gold_annotator, gold_item = _gold_answers(answers, gold)
    competence = _competence(answers, n_annotators)
    scores_by_annotator = _split(answers.value[answers.scored].astype(float), answers.annotator[answers.scored],
                                 n_annotators)
    counts = np.bincount(answers.annotator, minlength=n_annotators)
    result = []
    for code in range(n_annotators):
        mine, theirs = pair_annotator == code, gold_annotator == code
        original, degraded = pair_original[mine], pair_copy[mine]
        result.append(Reliability(
            code, int(counts[code]), attention_test(original, degraded, alpha=alpha, min_pairs=min_pairs),
            gold_accuracy(given[theirs], known[theirs], tolerance[theirs], gold_item[theirs]),
            score_spread(scores_by_annotator[code], original, degraded), float(competence[code]),
        ))
    return result


def _rating_means(answers):
    """(item, annotator, mean score) per rating with scores, sorted by (item, annotator)."""
    scored, width = answers.scored, int(answers.annotator.max(initial=0)) + 1
    keys = answers.item[scored] * width + answers.annotator[scored]
    inverse, unique = pd.factorize(keys)  # hashing the answers, then sorting the ratings: faster than np.unique
    means = np.bincount(inverse, answers.value[scored].astype(float)) / np.bincount(inverse)
    order = np.argsort(unique)
    return unique[order], means[order], width


def _attention_pairs(means, copies, originals):
    """(annotator, their mean on the original, their mean on the copy) for each copy rated with its original."""
    keys, values, width = means
    original_of = dict(zip(np.asarray(copies).tolist(), np.asarray(originals).tolist()))
    items = keys // width
    is_copy = np.isin(items, np.asarray(copies, dtype=np.int64))
    copy_keys = keys[is_copy]
    annotators = copy_keys % width
    wanted = np.array([original_of[item] for item in (copy_keys // width).tolist()], dtype=np.int64) * width + annotators
    found = np.searchsorted(keys, wanted)
    found = np.minimum(found, max(len(keys) - 1, 0))
    both = keys[found] == wanted if len(keys) else np.zeros(0, dtype=bool)
    return annotators[both], values[found[both]], values[is_copy][both]


def _gold_answers(answers, gold):
    """(given, known, tolerance, annotator, item) for every answer on an axis of a gold item with a known answer."""
    width = answers.verdict_axis + 1
    gold_keys = np.asarray(gold.item, dtype=np.int64) * width + np.asarray(gold.axis, dtype=np.int64)
    order = np.argsort(gold_keys)
    gold_keys = gold_keys[order]
    keys = answers.item * width + answers.axis
    found = np.minimum(np.searchsorted(gold_keys, keys), max(len(gold_keys) - 1, 0))
    hit = gold_keys[found] == keys if len(gold_keys) else np.zeros(len(keys), dtype=bool)
    where = order[found[hit]]
    return (answers.value[hit], np.asarray(gold.value)[where], np.asarray(gold.tolerance)[where],
            answers.annotator[hit], answers.item[hit])


def _competence(answers, n_annotators):
    tasks = pd.factorize(answers.item)[0] * (answers.verdict_axis + 1) + answers.axis
    labels = answers.value - answers.value.min(initial=0)
    return mace(tasks, answers.annotator, labels, n_annotators=n_annotators).competence


def _split(values, groups, n_groups):
    order = np.argsort(groups.astype(np.min_scalar_type(max(n_groups - 1, 0))), kind="stable")  # radix when small
    values, bounds = values[order], np.searchsorted(groups[order], np.arange(n_groups + 1))
    return [values[bounds[code]:bounds[code + 1]] for code in range(n_groups)]
