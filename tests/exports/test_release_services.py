"""The release lifecycle: versions, duplicates, publishing, withdrawing, preference pairs, the build task,
and the database refusing any change to a published release."""

import pandas as pd
import pytest
from django.db import IntegrityError, connection, transaction

from annotation.errors import HyokaError
from annotation.models import Campaign, Rubric
from exports.models import Release, ReleaseCampaign, ReleaseFile
from exports.services import (
    ReleaseFileMismatch, release_build, release_create, release_discard, release_file_for_download, release_folder,
    release_publish, release_rebuild, release_withdraw,
)
from exports.tasks import release_build_task
from tests.exports.release_factories import rated_campaign, few_bootstrap_replicates  # noqa: F401 (an autouse fixture)


@pytest.fixture
def campaign(db):
    return rated_campaign()


def built(campaign, version="1.0.0", **options):
    return release_build(release_id=release_create(campaigns=[campaign], version=version, queue=False, **options).pk)


@pytest.mark.parametrize("version", ["1.0", "v1.0.0", "01.0.0", "1.0.0-", "1.0.0.0", ""])
def test_versions_must_be_semantic(campaign, version):
    with pytest.raises(HyokaError, match="not a semantic version"):
        release_create(campaigns=[campaign], version=version, queue=False)


@pytest.mark.parametrize("version", ["0.1.0", "1.0.0-rc.1", "2.10.3+build.7"])
def test_semantic_versions_are_accepted(campaign, version):
    assert release_create(campaigns=[campaign], version=version, queue=False).version == version


def test_building_a_draft_version_again_replaces_the_draft_and_its_files(campaign):
    first = built(campaign)
    assert sorted(path.name for path in release_folder(first).parent.iterdir()) == ["1.0.0"]
    (release_folder(first) / "left-over.txt").write_text("from the first build")
    again = built(campaign)
    assert list(Release.objects.values_list("pk", flat=True)) == [again.pk] and again.pk != first.pk
    assert sorted(path.name for path in release_folder(again).parent.iterdir()) == ["1.0.0"]
    assert not (release_folder(again) / "left-over.txt").exists()
    assert {file.path for file in again.files.all()} <= {str(path.relative_to(release_folder(again)))
                                                          for path in release_folder(again).rglob("*")}


def test_a_published_version_cannot_be_made_twice(campaign):
    release_publish(release=built(campaign))
    with pytest.raises(HyokaError, match="exists already.*new version"):
        release_create(campaigns=[campaign], version="1.0.0", queue=False)
    with pytest.raises(IntegrityError), transaction.atomic():
        Release.objects.create(name=campaign.slug, version="1.0.0", title="t", secret="s")


def test_a_pairwise_campaign_makes_a_release_but_not_beside_a_likert_one(campaign):
    rubric = Rubric.objects.create(key="pairwise-abt", name="A/B/tie", kind=Rubric.Kind.PAIRWISE, verdicts=["A", "B", "tie"])
    pairwise = Campaign.objects.create(slug="pairs", name="pairs", rubric=rubric)
    with pytest.raises(HyokaError, match=r"different kinds \(likert: jp-release; pairwise: pairs\)"):
        release_create(campaigns=[campaign, pairwise], version="1.0.0", queue=False)
    assert not Release.objects.exists()
    assert release_create(campaigns=[pairwise], version="1.0.0", queue=False).name == "pairs"


def test_creating_queues_the_build_after_commit_and_the_task_builds_it(campaign, django_capture_on_commit_callbacks,
                                                                         monkeypatch):
    queued = []
    monkeypatch.setattr(release_build_task, "delay", queued.append)
    with django_capture_on_commit_callbacks(execute=True):
        release = release_create(campaigns=[campaign], version="1.0.0")
        assert queued == []
    assert queued == [release.pk]
    release_build_task(release.pk)
    release.refresh_from_db()
    assert (release.build_status, release.build_progress, release.build_step) == ("succeeded", 100, "done")
    release_build_task(release.pk)  # a redelivered message does nothing
    assert Release.objects.get(pk=release.pk).build_finished_at == release.build_finished_at


def test_preference_pairs_differ_by_at_least_the_threshold(campaign):
    pairs = pd.read_parquet(release_folder(built(campaign)) / "data/preference_pairs.parquet")
    # Mean overall: q0 a 1.5 b 3 c 4.5; q1 a 2 b 2.5 c 4; q2 a 3 b 4 c 5; q3 a 3 b 3 (c unrated).
    found = {(row.prompt, row.chosen_model, row.rejected_model, row.chosen_score, row.rejected_score)
             for row in pairs.itertuples()}
    assert found == {
        ("質問0です。", "model-c", "model-b", 4.5, 3.0), ("質問0です。", "model-c", "model-a", 4.5, 1.5),
        ("質問0です。", "model-b", "model-a", 3.0, 1.5), ("質問1です。", "model-c", "model-b", 4.0, 2.5),
        ("質問1です。", "model-c", "model-a", 4.0, 2.0), ("質問2です。", "model-c", "model-b", 5.0, 4.0),
        ("質問2です。", "model-c", "model-a", 5.0, 3.0), ("質問2です。", "model-b", "model-a", 4.0, 3.0),
    }
    first = pairs[(pairs.prompt == "質問0です。") & (pairs.rejected_model == "model-a") & (pairs.chosen_model == "model-c")]
    assert first.iloc[0]["chosen"] == "model-cの答え0" and first.iloc[0]["n_turns"] == 2
    assert (pairs["score_margin"] >= 1).all()

    strict = pd.read_parquet(release_folder(built(campaign, "1.0.1", dpo_threshold=2)) / "data/preference_pairs.parquet")
    assert sorted(zip(strict.prompt, strict.rejected_model)) == [("質問0です。", "model-a"), ("質問1です。", "model-a"),
                                                                 ("質問2です。", "model-a")]


