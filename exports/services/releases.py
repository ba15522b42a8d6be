"""Releases: creation, building, publishing, withdrawing; where their files live and how they are served.

A release's state changes only here, each time with a conditional update that must match one row:

    draft (build: queued ──start──> running ──> succeeded | failed ──rebuild──> queued)
      │  succeeded ──publish──> published ──withdraw (with a reason)──> withdrawn
      └──discard (not while running)──> gone

A build whose worker died stays ``running`` with a stale heartbeat; rebuilding queues it again.

From ``published`` on, the database itself refuses any other change (migration 0002), and each file is
checked against its stored size and SHA-256 before it is served.
"""

import logging
import re
import shutil
import traceback
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from annotation.errors import HyokaError
from exports.checksums import file_matches
from exports.models import SEMVER_PATTERN, Release, ReleaseCampaign, ReleaseFile, ReleaseSeries
from exports.privacy import release_secret

logger = logging.getLogger(__name__)

Status, BuildStatus, BuildStep = Release.Status, Release.BuildStatus, Release.BuildStep
STALE_BUILD = timedelta(minutes=10)


class ReleaseFileMismatch(HyokaError):
    """A release file on disk is missing or differs from the size and SHA-256 it was published with."""


def releases_root():
    """Where release folders live: settings.RELEASES_ROOT when set, else VAR_DIR/releases."""
    return Path(getattr(settings, "RELEASES_ROOT", None) or Path(settings.VAR_DIR) / "releases")


def release_folder(release):
    return releases_root() / release.name / release.version


# ---------------------------------------------------------------------------------------------------------
# Creating


def release_check_version(version):
    if not re.fullmatch(SEMVER_PATTERN, version or ""):
        raise HyokaError(f"version {version!r} is not a semantic version: use MAJOR.MINOR.PATCH, e.g. 1.0.0")


def release_create(*, campaigns=(), version, series=(), title="", description="", license=Release.License.CC_BY_4_0,
                   citation="", restricted=False, include_usernames=False, include_emails=False,
                   include_comments=False, dpo_threshold=1.0, name="", user=None, queue=True):
    """Create a draft release of ``campaigns`` (or of model ``series``: their checkpoints, trajectories and
    per-example outcomes) and, with ``queue``, queue its build once the transaction commits (without, the
    caller builds it: ``release_build``). A draft of the same name and version is replaced, files and all, so
    that building a version again leaves one draft on disk. Raises HyokaError on a bad version, a published or
    withdrawn (name, version), a draft of it being built, campaigns of different kinds together, campaigns
    and series together, a threshold that is not positive, or a license the campaigns' kind refuses (an exam
    source's non-commercial license under a permissive one)."""
    campaigns, series = list(campaigns), list(series)
    if series:
        _check_new_series_release(campaigns, version)
    else:
        _check_new_release(campaigns, version, dpo_threshold)
        _check_license(campaigns, license)
    first = campaigns[0] if campaigns else series[0]
    name = name or getattr(first, "slug", None) or first.name
    earlier = Release.objects.filter(name=name, version=version).first()
    if earlier is not None and earlier.status != Status.DRAFT:
        raise _duplicate(name, version)
    if earlier is not None:
        release_discard(release=earlier)
    try:
        with transaction.atomic():
            release = Release.objects.create(
                name=name, version=version, title=title or f"{first.name} {version}", description=description,
                license=license, citation=citation, restricted=restricted, include_usernames=include_usernames,
                include_emails=include_emails, include_comments=include_comments, dpo_threshold=dpo_threshold,
                secret=release_secret(), created_by=user,
            )
            ReleaseCampaign.objects.bulk_create(ReleaseCampaign(release=release, campaign=c) for c in campaigns)
            ReleaseSeries.objects.bulk_create(ReleaseSeries(release=release, series=one) for one in series)
    except IntegrityError:  # another request created the same version in between
        raise _duplicate(name, version) from None
    if queue:
        _queue_build(release)
    return release


