"""Upload benchmark: the import bench's 100,000 responses (144 MB of JSONL) uploaded over HTTP and imported.

    .venv/bin/python bench/upload_bench.py [--prompts 2000] [--models 50] [--database-url URL] [--redis-url URL]

Generates the file as bench/import_bench.py does, recreates and migrates the bench database, creates a lead
with an API token and an empty campaign, then starts what bin/run starts, on PostgreSQL and Redis: gunicorn
(--preload, 2 workers × 4 threads) and one Celery worker. It POSTs the file to /api/campaigns/upload-bench/uploads/
(multipart, streamed from disk) and polls the upload until it is done, sampling the resident memory of the
web processes every 20 ms meanwhile. Prints the time to send, the import's time and the end-to-end rate
(from the first byte sent to the upload's finished_at), and the web processes' peak memory. The database
named in --database-url is dropped and recreated, and the Redis database is used as the broker: never point
them at real data.
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path
from urllib.request import Request, urlopen

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from import_bench import recreate_database, write_records  # noqa: E402  the same file as the import bench


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def rss_mb(pid):
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def children(pid):
    try:
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


class MemoryWatch:
    """Peak resident memory of the gunicorn master and each of its workers, sampled every 20 ms."""

    def __init__(self, master):
        self.master, self.peak, self.running = master, {}, True
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.thread.start()

    def _watch(self):
        while self.running:
            for pid in [self.master, *children(self.master)]:
                self.peak[pid] = max(self.peak.get(pid, 0.0), rss_mb(pid))
            time.sleep(0.02)

    def stop(self):
        self.running = False
        self.thread.join()
        return self.peak


def wait_for_port(port, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("the web server did not start")


def prepare_database(environment):
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=environment, check=True)
    script = (
        "from django.contrib.auth.models import Group, User\n"
        "from rest_framework.authtoken.models import Token\n"
        "from annotation.models import Campaign, Rubric\n"
        "lead = User.objects.create_user('bench-lead', password='bench-lead-password')\n"
        "lead.groups.add(Group.objects.get(name='lead'))\n"
        "Campaign.objects.create(slug='upload-bench', name='upload bench', created_by=lead,\n"
        "                        rubric=Rubric.objects.get(key='quality-5x5'))\n"
        "print(Token.objects.create(user=lead).key)\n"
    )
    done = subprocess.run([sys.executable, "manage.py", "shell", "-c", script], cwd=ROOT, env=environment,
                          check=True, capture_output=True, text=True)
    return done.stdout.strip().splitlines()[-1]


def get_json(url, token):
    with urlopen(Request(url, headers={"Authorization": f"Token {token}"}), timeout=30) as answer:
        return json.loads(answer.read())


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--prompts", type=int, default=2000)
    parser.add_argument("--models", type=int, default=50)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/hyoka_upload_bench")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/3")
    args = parser.parse_args()
    from annotation.testing.uploads import post_file

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "responses.jsonl"
        write_records(path, args.prompts, args.models)
        records = args.prompts * args.models
        print(f"generated {records:,} records ({path.stat().st_size / 1e6:.0f} MB)")
        recreate_database(args.database_url)
        environment = {**os.environ, "DATABASE_URL": args.database_url, "CELERY_BROKER_URL": args.redis_url,
                       "HYOKA_UPLOAD_DIR": str(Path(folder) / "uploads"), "DJANGO_SETTINGS_MODULE": "hyoka.settings"}
        token = prepare_database(environment)
        port = free_port()
        web = subprocess.Popen([sys.executable, "-m", "gunicorn", "hyoka.wsgi", "--preload", "--bind",
                                f"127.0.0.1:{port}", "--workers", "2", "--threads", "4", "--timeout", "300",
                                "--log-level", "warning"], cwd=ROOT, env=environment)
        worker = subprocess.Popen([sys.executable, "-m", "celery", "-A", "hyoka", "worker", "--pool=threads",
                                   "--concurrency=1", "--without-gossip", "--without-mingle", "--loglevel=warning"],
                                  cwd=ROOT, env=environment)
        try:
            wait_for_port(port)
            time.sleep(2)  # the worker connects to the broker
            base = f"http://127.0.0.1:{port}"
            for _ in range(8):  # load Django in both web workers, so that "idle" is a warm worker's memory
                urlopen(Request(f"{base}/api/campaigns/upload-bench/uploads/",
                                headers={"Authorization": f"Token {token}"}), timeout=30).read()
            idle = {pid: rss_mb(pid) for pid in [web.pid, *children(web.pid)]}
            watch = MemoryWatch(web.pid)
            started = time.time()
            status, upload = post_file(f"{base}/api/campaigns/upload-bench/uploads/", path, {"kind": "responses"},
                                       headers={"Authorization": f"Token {token}"})
            sent = time.time() - started
            if status != 202:
                raise SystemExit(f"upload refused: {status} {upload}")
            url = f"{base}/api/uploads/{upload['id']}/"
            while (upload := get_json(url, token))["status"] not in ("done", "failed"):
                time.sleep(0.2)
            peak = watch.stop()
        finally:
            web.terminate()
            worker.terminate()
            web.wait(30)
            worker.wait(30)

    if upload["status"] != "done":
        raise SystemExit(f"the import failed: {upload['errors']}")
    finished = datetime.fromisoformat(upload["finished_at"]).timestamp()
    import_seconds = finished - datetime.fromisoformat(upload["started_at"]).timestamp()
    total = finished - started
    print(upload["summary"])
    print(f"sent {upload['size'] / 1e6:.0f} MB in {sent:.1f} s; imported in {import_seconds:.1f} s; "
          f"end to end {total:.1f} s: {records / total:,.0f} responses/s")
    print("memory (RSS) of the web processes, idle before the upload -> peak while receiving: " + ", ".join(
        f"{'master' if pid == web.pid else 'worker'} {pid}: {idle.get(pid, 0):.0f} -> {mb:.0f} MB"
        for pid, mb in sorted(peak.items())))


if __name__ == "__main__":
    main()
