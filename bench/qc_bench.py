"""Quality control at scale: the `qc` command on a campaign of 1,000,000 ratings (5 axes), competence included.

    .venv/bin/python bench/qc_bench.py [--ratings 1000000] [--annotators 50] [--database-url URL] [--reuse]

Recreates the bench database (the one named in --database-url is DROPPED: never point it at real data), migrates
it and fills one campaign of the built-in quality-5x5 rubric: --ratings / 2 items, each rated on every axis by two
of --annotators external annotators, 5% of the items gold (a known score per axis, tolerance 1) and attention
copies of another 5%, rated by the annotators of their originals. Most annotators are careful (latent quality plus
noise, two points lower on a degraded copy); one in ten answers at random and one in ten always gives 5. Rows are
made in the database (INSERT ... SELECT) and the scores go in with one COPY, as bench/agreement_bench.py does.

Then `qc --campaign bench-qc --json` runs in a fresh process: wall time and peak memory (max RSS), and how many
annotators of each kind were flagged. The machine may be shared: the load average is printed beside the figures.
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

from bench_database import recreate_database  # noqa: E402  (bench/ is the script's folder)

SLUG = "bench-qc"
MODELS = 10
SEED = 11
CHECK_SHARE = 0.05


def kind_of(annotator_index):
    """careful, random or constant: one in ten at random, one in ten always 5."""
    return {3: "random", 7: "constant"}.get(annotator_index % 10, "careful")


def setup_django(database_url):
    os.environ.update(DATABASE_URL=database_url, DJANGO_SETTINGS_MODULE="hyoka.settings")
    import django

    django.setup()


def fill(n_items, n_annotators):
    from django.db import connection, transaction

    from annotation.models import Annotator, Campaign, Rubric

    with transaction.atomic():
        campaign = Campaign.objects.create(slug=SLUG, name=SLUG, rubric=Rubric.objects.get(key="quality-5x5"))
        annotators = [Annotator.objects.create(handle=f"{kind_of(a)}-{a:03d}", is_external=True).id
                      for a in range(n_annotators)]
        axes = list(campaign.rubric.axes.order_by("position").values("id", "key"))
        with connection.cursor() as cursor:
            insert_items(cursor, campaign.id, n_items)
            insert_checks(cursor, campaign.id, [axis["key"] for axis in axes])
            cursor.execute(RATINGS_SQL, {"annotators": annotators, "campaign": campaign.id, "n": n_annotators})
            cursor.execute(
                "SELECT r.id, i.position, i.quality_role = 'attention', a FROM annotation_rating r "
                "JOIN annotation_item i ON i.id = r.item_id JOIN unnest(%s::bigint[]) WITH ORDINALITY AS u(id, a) "
                "ON u.id = r.annotator_id WHERE i.campaign_id = %s ORDER BY r.id", [annotators, campaign.id])
            rows = np.array(cursor.fetchall(), dtype=np.int64)
            copy_scores(cursor, rows, [axis["id"] for axis in axes])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def insert_items(cursor, campaign_id, n_items):
    prompts = -(-n_items // MODELS)
    cursor.execute("INSERT INTO annotation_languagemodel (name, family, size, checkpoint, is_japanese, created_at) "
                   "SELECT 'qc-model-' || m, '', '', '', false, now() FROM generate_series(1, %s) m", [MODELS])
    cursor.execute(
        "INSERT INTO annotation_prompt (public_id, source, external_id, category, turns, reference, context, "
        "metadata, created_at) SELECT gen_random_uuid(), %s, 'p' || g, '', '[\"質問\"]'::jsonb, '', '', '{}'::jsonb, "
        "now() FROM generate_series(1, %s) g", [SLUG, prompts])
    cursor.execute(
        "INSERT INTO annotation_response (public_id, prompt_id, model_id, turns, metadata, created_at) "
        "SELECT gen_random_uuid(), p.id, m.id, '[\"答え\"]'::jsonb, '{}'::jsonb, now() FROM annotation_prompt p "
        "CROSS JOIN annotation_languagemodel m WHERE p.source = %s AND m.name LIKE 'qc-model-%%' "
        "ORDER BY p.id, m.id LIMIT %s", [SLUG, n_items])
    cursor.execute(
        "INSERT INTO annotation_item (public_id, campaign_id, response_id, position, quality_role, created_at) "
        "SELECT gen_random_uuid(), %s, r.id, row_number() OVER (ORDER BY r.id), '', now() "
        "FROM annotation_response r JOIN annotation_prompt p ON p.id = r.prompt_id WHERE p.source = %s",
        [campaign_id, SLUG])


def insert_checks(cursor, campaign_id, axis_keys):
    """Every 20th item gold (known score 3 on every axis, tolerance 1); a degraded copy of every 20th other one,
    at its original's position (so the same annotators rate it)."""
    every = int(round(1 / CHECK_SHARE))
    cursor.execute("UPDATE annotation_item SET quality_role = 'gold' WHERE campaign_id = %s AND position %% %s = 0",
                   [campaign_id, every])
    cursor.execute(
        "INSERT INTO annotation_goldanswer (item_id, scores, tolerance, verdict, explanation, created_at) "
        "SELECT id, %s::jsonb, 1, '', '', now() FROM annotation_item WHERE campaign_id = %s AND quality_role = 'gold'",
        [json.dumps(dict.fromkeys(axis_keys, 3)), campaign_id])
    cursor.execute(
        "WITH originals AS (SELECT i.id, i.position, r.prompt_id, r.model_id, r.id AS response FROM annotation_item i "
        "JOIN annotation_response r ON r.id = i.response_id WHERE i.campaign_id = %(c)s AND i.position %% %(e)s = 1), "
        "copies AS (INSERT INTO annotation_response (public_id, prompt_id, model_id, turns, metadata, copy_of_id, "
        "created_at) SELECT gen_random_uuid(), prompt_id, model_id, '[\"壊れた答え\"]'::jsonb, '{}'::jsonb, response, "
        "now() FROM originals RETURNING id, copy_of_id) "
        "INSERT INTO annotation_item (public_id, campaign_id, response_id, position, quality_role, original_id, "
        "created_at) SELECT gen_random_uuid(), %(c)s, copies.id, o.position, 'attention', o.id, now() "
        "FROM copies JOIN originals o ON o.response = copies.copy_of_id", {"c": campaign_id, "e": every})


