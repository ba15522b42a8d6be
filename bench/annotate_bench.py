"""Annotation benchmark: simulated annotators doing next-item + submit over HTTP, on PostgreSQL or the embedded default.

    .venv/bin/python bench/annotate_bench.py [--kind likert|pairwise] [--items 100000] [--annotators 20]
                                             [--seconds 30] [--workers 4] [--threads 2]
                                             [--database-url URL | --embedded]

Recreates the bench database (DROPPED first: never point it at real data), builds
a pull-mode campaign of --items items with overlap 2 (likert: one response each,
scored on the five quality axes; pairwise: two models' responses to a prompt, five
pairs per prompt, judged A / B / tie with the built-in preference-3 rubric), starts
gunicorn on 127.0.0.1, and runs one thread per annotator, each looping: POST next
item, POST the rating (scores, or a verdict as seen on screen). Prints p50/p95/p99
latency of each call and ratings/s, then checks that no item got more than k ratings.

With --embedded, the campaign goes into a fresh SQLite database in a folder of its own
(HYOKA_VAR_DIR, no DATABASE_URL) and the server is started by ``bin/run`` itself, exactly
as a user starts it (its gunicorn settings, its Celery worker beside); --workers and
--threads do not apply.
"""

import argparse
import json
import os
import random
import socket
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from http.client import HTTPConnection
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_database import recreate_database  # noqa: E402

SCORES = {"relevance": 4, "fluency": 5, "accuracy": 3, "detail": 4, "overall": 4}
MODELS = 10
ANSWERS = {  # what an annotator sends for an item of each kind
    "likert": lambda: {"scores": SCORES},
    "pairwise": lambda: {"verdict": random.choice(("left", "right", "tie"))},
}
RUBRICS = {"likert": "quality-5x5", "pairwise": "preference-3"}


