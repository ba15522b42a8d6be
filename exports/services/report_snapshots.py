"""The report page's figures, computed once per campaign, request and data version, in the background.

A campaign's data version is the sum of its ReportDataChange rows (written by database triggers on every
change to its ratings and verdicts: exports.models.ReportDataChange). A view asks `report_snapshot_for_view`:
it finds or creates the snapshot of the current version (one row per (campaign, key, version): two views at
once create one), and the newest finished snapshot to show meanwhile. The creator of a snapshot queues its
computation (`exports.report_snapshot` task) or, for a small campaign seen for the first time at this version,
computes it inline: a few thousand items take well under a second, less than a progress page and a reload.
A computation is claimed by a conditional update (pending -> running) that must return 1, so a redelivered or
repeated task computes nothing twice.
"""

import hashlib
import json
import logging
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone, translation

from exports.models import ReportDataChange, ReportSnapshot
from exports.reports import page

logger = logging.getLogger(__name__)

# A campaign of at most this many items has its figures computed inline when a view finds none of its version.
INLINE_MAX_ITEMS = 5_000
# A pending computation not claimed for this long is queued again (its message was lost); a running one not
# finished for this long may be claimed again (its worker died).
STALE_PENDING = timedelta(minutes=5)
STALE_RUNNING = timedelta(minutes=30)


def campaign_data_version(campaign):
    """The campaign's data version: grows with every committed change to its ratings or verdicts."""
    return ReportDataChange.objects.filter(campaign_id=campaign.pk).aggregate(version=Coalesce(Sum("changes"), 0))[
        "version"]


def campaign_data_changes_compact(campaign_id):
    """Replace the campaign's change rows by one row holding their sum: the version stays what it is.

    The rows are locked, then deleted by id: a row committed meanwhile is neither summed nor deleted, and a
    concurrent compaction waits, then finds the rows gone and sums only what it still holds."""
    with transaction.atomic():
        rows = list(ReportDataChange.objects.select_for_update().filter(campaign_id=campaign_id)
                    .values_list("id", "changes"))
        if len(rows) < 2:
            return
        ReportDataChange.objects.filter(id__in=[row_id for row_id, _ in rows]).delete()
        ReportDataChange.objects.create(campaign_id=campaign_id, changes=sum(changes for _, changes in rows))


def report_params(report_request, language):
    return {"judge": report_request.judge, "level": report_request.level,
            "replicates": report_request.replicates, "language": language}


def report_key(params):
    return hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()


def report_snapshot_for_view(*, campaign, report_request, language):
    """(the snapshot of the current data version, the newest finished snapshot to show or None).

    Creates the current one when missing and has it computed (inline for a small campaign, else queued)."""
    params = report_params(report_request, language)
    key, version = report_key(params), campaign_data_version(campaign)
    current, created = _snapshot_get_or_create(campaign, key, version, params)
    if created and campaign.items.count() <= INLINE_MAX_ITEMS:
        report_snapshot_compute(snapshot_id=current.pk)
        current.refresh_from_db()
    elif created or _requeue_if_stale(current):
        _queue(current.pk)
    if current.status == ReportSnapshot.Status.DONE:
        return current, current
    shown = (ReportSnapshot.objects.filter(campaign=campaign, key=key, status=ReportSnapshot.Status.DONE)
             .order_by("-version").first())
    return current, shown


def _snapshot_get_or_create(campaign, key, version, params):
    found = ReportSnapshot.objects.filter(campaign=campaign, key=key, version=version).first()
    if found:
        return found, False
    try:
        with transaction.atomic():
            return ReportSnapshot.objects.create(campaign=campaign, key=key, version=version, params=params), True
    except IntegrityError:  # another view created it first
        return ReportSnapshot.objects.get(campaign=campaign, key=key, version=version), False


def _requeue_if_stale(snapshot):
    """Claim the re-queuing of a snapshot whose message was lost (pending too long) or whose worker died (running
    too long); the conditional update lets one view of many do it."""
    now, stale = timezone.now(), ReportSnapshot.objects.filter(pk=snapshot.pk, status=snapshot.status)
    if snapshot.status == ReportSnapshot.Status.PENDING and snapshot.created_at < now - STALE_PENDING:
        return stale.filter(created_at=snapshot.created_at).update(created_at=now) == 1
    if snapshot.status == ReportSnapshot.Status.RUNNING and snapshot.started_at < now - STALE_RUNNING:
        return stale.filter(started_at=snapshot.started_at).update(
            status=ReportSnapshot.Status.PENDING, created_at=now, progress=0) == 1
    return False