def _check_new_release(campaigns, version, dpo_threshold):
    if not campaigns:
        raise HyokaError("a release needs at least one campaign")
    release_check_version(version)
    by_kind = {}
    for campaign in campaigns:
        by_kind.setdefault(campaign.rubric.kind, []).append(campaign.slug)
    if len(by_kind) > 1:
        named = "; ".join(f"{kind}: {', '.join(sorted(slugs))}" for kind, slugs in sorted(by_kind.items()))
        raise HyokaError(f"the campaigns are of different kinds ({named}): their tables differ, so make one "
                         "release of each kind")
    if not dpo_threshold or dpo_threshold <= 0:
        raise HyokaError("the preference pair threshold must be greater than 0")


def _check_new_series_release(campaigns, version):
    if campaigns:
        raise HyokaError("a release holds campaigns or model series, not both: make one release of each")
    release_check_version(version)


def _duplicate(name, version):
    return HyokaError(f"release {name} {version} exists already: a release never changes, so give the "
                      "correction a new version")


def _queue_build(release):
    from exports.tasks import release_build_task  # tasks import this module

    transaction.on_commit(lambda: release_build_task.delay(release.pk))


# ---------------------------------------------------------------------------------------------------------
# Building


def release_build(*, release_id):
    """Build the files of a queued draft: the runner of the build task and of the ``release`` command.

    Claims the build (queued → running) and returns quietly when another worker has it or it is no
    longer queued. Every failure is recorded on the row (failed, with the message); a domain error is
    not raised again, anything else is (a bug, for the worker's log). Returns the release (None when it
    was discarded before its build started).
    """
    from exports.services.build import BuildProgress, build_release_files

    now = timezone.now()
    if not _transition(release_id, BuildStatus.QUEUED, BuildStatus.RUNNING, build_started_at=now,
                       build_heartbeat_at=now, build_progress=0, build_step=BuildStep.RATINGS, build_error=""):
        return Release.objects.filter(pk=release_id).first()  # None: discarded before a worker took it
    release = Release.objects.get(pk=release_id)
    try:
        result = build_release_files(release, release_folder(release), BuildProgress(release.pk))
        release_build_finish(release=release, result=result)
    except HyokaError as error:
        _build_failed(release, str(error))
    except Exception as error:
        _build_failed(release, f"{type(error).__name__}: {error}")
        logger.error("release %s build failed\n%s", release, traceback.format_exc())
        raise
    release.refresh_from_db()
    return release


def _transition(release_id, from_status, to_status, **changes):
    return Release.objects.filter(pk=release_id, status=Status.DRAFT, build_status=from_status).update(
        build_status=to_status, **changes) == 1


@transaction.atomic
def release_build_finish(*, release, result):
    """Record a finished build: its files (replacing any of an earlier build), statistics and card."""
    ReleaseFile.objects.filter(release=release).delete()
    ReleaseFile.objects.bulk_create(
        ReleaseFile(release=release, path=file.path, table=file.table, format=file.format, size=file.size,
                    sha256=file.sha256, rows=file.rows, position=position)
        for position, file in enumerate(result.files)
    )
    if not _transition(release.pk, BuildStatus.RUNNING, BuildStatus.SUCCEEDED, build_progress=100,
                       build_step=BuildStep.DONE, build_finished_at=timezone.now(), stats=result.stats,
                       card=result.card):
        raise HyokaError(f"release {release} stopped being a running draft while it was built")


def _build_failed(release, message):
    _transition(release.pk, BuildStatus.RUNNING, BuildStatus.FAILED, build_error=message[:5000],
                build_finished_at=timezone.now())


def release_build_is_stale(release):
    """Whether the release's build is running with no sign of life for STALE_BUILD (its worker died)."""
    return (release.build_status == BuildStatus.RUNNING and release.build_heartbeat_at is not None
            and release.build_heartbeat_at < timezone.now() - STALE_BUILD)


def release_rebuild(*, release):
    """Queue the build of a draft again: after a failure, to take in ratings made since, or when the
    worker building it died (no sign of life for STALE_BUILD)."""
    ended = Q(build_status__in=(BuildStatus.FAILED, BuildStatus.SUCCEEDED))
    stale = Q(build_status=BuildStatus.RUNNING, build_heartbeat_at__lt=timezone.now() - STALE_BUILD)
    updated = Release.objects.filter(ended | stale, pk=release.pk, status=Status.DRAFT).update(
        build_status=BuildStatus.QUEUED, build_progress=0, build_step="", build_error="")
    if updated != 1:
        raise HyokaError(f"release {release} is not a draft whose build has ended: it cannot be rebuilt now")
    _queue_build(release)


