"""Every benchmark in bench/ runs, at a tiny size, so that a schema change cannot break one silently.

The benches fill their databases with raw SQL and start the real processes (gunicorn, a Celery worker,
management commands), so they are run here as a user runs them: as scripts, each on a database of its own
that it drops and recreates. They are started together (most of their time is starting Python and Django,
or waiting for a server) and each test checks the line its bench prints last.
"""

import os
import subprocess
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]
REDIS_URL = os.environ.get("HYOKA_TEST_REDIS_URL", "")

# bench script -> the runs of it: (arguments, a text its output must hold). {db} is a PostgreSQL database of
# the run's own, {sqlite} an SQLite file of its own, {redis} the test Redis.
SMOKE_RUNS = {
    "agreement_bench.py": [
        (["--items", "200", "--naive-items", "100", "--replicates", "20", "--database-url", "{db}"],
         "largest difference between the bounds: 1.1e-16"),
    ],
    "agreement_core_bench.py": [
        (["scale", "--items", "200", "--replicates", "20"], "agreement_report (everything)"),
        (["naive", "--ratings", "200", "--naive-replicates", "20"], "speed-up"),
        (["meta", "--items", "200", "--replicates", "20"], "meta_eval_report"),
    ],
    "annotate_bench.py": [
        (["--items", "200", "--annotators", "2", "--seconds", "1", "--warm-up", "0.5", "--workers", "1",
          "--database-url", "{db}"], "items with more than k=2 ratings: 0"),
        (["--embedded", "--items", "200", "--annotators", "2", "--seconds", "1", "--warm-up", "0.5"],
         "items with more than k=2 ratings: 0"),
        (["--kind", "pairwise", "--items", "200", "--annotators", "2", "--seconds", "1", "--warm-up", "0.5",
          "--workers", "1", "--database-url", "{db}"], "items with more than k=2 ratings: 0"),
    ],
    "export_bench.py": [
        (["--prompts", "20", "--models", "3", "--database-url", "{db}"], "release of 600 rating scores built"),
    ],
    "import_bench.py": [
        (["--prompts", "20", "--models", "3", "--database-url", "{db}"], "imported 60 responses"),
        (["--shape", "distinct-prompts", "--prompts", "60", "--database-url", "{sqlite}"],
         "imported 60 responses in"),
    ],
    "trajectory_bench.py": [
        (["--checkpoints", "12", "--tasks", "3", "--examples", "50", "--database-url", "{db}"],
         "trajectory report of 3 task trajectories × 12 checkpoints"),
        (["--checkpoints", "12", "--tasks", "3", "--examples", "50", "--format", "csv", "--database-url", "{db}"],
         "imported 1,800 outcomes in"),
        (["--checkpoints", "12", "--tasks", "3", "--examples", "50", "--release", "--database-url", "{db}"],
         "peak memory of the release's process"),
    ],
    "judge_bench.py": [
        (["--items", "20", "--concurrency", "4", "--delay", "0.01", "--database-url", "{db}", "--redis-url", "{redis}"],
         "job succeeded: 20 scored, 0 failed"),
    ],
    "generate_bench.py": [
        (["--prompts", "20", "--concurrency", "4", "--delay", "0.01", "--database-url", "{db}",
          "--redis-url", "{redis}"], "job succeeded: 20 answered, 0 failed"),
    ],
    "qc_bench.py": [
        (["--ratings", "4000", "--annotators", "20", "--database-url", "{db}"],
         "competence ranks every careful annotator above the random and constant ones: True"),
    ],
    "progress_bench.py": [
        (["--prompts", "20", "--models", "3", "--runs", "1", "--database-url", "{db}"], "campaign_progress_csv: median"),
    ],
    "upload_bench.py": [
        (["--prompts", "20", "--models", "3", "--database-url", "{db}", "--redis-url", "{redis}"],
         "memory (RSS) of the web processes"),
    ],
    "report_bench.py": [
        (["--items", "200", "--views", "3", "--database-url", "{db}"], "views while newer figures are pending"),
    ],
    "production_trial.py": [
        (["--items", "20", "--annotators", "2", "--judge-items", "10", "--judge-delay", "0.01",
          "--database-url", "{db}", "--redis-url", "{redis}"], "production trial: every check holds"),
    ],
    "ratings_export_bench.py": [
        (["--ratings", "1000", "--database-url", "{db}"], "command jsonl"),
    ],
    "web_memory_bench.py": [
        (["--annotators", "2", "--ratings", "4", "--database-url", "{db}"], "loaded: none of pandas"),
    ],
    "ranking_bench.py": [
        (["--votes", "500", "--models", "4", "--replicates", "20", "--runs", "1", "--database-url", "{db}"],
         "run 1: ranking --json end to end"),
    ],
}
RUNS = [(script, index) for script, runs in SMOKE_RUNS.items() for index in range(len(runs))]
ALONE = {"production_trial.py"}  # flushes its Redis database: run after the others, which share it

