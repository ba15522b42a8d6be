"""Ranking bench: 100,000 pairwise votes among 10 models, Bradley–Terry with 1,000 bootstrap replicates.

    .venv/bin/python bench/ranking_bench.py [--votes 100000] [--models 10] [--replicates 1000] [--runs 3]
                                            [--database-url URL] [--no-database]

(a) annotation.ranking.ranking on a DataFrame of --votes votes drawn from a Bradley–Terry model with known
    strengths (10% ties), in this process: the time of each of --runs runs, and how far the estimates are
    from the known strengths.
(b) Unless --no-database: recreates the bench database (the one named in --database-url is DROPPED: never
    point it at real data), migrates it, fills a pairwise campaign whose items are pairs of the models'
    responses with --votes votes by 10 external annotators, then runs `ranking --campaign ... --json` in a
    fresh process (Django start, reading the votes, the ranking, JSON out): the wall time of each run.

The machine may be shared: each figure is printed with the load average (1 minute) when it was taken.
"""

import argparse
import itertools
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_database import recreate_database  # noqa: E402  (bench/ is the script's folder)

SEED = 7
TIE_SHARE = 0.1
ANNOTATORS = 10
SLUG = "bench-ranking"


def load_average():
    return f"load {os.getloadavg()[0]:.2f}"


def true_strengths(n_models):
    return np.linspace(-1.5, 1.5, n_models)


def simulated_verdicts(strength_a, strength_b, rng):
    """A, B or tie for each pair of log-strengths (Bradley–Terry, then a share of ties at random)."""
    a_wins = rng.random(len(strength_a)) < 1.0 / (1.0 + np.exp(strength_b - strength_a))
    verdict = np.where(a_wins, "A", "B").astype(object)
    verdict[rng.random(len(verdict)) < TIE_SHARE] = "tie"
    return verdict


def simulated_votes(n_votes, n_models, seed):
    rng = np.random.default_rng(seed)
    strengths = true_strengths(n_models)
    a = rng.integers(0, n_models, n_votes)
    b = (a + rng.integers(1, n_models, n_votes)) % n_models
    names = np.array([f"model-{m:02d}" for m in range(n_models)], dtype=object)
    return pd.DataFrame({"model_a": names[a], "model_b": names[b],
                         "verdict": simulated_verdicts(strengths[a], strengths[b], rng)})


def bench_pure(args):
    from annotation.ranking import ranking

    votes = simulated_votes(args.votes, args.models, SEED)
    print(f"(a) ranking() on {len(votes):,} votes among {args.models} models, {args.replicates} replicates")
    for run in range(1, args.runs + 1):
        load = load_average()
        started = time.perf_counter()
        result = ranking(votes, replicates=args.replicates, seed=run)
        print(f"  run {run}: {time.perf_counter() - started:.3f} s ({load})", flush=True)
    # Ties as half wins pull strengths towards each other (by about the tie share): compare orders, and the
    # estimate against the truth rescaled by the fitted slope.
    estimated = np.array([s.strength.value for s in sorted(result.models, key=lambda s: s.model)])
    truth = true_strengths(args.models) - true_strengths(args.models).mean()
    slope = float(estimated @ truth / (truth @ truth))
    order = [s.model for s in result.models] == [f"model-{m:02d}" for m in reversed(range(args.models))]
    widths = [s.rating.high - s.rating.low for s in result.models]
    print(f"  order recovered: {order}; strengths = {slope:.3f} x truth, largest residual "
          f"{np.abs(estimated - slope * truth).max():.3f}; interval widths {min(widths):.1f}-{max(widths):.1f} points")


# ---------------------------------------------------------------------------------------------------------
# End to end from the database


