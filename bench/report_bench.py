"""The report page on a campaign of 1,000,000 ratings: the first view, the computation of its figures, repeat
views, and views while newer figures are computed after a change.

    .venv/bin/python bench/report_bench.py [--items 500000] [--views 50] [--database-url URL] [--reuse]

Recreates the bench database (the one named in --database-url is DROPPED: never point it at real data),
migrates it and fills one campaign of the built-in quality-5x5 rubric as bench/agreement_bench.py does
(--items items, each rated by 2 annotators on 5 axes: 1,000,000 ratings and 5,000,000 scores by default; the
report triggers fire on that fill). Then, in this process, through Django's test client (sessions, auth,
locale middleware, the template), as a signed-in lead:

1. the first view: no figures yet, the campaign is too large to compute inline, so a progress page, and the
   task queued (the broker is memory://, nothing consumes it);
2. the computation itself, as the Celery task does it (exports.services.report_snapshots), timed, with the
   process's peak memory;
3. --views repeat views: the stored figures (median, p95, max);
4. one score changed by SQL: the data version moves, the next view queues a new computation and shows the
   older figures with the note; then --views views of that page (median, p95).

Each figure is printed with the load average (1 minute) when it was taken: the machine may be shared.
"""

import argparse
import os
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from agreement_bench import fill_campaign, load_average, setup_django  # noqa: E402  (bench/ is the script's folder)
from import_bench import recreate_database  # noqa: E402

SLUG = "bench-report"
SEED = 7


def lead_client(campaign):
    from django.contrib.auth.models import Group, User
    from django.test import Client

    from annotation.models import CampaignMembership

    user, _ = User.objects.get_or_create(username="bench-lead")
    user.groups.add(Group.objects.get(name="lead"))
    CampaignMembership.objects.get_or_create(campaign=campaign, user=user, role=CampaignMembership.Role.LEAD)
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    return client


def timed_view(client):
    load = load_average()
    started = time.perf_counter()
    response = client.get(f"/campaigns/{SLUG}/report/")
    seconds = time.perf_counter() - started
    assert response.status_code == 200, response.status_code
    return seconds, response.content.decode(), load


def repeat_views(client, views, expect):
    times, load = [], load_average()
    for _ in range(views):
        seconds, html, _ = timed_view(client)
        assert expect in html
        times.append(seconds * 1000)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * len(times)) - 1)]
    return f"median {statistics.median(times):.0f} ms, p95 {p95:.0f} ms, max {times[-1]:.0f} ms ({load})"


def pending_snapshot(campaign):
    from exports.models import ReportSnapshot

    return ReportSnapshot.objects.filter(campaign=campaign, status=ReportSnapshot.Status.PENDING).latest("version")


def compute(campaign):
    from exports.services.report_snapshots import report_snapshot_compute

    snapshot, load = pending_snapshot(campaign), load_average()
    started = time.perf_counter()
    report_snapshot_compute(snapshot_id=snapshot.pk)
    seconds = time.perf_counter() - started
    snapshot.refresh_from_db()
    assert snapshot.status == "done", snapshot.error
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return f"{seconds:.1f} s, peak memory {peak:.0f} MB, {len(snapshot.html) / 1e6:.1f} MB of HTML ({load})"


def change_one_score():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("UPDATE annotation_ratingscore SET score = 6 - score WHERE id = (SELECT min(id) FROM "
                       "annotation_ratingscore)")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=500_000)
    parser.add_argument("--views", type=int, default=50)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/hyoka_report_bench")
    parser.add_argument("--reuse", action="store_true", help="Measure again on the campaign a previous run left.")
    args = parser.parse_args()
    os.environ["CELERY_BROKER_URL"] = "memory://"
    if not args.reuse:
        recreate_database(args.database_url)
    setup_django(args.database_url)
    from django.core.management import call_command

    from annotation.models import Campaign
    from exports.models import ReportSnapshot

    if not args.reuse:
        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        fill_campaign(SLUG, args.items, SEED)
        print(f"filled {SLUG}: {args.items:,} items, {args.items * 2:,} ratings, {args.items * 10:,} scores "
              f"in {time.perf_counter() - started:.0f} s (with the report triggers)", flush=True)
    from exports.services import report_snapshots

    report_snapshots.INLINE_MAX_ITEMS = 0  # a smaller --items campaign takes the background path too
    campaign = Campaign.objects.get(slug=SLUG)
    ReportSnapshot.objects.filter(campaign=campaign).delete()
    client = lead_client(campaign)

    seconds, html, load = timed_view(client)
    assert "集計値を計算しています" in html or "The figures are being computed" in html
    print(f"1. first view (progress page, computation queued): {seconds * 1000:.0f} ms ({load})", flush=True)
    print(f"2. computing the figures: {compute(campaign)}", flush=True)
    timed_view(client)  # warms the template cache as any running server is
    figures = repeat_views(client, args.views, 'data-count="scores"')
    print(f"3. {args.views} repeat views: {figures}", flush=True)

    change_one_score()
    seconds, html, load = timed_view(client)
    assert 'data-status="pending"' in html and 'data-count="scores"' in html
    print(f"4. first view after a change (older figures, newer queued): {seconds * 1000:.0f} ms ({load})")
    figures = repeat_views(client, args.views, 'data-status="pending"')
    print(f"   {args.views} views while newer figures are pending: {figures}", flush=True)


if __name__ == "__main__":
    main()
