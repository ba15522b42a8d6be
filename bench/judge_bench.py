"""Judge benchmark: 5,000 judgments through a Celery worker against a fake endpoint answering after 200 ms.

    .venv/bin/python bench/judge_bench.py [--items 5000] [--concurrency 32] [--delay 0.2]
        [--database-url URL] [--redis-url URL]

The fake OpenAI-compatible server (judging.testing.fake_server) runs in a process of its
own, as does one Celery worker (threads pool) on the Redis broker and a queue of the
bench's own. The bench recreates its database, builds a campaign of ITEMS items, queues
one judge job with concurrency CONCURRENCY through ``judge_job_create`` and waits for it.
It prints judgments/s (from the job's start to its end, as recorded on the job row)
beside the ceiling CONCURRENCY / DELAY. The database named in --database-url is dropped
and recreated: never point it at real data.
"""

import argparse
import os
import resource
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_database import recreate_database  # noqa: E402  (bench/ is the script's folder)

WORKER = """
import sys
from hyoka.celery import app
app.conf.task_default_queue = sys.argv[1]  # the worker's own tasks (recovery) stay on the bench's queue
app.worker_main(["worker", "-Q", sys.argv[1], "-n", sys.argv[1] + "@localhost", "--pool=threads",
                 "--concurrency=2", "--without-gossip", "--without-mingle", "--loglevel=warning"])
"""



def start_fake_server(delay, *options):
    process = subprocess.Popen([sys.executable, "-m", "judging.testing.fake_server", "--delay", str(delay), *options],
                               cwd=ROOT, stdout=subprocess.PIPE, text=True)
    return process, process.stdout.readline().strip()


def start_worker(queue):
    return subprocess.Popen([sys.executable, "-c", WORKER, queue], cwd=ROOT, env=os.environ.copy())


def cpu_seconds(pid):
    """User + system CPU of a process so far, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--delay", type=float, default=0.2)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/hyoka_judge_bench")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    args = parser.parse_args()

    recreate_database(args.database_url)
    os.environ.update({"DATABASE_URL": args.database_url, "CELERY_BROKER_URL": args.redis_url,
                       "DJANGO_SETTINGS_MODULE": "hyoka.settings"})
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    from hyoka.celery import app
    from judging.models import JudgeJob
    from judging.selectors import job_progress
    from judging.services import judge_config_save, judge_job_create
    from judging.testing.campaigns import campaign_for_judging

    queue = f"hyoka-judge-bench-{uuid.uuid4().hex[:8]}"
    app.conf.task_default_queue = queue
    server, base_url = start_fake_server(args.delay)
    worker = start_worker(queue)
    try:
        campaign = campaign_for_judging(slug="judge-bench", items=args.items, models=10)
        config, _ = judge_config_save(
            name="bench-judge", base_url=base_url, model="fake-judge", api_key_env="",
            concurrency=args.concurrency, requests_per_minute=0, timeout_seconds=30,
        )
        time.sleep(3)  # let the worker connect before the clock starts
        worker_cpu = cpu_seconds(worker.pid)
        queued = time.perf_counter()
        job = judge_job_create(campaign=campaign, config=config)
        while job.status in (JudgeJob.Status.QUEUED, JudgeJob.Status.RUNNING):
            time.sleep(0.5)
            job.refresh_from_db()
        wall = time.perf_counter() - queued
        worker_cpu = cpu_seconds(worker.pid) - worker_cpu
    finally:
        worker.terminate()
        server.terminate()
        worker.wait(30)
        server.wait(10)

    progress = job_progress(job)
    elapsed = (job.finished_at - job.started_at).total_seconds()
    ceiling = args.concurrency / args.delay
    rate = progress.done / elapsed
    print(f"job {job.status}: {progress.done} scored, {progress.failed} failed, {progress.calls} calls, "
          f"errors {progress.call_errors or 'none'}")
    print(f"{progress.done} judgments in {elapsed:.1f} s (job start to end; {wall:.1f} s from queueing): "
          f"{rate:.1f} judgments/s against a ceiling of {args.concurrency} / {args.delay} s = {ceiling:.0f}/s "
          f"({100 * rate / ceiling:.1f}% of it)")
    print(f"worker CPU: {worker_cpu:.1f} s ({1000 * worker_cpu / max(1, progress.calls):.2f} ms per judgment); "
          f"bench process peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
