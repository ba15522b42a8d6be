"""Production trial: Hyoka as the README's production section runs it, on this machine, under load.

    bin/production-trial [--items 400] [--annotators 8] [--judge-items 300]
                         [--database-url URL] [--redis-url URL]

Reads docs/production.env (HTTPS behind a proxy, secure cookies, HSTS) and changes only what must differ
on one machine: the database and Redis (loopback only), a generated SECRET_KEY, ALLOWED_HOSTS and a
temporary HYOKA_VAR_DIR. It DROPS and recreates the PostgreSQL database and FLUSHES the Redis database it
is given (never point them at real data), runs `manage.py migrate` as an upgrade would, then starts two
gunicorn web processes and two Celery workers (`celery -A hyoka worker`) and an OpenAI-compatible fake
judge on 127.0.0.1, and runs at the same time:

- an annotation load: ANNOTATORS clients, alternating between the two web processes and sending
  `X-Forwarded-Proto: https` as the proxy would, take the next item and rate it until the likert campaign
  (ITEMS items, overlap k=2) is done; one submission in five is sent again, with the same idempotency key,
  to the other web process (a retry after a lost answer);
- a judging load: two judge jobs queued through the API (JUDGE_ITEMS items each, two samples), each run
  task delivered a second time so that both workers take part in both jobs.

Then it checks exact k (every item has exactly 2 ratings, so none has more), exactly once for ratings
(a retried submission stores nothing new) and for judgments (one verdict per unit, one call to the judge
per verdict, the judge's concurrency limit held across both workers), and that both workers ran tasks.
Exit status 0 when every check holds.
"""

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from http.client import HTTPConnection
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from annotate_bench import call, free_port, percentile, prepare, start_gunicorn  # noqa: E402
from import_bench import recreate_database  # noqa: E402

from hyoka.envfile import read_env_file  # noqa: E402

PROXY = {"X-Forwarded-Proto": "https"}  # what the TLS proxy in front of gunicorn adds
JUDGE_CONCURRENCY = 6  # per judge config, across all workers
JUDGE_SAMPLES = 2
CHECKS = []


def check(condition, text):
    CHECKS.append(bool(condition))
    print(f"  [{'ok' if condition else 'FAILED'}] {text}")


def loopback_only(url):
    host = urlsplit(url).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit(f"production-trial: {url} is not on loopback; the trial drops what it is given.")
    return url


def trial_environment(database_url, redis_url, var_dir):
    env = {**os.environ, **read_env_file(ROOT / "docs/production.env")}
    env.update(DATABASE_URL=database_url, CELERY_BROKER_URL=redis_url, SECRET_KEY=secrets.token_urlsafe(50),
               ALLOWED_HOSTS="127.0.0.1,localhost", CSRF_TRUSTED_ORIGINS="https://127.0.0.1",
               HYOKA_VAR_DIR=str(var_dir), DJANGO_SETTINGS_MODULE="hyoka.settings")
    for name in ("DEBUG", "CELERY_TASK_ALWAYS_EAGER", "HYOKA_JUDGE_REDIS_URL", "HYOKA_TEST_DATABASE_NAME"):
        env.pop(name, None)
    return env


def start_worker(name, env):
    return subprocess.Popen([str(ROOT / ".venv/bin/celery"), "--quiet", "-A", "hyoka", "worker", "-n", f"{name}@%h",
                             "--pool=threads", "--concurrency=4", "--loglevel=warning"], cwd=ROOT, env=env)


def rate_until_done(ports, token, index, stats):
    """One annotator: next item, rating, until the campaign has nothing left for them."""
    connections = [HTTPConnection("127.0.0.1", port, timeout=30) for port in ports]
    headers = {"Authorization": f"Token {token}", "Content-Type": "application/json", **PROXY}
    turn = index
    while True:
        turn += 1
        here, other = connections[turn % 2], connections[(turn + 1) % 2]
        status, body, seconds = call(here, "POST", "/api/campaigns/bench/next/", headers)
        if status == 204:
            return
        assert status == 200, (status, body[:300])
        stats["next"].append(seconds)
        item = json.loads(body)["id"]
        payload = json.dumps({"scores": {"relevance": 4, "fluency": 5, "accuracy": 3, "detail": 4, "overall": 4},
                              "idempotency_key": str(uuid.uuid4()), "seconds_spent": 7})
        status, body, seconds = call(here, "POST", f"/api/items/{item}/rating/", headers, payload)
        assert status == 201, (status, body[:300])
        stats["submit"].append(seconds)
        if turn % 5 == 0:  # the answer was lost: the browser sends the same rating to the other process
            status, body, _ = call(other, "POST", f"/api/items/{item}/rating/", headers, payload)
            stats["retries"].append(status)


