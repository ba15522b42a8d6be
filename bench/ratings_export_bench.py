"""Quick export benchmark: a campaign's ratings as JSON Lines and CSV, through the API and the command.

    .venv/bin/python bench/ratings_export_bench.py [--ratings 1000 1000000] [--database-url URL]

For each size N, recreates the bench database (DROPPED first: never point it at real data) and fills it with
SQL: a likert campaign (quality-5x5, 5 axes) of N / 10 items (N / 100 prompts × 10 models), each rated by 10
of 50 external annotators: N ratings, 5 × N rating scores. Then:
- the API: gunicorn (1 worker × 2 threads: gthread, as bin/run starts it) on 127.0.0.1, GET /api/campaigns/bench/ratings/
  with a lead's token, JSON Lines and CSV, timed from the request to the last byte; the worker's peak resident
  memory (VmHWM) after each size shows whether memory stays flat;
- the command: `manage.py export_ratings --campaign bench --output FILE` in a child process, its wall time
  (process start included) and peak memory.
Targets: 1,000 ratings in under 0.5 s, 1,000,000 in under 30 s, with flat memory.
"""

import argparse
import os
import resource
import subprocess
import sys
import time
from http.client import HTTPConnection
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from annotate_bench import free_port, start_gunicorn  # noqa: E402
from export_bench import FILL_SQL  # noqa: E402
from import_bench import recreate_database  # noqa: E402

ANNOTATORS = 50
RATINGS_PER_ITEM = 10
MODELS = 10
# FILL_SQL's prompts, models, responses, campaign, items and annotators; then RATINGS_PER_ITEM ratings per item.
RATINGS_SQL = [
    """INSERT INTO annotation_rating (public_id, item_id, annotator_id, verdict, position, comment, flags,
                                       seconds_spent, source, revision, submitted_at)
       SELECT gen_random_uuid(), i.id, an.id, '', '', CASE WHEN k = 0 THEN 'よい回答です。' ELSE '' END, '[]'::jsonb,
              20 + (i.id * 7 + k) %% 200, 'import', 1, now()
       FROM annotation_item i CROSS JOIN generate_series(0, %(per_item)s - 1) k
       JOIN annotation_annotator an ON an.handle = 'rater-' || ((i.id + k * 7) %% %(annotators)s)""",
    """INSERT INTO annotation_ratingscore (rating_id, axis_id, score)
       SELECT rt.id, ax.id, 1 + (rt.id + ax.position) %% 5
       FROM annotation_rating rt
       CROSS JOIN annotation_rubricaxis ax JOIN annotation_rubric ru ON ru.id = ax.rubric_id AND ru.key = 'quality-5x5'""",
    "ANALYZE annotation_rating; ANALYZE annotation_ratingscore",
]


def fill(database_url, ratings):
    import psycopg
    from urllib.parse import urlsplit

    parts = urlsplit(database_url)
    values = {"s": "日本の四季はそれぞれに異なる魅力があります。", "prompts": max(1, ratings // RATINGS_PER_ITEM // MODELS),
              "models": MODELS, "annotators": ANNOTATORS, "per_item": RATINGS_PER_ITEM}
    with psycopg.connect(host=parts.hostname, port=parts.port or 5432, user=parts.username or "postgres",
                         dbname=parts.path.lstrip("/"), autocommit=True) as connection:
        for statement in FILL_SQL[:6] + RATINGS_SQL:
            connection.execute(statement, values)
        return connection.execute("SELECT count(*) FROM annotation_rating").fetchone()[0]


def lead_token():
    from django.contrib.auth.models import User
    from rest_framework.authtoken.models import Token

    lead = User.objects.filter(username="bench-lead").first() or User.objects.create_superuser("bench-lead",
                                                                                               password=None)
    return Token.objects.get_or_create(user=lead)[0].key


def fetch(port, token, output):
    connection = HTTPConnection("127.0.0.1", port, timeout=600)
    started = time.perf_counter()
    connection.request("GET", f"/api/campaigns/bench/ratings/?output={output}",
                       headers={"Authorization": f"Token {token}"})
    response = connection.getresponse()
    size = lines = 0
    while chunk := response.read(1 << 20):
        size += len(chunk)
        lines += chunk.count(b"\n")
    assert response.status == 200, response.status
    return time.perf_counter() - started, size, lines


def gunicorn_worker(master):
    for _ in range(300):
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        if children:
            return int(children[0])
        time.sleep(0.1)
    raise SystemExit("gunicorn started no worker")


def peak_rss_mib(pid):
    return next(int(line.split()[1]) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
                if line.startswith("VmHWM:")) / 1024


def run_command(output_path):
    started = time.perf_counter()
    subprocess.run([sys.executable, "manage.py", "export_ratings", "--campaign", "bench", "--output", output_path],
                   cwd=ROOT, check=True)
    wall = time.perf_counter() - started
    return wall, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ratings", type=int, nargs="+", default=[1000, 1_000_000])
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/hyoka_ratings_export_bench")
    parser.add_argument("--reuse", action="store_true",
                        help="export what the bench database holds (from a run of one size) instead of filling it")
    args = parser.parse_args()
    os.environ.update(DATABASE_URL=args.database_url, DJANGO_SETTINGS_MODULE="hyoka.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from annotation.models import Rating

    for size in args.ratings:
        started = time.perf_counter()
        if args.reuse:
            count = Rating.objects.count()
        else:
            connection.close()
            recreate_database(args.database_url)
            call_command("migrate", verbosity=0)
            count = fill(args.database_url, size)
        token = lead_token()
        print(f"{count:,} ratings ({5 * count:,} scores) filled in {time.perf_counter() - started:.0f} s; "
              f"load average {os.getloadavg()[0]:.1f}")
        port = free_port()
        server = start_gunicorn(port, workers=1, threads=2, env=os.environ.copy())  # gthread, as bin/run
        try:
            fetch(port, token, "jsonl") if size <= 10_000 else None  # a warm connection and imports for the small size
            worker = gunicorn_worker(server.pid)
            for output in ("jsonl", "csv"):
                seconds, size_bytes, lines = fetch(port, token, output)
                print(f"  API {output:5s}: {seconds:6.2f} s for {lines - (output == 'csv'):,} ratings "
                      f"({size_bytes / 1e6:,.1f} MB, {count / seconds:,.0f} ratings/s); "
                      f"worker peak RSS {peak_rss_mib(worker):.0f} MiB")
        finally:
            server.terminate()
            server.wait(timeout=30)
        target = Path(f"/tmp/ratings-export-bench-{size}.jsonl")
        wall, peak = run_command(str(target))
        print(f"  command jsonl: {wall:6.2f} s (process start included), peak RSS of the children so far "
              f"{peak:.0f} MiB, {target.stat().st_size / 1e6:,.1f} MB written")
        target.unlink()
        print(f"  load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
