"""Progress bench: the lead's progress page and its CSV on a campaign of 200,000 places to rate.

    .venv/bin/python bench/progress_bench.py [--prompts 10000] [--models 10] [--runs 5]
                                             [--database-url URL]

Recreates the bench database, migrates it and fills it with SQL (generate_series): PROMPTS × MODELS responses,
one item each in one campaign (k = 2, so items × 2 slots: 200,000 with the defaults), cut into batches of 100
items by prompt; 50 annotators hold the slots but one in ten second places is free; 70% of the held slots are
rated (seconds 5–304, one rating in 20 flagged) and one item in a hundred was skipped by someone. (The fill
runs without triggers, so the slot tallies, which the page does not read, stay empty.)

Then, in this process, it renders ``/campaigns/bench/progress/``, ``progress.csv`` and the API's progress through the whole Django
stack (a signed-in superuser, Django's test client) RUNS times after one warm-up, and prints the median and
the slowest wall time of each, with the load average, and the median CPU time of this process and of the
database backend per fetch (which the other processes' load does not inflate). Target: the page under 1 s. The database named in
--database-url is dropped and recreated: never point it at real data.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ANNOTATORS = 50
BATCH_ITEMS = 100

FILL_SQL = [
    """INSERT INTO annotation_prompt (public_id, source, external_id, category, turns, reference, context, metadata,
                                       created_at)
       SELECT gen_random_uuid(), 'progress-bench', 'p' || lpad(g::text, 6, '0'), 'bench',
              jsonb_build_array('質問' || g), '', '', '{}'::jsonb, now()
       FROM generate_series(1, %(prompts)s) g""",
    """INSERT INTO annotation_languagemodel (name, family, size, checkpoint, is_japanese, created_at)
       SELECT 'model-' || lpad(m::text, 2, '0'), 'bench', '7B', '', false, now()
       FROM generate_series(1, %(models)s) m""",
    """INSERT INTO annotation_response (public_id, prompt_id, model_id, turns, metadata, created_at)
       SELECT gen_random_uuid(), p.id, m.id, jsonb_build_array(m.name || 'の答え'), '{}'::jsonb, now()
       FROM annotation_prompt p CROSS JOIN annotation_languagemodel m""",
    """INSERT INTO annotation_campaign (slug, name, description, instructions, rubric_id, overlap, show_model_names,
                                         status, mode, lease_minutes, context_placement, gold_share, gold_training,
                                         release_quality_items, extra_raters_max, per_turn_scores, created_at)
       SELECT 'bench', 'Progress bench', '', '', id, 2, false, 'active', 'batches', 30, 'system', 0, false, false, 0, false, now()
       FROM annotation_rubric WHERE key = 'quality-5x5'""",
    """INSERT INTO annotation_batch (public_id, campaign_id, number, "order", seed, created_at)
       SELECT gen_random_uuid(), c.id, b, 'prompt', NULL, now()
       FROM annotation_campaign c CROSS JOIN generate_series(1, ceil(%(prompts)s::int * %(models)s::int / %(batch)s::float)::int) b""",
    """INSERT INTO annotation_item (public_id, campaign_id, response_id, batch_id, position, quality_role, created_at)
       SELECT gen_random_uuid(), c.id, r.id, b.id, r.n, '', now()
       FROM (SELECT id, row_number() OVER (ORDER BY prompt_id, model_id) - 1 AS n FROM annotation_response) r
       CROSS JOIN annotation_campaign c
       JOIN annotation_batch b ON b.campaign_id = c.id AND b.number = r.n / %(batch)s + 1""",
    """INSERT INTO annotation_annotator (handle, tier, pseudonym, is_external, source, created_at)
       SELECT 'rater-' || lpad(a::text, 2, '0'), 'professional', gen_random_uuid(), true, 'progress-bench', now()
       FROM generate_series(0, %(annotators)s - 1) a""",
    # Two places per item: the k-th goes to annotator (item + 7k) mod 50, but one second place in ten is free;
    # 70% of the held places are rated.
    """INSERT INTO annotation_rating (public_id, item_id, annotator_id, verdict, position, comment, flags,
                                       seconds_spent, source, revision, submitted_at)
       SELECT gen_random_uuid(), i.id, an.id, '', '', '',
              CASE WHEN (i.id * 2 + k) %% 20 = 0 THEN '["harmful"]'::jsonb ELSE '[]'::jsonb END,
              5 + ((i.id * 2 + k) * 7919) %% 300, 'web', 1, now()
       FROM annotation_item i CROSS JOIN generate_series(0, 1) k
       JOIN annotation_annotator an ON an.handle = 'rater-' || lpad(((i.id + k * 7) %% %(annotators)s)::text, 2, '0')
       WHERE NOT (k = 1 AND i.id %% 10 = 0) AND (i.id * 2 + k) %% 10 < 7""",
    """INSERT INTO annotation_itemslot (campaign_id, item_id, position, annotator_id, rating_id, extra)
       SELECT i.campaign_id, i.id, i.position, CASE WHEN k = 1 AND i.id %% 10 = 0 THEN NULL ELSE an.id END, r.id, 0
       FROM annotation_item i CROSS JOIN generate_series(0, 1) k
       JOIN annotation_annotator an ON an.handle = 'rater-' || lpad(((i.id + k * 7) %% %(annotators)s)::text, 2, '0')
       LEFT JOIN annotation_rating r ON r.item_id = i.id AND r.annotator_id = an.id""",
    """INSERT INTO annotation_skip (item_id, annotator_id, reason, note, created_at)
       SELECT i.id, an.id, 'cannot_judge', '', now()
       FROM annotation_item i
       JOIN annotation_annotator an ON an.handle = 'rater-' || lpad(((i.id + 3) %% %(annotators)s)::text, 2, '0')
       WHERE i.id %% 100 = 0""",
]


def recreate_database(url):
    import psycopg

    parts = urlsplit(url)
    with psycopg.connect(host=parts.hostname, port=parts.port or 5432, user=parts.username or "postgres",
                         dbname="postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{parts.path.lstrip("/")}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{parts.path.lstrip("/")}"')


def fill(url, prompts, models):
    import psycopg

    parts = urlsplit(url)
    params = {"prompts": prompts, "models": models, "annotators": ANNOTATORS, "batch": BATCH_ITEMS}
    with psycopg.connect(host=parts.hostname, port=parts.port or 5432, user=parts.username or "postgres",
                         dbname=parts.path.lstrip("/")) as connection:
        # The slot tally's triggers fire per row; the page does not read the tally, so the fill goes without them.
        connection.execute("SET session_replication_role = replica")
        for statement in FILL_SQL:
            connection.execute(statement, params)
        connection.commit()
        connection.autocommit = True
        connection.execute("VACUUM ANALYZE")
        return {table: connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                for table in ("annotation_item", "annotation_itemslot", "annotation_rating", "annotation_batch",
                              "annotation_skip")}


def backend_cpu_seconds():
    """CPU time (user + system) the PostgreSQL backend of this process's connection has used so far: with the
    process's own CPU time, a figure the other sessions' load does not inflate (the server runs on this machine)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def count_slots(url):
    import psycopg

    parts = urlsplit(url)
    with psycopg.connect(host=parts.hostname, port=parts.port or 5432, user=parts.username or "postgres",
                         dbname=parts.path.lstrip("/")) as connection:
        return connection.execute("SELECT count(*) FROM annotation_itemslot").fetchone()[0]