def test_only_a_built_draft_is_published_and_only_with_a_reason_withdrawn(campaign):
    release = release_create(campaigns=[campaign], version="1.0.0", queue=False)
    with pytest.raises(HyokaError, match="only a built draft"):
        release_publish(release=release)
    release = release_publish(release=release_build(release_id=release.pk))
    assert release.status == "published" and release.published_at
    with pytest.raises(HyokaError, match="say why"):
        release_withdraw(release=release, reason="  ")
    release = release_withdraw(release=release, reason="An annotator asked for their ratings to be removed.")
    assert release.status == "withdrawn" and release.withdrawn_at
    with pytest.raises(HyokaError, match="not published"):
        release_withdraw(release=release, reason="again")
    with pytest.raises(HyokaError, match="withdrawn"):
        release_file_for_download(release=release, path="README.md")


def test_publishing_checks_the_files_first(campaign):
    release = built(campaign)
    (release_folder(release) / "data/ratings.csv").write_text("tampered\n")
    with pytest.raises(ReleaseFileMismatch, match="data/ratings.csv"):
        release_publish(release=release)
    assert Release.objects.get(pk=release.pk).status == "draft"


def test_a_tampered_file_of_a_published_release_is_refused(campaign):
    release = release_publish(release=built(campaign))
    assert release_file_for_download(release=release, path="data/ratings.parquet").exists()
    target = release_folder(release) / "data/ratings.jsonl"
    target.chmod(0o644)
    target.write_text(target.read_text().replace("ann-", "ann-x"))
    with pytest.raises(ReleaseFileMismatch, match="does not match its published SHA-256"):
        release_file_for_download(release=release, path="data/ratings.jsonl")
    with pytest.raises(ReleaseFile.DoesNotExist):
        release_file_for_download(release=release, path="../../secret_key")


def test_the_database_refuses_to_change_a_published_release_or_its_files(campaign):
    release = release_publish(release=built(campaign))
    file = release.files.get(path="data/ratings.parquet")
    attempts = [
        lambda: Release.objects.filter(pk=release.pk).update(title="changed"),
        lambda: Release.objects.filter(pk=release.pk).update(status="draft"),
        lambda: Release.objects.filter(pk=release.pk).update(status="withdrawn", withdrawn_reason="x", title="y"),
        lambda: Release.objects.filter(pk=release.pk).delete(),
        lambda: ReleaseFile.objects.filter(pk=file.pk).update(sha256="0" * 64),
        lambda: ReleaseFile.objects.filter(pk=file.pk).delete(),
        lambda: ReleaseFile.objects.create(release=release, path="extra.csv", format="csv", size=1, sha256="0" * 64),
        lambda: ReleaseCampaign.objects.filter(release=release).delete(),
        lambda: _raw_update("UPDATE exports_releasefile SET size = size + 1 WHERE id = %s", file.pk),
    ]
    for attempt in attempts:
        with pytest.raises(IntegrityError), transaction.atomic():
            attempt()
    assert release_file_for_download(release=release, path="data/ratings.parquet")

    withdrawn = Release.objects.filter(pk=release.pk).update(status="withdrawn", withdrawn_reason="a reason")
    assert withdrawn == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        Release.objects.filter(pk=release.pk).update(withdrawn_reason="another reason")


def _raw_update(sql, pk):
    with connection.cursor() as cursor:
        cursor.execute(sql, [pk])


def test_drafts_can_be_rebuilt_and_discarded_but_not_published_ones(campaign):
    release = built(campaign)
    release_rebuild(release=release)
    assert Release.objects.get(pk=release.pk).build_status == "queued"
    with pytest.raises(HyokaError, match="cannot be rebuilt"):
        release_rebuild(release=release)
    release = release_build(release_id=release.pk)
    folder = release_folder(release)
    release_discard(release=release)
    assert not Release.objects.filter(pk=release.pk).exists() and not folder.exists()

    published = release_publish(release=built(campaign, "2.0.0"))
    with pytest.raises(HyokaError, match="cannot be discarded"):
        release_discard(release=published)


def test_a_failed_build_is_recorded_with_its_reason(campaign, monkeypatch):
    def broken(*args, **kwargs):
        raise HyokaError("the disk is full")

    monkeypatch.setattr("exports.services.build.build_release_files", broken)
    release = built(campaign)
    assert (release.build_status, release.build_error) == ("failed", "the disk is full")


def test_a_draft_discarded_before_a_worker_took_it_is_skipped_by_the_task(campaign):
    release = release_create(campaigns=[campaign], version="1.0.0", queue=False)
    release_discard(release=release)
    assert release_build(release_id=release.pk) is None


def test_a_build_whose_worker_died_can_be_built_again(campaign):
    from datetime import timedelta

    from django.utils import timezone

    release = release_create(campaigns=[campaign], version="1.0.0", queue=False)
    Release.objects.filter(pk=release.pk).update(build_status="running", build_heartbeat_at=timezone.now())
    with pytest.raises(HyokaError, match="cannot be rebuilt"):
        release_rebuild(release=release)
    Release.objects.filter(pk=release.pk).update(build_heartbeat_at=timezone.now() - timedelta(minutes=11))
    release_rebuild(release=release)
    assert release_build(release_id=release.pk).build_status == "succeeded"
