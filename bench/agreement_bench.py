"""Agreement from the database at scale, and the fast bootstrap interval against the naive one.

    .venv/bin/python bench/agreement_bench.py [--items 500000] [--naive-items 25000] [--replicates 1000]
                                              [--database-url URL] [--reuse]

Recreates the bench database (the one named in --database-url is DROPPED: never point it at real data),
migrates it, and fills two campaigns of the built-in quality-5x5 rubric (5 axes), every item rated by 2
annotators on every axis, with scores of a latent quality per item and axis plus rater noise:

(a) --items items (default 500,000: 1,000,000 ratings, 5,000,000 scores). Then, in fresh processes,
    the `agreement --campaign ... --json` command end to end (Django start, one COPY of the scores,
    alpha with a --replicates interval and everything else on all five axes, JSON out): wall time and
    peak memory (max RSS); and the same run in-process split into loading and computing.
(b) --naive-items items (default 25,000: 50,000 ratings). Read from the database, then alpha's interval
    on every axis by the fast bootstrap (annotation.agreement) and naively, rerunning the `krippendorff`
    package on every resampled reliability matrix (the same resampled items): both times, the ratio and
    the largest difference between the two intervals' bounds.

The machine may be shared: each figure is printed with the load average (1 minute) when it was taken.
"""

import argparse
import io
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from agreement_core_bench import naive_intervals  # noqa: E402  (bench/ is the script's folder)
from bench_database import recreate_database  # noqa: E402

MODELS = 10
SEED = 7


def load_average():
    return f"load {os.getloadavg()[0]:.2f}"


def setup_django(database_url):
    os.environ.update(DATABASE_URL=database_url, DJANGO_SETTINGS_MODULE="hyoka.settings")
    import django

    django.setup()


# ---------------------------------------------------------------------------------------------------------
# Filling the database


def fill_campaign(slug, n_items, seed):
    """A campaign of n_items responses (MODELS models), 2 external annotators, every item rated on every
    axis. Rows are made in the database (INSERT ... SELECT); the scores go in with one COPY."""
    from django.db import connection, transaction

    from annotation.models import Annotator, Campaign, LanguageModel, Rubric

    with transaction.atomic():
        campaign = Campaign.objects.create(slug=slug, name=slug, rubric=Rubric.objects.get(key="quality-5x5"))
        models = [LanguageModel.objects.get_or_create(name=f"bench-model-{m}")[0].id for m in range(MODELS)]
        annotators = [Annotator.objects.create(handle=f"{slug}-rater-{a}", is_external=True).id for a in range(2)]
        axes = list(campaign.rubric.axes.order_by("position").values_list("id", flat=True))
        with connection.cursor() as cursor:
            insert_items(cursor, campaign.id, slug, models, n_items)
            cursor.execute(RATINGS_SQL, [annotators, campaign.id])
            cursor.execute("SELECT r.id FROM annotation_rating r JOIN annotation_item i ON i.id = r.item_id "
                           "WHERE i.campaign_id = %s ORDER BY r.item_id, r.annotator_id", [campaign.id])
            rating_ids = np.array([row[0] for row in cursor.fetchall()], dtype=np.int64)
            copy_scores(cursor, rating_ids, axes, synthetic_scores(n_items, len(axes), seed))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return campaign


def insert_items(cursor, campaign_id, slug, models, n_items):
    prompts = -(-n_items // len(models))
    cursor.execute(
        "INSERT INTO annotation_prompt (public_id, source, external_id, category, turns, reference, context, "
        "metadata, created_at) SELECT gen_random_uuid(), %s, 'p' || g, '', '[\"質問\"]'::jsonb, '', '', '{}'::jsonb, "
        "now() FROM generate_series(1, %s) g", [slug, prompts])
    cursor.execute(
        "INSERT INTO annotation_response (public_id, prompt_id, model_id, turns, metadata, created_at) "
        "SELECT gen_random_uuid(), p.id, m, '[\"答え\"]'::jsonb, '{}'::jsonb, now() "
        "FROM annotation_prompt p CROSS JOIN unnest(%s::bigint[]) m WHERE p.source = %s ORDER BY p.id, m LIMIT %s",
        [models, slug, n_items])
    cursor.execute(
        "INSERT INTO annotation_item (public_id, campaign_id, response_id, position, quality_role, created_at) "
        "SELECT gen_random_uuid(), %s, r.id, row_number() OVER (ORDER BY r.id), '', now() "
        "FROM annotation_response r JOIN annotation_prompt p ON p.id = r.prompt_id WHERE p.source = %s",
        [campaign_id, slug])


RATINGS_SQL = (
    "INSERT INTO annotation_rating (public_id, item_id, annotator_id, verdict, position, comment, flags, source, revision, "
    "submitted_at) SELECT gen_random_uuid(), i.id, a, '', '', '', '[]'::jsonb, 'import', 1, now() "
    "FROM annotation_item i CROSS JOIN unnest(%s::bigint[]) a WHERE i.campaign_id = %s ORDER BY i.id, a"
)


def synthetic_scores(n_items, n_axes, seed):
    """(items x 2 annotators x axes) Likert scores: a latent quality per item and axis plus rater noise."""
    rng = np.random.default_rng(seed)
    quality = rng.uniform(0.5, 5.5, size=(n_items, 1, n_axes))
    noise = rng.normal(0.0, 0.9, size=(n_items, 2, n_axes))
    return np.clip(np.rint(quality + noise), 1, 5).astype(np.int16)


def copy_scores(cursor, rating_ids, axes, scores, rows_per_chunk=1_000_000):
    """COPY (rating, axis, score) rows; ratings are ordered (item, annotator) like scores' first two axes."""
    rating = np.repeat(rating_ids, len(axes))
    axis = np.tile(np.asarray(axes, dtype=np.int64), len(rating_ids))
    score = scores.reshape(-1)
    with cursor.cursor.copy("COPY annotation_ratingscore (rating_id, axis_id, score) FROM STDIN") as copy:
        for start in range(0, len(score), rows_per_chunk):
            stop = start + rows_per_chunk
            block = np.column_stack([rating[start:stop], axis[start:stop], score[start:stop]])
            buffer = io.StringIO()
            np.savetxt(buffer, block, fmt="%d", delimiter="\t")
            copy.write(buffer.getvalue())


# ---------------------------------------------------------------------------------------------------------
# Measuring


def run_command(database_url, slug, replicates):
    """The agreement command in a fresh process: wall time and that process's max RSS."""
    env = {**os.environ, "DATABASE_URL": database_url}
    load = load_average()
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "manage.py", "agreement", "--campaign", slug, "--json", "--replicates", str(replicates)],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return seconds, peak, load, json.loads(result.stdout)