pytestmark = [
    pytest.mark.xdist_group("benches"),  # one process runs them all, so the module's fixture runs once
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the benches fill PostgreSQL databases"),
    pytest.mark.skipif(not REDIS_URL, reason="Redis is not reachable (bin/test sets HYOKA_TEST_REDIS_URL)"),
]


def database_url(name):
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path=f"/{name}"))


def server_execute(statement):
    parts = urlsplit(os.environ["DATABASE_URL"])
    with psycopg.connect(host=parts.hostname, port=parts.port or 5432, user=parts.username or "postgres",
                         password=parts.password or None, dbname="postgres", autocommit=True) as server:
        server.execute(statement)


def create_database(name):
    server_execute(f'CREATE DATABASE "{name}"')
    return database_url(name)


def drop_database(url):
    server_execute(f'DROP DATABASE IF EXISTS "{urlsplit(url).path.lstrip("/")}" WITH (FORCE)')


def run_bench(script, arguments, folder, template):
    env = {**os.environ, "HYOKA_VAR_DIR": str(folder), "HYOKA_BENCH_TEMPLATE_DATABASE": template}
    env.pop("DATABASE_URL", None)
    return subprocess.run([sys.executable, str(ROOT / "bench" / script), *arguments], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def bench_results(tmp_path_factory):
    """Run them a few at a time, each on a copy of one migrated template, and drop the databases afterwards."""
    prefix = f"hyoka_smoke_{uuid.uuid4().hex[:8]}"
    template = f"{prefix}_template"
    databases, futures = [database_url(template)], {}
    migrated = subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "--verbosity", "0"], cwd=ROOT,
                              env={**os.environ, "DATABASE_URL": create_database(template)},
                              capture_output=True, text=True, timeout=300)
    assert migrated.returncode == 0, migrated.stderr[-3000:]
    def start(pool, script, index):
        folder = tmp_path_factory.mktemp(script.removesuffix(".py"))
        url = database_url(f"{prefix}_{script.removesuffix('_bench.py').removesuffix('.py')}_{index}")
        databases.append(url)
        arguments = [part.format(db=url, sqlite=f"sqlite:///{folder}/bench.sqlite3", redis=REDIS_URL)
                     for part in SMOKE_RUNS[script][index][0]]
        futures[script, index] = pool.submit(run_bench, script, arguments, folder, template)

    try:
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            for script, index in RUNS:
                if script not in ALONE:
                    start(pool, script, index)
        with ThreadPoolExecutor(max_workers=1) as pool:
            for script, index in RUNS:
                if script in ALONE:
                    start(pool, script, index)
        yield {run: future.result() for run, future in futures.items()}
    finally:
        for url in reversed(databases):
            drop_database(url)


def test_every_bench_script_has_a_smoke_run():
    scripts = [path.name for path in (ROOT / "bench").glob("*.py") if '__name__ == "__main__"' in path.read_text()]
    assert sorted(scripts) == sorted(SMOKE_RUNS)


@pytest.mark.parametrize("script,index", RUNS, ids=[f"{script}-{index}" for script, index in RUNS])
def test_bench_runs_at_a_tiny_size(bench_results, script, index):
    result = bench_results[script, index]
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert SMOKE_RUNS[script][index][1] in output, output[-3000:]
