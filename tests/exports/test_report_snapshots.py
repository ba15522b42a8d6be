"""The report page at scale: figures computed once per data version, in the background, the older ones shown
meanwhile with a note and the progress of the newer."""

import re
import threading
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone

from annotation.models import Rating, RatingScore
from annotation.services import ratings_import
from annotation.services.workflow import item_next, rating_submit
from exports.kinds import likert
from exports.models import ReportDataChange, ReportSnapshot
from exports.services import report_snapshots
from exports.services.report_snapshots import campaign_data_changes_compact, campaign_data_version
from hyoka.celery import app
from judging.services import verdicts_import

from ..annotation.workflow_factories import FULL_SCORES, annotators, campaign_with_items, key, open_for_pull
from .report_factories import human_records, judge_records, rated_campaign, write_jsonl

STATUS = re.compile(r'id="report-status" data-status="(\w+)"')


def page(client, campaign):
    response = client.get(f"/campaigns/{campaign.slug}/report/")
    assert response.status_code == 200
    return response.content.decode()


def human_scores(html):
    return int(re.search(r'data-count="scores">(\d+)<', html).group(1))


def more_ratings(tmp_path, campaign):
    records = human_records(4, annotators=("haruto",), per_item=1)
    ratings_import(path=write_jsonl(tmp_path / "more.jsonl", records), campaign_slug=campaign.slug)
    return len(records) * 5


@pytest.mark.django_db
def test_the_version_grows_with_imported_ratings_and_verdicts_and_only_the_campaigns(tmp_path):
    campaign = rated_campaign(tmp_path, prompts=4, judge=None)
    other = rated_campaign(tmp_path, slug="other", prompts=2, judge=None)
    before, other_before = campaign_data_version(campaign), campaign_data_version(other)
    assert before > 0
    more_ratings(tmp_path, campaign)
    after_ratings = campaign_data_version(campaign)
    assert after_ratings > before
    verdicts_import(path=write_jsonl(tmp_path / "v.jsonl", judge_records(4)), campaign_slug=campaign.slug,
                    judge_name="gpt-4o-judge")
    assert campaign_data_version(campaign) > after_ratings
    assert campaign_data_version(other) == other_before


@pytest.mark.django_db
def test_the_version_grows_with_a_web_rating_its_revision_a_score_edit_and_a_deletion():
    campaign = campaign_with_items(items=2)
    (annotator,) = annotators(1, campaign)
    open_for_pull(campaign)
    item = item_next(annotator=annotator, campaign=campaign)
    versions = [campaign_data_version(campaign)]
    rating, _ = rating_submit(annotator=annotator, item=item, scores=FULL_SCORES, idempotency_key=key())
    versions.append(campaign_data_version(campaign))
    rating_submit(annotator=annotator, item=item, scores={**FULL_SCORES, "overall": 1}, idempotency_key=key())
    versions.append(campaign_data_version(campaign))
    RatingScore.objects.filter(rating=rating, axis__key="fluency").update(score=2)
    versions.append(campaign_data_version(campaign))
    Rating.objects.get(pk=rating.pk).delete()
    versions.append(campaign_data_version(campaign))
    assert versions == sorted(set(versions)), versions  # each step made a new, larger version


@pytest.mark.django_db
def test_a_repeat_view_reuses_the_figures_and_new_data_shows_the_old_ones_while_newer_compute(
        tmp_path, client, lead, monkeypatch, django_capture_on_commit_callbacks):
    campaign = rated_campaign(tmp_path, prompts=6, lead=lead)
    client.force_login(lead)
    first = page(client, campaign)  # a small campaign: computed inline, no progress page
    assert STATUS.search(first) is None and human_scores(first) == 6 * 3 * 2 * 5
    calls = count_report_pages(monkeypatch)
    assert human_scores(page(client, campaign)) == 6 * 3 * 2 * 5 and calls == []  # nothing recomputed

    monkeypatch.setattr(report_snapshots, "INLINE_MAX_ITEMS", 0)  # as if the campaign were large
    added = more_ratings(tmp_path, campaign)
    with django_capture_on_commit_callbacks() as queued:
        stale = page(client, campaign)
    assert human_scores(stale) == 6 * 3 * 2 * 5  # the old figures, at once
    assert STATUS.search(stale).group(1) == "pending"
    assert "より新しい集計値を計算しています（<span data-field=\"percent\">0</span>%）" in stale
    assert "js/report-status.js" in stale
    assert len(queued) == 1 and calls == []
    assert client.get(f"/campaigns/{campaign.slug}/report/status/").json() == {
        "status": "pending", "progress": 0, "ready": False}
    with django_capture_on_commit_callbacks() as again:
        page(client, campaign)
    assert again == []  # the computation under way is not queued twice

    monkeypatch.setitem(app.conf, "task_always_eager", True)
    queued[0]()  # the queued task, run by Celery in eager mode
    assert len(calls) == 1
    assert client.get(f"/campaigns/{campaign.slug}/report/status/").json() == {
        "status": "done", "progress": 100, "ready": True}
    fresh = page(client, campaign)
    assert human_scores(fresh) == 6 * 3 * 2 * 5 + added and STATUS.search(fresh) is None
    assert ReportSnapshot.objects.filter(campaign=campaign).count() == 1  # the older figures are gone
    assert ReportDataChange.objects.filter(campaign_id=campaign.pk).count() == 1  # the change rows compacted
    assert STATUS.search(page(client, campaign)) is None and len(calls) == 1  # into the same version


