"""Timing of the agreement statistics core (annotation/agreement.py), without the database.

    .venv/bin/python bench/agreement_core_bench.py scale [--items 500000] [--annotators 2] [--axes 5]
    .venv/bin/python bench/agreement_core_bench.py naive [--ratings 50000] [--axes 1] [--naive-replicates 1000]
    .venv/bin/python bench/agreement_core_bench.py meta [--items 500000] [--axes 5]

`scale`: alpha with a 1,000-replicate interval on every axis (`alpha_by_axis`), then the full
`agreement_report`, on synthetic Likert scores; prints wall times, the peak RSS of the process (which
includes building the synthetic table) and the peak memory alpha_by_axis allocates itself.
`naive`: the fast interval against the naive one (the `krippendorff` package rerun on each resampled
reliability matrix, on the same resampled items) with 2 annotators on `--axes` axes (default 1).
`meta`: the human–judge report (judging/meta_eval.py) with 2 annotators and a judge.
"""

import argparse
import resource
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from annotation import agreement  # noqa: E402


def synthetic_ratings(n_items: int, n_annotators: int, n_axes: int, seed: int = 1) -> pd.DataFrame:
    """Every annotator scores every item on every axis: a latent quality per item plus rater noise."""
    rng = np.random.default_rng(seed)
    quality = rng.uniform(0.5, 5.5, size=(n_items, n_axes))
    noise = rng.normal(0.0, 0.9, size=(n_annotators, n_items, n_axes))
    scores = np.clip(np.rint(quality[np.newaxis] + noise), 1, 5).astype(np.int16)
    annotator, item, axis = np.indices(scores.shape).reshape(3, -1)
    return pd.DataFrame({"item": item, "annotator": annotator, "axis": axis, "score": scores.reshape(-1)})


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(label: str, function):
    start = time.perf_counter()
    result = function()
    print(f"{label}: {time.perf_counter() - start:.2f} s (peak RSS so far {peak_rss_mb():.0f} MB)")
    return result


def run_scale(args) -> None:
    ratings = synthetic_ratings(args.items, args.annotators, args.axes)
    print(f"{len(ratings):,} scores ({args.items:,} items x {args.annotators} annotators x {args.axes} axes), "
          f"{args.replicates} replicates; RSS after building the table {peak_rss_mb():.0f} MB")
    alphas = timed("alpha_by_axis (point + interval, all axes)",
                   lambda: agreement.alpha_by_axis(ratings, replicates=args.replicates))
    for axis, estimate in alphas.items():
        print(f"  axis {axis}: alpha {estimate.value:.4f} [{estimate.low:.4f}, {estimate.high:.4f}]")
    timed("agreement_report (everything)", lambda: agreement.agreement_report(ratings, replicates=args.replicates))
    tracemalloc.start()
    agreement.alpha_by_axis(ratings, replicates=args.replicates)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"alpha_by_axis allocates at most {peak / 2 ** 20:.0f} MB beyond the input table (tracemalloc)")


def naive_intervals(ratings: pd.DataFrame, replicates: int, seed: int, confidence: float = 0.95) -> list:
    """Per axis, the percentile interval of the package's alpha rerun on every resampled reliability
    matrix, on the same resampled items as the fast bootstrap."""
    import krippendorff

    encoded = agreement.encode_ratings(ratings)
    axes = agreement.axis_ratings_all(encoded)
    patterns = [agreement.value_patterns(axis, encoded.n_items) for axis in axes]
    matrices = [ratings[ratings.axis == label].pivot(index="annotator", columns="item", values="score")
                .reindex(columns=encoded.item_labels).to_numpy(dtype=float) for label in encoded.axis_labels]
    values = [[] for _ in axes]
    blocks = agreement.bootstrap_resamples([p.item_pattern for p in patterns], [p.n_patterns for p in patterns],
                                           encoded.n_items, replicates, seed)
    for indices in (row for block in blocks for row in block):
        for found, matrix in zip(values, matrices):
            found.append(krippendorff.alpha(reliability_data=matrix[:, indices], level_of_measurement="ordinal"))
    tail = (1 - confidence) / 2
    return [np.quantile(found, [tail, 1 - tail]) for found in values]


def run_naive(args) -> None:
    n_items = args.ratings // (2 * args.axes)
    ratings = synthetic_ratings(n_items, 2, args.axes)
    start = time.perf_counter()
    fast = agreement.alpha_by_axis(ratings, replicates=1000, seed=7)
    fast_seconds = time.perf_counter() - start
    start = time.perf_counter()
    naive = naive_intervals(ratings, args.naive_replicates, seed=7)
    naive_seconds = (time.perf_counter() - start) * 1000 / args.naive_replicates
    print(f"{args.ratings:,} scores ({n_items:,} items x 2 annotators x {args.axes} axes), 1,000 replicates")
    print(f"fast: {fast_seconds:.3f} s; naive: {naive_seconds:.1f} s"
          + ("" if args.naive_replicates == 1000 else f" (extrapolated from {args.naive_replicates} replicates)"))
    print(f"speed-up: {naive_seconds / fast_seconds:.0f}x")
    for (axis, estimate), (low, high) in zip(fast.items(), naive):
        print(f"  axis {axis}: fast [{estimate.low:.6f}, {estimate.high:.6f}], naive [{low:.6f}, {high:.6f}]")


def run_meta(args) -> None:
    """meta_eval_report: two annotators and a judge (scored like a third annotator) on every item."""
    from judging import meta_eval

    scores = synthetic_ratings(args.items, 3, args.axes)
    human, judge = scores[scores.annotator < 2], scores[scores.annotator == 2].drop(columns="annotator")
    models = pd.Series(np.arange(args.items) % 10, index=np.arange(args.items))
    print(f"{len(human):,} human scores and {len(judge):,} judge scores ({args.items:,} items, {args.axes} axes), "
          f"{args.replicates} replicates")
    timed("meta_eval_report", lambda: meta_eval.meta_eval_report(human, judge, models, replicates=args.replicates))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["scale", "naive", "meta"])
    parser.add_argument("--items", type=int, default=500_000)
    parser.add_argument("--annotators", type=int, default=2)
    parser.add_argument("--axes", type=int)
    parser.add_argument("--replicates", type=int, default=1000)
    parser.add_argument("--ratings", type=int, default=50_000)
    parser.add_argument("--naive-replicates", type=int, default=1000)
    args = parser.parse_args()
    args.axes = args.axes or (1 if args.mode == "naive" else 5)
    {"scale": run_scale, "naive": run_naive, "meta": run_meta}[args.mode](args)


if __name__ == "__main__":
    main()
