"""Rankings from pairwise votes: win, tie and loss rates per model, Bradley–Terry strengths with bootstrap
intervals and a rank that respects them; and human–judge agreement on pairwise verdicts. Pure numpy/pandas,
no Django.

Input of `ranking`: a DataFrame of votes, one row per vote, with the columns

    model_a, model_b   the two models compared (hashable labels, model_a != model_b)
    verdict            "A" (model_a is better), "B" (model_b is better), "tie", "both" (both good) or
                       "neither" (neither good)

Conventions
- Ties: "tie" and "both" are ties. "neither" is a tie too by default (`neither="tie"`), as Chatbot Arena
  counts its "tie (bothbad)" votes; with `neither="drop"` those votes are left out of everything and
  counted in `n_dropped`.
- Rates: a model's wins, ties and losses are shares of the votes it took part in.
- Bradley–Terry: P(i beats j) = 1 / (1 + exp(s_j - s_i)) for log-strengths s. A tie counts as half a win
  for each side (Chatbot Arena's convention). s is the maximum of the log-likelihood of the pair × outcome
  counts minus a small Gaussian prior, `prior` * sum(s^2) / 2, found by Newton's method with a backtracking
  line search. The prior keeps the fit finite and unique when a model never loses (or never wins), or when
  the models fall into groups never compared with each other; such models and groups get a reason. At the
  optimum the log-strengths sum to 0.
- Scale: `strength` is s in natural-log units, centred on 0; `rating` is on Chatbot Arena's Elo-like scale,
  1000 + 400 * s / ln(10): 400 points between two models means odds of 10 to 1. Both carry the interval.
- Intervals: percentile bootstrap over votes (seeded, numpy's PCG64). Drawing N votes with replacement is
  the same as drawing the counts of the (pair, outcome) cells from a multinomial with the observed shares,
  so the votes are aggregated into that table once and each replicate is one multinomial draw of at most
  3 * K(K-1)/2 counts; all replicates are fitted together (batched Newton), warm-started from the point
  estimate.
- Rank: 1 + the number of models whose lower bound is above this model's upper bound (Chatbot Arena's
  convention), so models whose intervals overlap can share a rank. Without intervals (replicates=0): 1 +
  the number of models with a higher rating.

Input of `human_judge_agreement`: the humans' votes (item, annotator, verdict) and the judge's verdicts
(item, verdict; several rows per item when it judged an item more than once, e.g. in both orders), the
verdicts in the same terms (A is the same side for both). See that function for its conventions.

Output: frozen dataclasses of plain values (`as_dict()` is JSON-ready when the labels are); an undefined
figure is None with a reason, and degenerate input (no votes, one model, a model that never loses) never
raises. Malformed input (a missing column, an unknown verdict, a model compared with itself) raises
ValueError.
"""

import dataclasses
import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from scipy.special import expit

from .agreement import Estimate, estimate_with_interval, plain_label
from .statistics_options import DEFAULT_NEITHER, DEFAULT_REPLICATES, DEFAULT_SEED, NEITHER_OPTIONS
from .verdict_options import PAIRWISE_VERDICTS

VOTE_COLUMNS = ("model_a", "model_b", "verdict")

DEFAULT_CONFIDENCE = 0.95
# The Gaussian prior on log-strengths (an L2 penalty): weak enough to move a model compared a few dozen
# times by a fraction of a rating point, strong enough to keep an undefeated model's strength finite.
DEFAULT_PRIOR = 0.01
ELO_BASE = 1000.0
ELO_SCALE = 400.0 / math.log(10.0)
# Outcomes of a pair (i, j), i < j, as columns of the count table.
I_WINS, J_WINS, TIE = 0, 1, 2
_OUTCOME = {"A": I_WINS, "B": J_WINS, "tie": TIE, "both": TIE, "neither": TIE}
_MAX_NEWTON_STEPS = 100
_TOLERANCE = 1e-9
_MAX_HALVINGS = 30
DECISIVE = ("A", "B")


