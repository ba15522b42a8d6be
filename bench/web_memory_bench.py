"""Web memory: the resident memory of gunicorn workers after they served the rating pages.

    .venv/bin/python bench/web_memory_bench.py [--annotators 4] [--ratings 25] [--app-dir DIR]
                                               [--database-url URL]

Recreates its database (DROPPED first: never point it at real data), builds a likert campaign and a
pairwise one (pull mode, k=2), starts gunicorn as bin/run does (--preload, 2 workers x 4 threads) on
127.0.0.1, and has each annotator, alternately in each campaign, take the next item, open its rating page
(signed in, as in a browser) and rate it through the API, then open the work list. It prints each worker's
resident set (VmRSS) and proportional set (Pss, shared pages divided among the processes sharing them)
and which of pandas, numpy, scipy and pyarrow the processes mapped. --app-dir runs the gunicorn of
another checkout (its code, this bench's data) to compare with an earlier version. Target: under 120 MiB.
"""

import argparse
import json
import os
import secrets
import subprocess
import sys
import threading
import time
import uuid
from http.client import HTTPConnection
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from annotate_bench import call, free_port, prepare  # noqa: E402
from import_bench import recreate_database  # noqa: E402

HEAVY = ("pandas", "numpy", "scipy", "pyarrow")  # seen by their compiled libraries; openai, pure Python, is not
# (tests/test_light_processes.py checks sys.modules for all five)
ANSWERS = {"bench": {"scores": {"relevance": 4, "fluency": 5, "accuracy": 3, "detail": 4, "overall": 4}},
           "bench-pairwise": {"verdict": "left"}}


def prepare_campaigns(annotators):
    """The likert campaign "bench" (annotate_bench's), a pairwise one beside it; (token, session key) each."""
    tokens = prepare("likert", 1000, annotators)
    from django.contrib.auth.models import User
    from django.contrib.sessions.backends.db import SessionStore

    from annotation.models import Campaign, CampaignMembership, Item, Rubric
    from annotation.services.workflow import campaign_cut_batches, campaign_open

    bench = Campaign.objects.get(slug="bench")
    pairwise = Campaign.objects.create(slug="bench-pairwise", name="bench pairwise",
                                       rubric=Rubric.objects.get(key="preference-3"))
    responses = list(Item.objects.filter(campaign=bench).order_by("id").values_list("response_id", flat=True)[:400])
    Item.objects.bulk_create(Item(campaign=pairwise, response_id=a, response_b_id=b)
                             for a, b in zip(responses[0::2], responses[1::2]))
    campaign_cut_batches(campaign=pairwise, size=1000, seed=1)
    campaign_open(campaign=pairwise, mode=Campaign.Mode.PULL)
    sessions = []
    for index in range(annotators):
        user = User.objects.get(username=f"bench{index}")
        CampaignMembership.objects.create(campaign=pairwise, user=user, role=CampaignMembership.Role.ANNOTATOR)
        session = SessionStore()
        session.update({"_auth_user_id": str(user.pk), "_auth_user_backend": "django.contrib.auth.backends.ModelBackend",
                        "_auth_user_hash": user.get_session_auth_hash()})
        session.create()
        sessions.append(session.session_key)
    return list(zip(tokens, sessions))


def serve_rating_pages(port, token, session, ratings, failures):
    try:
        rate(port, token, session, ratings)
    except Exception as error:  # a failed call fails the bench, not only its thread
        failures.append(error)
        raise


def rate(port, token, session, ratings):
    connection = HTTPConnection("127.0.0.1", port, timeout=60)
    api = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
    browser = {"Cookie": f"sessionid={session}"}
    for turn in range(ratings):
        slug = ("bench", "bench-pairwise")[turn % 2]
        status, body, _ = call(connection, "POST", f"/api/campaigns/{slug}/next/", api)
        assert status == 200, (status, body[:300])
        item = json.loads(body)["id"]
        status, body, _ = call(connection, "GET", f"/items/{item}/", browser)
        assert status == 200 and b"<form" in body, (status, body[:300])
        payload = json.dumps({**ANSWERS[slug], "idempotency_key": str(uuid.uuid4())})
        status, body, _ = call(connection, "POST", f"/api/items/{item}/rating/", api, payload)
        assert status == 201, (status, body[:300])
    status, body, _ = call(connection, "GET", "/my-work/", browser)
    assert status == 200, (status, body[:300])


def memory_of(pid):
    """(VmRSS, Pss) of a process in MiB, from /proc (Linux)."""
    rss = next(int(line.split()[1]) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
               if line.startswith("VmRSS:"))
    pss = next(int(line.split()[1]) for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()
               if line.startswith("Pss:"))
    return rss / 1024, pss / 1024


def loaded_heavy(pid):
    """Which of HEAVY a process has loaded: the shared libraries and modules mapped into it."""
    maps = Path(f"/proc/{pid}/maps").read_text()
    return [name for name in HEAVY if f"/site-packages/{name}/" in maps or f"/site-packages/{name}." in maps
            or f"/{name}/__init__" in maps]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--annotators", type=int, default=4)
    parser.add_argument("--ratings", type=int, default=25, help="ratings per annotator (half in each campaign)")
    parser.add_argument("--app-dir", type=Path, default=ROOT, help="the checkout whose gunicorn serves")
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/hyoka_web_memory_bench")
    args = parser.parse_args()

    recreate_database(args.database_url)
    # One key for this process and the server's, whichever checkout it runs: the sessions made here sign with it.
    os.environ.update(DATABASE_URL=args.database_url, DJANGO_SETTINGS_MODULE="hyoka.settings",
                      SECRET_KEY=secrets.token_urlsafe(50))
    people = prepare_campaigns(args.annotators)
    port = free_port()
    app_dir = args.app_dir.resolve()
    server = subprocess.Popen([str(app_dir / ".venv/bin/gunicorn"), "hyoka.wsgi", "--preload", "--bind",
                               f"127.0.0.1:{port}", "--workers", "2", "--threads", "4", "--log-level", "warning"],
                              cwd=app_dir, env={**os.environ, "PYTHONPATH": str(app_dir)})
    try:
        for _ in range(600):
            try:
                HTTPConnection("127.0.0.1", port, timeout=1).request("GET", "/accounts/login/")
                break
            except OSError:
                time.sleep(0.1)
        failures = []
        threads = [threading.Thread(target=serve_rating_pages, args=(port, token, session, args.ratings, failures))
                   for token, session in people]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if failures:
            raise SystemExit(f"web memory bench: {len(failures)} annotators failed: {failures[0]!r}")
        workers = [int(pid) for pid in Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()]
        print(f"{app_dir}: {len(people)} annotators x {args.ratings} rating pages served "
              f"(gunicorn --preload, 2 workers x 4 threads)")
        master_rss, master_pss = memory_of(server.pid)
        print(f"  master  pid {server.pid}: RSS {master_rss:5.0f} MiB  PSS {master_pss:5.0f} MiB  "
              f"loaded: {', '.join(loaded_heavy(server.pid)) or 'none of ' + '/'.join(HEAVY)}")
        for pid in workers:
            rss, pss = memory_of(pid)
            print(f"  worker  pid {pid}: RSS {rss:5.0f} MiB  PSS {pss:5.0f} MiB  "
                  f"loaded: {', '.join(loaded_heavy(pid)) or 'none of ' + '/'.join(HEAVY)}")
        print(f"  load average (1 min): {os.getloadavg()[0]:.1f}")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