# Each item is rated by the two annotators a hash of its position picks (a copy has its original's position).
RATINGS_SQL = (
    "INSERT INTO annotation_rating (public_id, item_id, annotator_id, verdict, position, comment, flags, source, "
    "revision, submitted_at) SELECT gen_random_uuid(), i.id, (%(annotators)s::bigint[])[1 + (abs(hashint4(i.position::int)) + k) %% %(n)s], "
    "'', '', '', '[]'::jsonb, 'import', 1, now() FROM annotation_item i CROSS JOIN generate_series(0, 1) k "
    "WHERE i.campaign_id = %(campaign)s ORDER BY i.id, k"
)


def copy_scores(cursor, rows, axes, rows_per_chunk=1_000_000):
    """Scores of (rating, position, degraded, annotator ordinal) rows, one per axis, with one COPY."""
    rng = np.random.default_rng(SEED)
    quality = rng.uniform(1.5, 5.5, size=(int(rows[:, 1].max()) + 1, len(axes)))
    kinds = np.array([kind_of(a - 1) for a in rows[:, 3]])
    latent = quality[rows[:, 1]] - 2.0 * rows[:, 2:3]
    careful = np.clip(np.rint(latent + rng.normal(0, 0.6, latent.shape)), 1, 5)
    scores = np.where((kinds == "random")[:, None], rng.integers(1, 6, latent.shape), careful)
    scores = np.where((kinds == "constant")[:, None], 5, scores).astype(np.int64)
    rating = np.repeat(rows[:, 0], len(axes))
    axis = np.tile(np.asarray(axes, dtype=np.int64), len(rows))
    flat = scores.reshape(-1)
    with cursor.cursor.copy("COPY annotation_ratingscore (rating_id, axis_id, score) FROM STDIN") as copy:
        for start in range(0, len(flat), rows_per_chunk):
            block = np.column_stack([rating[start:start + rows_per_chunk], axis[start:start + rows_per_chunk],
                                     flat[start:start + rows_per_chunk]])
            buffer = io.StringIO()
            np.savetxt(buffer, block, fmt="%d", delimiter="\t")
            copy.write(buffer.getvalue())


def run_qc(database_url):
    env = {**os.environ, "DATABASE_URL": database_url}
    load = f"load {os.getloadavg()[0]:.2f}"
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "manage.py", "qc", "--campaign", SLUG, "--json"], cwd=ROOT, env=env,
                            capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return seconds, peak, load, json.loads(result.stdout)


def summary(report):
    flagged = {"careful": [0, 0], "random": [0, 0], "constant": [0, 0]}
    for row in report["annotators"]:
        counts = flagged[row["annotator"].split("-")[0]]
        counts[0] += "attention" in row["flags"]
        counts[1] += 1
    return ", ".join(f"{kind} {hit} of {total}" for kind, (hit, total) in flagged.items())


def competence_order(report):
    """True when every careful annotator's competence is above every random and constant one's."""
    by_kind = {}
    for row in report["annotators"]:
        by_kind.setdefault(row["annotator"].split("-")[0], []).append(row["competence"])
    others = by_kind.get("random", []) + by_kind.get("constant", [])
    return min(by_kind["careful"]) > max(others, default=0)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ratings", type=int, default=1_000_000)
    parser.add_argument("--annotators", type=int, default=50)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/hyoka_qc_bench")
    parser.add_argument("--reuse", action="store_true", help="Measure again on the campaign a previous run left.")
    args = parser.parse_args()
    if not args.reuse:
        recreate_database(args.database_url)
    setup_django(args.database_url)
    if not args.reuse:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        fill(args.ratings // 2, args.annotators)
        print(f"filled {SLUG}: {args.ratings // 2:,} ordinary and gold items, {CHECK_SHARE:.0%} attention copies, "
              f"{args.annotators} annotators in {time.perf_counter() - started:.0f} s", flush=True)
    from django.db import connections

    connections.close_all()
    seconds, peak, load, report = run_qc(args.database_url)
    answers = sum(row["answers"] for row in report["annotators"])
    print(f"qc --json in a fresh process on {answers // 5:,} ratings ({answers:,} scores), competence included: "
          f"{seconds:.1f} s, peak memory {peak:.0f} MB ({load})")
    print(f"  flagged by the attention test: {summary(report)}")
    print(f"  competence ranks every careful annotator above the random and constant ones: {competence_order(report)}")


if __name__ == "__main__":
    main()