def prepare(kind, items, annotator_count):
    import django

    django.setup()
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command
    from rest_framework.authtoken.models import Token

    from annotation.bulk import bulk_insert
    from annotation.models import Annotator, Campaign, CampaignMembership, Item, LanguageModel, Prompt, Response, Rubric
    from annotation.services.workflow import campaign_cut_batches, campaign_open

    call_command("migrate", verbosity=0)
    campaign = Campaign.objects.create(slug="bench", name="bench", rubric=Rubric.objects.get(key=RUBRICS[kind]))
    models = [LanguageModel.objects.create(name=f"model-{m:02d}") for m in range(MODELS)]
    per_prompt = MODELS if kind == "likert" else MODELS // 2  # items per prompt: responses, or disjoint pairs
    prompt_ids = bulk_insert(Prompt, [{"source": "bench", "external_id": f"p{p}", "turns": [f"質問{p}：日本の首都はどこですか。"]}
                                      for p in range(items // per_prompt)])
    response_ids = bulk_insert(Response, [{"prompt_id": pid, "model_id": m.id, "turns": ["東京です。" * 40]}
                                          for pid in prompt_ids for m in models])
    if kind == "likert":
        bulk_insert(Item, [{"campaign_id": campaign.id, "response_id": rid} for rid in response_ids])
    else:
        bulk_insert(Item, [{"campaign_id": campaign.id, "response_id": a, "response_b_id": b}
                           for a, b in zip(response_ids[0::2], response_ids[1::2])])
    campaign_cut_batches(campaign=campaign, size=1000, seed=1)
    campaign_open(campaign=campaign, mode=Campaign.Mode.PULL)
    group = Group.objects.get(name="annotator")
    tokens = []
    for index in range(annotator_count):
        user = User.objects.create_user(f"bench{index}", password=None)
        user.groups.add(group)
        Annotator.objects.create(user=user, handle=user.username, tier=Annotator.Tier.GRADUATE)
        CampaignMembership.objects.create(campaign=campaign, user=user, role=CampaignMembership.Role.ANNOTATOR)
        tokens.append(Token.objects.create(user=user).key)
    return tokens


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(port, workers, threads, env):
    process = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "hyoka.wsgi", "--preload", "--bind", f"127.0.0.1:{port}",
         "--workers", str(workers), "--threads", str(threads),
         "--log-level", "warning", *os.environ.get("BENCH_GUNICORN_ARGS", "").split()], cwd=ROOT, env=env,
    )
    for _ in range(600):  # up to a minute: starting Django takes a while on a busy machine
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("gunicorn did not start")


def process_table():
    """{pid: (ppid, cpu ms so far, cmdline)} of every process, from /proc."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                cmdline = handle.read().decode(errors="replace").replace("\0", " ")
        except OSError:
            continue
        cpu = (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")
        table[int(entry)] = (int(fields[1]), cpu, cmdline)
    return table


def descendants(table, root):
    found, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, (ppid, _, _) in table.items() if ppid == parent]
        found.update(children)
        frontier.extend(children)
    return found & set(table)


def cpu_snapshot(server_pid, database):
    """CPU (ms) spent so far by the gunicorn master and workers (started by the bench, or under bin/run), the
    Celery worker that bin/run starts beside it, the PostgreSQL backends serving ``database`` (none on SQLite),
    and this process (the simulated annotators)."""
    table, own = process_table(), os.times()
    ours = descendants(table, server_pid)
    return {
        "gunicorn": sum(table[pid][1] for pid in ours if "gunicorn" in table[pid][2]),
        "worker": sum(table[pid][1] for pid in ours if "celery" in table[pid][2]),
        "PostgreSQL": sum(cpu for ppid, cpu, cmdline in table.values()
                          if database and cmdline.startswith("postgres:") and f" {database} " in cmdline),
        "client": (own.user + own.system) * 1000,
    }


def start_embedded(port, var_dir):
    """``bin/run`` on the prepared var folder; returns once it says the server is running."""
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "CELERY_BROKER_URL")}
    env.update(PORT=str(port), HYOKA_VAR_DIR=str(var_dir))
    process = subprocess.Popen([str(ROOT / "bin/run")], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True,
                               start_new_session=True)
    for line in process.stdout:
        if line.startswith("Hyoka is running"):
            threading.Thread(target=process.stdout.read, daemon=True).start()  # keep the pipe drained
            return process
    raise SystemExit(f"bin/run ended with status {process.wait()} before the server was running")


def stop_server(process):
    """SIGTERM (bin/run stops its web server and worker on it), then wait."""
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def annotate(kind, port, token, start, deadline, timings, counts, done):
    """Rate until the deadline; calls that begin before ``start`` are warm-up and not timed."""
    connection = HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
    while time.perf_counter() < deadline:
        measured = time.perf_counter() >= start
        status, body, seconds = call(connection, "POST", "/api/campaigns/bench/next/", headers)
        if status == 204:
            return
        assert status == 200, (status, body[:300])
        item = json.loads(body)["id"]
        payload = json.dumps({**ANSWERS[kind](), "idempotency_key": str(uuid.uuid4()), "seconds_spent": 7})
        status, body, submit_seconds = call(connection, "POST", f"/api/items/{item}/rating/", headers, payload)
        assert status == 201, (status, body[:300])
        done.append(1)
        if measured:
            timings["next"].append(seconds)
            timings["submit"].append(submit_seconds)
            counts.append(1)


def call(connection, method, path, headers, body=None):
    started = time.perf_counter()
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    return response.status, response.read(), time.perf_counter() - started


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kind", choices=sorted(ANSWERS), default="likert", help="the campaign's kind")
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--annotators", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--warm-up", type=float, default=3, help="seconds of load before measuring")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=2,
                        help="threads per worker (more than 1: gunicorn's gthread workers, which keep connections "
                             "alive, as bin/run runs them)")
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/hyoka_bench")
    parser.add_argument("--embedded", action="store_true",
                        help="SQLite in a fresh folder, served by bin/run as a user starts it")
    parser.add_argument("--port", type=int, default=None, help="the server's port on 127.0.0.1 (default: a free one)")
    args = parser.parse_args()

    var_dir = Path(tempfile.mkdtemp(prefix="hyoka-annotate-bench-")) if args.embedded else None
    if args.embedded:
        os.environ.pop("DATABASE_URL", None)
        os.environ.update(HYOKA_VAR_DIR=str(var_dir), DJANGO_SETTINGS_MODULE="hyoka.settings")
    else:
        recreate_database(args.database_url)
        os.environ.update(DATABASE_URL=args.database_url, DJANGO_SETTINGS_MODULE="hyoka.settings")
    started = time.perf_counter()
    tokens = prepare(args.kind, args.items, args.annotators)
    print(f"prepared {args.items:,} {args.kind} items and {args.annotators} annotators "
          f"in {time.perf_counter() - started:.0f} s")
    from django.db import connections

    connections.close_all()  # bin/run migrates the same file

    port = args.port or free_port()
    if args.embedded:
        server, serving = start_embedded(port, var_dir), "bin/run: SQLite, its gunicorn and worker"
    else:
        server = start_gunicorn(port, args.workers, args.threads, {**os.environ, "DATABASE_CONN_MAX_AGE": "600"})
        serving = f"{args.workers} gunicorn workers x {args.threads} threads"
    try:
        timings, counts, done = {"next": [], "submit": []}, [], []
        database = "" if args.embedded else args.database_url.rsplit("/", 1)[1]
        cpu_before = cpu_snapshot(server.pid, database)
        start = time.perf_counter() + args.warm_up
        deadline = start + args.seconds
        threads = [threading.Thread(target=annotate,
                                    args=(args.kind, port, token, start, deadline, timings, counts, done))
                   for token in tokens]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - start
        cpu_after = cpu_snapshot(server.pid, database)
    finally:
        stop_server(server)

    print(f"{len(counts):,} ratings in {elapsed:.1f} s by {args.annotators} annotators "
          f"({serving}): {len(counts) / elapsed:,.0f} ratings/s")
    for call, values in timings.items():
        print(f"  {call:7s} p50 {percentile(values, 0.5):6.1f} ms   p95 {percentile(values, 0.95):6.1f} ms   "
              f"p99 {percentile(values, 0.99):6.1f} ms   mean {statistics.mean(values) * 1000:6.1f} ms   n={len(values):,}")
    per_rating = {name: (cpu_after[name] - cpu_before[name]) / len(done) for name in cpu_before
                  if cpu_after[name] > 0}
    print("  CPU per rating (warm-up included): " + ", ".join(f"{name} {ms:.2f} ms" for name, ms in per_rating.items())
          + f"; at {sum(per_rating.values()):.2f} ms, {os.cpu_count()} idle cores give at most "
            f"{os.cpu_count() * 1000 / sum(per_rating.values()):,.0f} ratings/s")
    print(f"  load average (1 min) at the end: {os.getloadavg()[0]:.1f}")
    from django.db.models import Count

    from annotation.models import Item

    # The bench's campaign only: bin/run also loads the demo, whose SummEval items have three experts' ratings.
    over = Item.objects.filter(campaign__slug="bench").annotate(n=Count("ratings")).filter(n__gt=2).count()
    print(f"items with more than k=2 ratings: {over}")
    if var_dir:
        shutil.rmtree(var_dir)


if __name__ == "__main__":
    main()