@dataclass(frozen=True)
class PairCounts:
    """The votes between two models, after the `neither` convention (ties include both and neither)."""

    model_a: Hashable
    model_b: Hashable
    a_wins: int
    b_wins: int
    ties: int


@dataclass(frozen=True)
class ModelStanding:
    """One model's record and Bradley–Terry estimate.

    `n_votes` counts the votes it took part in (wins + ties + losses); the rates are shares of them, None
    without votes. `rating` (Elo-like) and `strength` (natural log) carry the bootstrap interval. `rank`
    respects the intervals (module docstring); None when the model has no votes. `reason` says why its
    estimate is not to be trusted (never lost, never won) or missing (no votes), or is None.
    """

    model: Hashable
    rank: int | None
    n_votes: int
    wins: int
    ties: int
    losses: int
    win_rate: float | None
    tie_rate: float | None
    loss_rate: float | None
    rating: Estimate
    strength: Estimate
    reason: str | None = None


@dataclass(frozen=True)
class Ranking:
    """Every model's standing, best rating first (models without votes last), and the pair counts.

    `n_votes` are the votes counted; `n_dropped` the "neither" votes left out with neither="drop".
    `connected` is False when some models were never compared, directly or through others, with the rest:
    then ratings compare only within a group. `reason` says why no ranking could be fitted at all, or None.
    """

    n_votes: int
    n_dropped: int
    neither: str
    prior: float
    replicates: int
    confidence: float
    seed: int
    connected: bool
    models: tuple[ModelStanding, ...]
    pairs: tuple[PairCounts, ...]
    reason: str | None = None

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class VerdictAgreement:
    """How often two sets of verdicts agree on `n` paired verdicts, with Cohen's kappa (nominal)."""

    n: int
    agreement: float | None
    kappa: float | None
    reason: str | None = None


@dataclass(frozen=True)
class HumanJudgeAgreement:
    """The judge against the humans on the items both judged (see human_judge_agreement).

    `n_items`: items with a human vote and a judge verdict; `n_human_votes`: the humans' votes on them.
    `judge_split_items` / `human_split_items`: items whose verdicts had no single most common value and
    so count as a tie.
    """

    n_items: int
    n_human_votes: int
    judge_split_items: int
    human_split_items: int
    with_each_vote: VerdictAgreement
    with_each_vote_without_ties: VerdictAgreement
    with_majority: VerdictAgreement
    with_majority_without_ties: VerdictAgreement

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class CountTable:
    """Votes aggregated per pair: models `labels`; pair p is (first[p], second[p]), first < second, with
    `counts[p]` = (first wins, second wins, ties)."""

    labels: np.ndarray
    first: np.ndarray
    second: np.ndarray
    counts: np.ndarray

    @property
    def n_models(self) -> int:
        return len(self.labels)


# ---------------------------------------------------------------------------------------------------------
# Ranking


def ranking(
    votes: pd.DataFrame,
    *,
    models: Sequence[Hashable] = (),
    neither: str = DEFAULT_NEITHER,
    replicates: int = DEFAULT_REPLICATES,
    confidence: float = DEFAULT_CONFIDENCE,
    seed: int = DEFAULT_SEED,
    prior: float = DEFAULT_PRIOR,
) -> Ranking:
    """Rates, Bradley–Terry ratings with percentile intervals and ranks from `votes` (module docstring).

    `models` names models to list even when they have no votes (they come last, without a rating).
    """
    _check_options(neither, replicates, confidence, prior)
    table, n_dropped = count_table(votes, neither=neither)
    result = dict(n_votes=int(table.counts.sum()), n_dropped=n_dropped, neither=neither, prior=prior,
                  replicates=replicates, confidence=confidence, seed=seed, connected=is_connected(table),
                  pairs=_pair_counts(table))
    if not len(table.counts):
        return Ranking(models=_unvoted(table, models), reason="no votes", **result)
    point = fit_strengths(table, prior=prior)
    replicate_strengths = bootstrap_strengths(table, point, replicates=replicates, seed=seed, prior=prior)
    standings = _standings(table, point, replicate_strengths, confidence)
    return Ranking(models=standings + _unvoted(table, models), **result)