def fill_campaign(n_votes, n_models):
    """A pairwise campaign: every prompt gets items for a few random pairs of models, every item ANNOTATORS
    votes, n_votes in all."""
    from django.db import transaction

    from annotation.bulk import bulk_insert
    from annotation.models import Annotator, Campaign, Item, LanguageModel, Prompt, Rating, Response, Rubric

    rng = np.random.default_rng(SEED)
    n_items = -(-n_votes // ANNOTATORS)
    pairs_per_prompt = 5
    n_prompts = -(-n_items // pairs_per_prompt)
    with transaction.atomic():
        rubric = Rubric.objects.create(key="bench-abt", name="A/B/tie", kind=Rubric.Kind.PAIRWISE,
                                       verdicts=["A", "B", "tie"])
        campaign = Campaign.objects.create(slug=SLUG, name=SLUG, rubric=rubric)
        models = [LanguageModel.objects.create(name=f"model-{m:02d}").id for m in range(n_models)]
        prompts = bulk_insert(Prompt, [{"source": SLUG, "external_id": f"p{p}", "turns": ["質問"]}
                                       for p in range(n_prompts)])
        responses = np.array(bulk_insert(Response, [{"prompt_id": p, "model_id": m, "turns": ["答え"]}
                                                    for p in prompts for m in models])).reshape(n_prompts, n_models)
        all_pairs = np.array(list(itertools.combinations(range(n_models), 2)))
        chosen = [(p, *(pair if rng.random() < 0.5 else pair[::-1]))  # distinct pairs per prompt, either side A
                  for p in range(n_prompts)
                  for pair in all_pairs[rng.choice(len(all_pairs), size=pairs_per_prompt, replace=False)]][:n_items]
        items = bulk_insert(Item, [{"campaign_id": campaign.id, "response_id": int(responses[p, a]),
                                    "response_b_id": int(responses[p, b])} for p, a, b in chosen])
        annotators = [Annotator.objects.create(handle=f"bench-voter-{v}", is_external=True).id
                      for v in range(ANNOTATORS)]
        item_a = np.repeat([a for _, a, _ in chosen], ANNOTATORS)
        item_b = np.repeat([b for _, _, b in chosen], ANNOTATORS)
        strengths = true_strengths(n_models)
        verdicts = simulated_verdicts(strengths[item_a], strengths[item_b], rng)
        bulk_insert(Rating, [
            {"item_id": item, "annotator_id": annotator, "verdict": verdict, "source": "import"}
            for (item, annotator), verdict in zip(((i, v) for i in items for v in annotators), verdicts)
        ][:n_votes])
    return min(n_votes, len(items) * ANNOTATORS)


def bench_in_process(args):
    """Reading the votes and ranking them, in this (already started) process."""
    from annotation.ranking_selectors import campaign_for_ranking, campaign_votes
    from exports.reports.ranking import campaign_ranking

    campaign = campaign_for_ranking(SLUG)
    load = load_average()
    started = time.perf_counter()
    votes = campaign_votes(campaign)
    read = time.perf_counter() - started
    started = time.perf_counter()
    json.dumps(campaign_ranking(campaign, replicates=args.replicates))
    total = time.perf_counter() - started
    print(f"  in one process: reading {len(votes):,} votes {read:.2f} s; the report (reading again, ranking, "
          f"JSON) {total:.2f} s ({load})")


def bench_command(args):
    env = {**os.environ, "DATABASE_URL": args.database_url}
    command = [sys.executable, "manage.py", "ranking", "--campaign", SLUG, "--json",
               "--replicates", str(args.replicates)]
    for run in range(1, args.runs + 1):
        load = load_average()
        started = time.perf_counter()
        result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=True)
        seconds = time.perf_counter() - started
        report = json.loads(result.stdout)
        print(f"  run {run}: ranking --json end to end {seconds:.2f} s, {report['meta']['n_human_votes']:,} votes "
              f"({load})", flush=True)
    best = report["humans"]["models"][0]
    print(f"  first: {best['model']} {best['rating']['value']:.0f} "
          f"[{best['rating']['low']:.0f}, {best['rating']['high']:.0f}]")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--votes", type=int, default=100_000)
    parser.add_argument("--models", type=int, default=10)
    parser.add_argument("--replicates", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/hyoka_ranking_bench")
    parser.add_argument("--no-database", action="store_true", help="Only the in-process bench (a).")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hyoka.settings")
    if args.no_database:
        bench_pure(args)
        return
    recreate_database(args.database_url)
    os.environ["DATABASE_URL"] = args.database_url
    import django

    django.setup()
    bench_pure(args)
    from django.core.management import call_command
    from django.db import connections

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    stored = fill_campaign(args.votes, args.models)
    print(f"(b) filled {SLUG}: {stored:,} votes in {time.perf_counter() - started:.0f} s", flush=True)
    bench_in_process(args)
    connections.close_all()
    bench_command(args)


if __name__ == "__main__":
    main()