def _queue(snapshot_id):
    from exports.tasks import report_snapshot_task

    transaction.on_commit(lambda: report_snapshot_task.delay(snapshot_id))


def report_snapshot_compute(*, snapshot_id):
    """Compute and store one snapshot's figures; does nothing unless this call claims it. Failures are recorded
    on the snapshot (the page says so and keeps showing older figures)."""
    if not _claim(snapshot_id):
        return
    snapshot = ReportSnapshot.objects.select_related("campaign__rubric").get(pk=snapshot_id)
    try:
        html = _render_figures(snapshot)
    except Exception as error:  # recorded on the row, shown to the lead; the traceback goes to the log
        logger.exception("report snapshot %s failed", snapshot_id)
        ReportSnapshot.objects.filter(pk=snapshot_id).update(
            status=ReportSnapshot.Status.FAILED, error=f"{type(error).__name__}: {error}", finished_at=timezone.now())
        return
    ReportSnapshot.objects.filter(pk=snapshot_id).update(
        status=ReportSnapshot.Status.DONE, progress=100, html=html, finished_at=timezone.now())
    # Older finished snapshots of the same request are no longer shown.
    ReportSnapshot.objects.filter(campaign_id=snapshot.campaign_id, key=snapshot.key, version__lt=snapshot.version,
                                  status__in=[ReportSnapshot.Status.DONE, ReportSnapshot.Status.FAILED]).delete()
    campaign_data_changes_compact(snapshot.campaign_id)


def _claim(snapshot_id):
    now = timezone.now()
    claimable = Q(status=ReportSnapshot.Status.PENDING) | Q(
        status=ReportSnapshot.Status.RUNNING, started_at__lt=now - STALE_RUNNING)
    return ReportSnapshot.objects.filter(claimable, pk=snapshot_id).update(
        status=ReportSnapshot.Status.RUNNING, started_at=now, progress=5) == 1


def _progress(snapshot_id, percent):
    ReportSnapshot.objects.filter(pk=snapshot_id).update(progress=percent)


def _render_figures(snapshot):
    params = snapshot.params
    with translation.override(params["language"]):
        return page.figures_html(snapshot.campaign, page.ReportRequest(
            judge=params["judge"], level=params["level"], replicates=params["replicates"]),
            progress=lambda percent: _progress(snapshot.pk, percent))


def report_json_kept(*, campaign, name, params, compute):
    """A report API's answer (a JSON-ready dict): computed once per campaign, request and data version and kept,
    as the page's figures are, so a repeat call reads one row instead of computing again.

    On a miss it is computed in the request (a script asking for numbers waits for them; it has no progress
    page to watch), kept, and the older versions of the same request deleted. An error (a HyokaError: nothing
    to report, the wrong kind of campaign) propagates and nothing is kept. The version is read before the
    computation, so what is kept under it holds at least that version's data."""
    request = {"api": name, **params}
    key, version = report_key(request), campaign_data_version(campaign)
    kept = (ReportSnapshot.objects.filter(campaign=campaign, key=key, version=version, status=ReportSnapshot.Status.DONE)
            .values_list("answer_json", flat=True).first())
    if kept is not None:
        return json.loads(kept)
    from rest_framework.utils.encoders import JSONEncoder  # the API's own encoder: the same text as it sends

    text = json.dumps(compute(), cls=JSONEncoder, ensure_ascii=False, allow_nan=False)
    now = timezone.now()
    try:
        with transaction.atomic():
            ReportSnapshot.objects.create(
                campaign=campaign, key=key, version=version, params=request, status=ReportSnapshot.Status.DONE,
                progress=100, answer_json=text, started_at=now, finished_at=now)
    except IntegrityError:  # another call kept it first
        pass
    else:
        ReportSnapshot.objects.filter(campaign=campaign, key=key, version__lt=version).delete()
        campaign_data_changes_compact(campaign.pk)
    return json.loads(text)


def report_snapshot_state(*, campaign, report_request, language):
    """What the page's poll needs: the current version's snapshot's status and progress, and whether a reload
    would show something new (it is finished or failed, or the data changed again and no snapshot exists)."""
    params = report_params(report_request, language)
    current = ReportSnapshot.objects.filter(
        campaign=campaign, key=report_key(params), version=campaign_data_version(campaign)).first()
    if current is None:
        return {"status": None, "progress": 0, "ready": True}
    finished = current.status in (ReportSnapshot.Status.DONE, ReportSnapshot.Status.FAILED)
    return {"status": current.status, "progress": current.progress, "ready": finished}