def timed(client, url, runs):
    """Wall times, this process's CPU times and the database backend's CPU times of RUNS fetches of ``url``."""
    client.get(url)  # warm-up: connection, prepared statements, templates
    times, python_cpu, database_cpu = [], [], []
    for _ in range(runs):
        database_before, python_before = backend_cpu_seconds(), time.process_time()
        started = time.perf_counter()
        response = client.get(url)
        body = response.content
        times.append(time.perf_counter() - started)
        python_cpu.append(time.process_time() - python_before)
        database_cpu.append(backend_cpu_seconds() - database_before)
        assert response.status_code == 200, response.status_code
    return times, python_cpu, database_cpu, len(body)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--prompts", type=int, default=10_000)
    parser.add_argument("--models", type=int, default=10)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/hyoka_progress_bench")
    parser.add_argument("--reuse", action="store_true",
                        help="measure the database an earlier run filled (migrated again) instead of refilling it")
    args = parser.parse_args()

    if not args.reuse:
        recreate_database(args.database_url)
    os.environ.update(DATABASE_URL=args.database_url, DJANGO_SETTINGS_MODULE="hyoka.settings")
    subprocess.run([sys.executable, "manage.py", "migrate", "--verbosity", "0"], cwd=ROOT, check=True)
    if args.reuse:
        rows = {"annotation_itemslot": count_slots(args.database_url)}
    else:
        started = time.perf_counter()
        rows = fill(args.database_url, args.prompts, args.models)
        print(f"filled in {time.perf_counter() - started:.0f} s: "
              + ", ".join(f"{table.split('_', 1)[1]} {count:,}" for table, count in rows.items()))

    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.test import Client
    from django.urls import reverse

    client = Client(HTTP_HOST="localhost")
    lead = User.objects.filter(username="bench-lead").first() or User.objects.create_superuser("bench-lead", "", "x")
    client.force_login(lead)
    pages = [("campaign_progress", reverse("campaign_progress", args=["bench"])),
             ("campaign_progress_csv", reverse("campaign_progress_csv", args=["bench"])),
             ("api_progress", reverse("api_progress", args=["bench"]))]
    for name, url in pages:
        times, python_cpu, database_cpu, size = timed(client, url, args.runs)
        print(f"{name}: median {statistics.median(times) * 1000:.0f} ms, slowest {max(times) * 1000:.0f} ms "
              f"over {args.runs} runs ({size / 1000:.0f} kB); CPU median: this process "
              f"{statistics.median(python_cpu) * 1000:.0f} ms, database {statistics.median(database_cpu) * 1000:.0f} ms"
              f" (load average {os.getloadavg()[0]:.2f})")
    print(f"{rows['annotation_itemslot']:,} slots; load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