# ---------------------------------------------------------------------------------------------------------
# Publishing, withdrawing, discarding


def _check_license(campaigns, license):
    """The campaigns' kind may refuse the release's license (an exam source's non-commercial license under a
    permissive one)."""
    from exports import kinds  # the release builders and reports (pandas, pyarrow): not at a web process's start

    kinds.for_campaign(campaigns[0]).check_release_license(campaigns, license)


def release_publish(*, release):
    """Publish a built draft, after checking every file on disk against its recorded SHA-256.

    From now on the database refuses any change to the release and its files but a withdrawal.
    """
    release.refresh_from_db()
    if release.status != Status.DRAFT or release.build_status != BuildStatus.SUCCEEDED:
        raise HyokaError(f"release {release} is {release.get_status_display().lower()} with build "
                         f"{release.get_build_status_display().lower()}: only a built draft can be published")
    campaigns = list(release.campaigns.select_related("rubric"))
    if campaigns:  # a source's license may have been recorded since the draft was made
        _check_license(campaigns, release.license)
    folder = release_folder(release)
    files = list(release.files.all())
    if not files:
        raise HyokaError(f"release {release} has no files: build it first")
    for file in files:
        _check_file(release, folder, file)
    published = Release.objects.filter(pk=release.pk, status=Status.DRAFT, build_status=BuildStatus.SUCCEEDED).update(
        status=Status.PUBLISHED, published_at=timezone.now())
    if published != 1:
        raise HyokaError(f"release {release} changed while it was being published; try again")
    for file in files:
        (folder / file.path).chmod(0o444)
    release.refresh_from_db()
    return release


def release_withdraw(*, release, reason):
    """Withdraw a published release: its page stays, saying why, and its files are no longer served."""
    reason = (reason or "").strip()
    if not reason:
        raise HyokaError("say why the release is withdrawn: readers will see the reason")
    withdrawn = Release.objects.filter(pk=release.pk, status=Status.PUBLISHED).update(
        status=Status.WITHDRAWN, withdrawn_reason=reason, withdrawn_at=timezone.now())
    if withdrawn != 1:
        raise HyokaError(f"release {release} is not published: only a published release can be withdrawn")
    release.refresh_from_db()
    return release


def release_discard(*, release):
    """Delete a draft and its folder; refused for published releases and while a build is running (unless
    its worker died)."""
    stale = Q(build_status=BuildStatus.RUNNING, build_heartbeat_at__lt=timezone.now() - STALE_BUILD)
    deleted, _ = Release.objects.filter(~Q(build_status=BuildStatus.RUNNING) | stale, pk=release.pk,
                                        status=Status.DRAFT).delete()
    if not deleted:
        raise HyokaError(f"release {release} is published or being built: it cannot be discarded")
    shutil.rmtree(release_folder(release), ignore_errors=True)


# ---------------------------------------------------------------------------------------------------------
# Serving


def release_file_for_download(*, release, path):
    """The on-disk path of one file of a readable release, checked against its size and SHA-256.

    Raises ReleaseFile.DoesNotExist for a path the release does not have, HyokaError for a withdrawn
    release, and ReleaseFileMismatch when the file on disk is not the one published.
    """
    if release.status == Status.WITHDRAWN:
        raise HyokaError(f"release {release} was withdrawn: its files are no longer served")
    file = release.files.get(path=path)
    folder = release_folder(release)
    _check_file(release, folder, file)
    return folder / file.path


def _check_file(release, folder, file):
    if not file_matches(folder, file.path, file.size, file.sha256):
        logger.error("release %s: %s does not match its recorded SHA-256 %s", release, file.path, file.sha256)
        raise ReleaseFileMismatch(
            f"{file.path} of release {release} does not match its published SHA-256 ({file.sha256}): "
            "it has been changed or damaged on the server, so it is not served"
        )