@pytest.mark.django_db
def test_compacting_the_change_rows_keeps_the_version_and_later_changes_still_count(tmp_path):
    campaign = rated_campaign(tmp_path, prompts=4)
    before = campaign_data_version(campaign)
    assert ReportDataChange.objects.filter(campaign_id=campaign.pk).count() > 1
    campaign_data_changes_compact(campaign.pk)
    assert campaign_data_version(campaign) == before
    assert ReportDataChange.objects.filter(campaign_id=campaign.pk).count() == 1
    more_ratings(tmp_path, campaign)
    assert campaign_data_version(campaign) > before


@pytest.mark.django_db
def test_a_large_campaign_seen_first_shows_a_progress_page_and_a_failure_is_said(
        tmp_path, client, lead, monkeypatch, django_capture_on_commit_callbacks):
    campaign = rated_campaign(tmp_path, prompts=3, lead=lead)
    monkeypatch.setattr(report_snapshots, "INLINE_MAX_ITEMS", 0)
    client.force_login(lead)
    with django_capture_on_commit_callbacks() as queued:
        waiting = page(client, campaign)
    assert "集計値を計算しています（" in waiting and 'data-count="scores"' not in waiting

    def broken(*args, **kwargs):
        raise ValueError("no memory left")

    monkeypatch.setattr(likert, "report_page", broken)
    monkeypatch.setitem(app.conf, "task_always_eager", True)
    queued[0]()
    failed = page(client, campaign)
    assert STATUS.search(failed).group(1) == "failed"
    assert "最新の集計値を計算できませんでした: ValueError: no memory left" in failed


def count_report_pages(monkeypatch):
    calls, real = [], likert.report_page

    def counted(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(likert, "report_page", counted)
    return calls


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_views_at_once_make_one_computation(tmp_path, lead, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent requests need PostgreSQL; run bin/test with PostgreSQL")
    campaign = rated_campaign(tmp_path, prompts=3, lead=lead)
    calls = count_report_pages(monkeypatch)
    start, pages, errors = threading.Barrier(4), [], []

    def view():
        from django.test import Client

        try:
            viewer = Client()
            viewer.force_login(lead)
            start.wait()
            pages.append(page(viewer, campaign))
        except Exception as error:  # noqa: BLE001 - re-raised in the main thread
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=view) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert len(pages) == 4 and len(calls) == 1
    assert ReportSnapshot.objects.filter(campaign=campaign).count() == 1
    assert ReportSnapshot.objects.get(campaign=campaign).status == ReportSnapshot.Status.DONE


@pytest.mark.django_db
def test_a_computation_whose_message_was_lost_or_whose_worker_died_is_queued_again_once(
        tmp_path, client, lead, monkeypatch, django_capture_on_commit_callbacks):
    campaign = rated_campaign(tmp_path, prompts=3, lead=lead)
    monkeypatch.setattr(report_snapshots, "INLINE_MAX_ITEMS", 0)
    client.force_login(lead)
    with django_capture_on_commit_callbacks() as queued:
        page(client, campaign)
    assert len(queued) == 1
    ReportSnapshot.objects.filter(campaign=campaign).update(
        created_at=timezone.now() - report_snapshots.STALE_PENDING - timedelta(seconds=1))
    with django_capture_on_commit_callbacks() as again:
        page(client, campaign)
        page(client, campaign)
    assert len(again) == 1
    ReportSnapshot.objects.filter(campaign=campaign).update(
        status=ReportSnapshot.Status.RUNNING, progress=70,
        started_at=timezone.now() - report_snapshots.STALE_RUNNING - timedelta(seconds=1))
    with django_capture_on_commit_callbacks() as after_death:
        page(client, campaign)
        page(client, campaign)
    assert len(after_death) == 1
    assert ReportSnapshot.objects.get(campaign=campaign).status == ReportSnapshot.Status.PENDING