def measure_in_process(args):
    """Child mode: load and compute in this process, print the figures as one JSON line."""
    setup_django(args.database_url)
    from annotation.agreement_selectors import campaign_for_report, campaign_ratings
    from exports.reports.agreement import likert_agreement

    campaign = campaign_for_report(args.campaign)
    load = load_average()
    started = time.perf_counter()
    ratings = campaign_ratings(campaign)
    loaded = time.perf_counter()
    report = likert_agreement(campaign, replicates=args.replicates, ratings=ratings)
    text = json.dumps(report)
    done = time.perf_counter()
    print(json.dumps({
        "scores": len(ratings), "load_seconds": loaded - started, "compute_seconds": done - loaded,
        "json_bytes": len(text), "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "load": load,
    }))


def bench_scale(args):
    print(f"(a) {args.items:,} items x 2 annotators x 5 axes = {args.items * 2:,} ratings, {args.items * 10:,} scores; "
          f"{args.replicates} replicates")
    seconds, peak, load, report = run_command(args.database_url, "bench-scale", args.replicates)
    print(f"  agreement --json, end to end in a fresh process: {seconds:.1f} s, peak memory {peak:.0f} MB ({load})",
          flush=True)
    for key, axis in report.items():
        if key != "meta":
            alpha = axis["alpha"]
            print(f"    {key}: alpha {alpha['value']:.4f} [{alpha['low']:.4f}, {alpha['high']:.4f}]")
    child = subprocess.run([sys.executable, __file__, "measure", "--database-url", args.database_url,
                            "--campaign", "bench-scale", "--replicates", str(args.replicates)],
                           capture_output=True, text=True, check=True)
    figures = json.loads(child.stdout.strip().splitlines()[-1])
    print(f"  in one process: read {figures['scores']:,} scores in {figures['load_seconds']:.1f} s, "
          f"statistics and JSON in {figures['compute_seconds']:.1f} s, peak memory {figures['peak_mb']:.0f} MB "
          f"({figures['load']})")


def bench_naive(args):
    from annotation import agreement
    from annotation.agreement_selectors import campaign_for_report, campaign_ratings

    ratings = campaign_ratings(campaign_for_report("bench-naive"))
    print(f"(b) {args.naive_items:,} items x 2 annotators = {args.naive_items * 2:,} ratings ({len(ratings):,} scores, "
          f"5 axes), {args.replicates} replicates, ordinal alpha")
    load = load_average()
    started = time.perf_counter()
    fast = agreement.alpha_by_axis(ratings, replicates=args.replicates, seed=SEED)
    fast_seconds = time.perf_counter() - started
    naive_load = load_average()
    started = time.perf_counter()
    naive = naive_intervals(ratings, args.replicates, seed=SEED)
    naive_seconds = time.perf_counter() - started
    difference = max(max(abs(estimate.low - low), abs(estimate.high - high))
                     for estimate, (low, high) in zip(fast.values(), naive))
    print(f"  fast: {fast_seconds:.2f} s ({load}); naive: {naive_seconds:.1f} s ({naive_load}); "
          f"speed-up {naive_seconds / fast_seconds:.0f}x")
    for (axis, estimate), (low, high) in zip(fast.items(), naive):
        print(f"    {axis}: fast [{estimate.low:.4f}, {estimate.high:.4f}], naive [{low:.4f}, {high:.4f}]")
    print(f"  largest difference between the bounds: {difference:.2g}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", nargs="?", default="all", choices=["all", "measure"], help=argparse.SUPPRESS)
    parser.add_argument("--items", type=int, default=500_000)
    parser.add_argument("--naive-items", type=int, default=25_000)
    parser.add_argument("--replicates", type=int, default=1000)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/hyoka_agreement_bench")
    parser.add_argument("--reuse", action="store_true",
                        help="Measure again on the campaigns a previous run left in the bench database.")
    parser.add_argument("--campaign", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.mode == "measure":
        measure_in_process(args)
        return

    if not args.reuse:
        recreate_database(args.database_url)
    setup_django(args.database_url)
    from django.core.management import call_command

    if not args.reuse:
        call_command("migrate", verbosity=0)
        for slug, items in (("bench-scale", args.items), ("bench-naive", args.naive_items)):
            started = time.perf_counter()
            fill_campaign(slug, items, SEED)
            print(f"filled {slug}: {items:,} items, {items * 2:,} ratings in {time.perf_counter() - started:.0f} s",
                  flush=True)
    from django.db import connections

    connections.close_all()
    bench_scale(args)
    bench_naive(args)


if __name__ == "__main__":
    main()