def queue_judge_jobs(port, token, config_names):
    connection = HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Authorization": f"Token {token}", "Content-Type": "application/json", **PROXY}
    jobs = []
    for name in config_names:
        status, body, _ = call(connection, "POST", "/api/campaigns/judge-trial/judge-jobs/", headers,
                               json.dumps({"config": name}))
        assert status == 201, (status, body[:300])
        jobs.append(json.loads(body)["id"])
    return jobs


def wait_for_jobs(port, token, jobs, processes, timeout=300):
    connection = HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Authorization": f"Token {token}", **PROXY}
    deadline = time.monotonic() + timeout
    while True:
        states = []
        for job in jobs:
            status, body, _ = call(connection, "GET", f"/api/judge-jobs/{job}/", headers)
            assert status == 200, (status, body[:300])
            states.append(json.loads(body))
        if all(state["status"] not in ("queued", "running") for state in states) or time.monotonic() > deadline:
            return states
        if any(process.poll() is not None for process in processes):
            raise SystemExit("production-trial: a web process or a worker ended on its own")
        time.sleep(1)


def prepare_judging(judge_items, base_url):
    from django.contrib.auth.models import User
    from rest_framework.authtoken.models import Token

    from judging.services import judge_config_save
    from judging.testing.campaigns import campaign_for_judging

    campaign_for_judging(slug="judge-trial", items=judge_items, models=4)
    names = ["trial-judge-a", "trial-judge-b"]
    for name in names:
        judge_config_save(name=name, base_url=base_url, model=f"fake-{name}", api_key_env="",
                          concurrency=JUDGE_CONCURRENCY, requests_per_minute=0, timeout_seconds=30,
                          samples=JUDGE_SAMPLES)
    lead = User.objects.create_superuser("trial-lead", password=None)
    return names, Token.objects.create(user=lead).key


def worker_task_counts(names):
    from hyoka.celery import app

    stats = app.control.inspect(destination=names, timeout=5).stats() or {}
    return {name: stats.get(name, {}).get("total", {}).get("judging.llm_job_run", 0) for name in names}


