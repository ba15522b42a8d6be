"""Generation benchmark: 5,000 answers of about 1 KB of Japanese each, through a Celery worker, against a fake
endpoint answering after 200 ms.

    .venv/bin/python bench/generate_bench.py [--prompts 5000] [--concurrency 32] [--delay 0.2]
        [--answer-chars 340] [--database-url URL] [--redis-url URL]

As bench/judge_bench.py (whose helpers it uses): the fake OpenAI-compatible server runs in a process of its own,
answering every request with ANSWER_CHARS characters of Japanese (340 characters are about 1 KB in UTF-8), and
one Celery worker (threads pool) on the Redis broker and a queue of the bench's own. The bench recreates its
database, lists PROMPTS one-turn prompts for a campaign, makes a model endpoint with concurrency CONCURRENCY and
queues one generation job through ``generation_job_create``. It prints answers/s (from the job's start to its
end) beside the ceiling CONCURRENCY / DELAY, and the worker's CPU per call. The database named in
--database-url is dropped and recreated: never point it at real data.
"""

import argparse
import os
import resource
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from judge_bench import ROOT, cpu_seconds, recreate_database, start_fake_server, start_worker  # noqa: E402

sys.path.insert(0, str(ROOT))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--prompts", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--delay", type=float, default=0.2)
    parser.add_argument("--answer-chars", type=int, default=340)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/hyoka_generate_bench")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13")
    args = parser.parse_args()

    recreate_database(args.database_url)
    os.environ.update({"DATABASE_URL": args.database_url, "CELERY_BROKER_URL": args.redis_url,
                       "DJANGO_SETTINGS_MODULE": "hyoka.settings"})
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    from annotation.models import Response
    from hyoka.celery import app
    from judging.models import GenerationJob
    from judging.selectors import job_progress
    from judging.services import generation_job_create, model_endpoint_save
    from judging.testing.campaigns import campaign_for_generation

    queue = f"hyoka-generate-bench-{uuid.uuid4().hex[:8]}"
    app.conf.task_default_queue = queue
    server, base_url = start_fake_server(args.delay, "--answer-chars", str(args.answer_chars))
    worker = start_worker(queue)
    try:
        campaign = campaign_for_generation(slug="generate-bench", prompts=args.prompts)
        endpoint, _ = model_endpoint_save(
            name="bench-model", base_url=base_url, model="fake-model", api_key_env="",
            concurrency=args.concurrency, requests_per_minute=0, timeout_seconds=30,
        )
        time.sleep(3)  # let the worker connect before the clock starts
        worker_cpu = cpu_seconds(worker.pid)
        queued = time.perf_counter()
        job = generation_job_create(campaign=campaign, endpoint=endpoint)
        while job.status in (GenerationJob.Status.QUEUED, GenerationJob.Status.RUNNING):
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
    sizes = [len("".join(turns).encode()) for turns in Response.objects.values_list("turns", flat=True)[:100]]
    print(f"job {job.status}: {progress.done} answered, {progress.failed} failed, {progress.calls} calls, "
          f"errors {progress.call_errors or 'none'}; answers of {sum(sizes) / max(1, len(sizes)):.0f} bytes")
    print(f"{progress.done} answers in {elapsed:.1f} s (job start to end; {wall:.1f} s from queueing): "
          f"{rate:.1f} answers/s against a ceiling of {args.concurrency} / {args.delay} s = {ceiling:.0f}/s "
          f"({100 * rate / ceiling:.1f}% of it)")
    print(f"worker CPU: {worker_cpu:.1f} s ({1000 * worker_cpu / max(1, progress.calls):.2f} ms per call); "
          f"bench process peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