def count_table(votes: pd.DataFrame, *, neither: str = DEFAULT_NEITHER) -> tuple[CountTable, int]:
    """The votes aggregated per unordered pair, and how many "neither" votes were dropped."""
    missing = [column for column in VOTE_COLUMNS if column not in votes.columns]
    if missing:
        raise ValueError(f"votes table lacks the column(s) {', '.join(missing)}")
    verdict = votes["verdict"].to_numpy(dtype=object)
    unknown = sorted({str(value) for value in pd.unique(verdict)} - set(PAIRWISE_VERDICTS))
    if unknown:
        raise ValueError(f"unknown verdict {unknown[0]!r}; verdicts are {', '.join(PAIRWISE_VERDICTS)}")
    keep = verdict != "neither" if neither == "drop" else np.ones(len(verdict), dtype=bool)
    model_a = votes["model_a"].to_numpy(dtype=object)[keep]
    model_b = votes["model_b"].to_numpy(dtype=object)[keep]
    codes, labels = pd.factorize(np.concatenate([model_a, model_b]), sort=True)
    a, b = codes[: len(model_a)], codes[len(model_a):]
    if (a == b).any():
        raise ValueError(f"model {labels[a[a == b][0]]!r} is compared with itself")
    outcome = pd.Series(verdict[keep]).map(_OUTCOME).to_numpy(dtype=np.int64)
    swapped = a > b
    outcome = np.where(swapped & (outcome != TIE), 1 - outcome, outcome)
    first, second = np.minimum(a, b), np.maximum(a, b)
    width = max(len(labels), 1)
    pair_code, pair_index = np.unique(first * width + second, return_inverse=True)
    counts = np.bincount(pair_index * 3 + outcome, minlength=len(pair_code) * 3).reshape(-1, 3)
    table = CountTable(np.asarray(labels, dtype=object), pair_code // width, pair_code % width, counts)
    return table, int((~keep).sum())


def fit_strengths(table: CountTable, *, prior: float = DEFAULT_PRIOR) -> np.ndarray:
    """The Bradley–Terry log-strengths of the table's models (ties as half wins), by penalised maximum
    likelihood (module docstring)."""
    fitted = fit_batch(table.counts[None, :, :].astype(float), table.first, table.second, table.n_models,
                       np.zeros((1, table.n_models)), prior)
    return fitted[0]


def bootstrap_strengths(table: CountTable, point: np.ndarray, *, replicates: int, seed: int,
                        prior: float = DEFAULT_PRIOR) -> np.ndarray:
    """Log-strengths of `replicates` bootstrap resamples of the votes (replicates × models), each drawn as
    one multinomial of the (pair, outcome) cell counts and fitted from `point`."""
    if replicates == 0:
        return np.zeros((0, table.n_models))
    cells = table.counts.ravel()
    rng = np.random.default_rng(seed)
    drawn = rng.multinomial(int(cells.sum()), cells / cells.sum(), size=replicates)
    resampled = drawn.reshape(replicates, *table.counts.shape).astype(float)
    return fit_batch(resampled, table.first, table.second, table.n_models, np.tile(point, (replicates, 1)), prior)


def fit_batch(counts: np.ndarray, first: np.ndarray, second: np.ndarray, n_models: int, start: np.ndarray,
              prior: float) -> np.ndarray:
    """Penalised Bradley–Terry log-strengths for a batch of count tables (R × pairs × 3) over the same pairs,
    by damped Newton from `start` (R × models). Each Newton step halves until the objective rises enough
    (Armijo), so every replicate converges, whatever its counts."""
    wins = counts[:, :, I_WINS] + counts[:, :, TIE] / 2.0  # effective wins of the pair's first model
    totals = counts.sum(axis=2)
    pairs = np.arange(len(first))
    incidence = sparse.csr_matrix(
        (np.r_[np.ones(len(first)), -np.ones(len(first))], (np.r_[pairs, pairs], np.r_[first, second])),
        shape=(len(first), n_models))
    laplacian_map = _laplacian_map(first, second, n_models)
    strengths = start.astype(float).copy()
    active = np.ones(len(strengths), dtype=bool)
    for _ in range(_MAX_NEWTON_STEPS):
        if not active.any():
            break
        s, w, n = strengths[active], wins[active], totals[active]
        p = expit(s[:, first] - s[:, second])
        gradient = (incidence.T @ (w - n * p).T).T - prior * s
        curvature = (laplacian_map @ (n * p * (1.0 - p)).T).T.reshape(-1, n_models, n_models)
        curvature += prior * np.eye(n_models)
        step = np.linalg.solve(curvature, gradient[:, :, None])[:, :, 0]
        moved = _line_search(s, step, gradient, w, n, first, second, prior)
        strengths[active] = s + moved
        still = np.abs(moved).max(axis=1) > _TOLERANCE
        active[np.flatnonzero(active)[~still]] = False
    return strengths


def _laplacian_map(first: np.ndarray, second: np.ndarray, n_models: int) -> sparse.csr_matrix:
    """A sparse (models² × pairs) matrix taking pair weights to the flattened weighted graph Laplacian."""
    pairs = np.arange(len(first))
    rows = np.r_[first * n_models + first, second * n_models + second,
                 first * n_models + second, second * n_models + first]
    values = np.r_[np.ones(2 * len(first)), -np.ones(2 * len(first))]
    return sparse.csr_matrix((values, (rows, np.tile(pairs, 4))), shape=(n_models * n_models, len(first)))


def _objective(s, wins, totals, first, second, prior):
    difference = s[:, first] - s[:, second]
    log_likelihood = -(wins * np.logaddexp(0.0, -difference) + (totals - wins) * np.logaddexp(0.0, difference))
    return log_likelihood.sum(axis=1) - prior * (s * s).sum(axis=1) / 2.0


def _line_search(s, step, gradient, wins, totals, first, second, prior):
    """The largest of step, step/2, step/4, ... that raises the objective by Armijo's rule, per replicate."""
    base = _objective(s, wins, totals, first, second, prior)
    slope = (gradient * step).sum(axis=1)
    scale = np.ones(len(s))
    for _ in range(_MAX_HALVINGS):
        trial = _objective(s + scale[:, None] * step, wins, totals, first, second, prior)
        short = trial < base + 1e-4 * scale * slope
        if not short.any():
            break
        scale = np.where(short, scale / 2.0, scale)
    return scale[:, None] * step


def is_connected(table: CountTable) -> bool:
    """True when every model was compared with every other, directly or through a chain of comparisons."""
    if table.n_models < 2:
        return True
    graph = sparse.csr_matrix((np.ones(len(table.first)), (table.first, table.second)),
                              shape=(table.n_models, table.n_models))
    return connected_components(graph, directed=False)[0] <= 1


def rating_of(strength):
    """Elo-like points of log-strengths (module docstring)."""
    return ELO_BASE + ELO_SCALE * np.asarray(strength)


def ranks_from_intervals(low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """1 + the number of models whose lower bound is above each model's upper bound."""
    return 1 + (low[None, :] > high[:, None]).sum(axis=1)


def _standings(table, point, replicate_strengths, confidence):
    wins, ties, losses = _records(table)
    strengths, ratings, ranks = _estimates(point, replicate_strengths, confidence)
    standings = [
        ModelStanding(
            model=plain_label(label), rank=int(ranks[m]), n_votes=int(wins[m] + ties[m] + losses[m]),
            wins=int(wins[m]), ties=int(ties[m]), losses=int(losses[m]), **_rates(wins[m], ties[m], losses[m]),
            rating=ratings[m], strength=strengths[m], reason=_model_reason(wins[m], ties[m], losses[m]),
        )
        for m, label in enumerate(table.labels)
    ]
    order = sorted(range(len(standings)), key=lambda m: (-point[m], str(table.labels[m])))
    return tuple(standings[m] for m in order)


def _estimates(point, replicate_strengths, confidence):
    """Strength and rating estimates per model, and their ranks: from the intervals when every model has
    one, else from the point ratings."""
    if not len(replicate_strengths):
        strengths = [Estimate(float(value)) for value in point]
        ratings = [Estimate(float(value)) for value in rating_of(point)]
    else:
        strengths = [estimate_with_interval(float(point[m]), replicate_strengths[:, m], confidence)
                     for m in range(len(point))]
        ratings = [estimate_with_interval(float(rating_of(point[m])), rating_of(replicate_strengths[:, m]),
                                          confidence) for m in range(len(point))]
    if all(rating.low is not None for rating in ratings):
        ranks = ranks_from_intervals(np.array([r.low for r in ratings]), np.array([r.high for r in ratings]))
    else:
        ranks = ranks_from_intervals(point, point)
    return strengths, ratings, ranks


def _records(table):
    """Wins, ties and losses per model."""
    def per_model(first_values, second_values):
        return (np.bincount(table.first, first_values, minlength=table.n_models)
                + np.bincount(table.second, second_values, minlength=table.n_models)).astype(np.int64)

    counts = table.counts.astype(float)
    return (per_model(counts[:, I_WINS], counts[:, J_WINS]), per_model(counts[:, TIE], counts[:, TIE]),
            per_model(counts[:, J_WINS], counts[:, I_WINS]))


def _rates(wins, ties, losses):
    total = wins + ties + losses
    if not total:
        return {"win_rate": None, "tie_rate": None, "loss_rate": None}
    return {"win_rate": float(wins / total), "tie_rate": float(ties / total), "loss_rate": float(losses / total)}


def _model_reason(wins, ties, losses):
    if not losses and not ties:
        return ("never lost or tied: its strength has no finite estimate and rests on the prior; read its "
                "rating as a lower bound")
    if not wins and not ties:
        return ("never won or tied: its strength has no finite estimate and rests on the prior; read its "
                "rating as an upper bound")
    return None


def _unvoted(table, models):
    known = set(plain_label(label) for label in table.labels)
    missing = sorted({plain_label(model) for model in models} - known, key=str)
    no_votes = Estimate.undefined("no votes")
    return tuple(ModelStanding(model, None, 0, 0, 0, 0, None, None, None, no_votes, no_votes, "no votes")
                 for model in missing)


def _pair_counts(table):
    return tuple(
        PairCounts(plain_label(table.labels[i]), plain_label(table.labels[j]), int(c[I_WINS]), int(c[J_WINS]),
                   int(c[TIE]))
        for i, j, c in zip(table.first, table.second, table.counts)
    )


def _check_options(neither, replicates, confidence, prior):
    if neither not in NEITHER_OPTIONS:
        raise ValueError(f"neither must be one of {', '.join(NEITHER_OPTIONS)}, not {neither!r}")
    if replicates < 0:
        raise ValueError("replicates must be 0 or more")
    if not 0.0 < confidence < 1.0:
        raise ValueError("confidence must be between 0 and 1")
    if prior <= 0.0:
        raise ValueError("prior must be above 0: it keeps undefeated models finite")


# ---------------------------------------------------------------------------------------------------------
# Human–judge agreement


def human_judge_agreement(human: pd.DataFrame, judge: pd.DataFrame) -> HumanJudgeAgreement:
    """The judge's verdicts against the humans' votes on the items both judged.

    `human`: columns item, annotator, verdict; `judge`: columns item, verdict (one or more rows per item).
    Per item, the judge's verdict is the most common of its verdicts there, and the humans' majority the
    most common of their votes; when no single verdict is most common (A in one order and B in the other,
    or one annotator for A and one for B) the item counts as a tie (FastChat's convention for a judge
    inconsistent under position swap).

    Four comparisons, as in the MT-Bench paper: the judge's verdict against each human vote, and against
    the humans' majority; each with ties and without (pairs where either side is not A or B are left out).
    Agreement is the share of equal pairs; Cohen's kappa is the nominal one on the same pairs.
    """
    _check_columns(human, ("item", "annotator", "verdict"), "human votes")
    _check_columns(judge, ("item", "verdict"), "judge verdicts")
    judge_labels, judge_split = item_verdicts(judge)
    shared = human[human["item"].isin(judge_labels.index)]
    human_labels, human_split = item_verdicts(shared)
    each = pd.DataFrame({"judge": judge_labels.reindex(shared["item"]).to_numpy(),
                         "human": shared["verdict"].to_numpy()})
    majority = pd.DataFrame({"judge": judge_labels.reindex(human_labels.index).to_numpy(),
                             "human": human_labels.to_numpy()})
    return HumanJudgeAgreement(
        n_items=len(human_labels), n_human_votes=len(shared),
        judge_split_items=int(judge_split.reindex(human_labels.index).sum()) if len(human_labels) else 0,
        human_split_items=int(human_split.sum()),
        with_each_vote=verdict_agreement(each["judge"], each["human"]),
        with_each_vote_without_ties=verdict_agreement(*_decisive(each)),
        with_majority=verdict_agreement(majority["judge"], majority["human"]),
        with_majority_without_ties=verdict_agreement(*_decisive(majority)),
    )


def item_verdicts(votes: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """The most common verdict per item (a tie when several are equally common), and per item whether it
    was such a split; both indexed by item."""
    if not len(votes):
        empty = pd.Series([], dtype=object)
        return empty, pd.Series([], dtype=bool)
    counts = votes.groupby(["item", "verdict"], sort=True).size().rename("n").reset_index()
    top = counts.groupby("item")["n"].transform("max")
    leaders = counts[counts["n"] == top]
    n_leaders = leaders.groupby("item")["verdict"].transform("size")
    split = (n_leaders > 1).groupby(leaders["item"]).any()
    label = leaders.groupby("item")["verdict"].first().where(~split, "tie")
    return label, split


def verdict_agreement(x: pd.Series, y: pd.Series) -> VerdictAgreement:
    """Share of equal pairs of verdicts and Cohen's kappa (nominal)."""
    x, y = np.asarray(x, dtype=object), np.asarray(y, dtype=object)
    if not len(x):
        return VerdictAgreement(0, None, None, "no item has both a human and a judge verdict")
    agreement = float((x == y).mean())
    categories, codes = np.unique(np.concatenate([x, y]).astype(str), return_inverse=True)
    share_x = np.bincount(codes[: len(x)], minlength=len(categories)) / len(x)
    share_y = np.bincount(codes[len(x):], minlength=len(categories)) / len(y)
    expected = float(share_x @ share_y)
    if expected >= 1.0:
        return VerdictAgreement(len(x), agreement, None, "both sides gave one and the same verdict throughout: "
                                                          "kappa is undefined")
    return VerdictAgreement(len(x), agreement, (agreement - expected) / (1.0 - expected))


def _decisive(pairs):
    decisive = pairs[pairs["judge"].isin(DECISIVE) & pairs["human"].isin(DECISIVE)]
    return decisive["judge"], decisive["human"]


def _check_columns(table, columns, name):
    missing = [column for column in columns if column not in table.columns]
    if missing:
        raise ValueError(f"{name} table lacks the column(s) {', '.join(missing)}")