def verify(items, judge_items, states, server, retries, workers):
    from django.db.models import Count

    from annotation.models import Item, Rating
    from judging.models import JudgeCall, JudgeJob, Verdict

    print("checks:")
    per_item = Item.objects.filter(campaign__slug="bench").annotate(n=Count("ratings")).values_list("n", flat=True)
    check(sorted(set(per_item)) == [2], f"exact k: all {items} items have exactly 2 ratings "
                                        f"(counts seen: {sorted(set(per_item))})")
    check(Rating.objects.filter(item__campaign__slug="bench").count() == 2 * items,
          f"{2 * items} ratings stored for {2 * items} accepted submissions")
    check(retries and all(status in (200, 201) for status in retries),
          f"{len(retries)} retried submissions to the other web process accepted, none stored twice "
          f"(answers {sorted(set(retries))})")
    units = judge_items * JUDGE_SAMPLES
    for state in states:
        job = JudgeJob.objects.get(public_id=state["id"])
        verdicts = Verdict.objects.filter(job=job)
        distinct = verdicts.values("item", "sample", "order").distinct().count()
        check(state["status"] == "succeeded" and verdicts.count() == distinct == units,
              f"job {state['config']}: {state['status']}, {verdicts.count()} verdicts for {units} units "
              f"({distinct} distinct)")
        check(JudgeCall.objects.filter(job=job).count() == units, f"job {state['config']}: "
              f"{JudgeCall.objects.filter(job=job).count()} calls recorded for {units} units")
    check(len(server.requests) == 2 * units, f"the judge endpoint was asked {len(server.requests)} times "
                                             f"for {2 * units} units")
    check(server.max_in_flight <= 2 * JUDGE_CONCURRENCY,
          f"at most {server.max_in_flight} calls in flight (two configs x {JUDGE_CONCURRENCY}, across both workers)")
    # Which worker took the job's tasks is Celery's to decide: with a few tasks, one worker may take them all (its
    # prefetch), so this is said, not checked; exactly-once and the in-flight cap above hold across both anyway.
    print(f"  [info] judge tasks per worker: {workers}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=400, help="items of the likert campaign (k=2)")
    parser.add_argument("--annotators", type=int, default=8)
    parser.add_argument("--judge-items", type=int, default=300, help="items of the campaign each judge job judges")
    parser.add_argument("--judge-delay", type=float, default=0.05, help="seconds the fake judge takes to answer")
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/hyoka_production_trial")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/12")
    args = parser.parse_args()
    loopback_only(args.database_url), loopback_only(args.redis_url)

    var_dir = Path(tempfile.mkdtemp(prefix="hyoka-production-trial-"))
    env = trial_environment(args.database_url, args.redis_url, var_dir)
    os.environ.clear()
    os.environ.update(env)
    recreate_database(args.database_url)
    import redis

    redis.Redis.from_url(args.redis_url).flushdb()
    print(f"production trial: {args.database_url} recreated, {args.redis_url} flushed, var in {var_dir}")
    started = time.perf_counter()
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "--verbosity", "0"], cwd=ROOT, env=env,
                   check=True)
    subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], cwd=ROOT,
                   env=env, check=True)
    from judging.testing.fake_server import FakeLLMServer

    processes = []
    with FakeLLMServer(delay=args.judge_delay) as server:
        try:
            tokens = prepare("likert", args.items, args.annotators)
            configs, lead_token = prepare_judging(args.judge_items, server.base_url)
            print(f"migrated and prepared in {time.perf_counter() - started:.0f} s")
            ports = [free_port(), free_port()]
            workers = ["trial-worker-1", "trial-worker-2"]
            processes += [start_worker(name, env) for name in workers]
            processes += [start_gunicorn(port, workers=2, threads=4, env=env) for port in ports]
            print(f"web processes on 127.0.0.1:{ports[0]} and :{ports[1]}; workers {workers[0]}, {workers[1]}")
            time.sleep(3)  # let the workers connect to the broker

            connection = HTTPConnection("127.0.0.1", ports[0], timeout=30)
            status, _, _ = call(connection, "GET", "/", {})
            check(status == 301, f"plain HTTP (no X-Forwarded-Proto) is redirected to HTTPS: {status}")

            load_started = time.perf_counter()
            jobs = queue_judge_jobs(ports[0], lead_token, configs)
            from hyoka.celery import app  # noqa: F401 (sends the tasks below to the trial's broker)
            from judging.models import JudgeJob
            from judging.tasks import llm_job_run_task

            for job in JudgeJob.objects.filter(public_id__in=jobs):  # a second delivery: the other worker joins
                llm_job_run_task.delay(job._meta.label_lower, job.id)
            stats = {"next": [], "submit": [], "retries": []}
            threads = [threading.Thread(target=rate_until_done, args=(ports, token, index, stats))
                       for index, token in enumerate(tokens)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            rated = time.perf_counter() - load_started
            states = wait_for_jobs(ports[1], lead_token, jobs, processes)
            judged = time.perf_counter() - load_started
            task_counts = worker_task_counts([f"{name}@{os.uname().nodename}" for name in workers])
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                process.wait(timeout=60)

        print(f"annotation: {len(stats['submit'])} ratings by {args.annotators} annotators in {rated:.1f} s "
              f"({len(stats['submit']) / rated:.0f}/s); next p95 {percentile(stats['next'], 0.95):.0f} ms, "
              f"submit p95 {percentile(stats['submit'], 0.95):.0f} ms")
        print(f"judging: {2 * args.judge_items * JUDGE_SAMPLES} judgments in {judged:.1f} s "
              f"(two jobs, concurrency {JUDGE_CONCURRENCY} each, fake judge answering in {args.judge_delay} s)")
        print(f"load average (1 min): {os.getloadavg()[0]:.1f}")
        verify(args.items, args.judge_items, states, server, stats["retries"], task_counts)
    print("production trial: " + ("every check holds" if all(CHECKS) else "SOME CHECKS FAILED"))
    sys.exit(0 if all(CHECKS) else 1)


if __name__ == "__main__":
    main()
